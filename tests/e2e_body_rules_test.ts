/**
 * Rules on request bodies with the real `docker` and `podman` CLIs and real
 * engines: exec only this command, create only these images, and audit ->
 * learn -> enforce for an acme-companion-style client.
 */
import assert from "node:assert/strict";
import { dockerCli } from "./helpers/docker_cli.ts";
import {
  engineSocket,
  podmanSocket,
  startProxyProcess,
  testImage,
} from "./helpers/proxy_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function tempFile(name: string, text: string): Promise<string> {
  const path = `${await Deno.makeTempDir({ prefix: "sp-body-" })}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

async function run(command: string, args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
}

/** The engine itself, without the proxy: fixtures and clean-up. */
function direct() {
  return dockerCli(`unix://${engineSocket()}`);
}

/**
 * A container named `name` (labels `labels`) with scripts standing in for
 * `pg_dump` and `nginx`: they print their arguments.
 */
async function fixture(name: string, labels: string[] = []): Promise<void> {
  const docker = direct();
  await docker.ok([
    "run",
    "-d",
    "--network",
    "none",
    "--name",
    name,
    ...labels.flatMap((label) => ["--label", label]),
    testImage(),
    "sleep",
    "3600",
  ]);
  for (const program of ["pg_dump", "nginx"]) {
    await docker.ok([
      "exec",
      name,
      "sh",
      "-c",
      `printf '#!/bin/sh\\necho ${program} "$@"\\n' > /bin/${program} && chmod +x /bin/${program}`,
    ]);
  }
}

async function removeContainers(names: string[]): Promise<void> {
  await run("docker", ["-H", `unix://${engineSocket()}`, "rm", "-f", ...names]);
}

