/**
 * The parts of `ClientConnection` that decide, over a fake connection: which
 * clients are local (and so may use the proxy's own health answer), and what a
 * remote client asking for it gets instead. No sockets, no permissions.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/config.ts";
import { Logger, MemorySink } from "../../../lib/log/log.ts";
import { loadOptionalModules } from "../../../lib/proxy/optional_modules.ts";
import { ClientConnection } from "../../../lib/proxy/proxy_connection.ts";
import type { ProxyContext } from "../../../lib/proxy/proxy_context.ts";
import { parseRequestHead } from "../../../lib/http/http_head.ts";
import { describePeer, fieldText, isFormBody } from "../../../lib/proxy/request_facts.ts";
import { ActivePolicy } from "../../../lib/proxy/route_cache.ts";
import { routeMatcher } from "../../../lib/routes/engine_routes.ts";
import { EngineUnavailableError, type UpstreamPool } from "../../../lib/engine/upstream_pool.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("describePeer() calls only loopback and unix clients local", async (t) => {
  const cases: [string, Deno.Addr, { peer: string; local: boolean; host: string | null }][] = [
    [
      "IPv4 loopback",
      { transport: "tcp", hostname: "127.0.0.1", port: 5000 },
      { peer: "127.0.0.1:5000", local: true, host: "127.0.0.1" },
    ],
    [
      "the rest of 127/8",
      { transport: "tcp", hostname: "127.8.9.10", port: 1 },
      { peer: "127.8.9.10:1", local: true, host: "127.8.9.10" },
    ],
    [
      "IPv6 loopback",
      { transport: "tcp", hostname: "::1", port: 5000 },
      { peer: "[::1]:5000", local: true, host: "::1" },
    ],
    [
      "IPv4-mapped loopback, shown as IPv4",
      { transport: "tcp", hostname: "::ffff:127.0.0.1", port: 7 },
      { peer: "127.0.0.1:7", local: true, host: "127.0.0.1" },
    ],
    [
      "a private address",
      { transport: "tcp", hostname: "10.0.0.5", port: 40000 },
      { peer: "10.0.0.5:40000", local: false, host: "10.0.0.5" },
    ],
    [
      "an IPv4-mapped private address, shown as IPv4",
      { transport: "tcp", hostname: "::ffff:172.18.0.3", port: 2 },
      { peer: "172.18.0.3:2", local: false, host: "172.18.0.3" },
    ],
    [
      "an address that merely contains 127.",
      { transport: "tcp", hostname: "10.127.0.1", port: 3 },
      { peer: "10.127.0.1:3", local: false, host: "10.127.0.1" },
    ],
    [
      "an IPv6 address ending in ::1",
      { transport: "tcp", hostname: "fd00::1", port: 4 },
      { peer: "[fd00::1]:4", local: false, host: "fd00::1" },
    ],
    [
      "a unix socket",
      { transport: "unix", path: "/run/sp.sock" },
      { peer: "unix", local: true, host: null },
    ],
    [
      "a unixpacket socket",
      { transport: "unixpacket", path: "/run/sp.sock" },
      { peer: "unix", local: true, host: null },
    ],
    [
      "a UDP peer, named like TCP",
      { transport: "udp", hostname: "10.0.0.5", port: 53 },
      { peer: "10.0.0.5:53", local: false, host: "10.0.0.5" },
    ],
    [
      "a transport it does not know",
      { transport: "vsock", cid: 3, port: 2375 } as unknown as Deno.Addr,
      { peer: "?", local: false, host: null },
    ],
  ];
  for (const [name, addr, expected] of cases) {
    await t.step(name, () => assert.deepEqual(describePeer(addr), expected));
  }
});

/** A connection that delivers `input` and then the end of the stream, recording what is written. */
class FakeConn {
  readonly remoteAddr: Deno.Addr;
  readonly localAddr: Deno.Addr = { transport: "tcp", hostname: "10.0.0.1", port: 2375 };
  written: Uint8Array[] = [];
  closed = false;
  #input: Uint8Array | null;

  constructor(remote: string, input: string) {
    this.remoteAddr = { transport: "tcp", hostname: remote, port: 40000 };
    this.#input = encoder.encode(input);
  }

  read(buf: Uint8Array): Promise<number | null> {
    const input = this.#input;
    if (input === null || input.length === 0) return Promise.resolve(null);
    const n = Math.min(buf.length, input.length);
    buf.set(input.subarray(0, n));
    this.#input = input.subarray(n);
    return Promise.resolve(n);
  }

