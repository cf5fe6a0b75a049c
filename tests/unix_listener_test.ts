/**
 * Unix listeners with `?mode=` and `?group=`: the socket file has them before
 * the first client is accepted, so a per-app socket can be shared with exactly
 * one app. The tests run as root, which may give a socket any group.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { startProxyProcess } from "./helpers/proxy_process.ts";
import { RawClient } from "./helpers/raw_client.ts";

/** A group from /etc/group other than root's: its name and id. */
async function someGroup(): Promise<{ name: string; id: number }> {
  for (const line of (await Deno.readTextFile("/etc/group")).split("\n")) {
    const [name, , id] = line.split(":");
    if (name && Number(id) > 0) return { name, id: Number(id) };
  }
  throw new Error("/etc/group names no group but root");
}

function access(path: string): { mode: number; gid: number } {
  const stat = Deno.statSync(path);
  assert.ok(stat.isSocket, `${path} is a socket`);
  return { mode: stat.mode! & 0o777, gid: stat.gid! };
}

Deno.test("unix listeners get the mode and group their address asks for", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp-unix-" });
  const group = await someGroup();
  const listen = [
    "127.0.0.1:0",
    `unix:${dir}/numeric.sock?mode=0660&group=4242`,
    `unix:${dir}/named.sock?group=${group.name}`,
    `unix:${dir}/owner-only.sock?mode=0600`,
    `unix:${dir}/plain.sock`,
  ].join(",");
  const umaskMode = 0o777 & ~0o022;
  await withProxy({ LISTEN: listen }, async ({ engine }) => {
    assert.deepEqual(access(`${dir}/numeric.sock`), { mode: 0o660, gid: 4242 });
    assert.deepEqual(
      access(`${dir}/named.sock`),
      { mode: 0o660, gid: group.id },
      "0660 by default",
    );
    assert.equal(access(`${dir}/owner-only.sock`).mode, 0o600);
    assert.equal(access(`${dir}/owner-only.sock`).gid, Deno.gid());
    assert.ok(access(`${dir}/plain.sock`).mode <= umaskMode, "left to the umask");
    const client = await RawClient.connectUnix(`${dir}/numeric.sock`);
    await client.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await client.readResponse())?.text, "OK");
    client.close();
    assert.equal(engine.requests.length, 1);
  });
});

Deno.test("the proxy as a process sets a unix socket's group by name with its least permissions", async () => {
  const engine = await FakeEngine.start();
  const dir = await Deno.makeTempDir({ prefix: "sp-unix-proc-" });
  const group = await someGroup();
  const proxy = await startProxyProcess({
    SOCKET_PATH: engine.path,
    LISTEN: `127.0.0.1:0,unix:${dir}/app.sock?mode=0640&group=${group.name}`,
  });
  try {
    assert.deepEqual(access(`${dir}/app.sock`), { mode: 0o640, gid: group.id });
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("an unknown group name stops the proxy at start, saying what would work", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp-unix-bad-" });
  const proxy = await startProxyProcess(
    { SOCKET_PATH: `${dir}/engine.sock`, LISTEN: `unix:${dir}/a.sock?group=no-such-group` },
    { noWait: true },
  );
  const status = await proxy.status;
  assert.equal(status.code, 1);
  assert.match(
    proxy.lines.join("\n"),
    /Cannot listen: Unknown group no-such-group: not in \/etc\/group \(give the numeric group id\)/,
  );
});
