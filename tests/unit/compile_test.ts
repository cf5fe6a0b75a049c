import assert from "node:assert/strict";
import {
  bakedPermissions,
  binaryName,
  compileCommands,
  DEFAULT_LISTEN,
  DEFAULT_SOCKETS,
  TARGETS,
} from "../../scripts/compile.ts";

Deno.test("compileCommands() builds both Linux targets with the version in the name", () => {
  const commands = compileCommands({
    targets: Object.keys(TARGETS),
    listen: DEFAULT_LISTEN,
    sockets: DEFAULT_SOCKETS,
    configDirs: ["/etc/socket-proxy"],
    outDir: "dist",
  });
  assert.deepEqual(commands.map((c) => c.target), [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
  ]);
  for (const { target, args } of commands) {
    assert.equal(args[0], "compile");
    assert.equal(args.at(-1), "main.ts");
    assert.equal(args[args.indexOf("--target") + 1], target);
    assert.match(
      args[args.indexOf("--output") + 1],
      /^dist\/socket-proxy-\d+\.\d+\.\d+-linux-(x86_64|aarch64)$/,
    );
    assert.ok(args.includes("--no-prompt"), "prompts off");
    assert.ok(args.includes("--no-code-cache"), "nothing written on a read-only filesystem");
    assert.ok(args.some((a) => a.startsWith("--v8-flags=")));
  }
  assert.match(binaryName("aarch64-unknown-linux-gnu"), /-linux-aarch64$/);
});

Deno.test("bakedPermissions() grants the listen addresses, the sockets, the environment and the own-container hints, nothing else", () => {
  const flags = bakedPermissions(["[::]:2375", "127.0.0.1:2375"], ["/var/run/docker.sock"]);
  assert.deepEqual(flags, [
    "--no-prompt",
    "--allow-env",
    "--allow-net=[::]:2375,127.0.0.1:2375,unix:/var/run/docker.sock",
    "--allow-read=/var/run/docker.sock,/run/.containerenv,/etc/hostname,/.dockerenv",
    "--allow-write=/var/run/docker.sock",
  ]);
  for (const flag of bakedPermissions(DEFAULT_LISTEN, DEFAULT_SOCKETS)) {
    assert.match(flag, /^--(no-prompt|allow-env|allow-net=|allow-read=|allow-write=)/, flag);
    assert.doesNotMatch(flag, /^--allow-(net|read|write)$/, "never a blanket grant");
  }
});

/** Deno APIs the proxy may use; each needs no permission or one the build grants. */
const USED_APIS: Record<string, string> = {
  listen: "net (listen addresses, the metrics listener)",
  listenTls: "net (listen addresses), read (TLS_CERT and TLS_KEY, in a configuration directory)",
  connect: "net (engine socket, healthcheck), read/write (unix socket paths)",
  connectTls: "net (the healthcheck's own listener), read (TLS_CERT)",
  chmodSync: "write (a unix listen path: its mode=)",
  chownSync: "write (a unix listen path: its group=)",
  version: "none (the build info metric)",
  env: "env",
  permissions: "none (querying)",
  addSignalListener: "none",
  exit: "none",
  args: "none",
  stdout: "none",
  errors: "none",
  unrefTimer: "none",
  memoryUsage: "none",
  lstatSync: "read (a unix listen path, to remove a stale socket)",
  removeSync: "write (a unix listen path)",
  readTextFileSync:
    "read (/run/.containerenv, /etc/hostname and /.dockerenv: PROTECT_SELF's own container)",
  readTextFile: "read (the policy file and TLS files, in a configuration directory; /etc/group)",
  watchFs: "read (the policy file's directory)",
  stdin: "none (learn reads the access log from it)",
  writeTextFile: "write (learn --policy-out: a command, never the proxy)",
};

/** `main.ts` and every file under `lib/`, folders included. */
function proxyFiles(dir = "lib"): string[] {
  const files = dir === "lib" ? ["main.ts"] : [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    files.push(...(entry.isDirectory ? proxyFiles(path) : [path]));
  }
  return files;
}

Deno.test("the proxy's code uses only Deno APIs its baked permissions cover", async () => {
  const files = proxyFiles();
  const found = new Set<string>();
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(/\bDeno\.(\w+)/g)) {
      if (/^[A-Z]/.test(match[1])) continue; // types: Deno.Conn, Deno.Addr, ...
      found.add(match[1]);
      assert.ok(
        match[1] in USED_APIS,
        `${file} uses Deno.${match[1]}: add its permission to the build`,
      );
    }
  }
  assert.ok(found.has("connect") && found.has("listen") && found.has("env"));
});

Deno.test("the proxy's code uses no Node timers (they cost ~3.5 MiB of resident memory)", async () => {
  for (const file of proxyFiles()) {
    const text = (await Deno.readTextFile(file)).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(text, /\b(setTimeout|setInterval)\s*\(/, `${file}: use lib/timer.ts`);
    assert.doesNotMatch(text, /from "node:/, `${file}: no Node modules`);
  }
});
