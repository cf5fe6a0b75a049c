/**
 * Fuzzing: valid requests mutated (bytes, fields, framing, paths), sent in
 * random pieces, for a bounded time (FUZZ_SECONDS, default 8). Invariants:
 *   - the proxy never crashes and keeps answering;
 *   - it never forwards a request the policy denies;
 *   - every forwarded request is byte for byte the canonical form the pure
 *     modules decide on (see `helpers/oracle.ts`), and a fixed point of the
 *     parser: parsing and re-writing it changes nothing.
 * The seed is printed; FUZZ_SEED=<n> replays a run.
 */
import assert from "node:assert/strict";
import { ByteWriter } from "../lib/http/byte_writer.ts";
import { parseConfig } from "../lib/config/config.ts";
import { writeRequestHead } from "../lib/http/forward_head.ts";
import { HeadScanner, latin1, parseRequestHead } from "../lib/http/http_head.ts";
import { parseAddress } from "../lib/policy/cidr.ts";
import { type Policy, type Profile, selectProfile } from "../lib/policy/profile.ts";
import { route } from "../lib/proxy/route_cache.ts";
import { routeMatcher } from "../lib/routes/engine_routes.ts";
import { isTargetError, parseRequestTarget } from "../lib/http/request_target.ts";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { answerKind, simulate } from "./helpers/oracle.ts";
import { RawClient } from "./helpers/raw_client.ts";

const ENV = {
  POST: "1",
  IMAGES: "1",
  BUILD: "1",
  EXEC: "1",
  ALLOW_START: "1",
  ALLOW_LOGS: "1",
  LIBPOD_PODS: "1",
  MAX_REQUEST_LINE: "512",
  MAX_HEADER_SIZE: "2048",
  MAX_HEADERS: "20",
};

const SEEDS = [
  "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
  "HEAD /v1.41/_ping HTTP/1.1\r\nHost: x\r\nUser-Agent: fuzz\r\n\r\n",
  "GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /images/busybox%3Alatest/json HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
  "POST /build?t=x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
  "POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "POST /containers/abc/start HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
  "POST /exec/abc/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\n{}",
  "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  "POST /images/load HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
  "GET /containers/abc/logs?follow=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "DELETE /images/abc HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\n\r\n",
  "GET /v4.0.0/libpod/pods/json HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: 1\r\n\r\n",
  "POST /containers/abc/kill?signal=HUP HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
  "POST /containers/abc/kill?signal=SIGHUP&x=1 HTTP/1.1\r\nHost: x\r\n" +
  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\n\r\nsignal",
  "GET /containers/abc/attach/ws?stdin=0&stdout=1 HTTP/1.1\r\nHost: x\r\n" +
  "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  "GET /images/ghcr.io/acme/app:1/json HTTP/1.1\r\nHost: x\r\n\r\n",
  "POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
  'Content-Length: 46\r\n\r\n{"Image":"x","HostConfig":{"Privileged":true}}',
  "POST /containers/create?name=a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
  'd\r\n{"Image":"x"}\r\n0\r\n\r\n',
];

/** Profiles chosen by the client's address, with rules, constraints and an audit mode. */
const POLICY = `
profiles:
  - name: rules
    match: { source: 127.0.0.2 }
    rules:
      - SystemPing
      - allow: ContainerKill
        query: { signal: [SIGHUP] }
      - allow: ContainerLogs
        query: { follow: false }
      - GET /images/**
      - allow: ContainerAttachWebsocket
        query: { stdin: false }
  - name: switches
    match: { source: 127.0.0.3 }
    POST: 1
    CONTAINERS: 1
    ALLOW_LOGS: 1
    IMAGES: 1
    rules: [ImageBuild, ContainerKill]
  - name: audit
    mode: audit
    match: { source: 127.0.0.1 }
    rules: [SystemPingHead]
`;
const CLIENTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];