  write(bytes: Uint8Array): Promise<number> {
    this.written.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }

  get text(): string {
    return this.written.map((bytes) => decoder.decode(bytes)).join("");
  }
}

/** An engine that cannot be reached: the health answer is then 503, and nothing is forwarded. */
function absentEngine(): UpstreamPool & { connects: number } {
  const pool = {
    socketPath: "/run/absent.sock",
    connects: 0,
    connect() {
      pool.connects++;
      return Promise.reject(new EngineUnavailableError("no such socket"));
    },
    takeIdle: () => null,
    destroy() {},
    release() {},
    discardIdle() {},
  };
  return pool as unknown as UpstreamPool & { connects: number };
}

async function serve(remote: string, request: string, env: Record<string, string>) {
  const { config } = parseConfig(env);
  const logs = new MemorySink();
  const pool = absentEngine();
  const ctx: ProxyContext = {
    active: new ActivePolicy(config.policy, routeMatcher()),
    clients: null,
    scopes: () => {
      throw new Error("No scoping in these tests");
    },
    metrics: null,
    limits: config.limits,
    limiter: null,
    self: null,
    logger: new Logger({ level: "debug", sink: logs }),
    pool,
    shuttingDown: false,
  };
  const conn = new FakeConn(remote, request);
  const connection = new ClientConnection(conn as unknown as Deno.Conn, ctx, "0.0.0.0:2375");
  await connection.serve();
  return { connection, answer: conn.text, log: logs.lines.join(""), pool };
}

const HEALTHCHECK = "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: 1\r\n\r\n";

