/**
 * TLS on the TCP listeners (`TLS_CERT`, `TLS_KEY`), the proxy as a process
 * with its least permissions: clients that trust the CA get answers, plain
 * HTTP gets none, unix listeners stay plain, and the healthcheck speaks TLS.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { startProxyProcess } from "./helpers/proxy_process.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { makeCertificates } from "./helpers/tls_certs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends `request` over TLS to 127.0.0.1:`port` trusting `ca`; resolves with the whole answer. */
async function askTls(port: number, ca: string, request: string): Promise<string> {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca] });
  try {
    await conn.write(encoder.encode(request));
    return decoder.decode(await new Response(conn.readable).arrayBuffer());
  } finally {
    try {
      conn.close();
    } catch {
      // Closed with the stream.
    }
  }
}

Deno.test("with TLS_CERT and TLS_KEY the TCP listener speaks TLS and the unix one stays plain", async () => {
  const certs = await makeCertificates();
  const engine = await FakeEngine.start();
  const socket = `${certs.dir}/proxy.sock`;
  const proxy = await startProxyProcess({
    SOCKET_PATH: engine.path,
    LISTEN: `127.0.0.1:0,unix:${socket}`,
    TLS_CERT: certs.chainFile,
    TLS_KEY: certs.keyFile,
  });
  try {
    await proxy.waitForLine(/tls: +on TCP listeners/);
    const answer = await askTls(
      proxy.port,
      certs.ca,
      "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
    const http10 = await askTls(proxy.port, certs.ca, "GET /_ping HTTP/1.0\r\n\r\n");
    assert.match(http10, /^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nOK$/, "HTTP/1.0 over TLS too");

    const plain = await RawClient.connect(proxy.port);
    await plain.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.doesNotMatch(decoder.decode(await plain.readToEnd()), /HTTP\/1\.1/, "no plain answer");
    plain.close();

    const unix = await RawClient.connectUnix(socket);
    await unix.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await unix.readResponse())?.text, "OK");
    unix.close();
    assert.equal(engine.requests.length, 3);
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("the healthcheck speaks TLS to its own listener", async (t) => {
  const certs = await makeCertificates();
  const engine = await FakeEngine.start();
  const proxy = await startProxyProcess({
    SOCKET_PATH: engine.path,
    TLS_CERT: certs.chainFile,
    TLS_KEY: certs.keyFile,
  });
  try {
    const env = {
      SOCKET_PATH: engine.path,
      LISTEN: `0.0.0.0:${proxy.port}`,
      TLS_CERT: certs.chainFile,
      TLS_KEY: certs.keyFile,
    };
    await t.step("healthy with the chain in TLS_CERT", async () => {
      const health = await startProxyProcess(env, { args: ["healthcheck"], noWait: true });
      assert.equal((await health.status).code, 0, health.lines.join("\n"));
      assert.match(health.lines.join("\n"), /^healthy: tls:\/\/127\.0\.0\.1:\d+: OK/m);
    });
    await t.step("a certificate whose CA it cannot find is named with the fix", async () => {
      const health = await startProxyProcess(
        { ...env, TLS_CERT: certs.certFile },
        { args: ["healthcheck"], noWait: true },
      );
      assert.equal((await health.status).code, 1);
      assert.match(health.lines.join("\n"), /^unhealthy: .*append the CA certificate to /m);
    });
    await t.step("without TLS settings it would speak plain HTTP, and fail", async () => {
      const health = await startProxyProcess(
        { SOCKET_PATH: engine.path, LISTEN: `127.0.0.1:${proxy.port}` },
        { args: ["healthcheck"], noWait: true },
      );
      assert.equal((await health.status).code, 1);
    });
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("TLS files that cannot be used stop the proxy at start, naming them", async (t) => {
  const certs = await makeCertificates();
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "a missing certificate",
      { TLS_CERT: `${certs.dir}/missing.pem`, TLS_KEY: certs.keyFile },
      /Cannot listen: Cannot read TLS_CERT .*missing\.pem/,
    ],
    [
      "the key in place of the certificate",
      { TLS_CERT: certs.keyFile, TLS_KEY: certs.keyFile },
      /Cannot listen: Cannot use TLS_CERT .* with TLS_KEY .*want a PEM certificate chain/,
    ],
  ];
  for (const [name, env, message] of cases) {
    await t.step(name, async () => {
      const proxy = await startProxyProcess(
        { SOCKET_PATH: `${certs.dir}/engine.sock`, ...env },
        { noWait: true },
      );
      assert.equal((await proxy.status).code, 1);
      assert.match(proxy.lines.join("\n"), message);
    });
  }
  await t.step("only one of the two", async () => {
    const proxy = await startProxyProcess(
      { SOCKET_PATH: `${certs.dir}/engine.sock`, TLS_CERT: certs.certFile },
      { noWait: true, denoFlags: ["--allow-env"] },
    );
    assert.equal((await proxy.status).code, 2);
    assert.match(proxy.lines.join("\n"), /TLS_CERT is set but TLS_KEY is not/);
  });
});
