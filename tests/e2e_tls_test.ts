/**
 * The real `docker` CLI verifying the proxy's TLS certificate against a private
 * CA, through the proxy (a process, with its least permissions) to the real
 * engine: plain commands, a tunnel (`exec`) and a stream (`logs -f`).
 */
import assert from "node:assert/strict";
import { dockerCli } from "./helpers/docker_cli.ts";
import { engineSocket, startProxyProcess, testImage } from "./helpers/proxy_process.ts";
import { makeCertificates } from "./helpers/tls_certs.ts";

Deno.test("the docker CLI works through the proxy over verified TLS", async (t) => {
  const certs = await makeCertificates();
  // DOCKER_CERT_PATH holds the CA only: no client certificate (the proxy checks none).
  const certPath = `${certs.dir}/client`;
  await Deno.mkdir(certPath);
  await Deno.copyFile(certs.caFile, `${certPath}/ca.pem`);
  const proxy = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    CONTAINERS: "1",
    POST: "1",
    EXEC: "1",
    ALLOW_LOGS: "1",
    TLS_CERT: certs.chainFile,
    TLS_KEY: certs.keyFile,
  });
  const host = `tcp://127.0.0.1:${proxy.port}`;
  const docker = dockerCli(host, { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certPath });
  const image = testImage();
  const names: string[] = [];
  const name = (base: string) => {
    const unique = `sp-tls-${base}-${crypto.randomUUID().slice(0, 8)}`;
    names.push(unique);
    return unique;
  };
  try {
    await t.step("docker version (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)", async () => {
      const { stdout } = await docker.ok(["version", "--format", "{{.Server.APIVersion}}"]);
      assert.match(stdout.trim(), /^1\.\d+$/);
    });
    await t.step("docker --tlsverify --tlscacert version", async () => {
      const flags = dockerCli(host);
      const { stdout } = await flags.ok([
        "--tlsverify",
        "--tlscacert",
        certs.caFile,
        "version",
        "--format",
        "{{.Server.Version}}",
      ]);
      assert.ok(stdout.trim().length > 0);
    });

    const sleeper = name("sleeper");
    await t.step("docker ps lists a running container", async () => {
      await docker.sleeper(sleeper, image);
      const { stdout } = await docker.ok(["ps", "--format", "{{.Names}}"]);
      assert.ok(stdout.split("\n").includes(sleeper), stdout);
    });
    await t.step("docker exec returns output and exit code through the TLS tunnel", async () => {
      const ok = await docker(["exec", sleeper, "sh", "-c", "echo from exec"]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "from exec\n");
      const failed = await docker(["exec", sleeper, "sh", "-c", "echo err >&2; exit 3"]);
      assert.equal(failed.code, 3);
      assert.equal(failed.stderr, "err\n");
    });
    await t.step("docker exec -i passes stdin and its end through the TLS tunnel", async () => {
      const { stdout } = await docker.ok(["exec", "-i", sleeper, "wc", "-c"], {
        stdin: "x".repeat(100_000),
      });
      assert.equal(stdout.trim(), "100000");
    });
    await t.step("docker logs -f follows a container that prints and exits", async () => {
      const short = name("short");
      await docker.ok([
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        short,
        image,
        "sh",
        "-c",
        "echo one; echo two; echo three",
      ]);
      const { stdout } = await docker.ok(["logs", "-f", short]);
      assert.equal(stdout, "one\ntwo\nthree\n");
    });

    await t.step("a client that trusts another CA refuses the proxy's certificate", async () => {
      const stranger = await makeCertificates();
      const other = `${stranger.dir}/client`;
      await Deno.mkdir(other);
      await Deno.copyFile(stranger.caFile, `${other}/ca.pem`);
      const untrusting = dockerCli(host, { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: other });
      const result = await untrusting(["version"]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /certificate/i);
    });
    await t.step("a client speaking plain HTTP gets no answer", async () => {
      const result = await dockerCli(host)(["version", "--format", "{{.Server.Version}}"]);
      assert.notEqual(result.code, 0);
    });
  } finally {
    if (names.length > 0) await docker(["rm", "-f", ...names]);
    await proxy.stop();
  }
});
