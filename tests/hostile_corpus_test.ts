/**
 * Hostile requests: for each, what the proxy answers and what a recording
 * engine behind it saw. The engine sees nothing, or exactly the canonical
 * request the policy allowed; the proxy never relies on the engine's router.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { within } from "./helpers/deadline.ts";

interface Case {
  name: string;
  /** Sent as one write, each char one byte. */
  send: string;
  /** The answers, in order. */
  statuses: number[];
  /** What the engine must have received, each exactly. */
  engine?: string[];
  env?: Record<string, string>;
  /** Whether the proxy closes after the last answer (default: unless it is 200 or 403). */
  close?: boolean;
}

const H = "Host: x\r\n";
/** A request as the proxy forwards it. */
const fwd = (method: string, target: string, rest = "\r\n") =>
  `${method} ${target} HTTP/1.1\r\nHost: docker\r\n${rest}`;
const get = (target: string, extra = "") => `GET ${target} HTTP/1.1\r\n${H}${extra}\r\n`;
const RW = { POST: "1", CONTAINERS: "1", IMAGES: "1", BUILD: "1" };
const smuggled = get("/containers/json");

const FRAMING: Case[] = [
  {
    name: "Content-Length and Transfer-Encoding",
    send:
      `POST /build HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "Transfer-Encoding before Content-Length",
    send:
      `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "two equal Content-Length",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx`,
    statuses: [400],
    env: RW,
  },
  {
    name: "two different Content-Length",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 40\r\n\r\nx${smuggled}`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a Content-Length list",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: 1, 1\r\n\r\nx`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a Content-Length with a plus",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\nx`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a negative Content-Length",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a hex Content-Length",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: 0x1\r\n\r\nx`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a Content-Length with a space inside",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: 1 0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "an empty Content-Length",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a 20-digit Content-Length",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: 18446744073709551617\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "Transfer-Encoding gzip, chunked",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "Transfer-Encoding chunked, identity",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "Transfer-Encoding identity",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "Transfer-Encoding xchunked",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "two Transfer-Encoding",
    send:
      `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "Transfer-Encoding with a vertical tab",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "Transfer-Encoding folded onto the next line",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "obs-fold with a space",
    send: `GET /_ping HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "obs-fold with a tab",
    send: `GET /_ping HTTP/1.1\r\n${H}X-A: 1\r\n\t2\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "a space before the colon",
    send: `GET /_ping HTTP/1.1\r\n${H}X-A : 1\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "a tab before the colon of Transfer-Encoding",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a bare LF after the request line",
    send: `GET /_ping HTTP/1.1\n${H}\r\n`,
    statuses: [400],
  },
  {
    name: "a bare LF after a field",
    send: `GET /_ping HTTP/1.1\r\nHost: x\n\r\n`,
    statuses: [400],
  },
  {
    name: "bare LF line ends throughout",
    send: `GET /_ping HTTP/1.1\nHost: x\n\n`,
    statuses: [400],
  },
  {
    name: "a bare CR in a value",
    send: `GET /_ping HTTP/1.1\r\n${H}X-A: 1\r2\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "a NUL in a value",
    send: `GET /_ping HTTP/1.1\r\n${H}X-A: 1\x002\r\n\r\n`,
    statuses: [400],
  },
  { name: "a NUL in the target", send: `GET /_ping\x00 HTTP/1.1\r\n${H}\r\n`, statuses: [400] },
  {
    name: "a control byte in a value",
    send: `GET /_ping HTTP/1.1\r\n${H}X-A: \x01\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "a DEL in a value",
    send: `GET /_ping HTTP/1.1\r\n${H}X-A: \x7f\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "a field name with @",
    send: `GET /_ping HTTP/1.1\r\n${H}X@A: 1\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "a line without a colon",
    send: `GET /_ping HTTP/1.1\r\n${H}garbage\r\n\r\n`,
    statuses: [400],
  },
  { name: "an empty field name", send: `GET /_ping HTTP/1.1\r\n${H}: 1\r\n\r\n`, statuses: [400] },
  { name: "a method with a slash", send: `GE/T /_ping HTTP/1.1\r\n${H}\r\n`, statuses: [400] },
  { name: "a method with a parenthesis", send: `G(T /_ping HTTP/1.1\r\n${H}\r\n`, statuses: [400] },
  {
    name: "a method in lower case is not GET",
    send: `get /_ping HTTP/1.1\r\n${H}\r\n`,
    statuses: [403],
  },
  {
    name: "CONNECT",
    send: `CONNECT docker:2375 HTTP/1.1\r\n${H}\r\n`,
    statuses: [400],
    env: { POST: "1" },
  },
  { name: "TRACE", send: `TRACE /_ping HTTP/1.1\r\n${H}\r\n`, statuses: [400], env: { POST: "1" } },
  { name: "the HTTP/2 preface", send: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", statuses: [400] },
  {
    name: "a TLS ClientHello",
    send: "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    statuses: [400],
  },
  {
    name: "HTTP/1.0",
    send: `GET /_ping HTTP/1.0\r\n${H}\r\n`,
    statuses: [200],
    engine: [fwd("GET", "/_ping")],
    close: true,
  },
  { name: "HTTP/1.2", send: `GET /_ping HTTP/1.2\r\n${H}\r\n`, statuses: [505] },
  {
    name: "HTTP/1.0 with a chunked body",
    send: `POST /build HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    statuses: [400],
    env: RW,
  },
  {
    name: "HTTP/1.0 asking for an upgrade",
    send: "POST /exec/abc/start HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
      "Content-Length: 0\r\n\r\n",
    statuses: [400],
    env: { POST: "1", EXEC: "1" },
  },
  {
    name: "HTTP/1.0 without keep-alive, then a pipelined request",
    send: `GET /_ping HTTP/1.0\r\n\r\n${smuggled}`,
    statuses: [200],
    engine: [fwd("GET", "/_ping")],
    close: true,
  },
  {
    name: "HTTP/1.0 kept alive, a body, then a pipelined request decided on its own",
    send: "POST /build HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello" +
      smuggled,
    statuses: [200, 403],
    engine: [fwd("POST", "/build", "Content-Length: 5\r\n\r\nhello")],
    env: { POST: "1", BUILD: "1" },
  },
  { name: "a space after the version", send: `GET /_ping HTTP/1.1 \r\n${H}\r\n`, statuses: [400] },
  {
    name: "two spaces after the method",
    send: `GET  /_ping HTTP/1.1\r\n${H}\r\n`,
    statuses: [400],
  },
  { name: "no Host", send: "GET /_ping HTTP/1.1\r\n\r\n", statuses: [400] },
  { name: "two Host", send: `GET /_ping HTTP/1.1\r\n${H}${H}\r\n`, statuses: [400] },
  { name: "a leading empty line", send: `\r\n${get("/_ping")}`, statuses: [400] },
  {
    name: "an unknown expectation",
    send: `POST /build HTTP/1.1\r\n${H}Expect: 101-switch\r\nContent-Length: 0\r\n\r\n`,
    statuses: [417],
    env: RW,
  },
  {
    name: "a malformed Connection",
    send: `GET /_ping HTTP/1.1\r\n${H}Connection: keep alive\r\n\r\n`,
    statuses: [400],
  },
  {
    name: "a malformed Upgrade",
    send: `GET /_ping HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade: a b\r\n\r\n`,
    statuses: [400],
    env: { POST: "1" },
  },
  {
    name: "a chunk size that overflows",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a chunk size with a leading space",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n 1\r\nx\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a negative chunk size",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "chunk data longer than its size",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nxx\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a chunk extension with a control byte",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;\x00\r\nx\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  {
    name: "a bare LF in chunked framing",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n`,
    statuses: [400],
    env: RW,
  },
  { name: "a request line over 8 KiB", send: get("/_ping?" + "a".repeat(9000)), statuses: [414] },
  {
    name: "a header block over 64 KiB",
    send: get("/_ping", `X-A: ${"a".repeat(70_000)}\r\n`),
    statuses: [431],
  },
  {
    name: "more than 100 header fields",
    send: get("/_ping", "X-A: 1\r\n".repeat(101)),
    statuses: [431],
  },
];

const SMUGGLING: Case[] = [
  {
    name: "a request hidden in a Content-Length body is only body",
    send:
      `POST /containers/create HTTP/1.1\r\n${H}Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    statuses: [200],
    engine: [
      fwd("POST", "/containers/create", `Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`),
    ],
    env: { POST: "1", CONTAINERS: "1" },
  },
  {
    name: "a request after a Content-Length body is decided on its own",
    send: `POST /build HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}${get("/secrets")}`,
    statuses: [200, 403],
    engine: [fwd("POST", "/build", "Content-Length: 2\r\n\r\n{}")],
    env: RW,
  },
  {
    name: "a request after the last chunk is decided on its own",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n${
      get("/secrets")
    }`,
    statuses: [200, 403],
    engine: [fwd("POST", "/build", "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")],
    env: RW,
  },
  {
    name: "a request inside chunk data is only data",
    send: `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${
      smuggled.length.toString(16)
    }\r\n${smuggled}\r\n0\r\n\r\n`,
    statuses: [200],
    engine: [
      fwd(
        "POST",
        "/build",
        `Transfer-Encoding: chunked\r\n\r\n${
          smuggled.length.toString(16)
        }\r\n${smuggled}\r\n0\r\n\r\n`,
      ),
    ],
    env: { POST: "1", BUILD: "1" },
  },
  {
    name: "trailers cannot add a Content-Length",
    send:
      `POST /build HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nContent-Length: 40\r\n\r\n`,
    statuses: [200],
    engine: [fwd("POST", "/build", "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")],
    env: RW,
  },
  {
    name: "pipelined requests are each decided",
    send: get("/_ping") + get("/containers/json") + get("/v1.41/version"),
    statuses: [200, 403, 200],
    engine: [fwd("GET", "/_ping"), fwd("GET", "/v1.41/version")],
  },
  {
    name: "a denied request without a body keeps the connection in step",
    send: get("/containers/json") + get("/_ping"),
    statuses: [403, 200],
    engine: [fwd("GET", "/_ping")],
  },
  {
    name: "the body of a denied request is never parsed as a request",
    send: `POST /containers/create HTTP/1.1\r\n${H}Content-Length: ${get("/_ping").length}\r\n\r\n${
      get("/_ping")
    }`,
    statuses: [403],
    close: true,
  },
  {
    name: "the chunked body of a denied request is never parsed as a request",
    send: `POST /containers/create HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${
      get("/_ping")
    }`,
    statuses: [403],
    close: true,
  },
  {
    name: "an Upgrade: websocket the engine did not accept",
    send: get("/_ping", "Connection: Upgrade\r\nUpgrade: websocket\r\n") + get("/containers/json"),
    statuses: [200, 403],
    engine: [fwd("GET", "/_ping", "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n")],
    env: { POST: "1" },
  },
  {
    name: "an Upgrade: tcp the engine did not accept",
    send: get("/_ping", "Connection: Upgrade\r\nUpgrade: tcp\r\n") + get("/containers/json"),
    statuses: [200, 403],
    engine: [fwd("GET", "/_ping", "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n")],
    env: { POST: "1" },
  },
  {
    name: "an Upgrade: h2c the engine did not accept, then an HTTP/2 preface",
    send: get(
      "/_ping",
      "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n",
    ) +
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    statuses: [200, 400],
    engine: [fwd("GET", "/_ping", "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n")],
    env: { POST: "1" },
  },
  {
    name: "a POST upgrade the engine did not accept",
    send:
      `POST /build HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n${
        get("/secrets")
      }`,
    statuses: [200, 403],
    engine: [
      fwd("POST", "/build", "Content-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"),
    ],
    env: RW,
  },
  {
    name: "with POST=0 an upgrade is refused and the next request still decided",
    send: get("/_ping", "Connection: Upgrade\r\nUpgrade: websocket\r\n") + get("/_ping"),
    statuses: [403, 200],
    engine: [fwd("GET", "/_ping")],
  },
  {
    name: "Expect: 100-continue, then a body hiding a request",
    send:
      `POST /containers/create HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    statuses: [100, 200],
    engine: [
      fwd("POST", "/containers/create", `Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`),
    ],
    env: { POST: "1", CONTAINERS: "1" },
  },
  {
    name: "Expect: 100-continue on a denied request gets no 100",
    send: `POST /containers/create HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: ${
      get("/_ping").length
    }\r\n\r\n${get("/_ping")}`,
    statuses: [403],
    close: true,
  },
  {
    name: "a GET body hiding a request is only body",
    send: `GET /_ping HTTP/1.1\r\n${H}Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    statuses: [200],
    engine: [fwd("GET", "/_ping", `Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`)],
  },
  {
    name: "nothing after Connection: close is read",
    send: get("/_ping", "Connection: close\r\n") + get("/v1.41/version"),
    statuses: [200],
    engine: [fwd("GET", "/_ping")],
    close: true,
  },
  {
    name: "Connection cannot strip Content-Length from the request",
    send:
      `POST /build HTTP/1.1\r\n${H}Connection: Content-Length\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    statuses: [200],
    engine: [fwd("POST", "/build", `Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`)],
    env: RW,
  },
  {
    name: "Connection cannot strip Transfer-Encoding from the request",
    send:
      `POST /build HTTP/1.1\r\n${H}Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n${
        get("/secrets")
      }`,
    statuses: [200, 403],
    engine: [fwd("POST", "/build", "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")],
    env: RW,
  },
  {
    name: "Host is always the proxy's",
    send: get("/_ping").replace("Host: x", "Host: evil.example"),
    statuses: [200],
    engine: [fwd("GET", "/_ping")],
  },
];

const PATHS: Case[] = [
  {
    name: "an encoded section name is decoded before the check",
    send: get("/%63ontainers/json"),
    statuses: [403],
  },
  {
    name: "an encoded section name is forwarded decoded",
    send: get("/%63ontainers/json"),
    statuses: [200],
    engine: [fwd("GET", "/containers/json")],
    env: { CONTAINERS: "1" },
  },
  {
    name: "an encoded underscore",
    send: get("/%5Fping"),
    statuses: [200],
    engine: [fwd("GET", "/_ping")],
  },
  {
    name: "an encoded slash",
    send: get("/containers%2Fjson"),
    statuses: [400],
    env: { CONTAINERS: "1" },
  },
  {
    name: "an encoded slash in lower case",
    send: get("/_ping%2f..%2fcontainers%2fjson"),
    statuses: [400],
  },
  { name: "an encoded backslash", send: get("/_ping%5c..%5ccontainers"), statuses: [400] },
  { name: "a raw backslash", send: get("/_ping\\..\\containers\\json"), statuses: [400] },
  { name: "a dot-dot segment", send: get("/_ping/../containers/json"), statuses: [400] },
  { name: "a dot segment", send: get("/./containers/json"), statuses: [400] },
  {
    name: "an encoded dot-dot segment",
    send: get("/_ping/%2e%2e/containers/json"),
    statuses: [400],
  },
  {
    name: "an encoded dot-dot segment in upper case",
    send: get("/_ping/%2E%2E/containers/json"),
    statuses: [400],
  },
  {
    name: "a half-encoded dot-dot segment",
    send: get("/_ping/.%2e/containers/json"),
    statuses: [400],
  },
  {
    name: "a double-encoded dot-dot segment",
    send: get("/_ping/%252e%252e/containers/json"),
    statuses: [400],
  },
  { name: "a double-encoded underscore", send: get("/%255Fping"), statuses: [400] },
  { name: "an overlong UTF-8 dot", send: get("/_ping/%c0%ae%c0%ae/containers"), statuses: [400] },
  {
    name: "a leading double slash",
    send: get("//containers/json"),
    statuses: [400],
    env: { CONTAINERS: "1" },
  },
  {
    name: "a double slash inside",
    send: get("/containers//json"),
    statuses: [400],
    env: { CONTAINERS: "1" },
  },
  { name: "a trailing slash", send: get("/_ping/"), statuses: [400] },
  { name: "a semicolon parameter", send: get("/_ping;/containers/json"), statuses: [400] },
  {
    name: "a semicolon in a segment",
    send: get("/containers;x/json"),
    statuses: [400],
    env: { CONTAINERS: "1" },
  },
  { name: "an encoded semicolon", send: get("/_ping%3B"), statuses: [400] },
  {
    name: "dots and a semicolon",
    send: get("/images/json/..;/../containers/json"),
    statuses: [400],
    env: { IMAGES: "1" },
  },
  {
    name: "a section in upper case",
    send: get("/CONTAINERS/json"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  {
    name: "a section in mixed case",
    send: get("/Containers/json"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  { name: "/_PING", send: get("/_PING"), statuses: [403] },
  {
    name: "a section with a suffix",
    send: get("/containersXYZ/json"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  {
    name: "a section with a prefix",
    send: get("/xcontainers/json"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  {
    name: "a bare section, which is no Engine API route",
    send: get("/containers"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  {
    name: "a create sent as GET with a method override, which is no route",
    send: get(
      "/v1.41/containers/create",
      'X-HTTP-Method-Override: POST\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"Image":"busy"}',
    ).slice(0, -2),
    statuses: [403],
    env: { CONTAINERS: "1", POST: "1" },
    close: true,
  },

  {
    name: "a version prefix",
    send: get("/v1.41/_ping"),
    statuses: [200],
    engine: [fwd("GET", "/v1.41/_ping")],
  },
  { name: "a version prefix with a trailing dot", send: get("/v1.41./_ping"), statuses: [400] },
  { name: "a version prefix of dots", send: get("/v../_ping"), statuses: [400] },
  { name: "a version prefix in upper case", send: get("/V1.41/_ping"), statuses: [400] },
  { name: "a doubled version prefix", send: get("/v1.41/v1.41/_ping"), statuses: [400] },
  { name: "a version prefix and a double slash", send: get("/v1.41//_ping"), statuses: [400] },
  {
    name: "an encoded version prefix",
    send: get("/%761.41/_ping"),
    statuses: [200],
    engine: [fwd("GET", "/v1.41/_ping")],
  },
  { name: "an absolute-form target", send: get("http://docker/_ping"), statuses: [400] },
  {
    name: "an absolute-form target to a denied section",
    send: get("http://docker/containers/json"),
    statuses: [400],
  },
  {
    name: "an asterisk-form target",
    send: `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
    statuses: [400],
    env: { POST: "1" },
  },
  { name: "a fragment", send: get("/_ping#/../containers/json"), statuses: [400] },
  { name: "an encoded fragment", send: get("/_ping%23x"), statuses: [400] },
  { name: "an encoded question mark", send: get("/_ping%3Fx=1"), statuses: [400] },
  { name: "an encoded NUL", send: get("/_ping%00"), statuses: [400] },
  { name: "encoded CR LF", send: get("/_ping%0d%0aX-Injected:%201"), statuses: [400] },
  { name: "a raw non-ASCII byte", send: get("/_p\xefng"), statuses: [400] },
  {
    name: "encoded CR LF in the query stay encoded",
    send: get("/_ping?x=%0d%0a"),
    statuses: [200],
    engine: [fwd("GET", "/_ping?x=%0d%0a")],
  },
  { name: "a query on a denied path", send: get("/containers/json?x=/_ping"), statuses: [403] },
  { name: "the root path", send: get("/?x=1"), statuses: [403] },
  { name: "a version prefix alone", send: get("/v1.41"), statuses: [403] },
  {
    name: "a guarded action in upper case",
    send: get("/containers/abc/ARCHIVE?path=/"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  {
    name: "an encoded guarded action",
    send: get("/containers/abc/%61rchive?path=/"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  {
    name: "an encoded attach/ws with POST=0",
    send: get("/containers/abc/attach/%77s"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
  {
    name: "an encoded exec start",
    send: `POST /exec/abc/%73tart HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
    statuses: [200],
    engine: [fwd("POST", "/exec/abc/start", "Content-Length: 0\r\n\r\n")],
    env: { POST: "1", EXEC: "1" },
  },
  {
    name: "an encoded exec create without EXEC",
    send: `POST /containers/abc/%65xec HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
    statuses: [403],
    env: { POST: "1", CONTAINERS: "1" },
  },
  {
    name: "an encoded start with ALLOW_START",
    send: `POST /containers/abc/%73tart HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
    statuses: [200],
    engine: [fwd("POST", "/containers/abc/start", "Content-Length: 0\r\n\r\n")],
    env: { ALLOW_START: "1" },
  },
  {
    name: "an image digest passes unchanged",
    send: get("/images/busybox@sha256:abc/json"),
    statuses: [200],
    engine: [fwd("GET", "/images/busybox@sha256:abc/json")],
    env: { IMAGES: "1" },
  },
  {
    name: "an encoded tag separator is decoded",
    send: get("/images/busybox%3Alatest/json"),
    statuses: [200],
    engine: [fwd("GET", "/images/busybox:latest/json")],
    env: { IMAGES: "1" },
  },
  {
    name: "a libpod path with an encoded section",
    send: get("/v4.0.0/libpod/%63ontainers/json"),
    statuses: [200],
    engine: [fwd("GET", "/v4.0.0/libpod/containers/json")],
    env: { LIBPOD_CONTAINERS: "1" },
  },
  {
    name: "a libpod path needs the libpod switch",
    send: get("/v4.0.0/libpod/containers/json"),
    statuses: [403],
    env: { CONTAINERS: "1" },
  },
];

export const CORPUS: Case[] = [...FRAMING, ...SMUGGLING, ...PATHS];

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const decoder = new TextDecoder("latin1");

async function runCase(c: Case): Promise<void> {
  const engine = await FakeEngine.start();
  const close = c.close ?? !(c.statuses.at(-1) === 200 || c.statuses.at(-1) === 403);
  await withProxy(c.env ?? {}, async ({ port }) => {
    const client = await RawClient.connect(port);
    await client.write(latin1(c.send));
    for (const status of c.statuses) {
      const response = await within(client.readResponse(), "an answer");
      assert.equal(response?.status, status, `answers ${c.statuses.join(", ")}`);
      if (status >= 400) assert.ok(JSON.parse(response!.text).message, "a Docker error body");
    }
    if (close) {
      assert.equal(
        (await within(client.readToEnd(), "the end of the connection")).length,
        0,
        "nothing after the last answer",
      );
    } else {
      // The connection is still in step: a probe gets its own answer.
      await client.write(get("/_ping"));
      assert.equal(
        (await within(client.readResponse(), "an answer"))?.status,
        200,
        "the probe is answered next",
      );
    }
    client.close();
  }, { engine });
  const seen = engine.requests.map((r) => decoder.decode(r.raw));
  if (!close) assert.equal(seen.pop(), fwd("GET", "/_ping"));
  assert.deepEqual(seen, c.engine ?? []);
  if ((c.engine ?? []).length === 0) {
    assert.equal(
      engine.received - (close ? 0 : fwd("GET", "/_ping").length),
      0,
      "the engine saw no byte",
    );
  }
}

Deno.test("hostile requests never reach the engine in a form the policy did not allow", async (t) => {
  assert.ok(CORPUS.length >= 100, `${CORPUS.length} cases`);
  for (const c of CORPUS) await t.step(c.name, () => runCase(c));
});