Deno.test("a local client gets the proxy's own health answer, even with PING=0", async () => {
  const { connection, answer, log, pool } = await serve("127.0.0.1", HEALTHCHECK, { PING: "0" });
  assert.equal(connection.local, true);
  assert.match(answer, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  assert.match(answer, /Docker engine unavailable: no such socket/);
  assert.equal(pool.connects, 1, "the health answer asks the engine");
  assert.match(log, /healthcheck 503/);
});

Deno.test("a remote client asking for the health answer gets the policy's decision instead", async (t) => {
  await t.step("with PING=0, a denial naming the switch", async () => {
    const { connection, answer, log, pool } = await serve("10.0.0.5", HEALTHCHECK, { PING: "0" });
    assert.equal(connection.local, false);
    assert.equal(connection.peer, "10.0.0.5:40000");
    assert.match(answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(
      answer,
      /"Forbidden by socket-proxy: GET \/_ping \(SystemPing\) needs PING=1"/,
    );
    assert.equal(pool.connects, 0, "the engine is not asked");
    assert.doesNotMatch(log, /healthcheck/);
    assert.match(log, /10\.0\.0\.5:40000 GET \/_ping \(SystemPing\) denied 403/);
  });
  await t.step("with PING=1, the request is forwarded like any other", async () => {
    const { answer, log, pool } = await serve("::ffff:10.0.0.5", HEALTHCHECK, {});
    assert.equal(pool.connects, 1);
    assert.match(answer, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(answer, /Cannot connect to the Docker daemon at unix:\/\/\/run\/absent\.sock/);
    assert.doesNotMatch(log, /healthcheck/);
  });
});

Deno.test("healthcheck --ready's header gets the watchdog's readiness, any other value the health", async (t) => {
  const ready = (header: string) =>
    `GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: ${header}\r\n\r\n`;
  const cases: [string, RegExp][] = [
    ["ready", /^HTTP\/1\.1 200 OK\r\n/],
    [" READY ", /^HTTP\/1\.1 200 OK\r\n/],
    ["1", /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*no such socket/],
    ["", /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*no such socket/],
  ];
  for (const [header, answer] of cases) {
    await t.step(JSON.stringify(header), async () => {
      const { config } = parseConfig({});
      const logs = new MemorySink();
      const ctx: ProxyContext = {
        active: new ActivePolicy(config.policy, routeMatcher()),
        clients: null,
        scopes: () => {
          throw new Error("No scoping in these tests");
        },
        metrics: null,
        limits: config.limits,
        logger: new Logger({ level: "debug", sink: logs }),
        pool: absentEngine(),
        limiter: null,
        self: null,
        // A watchdog that saw the engine answer, in front of an engine now gone.
        engine: {
          failFast: false,
          reason: "",
          ready: () => Promise.resolve({ ready: true, detail: "the engine answers GET /version" }),
        },
        shuttingDown: false,
      };
      const conn = new FakeConn("127.0.0.1", ready(header));
      await new ClientConnection(conn as unknown as Deno.Conn, ctx, "0.0.0.0:2375").serve();
      assert.match(conn.text, answer);
    });
  }
});

Deno.test("the health answer is only for a bodiless GET or HEAD of /_ping", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["HEAD", "HEAD /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: 1\r\n\r\n", / 503 /],
    [
      "another path",
      "GET /version HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: 1\r\n\r\n",
      / 403 /,
    ],
    ["no header", "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", / 403 /],
    [
      "a header that only starts like it",
      "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck-X: 1\r\n\r\n",
      / 403 /,
    ],
    [
      "a header of the same length",
      "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthchecx: 1\r\n\r\n",
      / 403 /,
    ],
    [
      "a body",
      "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: 1\r\nContent-Length: 1\r\n\r\nx",
      / 403 /,
    ],
    [
      "POST",
      "POST /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: 1\r\nContent-Length: 0\r\n\r\n",
      / 403 /,
    ],
  ];
  for (const [name, request, status] of cases) {
    await t.step(name, async () => {
      const { answer } = await serve("127.0.0.1", request, { PING: "0", VERSION: "0" });
      assert.match(answer.split("\r\n")[0], status);
    });
  }
});

Deno.test("a form body is refused where a rule checked the query, and only a form body", async (t) => {
  const { parsePolicy } = await import("../../../lib/policy/policy_loader.ts");
  const { ROUTES } = await import("../../../lib/routes/engine_routes.ts");
  const policy = parsePolicy(
    "profiles:\n  - name: app\n    rules:\n      - allow: ContainerKill\n        query: { signal: [SIGHUP] }\n" +
      "      - ContainerStop\n",
    "/etc/sp/policy.yaml",
    ROUTES,
    { listeners: ["0.0.0.0:2375"], forceAudit: false },
  );
  // What the server does before it puts a policy in force (HOST_ACCESS=0 is a profile's default).
  await loadOptionalModules(policy);
  const send = async (request: string) => {
    const { config } = parseConfig({});
    const pool = absentEngine();
    const ctx: ProxyContext = {
      active: new ActivePolicy(policy, routeMatcher()),
      clients: null,
      scopes: () => {
        throw new Error("No scoping in these tests");
      },
      metrics: null,
      limits: config.limits,
      limiter: null,
      self: null,
      logger: new Logger({ level: "debug", sink: new MemorySink() }),
      pool,
      shuttingDown: false,
    };
    const conn = new FakeConn("10.0.0.5", request);
    await new ClientConnection(conn as unknown as Deno.Conn, ctx, "0.0.0.0:2375").serve();
    return { status: conn.text.split("\r\n")[0], text: conn.text, connects: pool.connects };
  };
  const kill = (type: string, body = "signal=KILL") =>
    `POST /containers/x/kill?signal=HUP HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n${body}`;
  const cases: [string, string, boolean][] = [
    ["a urlencoded form", kill("application/x-www-form-urlencoded"), true],
    [
      "a form in capitals, with a charset",
      kill("Application/X-WWW-Form-Urlencoded; charset=utf-8"),
      true,
    ],
    ["a multipart form", kill("multipart/form-data; boundary=x"), true],
    ["JSON", kill("application/json", "{}"), false],
    [
      "a form type in another field",
      "POST /containers/x/kill?signal=HUP HTTP/1.1\r\nHost: x\r\nX-A: multipart/x\r\n" +
      "Content-Length: 1\r\n\r\nx",
      false,
    ],
    ["a form type without a body", kill("application/x-www-form-urlencoded", ""), false],
    [
      "a chunked form",
      "POST /containers/x/kill?signal=HUP HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/x\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      true,
    ],
    [
      "a form where no rule read the query",
      "POST /containers/x/stop HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/x\r\nContent-Length: 1\r\n\r\nx",
      false,
    ],
  ];
  for (const [name, request, refused] of cases) {
    await t.step(name, async () => {
      const { status, text, connects } = await send(request);
      if (refused) {
        assert.equal(status, "HTTP/1.1 403 Forbidden");
        assert.equal(
          JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)).message,
          "Forbidden by socket-proxy: POST /containers/x/kill (ContainerKill) with a form " +
            "body, whose fields the engine would read as query parameters the policy checked: " +
            "send no form body",
        );
        assert.equal(connects, 0);
      } else {
        assert.equal(status, "HTTP/1.1 502 Bad Gateway", "forwarded to the absent engine");
        assert.equal(connects, 1);
      }
    });
  }
});

