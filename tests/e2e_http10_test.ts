/**
 * HTTP/1.0 through the proxy (a process) to the real engine: the minimal
 * images' healthcheck, `printf 'GET /_ping HTTP/1.0\r\n\r\n' | nc proxy 2375`,
 * and a finite chunked stream the engine sends, de-chunked for the client.
 */
import assert from "node:assert/strict";
import { engineSocket, startProxyProcess } from "./helpers/proxy_process.ts";

const latin1 = new TextDecoder("latin1");

async function rawExchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  return latin1.decode(await new Response(conn.readable).arrayBuffer());
}

/** `nc` when installed, else busybox's (the tests need busybox-static anyway). */
function netcat(): string[] {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      if (Deno.statSync(`${dir}/nc`).isFile) return [`${dir}/nc`];
    } catch {
      // Not there.
    }
  }
  return ["busybox", "nc"];
}

Deno.test("HTTP/1.0 clients get HTTP/1.0 answers from the real engine through the proxy", async (t) => {
  const proxy = await startProxyProcess({ SOCKET_PATH: engineSocket(), CONTAINERS: "1" });
  try {
    await t.step("GET /_ping HTTP/1.0 from a raw TCP client", async () => {
      const answer = await rawExchange(proxy.port, "GET /_ping HTTP/1.0\r\n\r\n");
      assert.match(answer, /^HTTP\/1\.0 200 OK\r\n/);
      assert.doesNotMatch(answer, /Transfer-Encoding|Connection: keep-alive/i);
      assert.match(answer, /\r\n\r\nOK$/);
    });
    await t.step(`printf 'GET /_ping HTTP/1.0\\r\\n\\r\\n' | ${netcat().join(" ")}`, async () => {
      const [command, ...args] = netcat();
      const child = new Deno.Command(command, {
        args: [...args, "127.0.0.1", String(proxy.port)],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("GET /_ping HTTP/1.0\r\n\r\n"));
      await writer.close();
      const output = await child.output();
      assert.equal(output.code, 0, latin1.decode(output.stderr));
      assert.match(latin1.decode(output.stdout), /^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
    });
    await t.step("a finite chunked stream (events until now) arrives de-chunked", async () => {
      const now = Math.floor(Date.now() / 1000);
      const answer = await rawExchange(
        proxy.port,
        `GET /events?since=${now - 3600}&until=${now} HTTP/1.0\r\n\r\n`,
      );
      assert.match(answer, /^HTTP\/1\.0 200 OK\r\n/);
      assert.doesNotMatch(answer, /Transfer-Encoding/i);
      const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
      for (const line of body.split("\n").filter((l) => l !== "")) JSON.parse(line);
    });
    await t.step("a JSON answer", async () => {
      const answer = await rawExchange(proxy.port, "GET /containers/json?all=1 HTTP/1.0\r\n\r\n");
      assert.match(answer, /^HTTP\/1\.0 200 OK\r\n/);
      assert.ok(Array.isArray(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))));
    });
    await t.step("a denial", async () => {
      const answer = await rawExchange(proxy.port, "GET /images/json HTTP/1.0\r\n\r\n");
      assert.match(answer, /^HTTP\/1\.0 403 Forbidden\r\n[\s\S]*needs IMAGES=1/);
    });
  } finally {
    await proxy.stop();
  }
});