/** Runs `socket-proxy learn` on `log`; resolves with the policy it writes. */
async function learn(log: string): Promise<string> {
  const out = `${await Deno.makeTempDir({ prefix: "sp-learn-" })}/policy.yaml`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", `--allow-write=${out}`, "--allow-env", MAIN]
      .concat(["learn", "--policy-out", out]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(log));
  await writer.close();
  const { code, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return await Deno.readTextFile(out);
}

const CLI_RULES = `
      - SystemPing
      - SystemPingHead
      - SystemVersion
      - ContainerInspect
      - ExecStart
      - ExecInspect
      - ExecResize
      - ContainerStart
      - ContainerWait
      - ContainerAttach
      - ContainerResize`;

Deno.test("docker exec runs only the command a rule names, and docker run only allowed images", async () => {
  const db = `sp-db-${crypto.randomUUID().slice(0, 8)}`;
  const web = `sp-web-${crypto.randomUUID().slice(0, 8)}`;
  const created = `sp-run-${crypto.randomUUID().slice(0, 8)}`;
  const policy = await tempFile(
    "policy.yaml",
    `profiles:
  - name: backup
    rules:${CLI_RULES}
      - allow: ContainerExec
        target: { labels: { role: db } }
        body:
          Cmd: [[pg_dump, "**"], [pg_dumpall, --clean]]
          User: [postgres, null]
          Privileged: false
          Tty: false
      - allow: ContainerCreate
        body:
          Image: ["${testImage().replace(/:.*/, "")}:*"]
          User: [null, "1000:1000"]
`,
  );
  const proxy = await startProxyProcess({ SOCKET_PATH: engineSocket(), POLICY_FILE: policy });
  try {
    await fixture(db, ["role=db"]);
    await fixture(web, ["role=web"]);
    const docker = dockerCli(`tcp://127.0.0.1:${proxy.port}`);

    const dump = await docker.ok(["exec", db, "pg_dump", "-U", "app"]);
    assert.equal(dump.stdout, "pg_dump -U app\n");

    const refusals: [string[], RegExp][] = [
      [
        ["exec", db, "sh"],
        /Cmd \["sh"\] matches none of \[\[pg_dump, \*\*\], \[pg_dumpall, --clean\]\]/,
      ],
      [["exec", "-u", "root", db, "pg_dump"], /User "root" is none of \[postgres, null\]/],
      [["exec", "--privileged", db, "pg_dump"], /Privileged is true/],
      [["exec", db, "sh", "-c", "pg_dump; id"], /Cmd \["sh","-c","pg_dump; id"\]/],
      [["exec", "-t", db, "pg_dump"], /Tty is true/],
      [["exec", web, "pg_dump"], /only on containers with labels role=db/],
    ];
    for (const [args, message] of refusals) {
      const refused = await docker(args);
      assert.notEqual(refused.code, 0, `docker ${args.join(" ")} passed`);
      assert.match(
        refused.stderr,
        /Forbidden by socket-proxy: POST \/v1\.\d+\/containers\/.*\/exec/,
      );
      assert.match(refused.stderr, message);
    }

    await docker.ok(["run", "-d", "--network", "none", "--name", created, testImage(), "true"]);
    const other = await docker(["run", "-d", "--network", "none", "sp-other-image:1", "true"]);
    assert.notEqual(other.code, 0);
    assert.match(
      other.stderr,
      /\(ContainerCreate\) is not allowed for profile "backup": rule \d+ .* does not allow its body: Image "sp-other-image:1" \(docker\.io\/library\/sp-other-image:1\) matches none of/,
    );
    const root = await docker(["run", "-d", "--network", "none", "-u", "0", testImage(), "true"]);
    assert.match(root.stderr, /User "0" is none of \[1000:1000, null\]/);

    await proxy.waitForLine(/\(ContainerExec\) denied 403 .*Cmd \["sh"\]/);
  } finally {
    await proxy.stop();
    await removeContainers([db, web, created]);
  }
});

Deno.test("podman's exec and create are held to the same rules", async () => {
  const name = `sp-pdb-${crypto.randomUUID().slice(0, 8)}`;
  const dir = await Deno.makeTempDir({ prefix: "sp-body-podman-" });
  const podman = (args: string[], url: string) => run("podman", ["--url", url, ...args]);
  const engine = `unix://${podmanSocket()}`;
  const image = "localhost/" + testImage().replace(/:.*/, "");
  try {
    await direct().ok(["save", "-o", `${dir}/image.tar`, testImage()]);
    const loaded = await podman(["load", "-i", `${dir}/image.tar`], engine);
    assert.equal(loaded.code, 0, new TextDecoder().decode(loaded.stderr));
    const started = await podman(
      // Where podman may not raise its limits to the maximum (sandboxes), ask for less.
      ["run", "-d", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit"]
        .concat(["nproc=1024:1024", "--name", name, image, "sleep", "3600"]),
      engine,
    );
    assert.equal(started.code, 0, new TextDecoder().decode(started.stderr));
    await podman([
      "exec",
      name,
      "sh",
      "-c",
      "printf '#!/bin/sh\\necho dumped\\n' > /bin/pg_dump; chmod +x /bin/pg_dump",
    ], engine);

    const policy = await tempFile(
      "policy.yaml",
      `profiles:
  - name: podman-backup
    rules:
      - GET /**
      - HEAD /**
      - LibpodExecStart
      - LibpodExecResize
      - allow: "*ContainerExec"
        body:
          Cmd: [[pg_dump, "**"]]
          User: [null]
      - allow: LibpodContainerCreate
        body:
          Image: ["${image}:*"]
`,
    );
    const proxy = await startProxyProcess({ SOCKET_PATH: podmanSocket(), POLICY_FILE: policy });
    const url = `tcp://127.0.0.1:${proxy.port}`;
    try {
      const ok = await podman(["exec", name, "pg_dump"], url);
      assert.equal(
        new TextDecoder().decode(ok.stdout),
        "dumped\n",
        new TextDecoder().decode(ok.stderr),
      );
      const shell = await podman(["exec", name, "sh"], url);
      assert.notEqual(shell.code, 0);
      assert.match(
        new TextDecoder().decode(shell.stderr),
        /Cmd \["sh"\] matches none of \[\[pg_dump, \*\*\]\]/,
      );
      const root = await podman(["exec", "-u", "root", name, "pg_dump"], url);
      assert.match(new TextDecoder().decode(root.stderr), /User "root" is none of \[null\]/);

      // libpod's create, as raw API calls: a full image name passes, a short one is refused.
      const create = async (body: unknown) => {
        const answer = await fetch(
          `http://127.0.0.1:${proxy.port}/v4.0.0/libpod/containers/create`,
          {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(body),
          },
        );
        return { status: answer.status, text: await answer.text() };
      };
      const full = await create({ image: `${image}:latest`, name: `${name}-c`, command: ["true"] });
      assert.equal(full.status, 201, full.text);
      const short = await create({ image: testImage(), name: `${name}-d`, command: ["true"] });
      assert.equal(short.status, 403);
      assert.match(short.text, /names no registry, and podman resolves such a name/);
      const other = await create({ Image: "docker.io/library/alpine:3", name: `${name}-e` });
      assert.equal(other.status, 403);
      assert.match(other.text, /Image \\"docker\.io\/library\/alpine:3\\" .* matches none of/);
    } finally {
      await proxy.stop();
    }
  } finally {
    await podman(["rm", "-f", name, `${name}-c`, `${name}-d`, `${name}-e`], engine);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("audit, learn, enforce: an acme-companion-style client may then exec only nginx -s reload", async () => {
  const nginx = `sp-nginx-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await fixture(nginx);
    // 1. Audit with a policy file that names no client yet: forwarded, logged would-deny.
    const audit = await tempFile("audit.yaml", "profiles: []\n");
    const auditing = await startProxyProcess({
      SOCKET_PATH: engineSocket(),
      POLICY_FILE: audit,
      MODE: "audit",
      LOG_FORMAT: "json",
    });
    try {
      const docker = dockerCli(`tcp://127.0.0.1:${auditing.port}`);
      const reload = await docker.ok(["exec", nginx, "nginx", "-s", "reload"]);
      assert.equal(reload.stdout, "nginx -s reload\n");
      await docker.ok(["inspect", "--format", "{{.State.Running}}", nginx]);
    } finally {
      await auditing.stop();
    }
    const log = auditing.lines.filter((line) => line.includes('"msg":"request"')).join("\n");
    assert.match(
      log,
      /"operation":"ContainerExec","decision":"would-deny".*"cmd":"\[\\"nginx\\",\\"-s\\",\\"reload\\"\]"/,
    );
    assert.doesNotMatch(log, /"env"/);

    // 2. Learn, without editing.
    const learned = await learn(log);
    assert.match(
      learned,
      /- allow: ContainerExec # 1 request\n {8}body:\n {10}Cmd: \[\["nginx", "-s", "reload"\]\] # as seen\n {10}User: \[null\]\n {10}Privileged: false\n/,
    );

    // 3. Enforce: nginx -s reload passes, nginx -s stop is refused.
    const enforcing = await startProxyProcess({
      SOCKET_PATH: engineSocket(),
      POLICY_FILE: await tempFile("learned.yaml", learned),
    });
    try {
      const docker = dockerCli(`tcp://127.0.0.1:${enforcing.port}`);
      const reload = await docker.ok(["exec", nginx, "nginx", "-s", "reload"]);
      assert.equal(reload.stdout, "nginx -s reload\n");
      const stop = await docker(["exec", nginx, "nginx", "-s", "stop"]);
      assert.notEqual(stop.code, 0);
      assert.match(
        stop.stderr,
        /Cmd \["nginx","-s","stop"\] matches none of \[\[nginx, -s, reload\]\]/,
      );
    } finally {
      await enforcing.stop();
    }
  } finally {
    await removeContainers([nginx]);
  }
});