const INTERESTING = [
  "\r",
  "\n",
  " ",
  "\t",
  "\0",
  ":",
  "%",
  "/",
  ".",
  ";",
  "\\",
  "?",
  "#",
  "0",
  "f",
  "a",
  ",",
  "\x7f",
  "\xff",
];
const FIELDS = [
  "Content-Length: 3",
  "Content-Length: 0",
  "Transfer-Encoding: chunked",
  "Transfer-Encoding: gzip",
  "Connection: close",
  "Connection: upgrade",
  "Connection: Content-Length",
  "Upgrade: tcp",
  "Expect: 100-continue",
  "Host: y",
  "X-Socket-Proxy-Healthcheck: 1",
  " folded",
  "Bad Name: 1",
];
const PATH_PIECES = [
  "../",
  "./",
  "//",
  "%2f",
  "%2e%2e/",
  "%25",
  ";x",
  "%00",
  "containers/",
  "v1.41/",
  "V1/",
  "%63",
  "_ping",
  "#",
];

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: string, rand: () => number): string {
  const pick = <T>(items: T[]) => items[Math.floor(rand() * items.length)];
  const at = () => Math.floor(rand() * (input.length + 1));
  const rounds = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < rounds; i++) {
    switch (Math.floor(rand() * 9)) {
      case 0: { // flip one byte
        const p = Math.min(at(), input.length - 1);
        input = input.slice(0, p) + String.fromCharCode(Math.floor(rand() * 256)) +
          input.slice(p + 1);
        break;
      }
      case 1: { // insert an interesting byte
        const p = at();
        input = input.slice(0, p) + pick(INTERESTING) + input.slice(p);
        break;
      }
      case 2: { // delete a few bytes
        const p = at();
        input = input.slice(0, p) + input.slice(p + 1 + Math.floor(rand() * 3));
        break;
      }
      case 3: { // add a header field
        const p = input.indexOf("\r\n");
        if (p > 0) input = input.slice(0, p + 2) + pick(FIELDS) + "\r\n" + input.slice(p + 2);
        break;
      }
      case 4: { // change the path
        const space = input.indexOf(" /");
        if (space > 0) {
          const p = space + 2 + Math.floor(rand() * 8);
          input = input.slice(0, p) + pick(PATH_PIECES) + input.slice(p);
        }
        break;
      }
      case 5: // pipeline another request
        input += pick(SEEDS);
        break;
      case 6: // truncate
        input = input.slice(0, at());
        break;
      case 7: { // percent-encode one path byte
        const space = input.indexOf(" /");
        const p = space + 2 + Math.floor(rand() * 6);
        if (space > 0 && p < input.length && input[p] !== " ") {
          const hex = input.charCodeAt(p).toString(16).padStart(2, "0");
          input = input.slice(0, p) + "%" + (rand() < 0.5 ? hex : hex.toUpperCase()) +
            input.slice(p + 1);
        }
        break;
      }
      default: { // swap the case of a letter
        const p = Math.min(at(), input.length - 1);
        const c = input[p] ?? "";
        const swapped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
        input = input.slice(0, p) + swapped + input.slice(p + 1);
      }
    }
  }
  return input;
}

const toBytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);

/** Checks what the engine received, independently of the oracle. */
function assertCanonical(
  raw: Uint8Array,
  profile: Profile,
) {
  const scanner = new HeadScanner();
  scanner.reset(0);
  const end = scanner.scan(raw, raw.length, {
    maxRequestLine: 1 << 20,
    maxHeaderBytes: 1 << 20,
    maxHeaderCount: 1000,
  });
  assert.ok(end > 0, "the engine got a complete head");
  const head = parseRequestHead(raw, 0, end);
  const target = parseRequestTarget(head.target);
  assert.ok(!isTargetError(target), `forwarded target is canonical: ${head.target}`);
  assert.equal(
    target.path + target.query,
    head.target,
    "forwarded target is its own canonical form",
  );
  const again = new ByteWriter(256);
  writeRequestHead(again, raw, head, { target: head.target, upgrade: true });
  assert.equal(
    latin1(again.buf, 0, again.length),
    latin1(raw, 0, end),
    "the head is a fixed point",
  );
  if (head.target === "/_ping" && latin1(raw, 0, end).includes("Connection: close")) return; // healthcheck
  const decision = route(profile, routeMatcher(), head.method, head.target, head.upgrade !== "")
    .decision!;
  assert.ok(
    decision.forward,
    `the engine got a request the policy denies: ${head.method} ${head.target}`,
  );
}