Deno.test("a pipelined request is judged on its own fields, not on those of the one before", async (t) => {
  const { parsePolicy } = await import("../../../lib/policy/policy_loader.ts");
  const { ROUTES } = await import("../../../lib/routes/engine_routes.ts");
  const policy = parsePolicy(
    "profiles:\n  - name: app\n    rules:\n      - allow: ContainerKill\n        query: { signal: [SIGHUP] }\n",
    "/etc/sp/policy.yaml",
    ROUTES,
    { listeners: ["0.0.0.0:2375"], forceAudit: false },
  );
  // What the server does before it puts a policy in force (HOST_ACCESS=0 is a profile's default).
  await loadOptionalModules(policy);
  const send = async (remote: string, active: ActivePolicy, request: string) => {
    const { config } = parseConfig({});
    const pool = absentEngine();
    const ctx: ProxyContext = {
      active,
      clients: null,
      scopes: () => {
        throw new Error("No scoping in these tests");
      },
      metrics: null,
      limits: config.limits,
      limiter: null,
      self: null,
      logger: new Logger({ level: "debug", sink: new MemorySink() }),
      pool,
      shuttingDown: false,
    };
    const conn = new FakeConn(remote, request);
    await new ClientConnection(conn as unknown as Deno.Conn, ctx, "0.0.0.0:2375").serve();
    return conn.text.match(/HTTP\/1\.1 \d{3} [^\r]*/g);
  };
  await t.step("a form type in the request before is not this one's", async () => {
    const statuses = await send(
      "10.0.0.5",
      new ActivePolicy(policy, routeMatcher()),
      "GET /_ping HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nContent-Type: multipart/form-data\r\n\r\n" +
        "POST /containers/x/kill?signal=HUP HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx",
    );
    assert.deepEqual(statuses, ["HTTP/1.1 403 Forbidden", "HTTP/1.1 502 Bad Gateway"]);
  });
  await t.step("a health header in the request before is not this one's", async () => {
    const env = parseConfig({ PING: "0", VERSION: "0" }).config.policy;
    const statuses = await send(
      "127.0.0.1",
      new ActivePolicy(env, routeMatcher()),
      "GET /version HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-Socket-Proxy-Healthcheck: 1\r\n\r\n" +
        "GET /_ping HTTP/1.1\r\nHost: x\r\nX-B: 1\r\n\r\n",
    );
    assert.deepEqual(statuses, ["HTTP/1.1 403 Forbidden", "HTTP/1.1 403 Forbidden"]);
  });
});

/** `head` (a request head, CRLF line ends) parsed, with its bytes. */
function parsed(head: string | Uint8Array) {
  const buf = typeof head === "string" ? encoder.encode(head) : head;
  return { buf, head: parseRequestHead(buf, 0, buf.length) };
}

Deno.test("fieldText() finds only a field the parser does not classify, in any case", async (t) => {
  const { buf, head } = parsed(
    "GET /_ping HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nX-Other: 2\r\n" +
      "X-Socket-Proxy-HEALTHCHECK:  Ready \r\nX-Socket-Proxy-Healthcheck: 1\r\n\r\n",
  );
  const cases: [string, string | null][] = [
    // The first one, its value trimmed and in lower case.
    ["x-socket-proxy-healthcheck", "ready"],
    ["x-other", "2"],
    ["host", null],
    ["content-type", null],
    ["x-socket-proxy", null],
    ["x-socket-proxy-healthchecx", null],
  ];
  for (const [name, value] of cases) {
    await t.step(name, () => assert.equal(fieldText(buf, head, name), value));
  }
});

Deno.test("isFormBody() reads the media type as the parser left it, blanks around it trimmed", async (t) => {
  const head = (type: number[]) =>
    new Uint8Array([
      ...encoder.encode("POST /build HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Type: "),
      ...type,
      ...encoder.encode("\r\n\r\n"),
    ]);
  const cases: [string, number[], boolean][] = [
    ["a form", [...encoder.encode("multipart/form-data")], true],
    ["a form after a no-break space (Latin-1)", [0xa0, ...encoder.encode("multipart/x")], true],
    ["a form after another byte", [0x41, ...encoder.encode("multipart/x")], false],
  ];
  for (const [name, type, form] of cases) {
    await t.step(name, () => {
      const { buf, head: h } = parsed(head(type));
      assert.equal(isFormBody(buf, h), form);
    });
  }
});