/** Fuzzes a proxy configured by `env` (and `policy`), clients picked from `clients`. */
/**
 * A forwarded request with its chunked body as one chunk. The proxy streams a
 * body it does not read whole as its pieces arrive, re-chunked as they came
 * (the fuzzer sends random pieces), so only the data and its order must match
 * the oracle's; the framing of each chunk is the proxy's own and canonical
 * (`assertCanonical`).
 */
function oneChunk(request: string): string {
  const headEnd = request.indexOf("\r\n\r\n") + 4;
  if (!/\r\ntransfer-encoding: chunked\r\n/i.test(request.slice(0, headEnd))) return request;
  let data = "";
  let pos = headEnd;
  for (;;) {
    const lineEnd = request.indexOf("\r\n", pos);
    if (lineEnd < 0) return request; // not a whole body: compared as it is
    const size = parseInt(request.slice(pos, lineEnd), 16);
    if (size === 0) break;
    data += request.slice(lineEnd + 2, lineEnd + 2 + size);
    pos = lineEnd + 2 + size + 2;
  }
  const body = data.length > 0 ? `${data.length.toString(16)}\r\n${data}\r\n` : "";
  return request.slice(0, headEnd) + body + request.slice(pos); // from the last chunk on
}

async function fuzz(env: Record<string, string>, policy?: string): Promise<void> {
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? Date.now() % 1_000_000);
  const seconds = Number(Deno.env.get("FUZZ_SECONDS") ?? "8") / (policy ? 2 : 1);
  console.log(`fuzz seed ${seed}, ${seconds}s (replay with FUZZ_SEED=${seed})`);
  const rand = random(seed);
  const { config } = parseConfig(env);
  const engine = await FakeEngine.start(undefined, { plain: true });
  let runs = 0;
  let forwarded = 0;
  await withProxy(env, async ({ port, server }) => {
    const active: Policy = server.policy;
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      runs++;
      const text = mutate(SEEDS[Math.floor(rand() * SEEDS.length)], rand);
      const input = toBytes(text);
      const from = policy ? CLIENTS[Math.floor(rand() * CLIENTS.length)] : "127.0.0.1";
      const profile = selectProfile(active, {
        listener: "127.0.0.1:0",
        address: parseAddress(from),
        container: null,
      });
      const expected = simulate(input, profile, config.limits);
      const before = engine.requests.length;
      const client = from === "127.0.0.1"
        ? await RawClient.connect(port)
        : await RawClient.connectFrom(from, port);
      const context = () =>
        `run ${runs}, seed ${seed}, client ${from}, input ${JSON.stringify(text)}`;
      // Send in random pieces to exercise partial reads.
      for (let offset = 0; offset < input.length;) {
        const size = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : input.length));
        await client.write(input.subarray(offset, offset + size));
        offset += size;
      }
      for (const answer of expected.answers) {
        const response = await client.readResponse({ head: answer.head });
        assert.ok(response !== null, `an answer arrives (${context()})`);
        assert.equal(
          answerKind(response.status),
          answer.kind,
          `${response.status}: ${response.text} (${context()})`,
        );
      }
      if (expected.closes) {
        assert.equal((await client.readToEnd()).length, 0, `nothing more (${context()})`);
      }
      client.close();
      // The proxy's own requests (who its clients are) are not the client's.
      const clients = engine.requests.slice(before).filter((r) =>
        !r.headers.some(([name, value]) => name === "user-agent" && value === "socket-proxy")
      );
      const seen = clients.map((r) => latin1(r.raw, 0, r.raw.length));
      assert.deepEqual(seen.map(oneChunk), expected.forwarded.map(oneChunk), context());
      for (const request of clients) {
        assertCanonical(request.raw, profile);
      }
      forwarded += seen.length;
    }
    // Still up and well.
    const response = await fetch(`http://127.0.0.1:${port}/_ping`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  }, { engine, policy });
  console.log(`fuzz: ${runs} inputs, ${forwarded} forwarded requests checked`);
  assert.ok(runs > 50, `only ${runs} runs`);
}

Deno.test("fuzzed requests keep the proxy up and never reach the engine uncanonical or denied", async () => {
  await fuzz(ENV);
});

Deno.test("fuzzed requests from clients of different profiles get each their profile's decision", async () => {
  await fuzz({ ...ENV, POST: "0" }, POLICY);
});
