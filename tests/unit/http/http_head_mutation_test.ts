/**
 * Strict heads at their edges: each refusal with its status and message,
 * every limit at and one past its bound (with and without the line end),
 * scanning across buffer compaction, reused head objects, and the engine's
 * response heads. Written against the mutants `deno task mutate http_head`
 * showed surviving.
 */
import assert from "node:assert/strict";
import {
  fieldName,
  fieldValue,
  headerKind,
  HeadScanner,
  HttpError,
  latin1,
  OTHER,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
  TCHAR,
} from "../../../lib/http/http_head.ts";

const LIMITS = { maxRequestLine: 8192, maxHeaderBytes: 65536, maxHeaderCount: 100 };
const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function scan(text: string, limits = LIMITS): number {
  const buf = bytes(text);
  const scanner = new HeadScanner();
  scanner.reset(0);
  return scanner.scan(buf, buf.length, limits);
}

function parse(text: string, into?: RequestHead): { head: RequestHead; buf: Uint8Array } {
  const buf = bytes(text);
  const end = scan(text);
  if (end < 0) throw new Error("incomplete head");
  return { head: parseRequestHead(buf, 0, end, into), buf };
}

/** The status and message a request head is refused with, or "ok". */
function refusal(text: string, limits = LIMITS): string {
  try {
    const buf = bytes(text);
    const end = scan(text, limits);
    if (end < 0) return "incomplete";
    parseRequestHead(buf, 0, end);
    return "ok";
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    assert.equal(error.name, "HttpError");
    return `${error.status} ${error.message}`;
  }
}

function response(text: string, into?: ResponseHead): { head: ResponseHead; buf: Uint8Array } {
  const buf = bytes(text);
  const end = scan(text);
  if (end < 0) throw new Error("incomplete head");
  return { head: parseResponseHead(buf, 0, end, into), buf };
}

function responseRefusal(text: string): string {
  try {
    response(text);
    return "ok";
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return `${error.status} ${error.message}`;
  }
}

const R = "GET / HTTP/1.1\r\nHost: x\r\n";

Deno.test("request heads are refused with the status and message that say why", async (t) => {
  const cases: [string, string, string][] = [
    ["a first byte that is no token", "\u0016\u0003\u0001", "400 Not an HTTP/1.1 request"],
    ["a leading CRLF", "\r\nGET / HTTP/1.1\r\n", "400 Not an HTTP/1.1 request"],
    [
      "a bare LF ending the request line",
      "GET / HTTP/1.1\nHost: x\r\n\r\n",
      "400 Bare LF line ending",
    ],
    ["a bare LF as an empty line", R + "\n", "400 Bare LF line ending"],
    ["no method", " / HTTP/1.1\r\n" + "Host: x\r\n\r\n", "400 Not an HTTP/1.1 request"],
    [
      "a method ending in a tab",
      "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n",
      "400 Malformed request line",
    ],
    ["an empty target", "GET  HTTP/1.1\r\nHost: x\r\n\r\n", "400 Malformed request target"],
    [
      "a target with DEL",
      "GET /\u007f HTTP/1.1\r\nHost: x\r\n\r\n",
      "400 Malformed request target",
    ],
    ["a target with a tab", "GET /\ta HTTP/1.1\r\nHost: x\r\n\r\n", "400 Malformed request target"],
    [
      "HTTP/1.2",
      "GET / HTTP/1.2\r\nHost: x\r\n\r\n",
      "505 HTTP version not supported: HTTP/1.2 (use HTTP/1.1 or HTTP/1.0)",
    ],
    ["HTTP/1.10", "GET / HTTP/1.10\r\nHost: x\r\n\r\n", "400 Malformed request line"],
    ["HTTP/1.1 and more", "GET / HTTP/1.1x\r\nHost: x\r\n\r\n", "400 Malformed request line"],
    ["HTTP/1.", "GET / HTTP/1.\r\nHost: x\r\n\r\n", "400 Malformed request line"],
    ["HTTP/1.x", "GET / HTTP/1.x\r\nHost: x\r\n\r\n", "400 Malformed request line"],
    ["http/1.1", "GET / http/1.1\r\nHost: x\r\n\r\n", "400 Malformed request line"],
    ["HTTP/1:1", "GET / HTTP/1:1\r\nHost: x\r\n\r\n", "400 Malformed request line"],
    [
      "a version ending like HTTP/1.0",
      "GET / XHTTP/1.0\r\nHost: x\r\n\r\n",
      "400 Malformed request line",
    ],
    ["CONNECT", "CONNECT a:1 HTTP/1.1\r\nHost: x\r\n\r\n", "400 Method not supported: CONNECT"],
    ["TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", "400 Method not supported: TRACE"],
    ["obs-fold with a space", R + "X-A: 1\r\n b\r\n\r\n", "400 Obsolete line folding in header"],
    ["obs-fold with a tab", R + "X-A: 1\r\n\tb\r\n\r\n", "400 Obsolete line folding in header"],
    ["a space before the colon", R + "X-A : 1\r\n\r\n", "400 Whitespace before a header colon"],
    ["a tab before the colon", R + "X-A\t: 1\r\n\r\n", "400 Whitespace before a header colon"],
    ["an empty name", R + ": 1\r\n\r\n", "400 Empty header name"],
    ["a name starting with a control byte", R + "\u0001A: 1\r\n\r\n", "400 Empty header name"],
    ["a control byte in a name", R + "X\u0001A: 1\r\n\r\n", "400 Invalid header name"],
    ["a line without a colon", R + "nocolon\r\n\r\n", "400 Invalid header name"],
    ["a NUL in a value", R + "X-A: a\u0000\r\n\r\n", "400 Control byte in header value"],
    ["a control byte in a value", R + "X-A: a\u001f\r\n\r\n", "400 Control byte in header value"],
    ["DEL in a value", R + "X-A: a\u007f\r\n\r\n", "400 Control byte in header value"],
    ["a bare LF in a value", R + "X-A: a\nb\r\n\r\n", "400 Bare LF line ending"],
    ["a bare CR in a value", R + "X-A: a\rb\r\n\r\n", "400 Bare CR in header"],
    ["no Host", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", "400 Missing Host header"],
    ["two Host", R + "host: y\r\n\r\n", "400 Several Host headers"],
    [
      "two Content-Length",
      R + "Content-Length: 1\r\nContent-Length: 1\r\n\r\n",
      "400 Several Content-Length headers",
    ],
    [
      "a 16-digit Content-Length",
      R + "Content-Length: 1000000000000000\r\n\r\n",
      "400 Malformed Content-Length",
    ],
    ["an empty Content-Length", R + "Content-Length:\r\n\r\n", "400 Malformed Content-Length"],
    [
      "a Content-Length with a slash",
      R + "Content-Length: 1/\r\n\r\n",
      "400 Malformed Content-Length",
    ],
    [
      "a Content-Length with a colon",
      R + "Content-Length: 1:\r\n\r\n",
      "400 Malformed Content-Length",
    ],
    [
      "two Transfer-Encoding",
      R + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "400 Several Transfer-Encoding headers",
    ],
    [
      "Transfer-Encoding gzip",
      R + "Transfer-Encoding: gzip\r\n\r\n",
      "400 Transfer-Encoding other than chunked",
    ],
    [
      "both framings",
      R + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "400 Both Content-Length and Transfer-Encoding",
    ],
    ["a malformed Connection", R + "Connection: a,,b\r\n\r\n", "400 Malformed Connection header"],
    [
      "a Connection ending in a comma",
      R + "Connection: close,\r\n\r\n",
      "400 Malformed Connection header",
    ],
    ["a malformed Upgrade", R + "Upgrade: a/b/c\r\n\r\n", "400 Malformed Upgrade header"],
    ["an Upgrade with an empty version", R + "Upgrade: a/\r\n\r\n", "400 Malformed Upgrade header"],
    ["two Upgrade", R + "Upgrade: a\r\nUpgrade: b\r\n\r\n", "400 Several Upgrade headers"],
    ["an unknown expectation", R + "Expect: 100-continue-x\r\n\r\n", "417 Unsupported expectation"],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => assert.equal(refusal(text), expected));
  }
});

Deno.test("request heads within the grammar are read", async (t) => {
  const cases: [string, string][] = [
    ["every tchar in a name", R + "!#$%&'*+-.^_`|~09AZaz: 1\r\n\r\n"],
    ["every tchar in a method", "!#$%&'*+-.^_`|~09AZaz / HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["obs-text in a value", R + "X-A: caf\u00e9\r\n\r\n"],
    ["a tab inside a value", R + "X-A: a\tb\r\n\r\n"],
    ["an empty value", R + "X-A:\r\n\r\n"],
    ["a 15-digit Content-Length", R + "Content-Length: 999999999999999\r\n\r\n"],
    ["Transfer-Encoding in capitals", R + "Transfer-Encoding: CHUNKED\r\n\r\n"],
    ["Upgrade with versions", R + "Upgrade: HTTP/2.0 \t,\t websocket/13,x\r\n\r\n"],
    ["Connection with spaces and tabs", R + "Connection: close \t,\t upgrade,x\r\n\r\n"],
    ["any target byte from ! to ~", "GET /!~ HTTP/1.1\r\nHost: x\r\n\r\n"],
  ];
  for (const [name, text] of cases) await t.step(name, () => assert.equal(refusal(text), "ok"));
  await t.step("no byte outside tchar is a token", () => {
    for (let b = 0; b < 256; b++) {
      const isToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/.test(String.fromCharCode(b));
      assert.equal(TCHAR[b], isToken ? 1 : 0, `byte ${b}`);
    }
  });
});

Deno.test("parseRequestHead() reads each field and flag", () => {
  const { head, buf } = parse(
    "PATCH /a HTTP/1.1\r\nHost: x\r\ncontent-length: 007\r\nConnection: Keep-Alive, X-One\r\n" +
      "connection: Upgrade, CLOSE, x-two\r\nUPGRADE: websocket\r\nExpect: 100-Continue\r\n" +
      "X-Value:  \t a b \t \r\n\r\n",
  );
  assert.equal(head.method, "PATCH");
  assert.equal(head.target, "/a");
  assert.equal(head.contentLength, 7);
  assert.equal(head.chunked, false);
  assert.equal(head.close, true);
  assert.equal(head.upgrade, "websocket");
  assert.equal(head.expectContinue, true);
  assert.deepEqual(head.connectionNamed, ["x-one", "x-two"]);
  assert.equal(head.count, 7);
  assert.equal(fieldName(buf, head, 6), "X-Value");
  assert.equal(fieldValue(buf, head, 6), "a b");
  const chunked = parse(R + "Transfer-Encoding: chunked\r\nConnection: upgrade\r\n\r\n").head;
  assert.equal(chunked.chunked, true);
  assert.equal(chunked.contentLength, -1);
  assert.equal(chunked.upgrade, "", "no Upgrade field, no upgrade");
  assert.equal(chunked.connectionNamed, null);
  assert.equal(parse(R + "Content-Length: 0\r\n\r\n").head.contentLength, 0);
});

Deno.test("parseRequestHead() names methods, the common ones and others", () => {
  for (
    const method of [
      "GET",
      "PUT",
      "HEAD",
      "POST",
      "PATCH",
      "DELETE",
      "OPTIONS",
      "GEX",
      "GETS",
      "get",
      "PROPFIND",
      "P",
    ]
  ) {
    assert.equal(parse(`${method} / HTTP/1.1\r\nHost: x\r\n\r\n`).head.method, method);
  }
});

Deno.test("a head object reused for the next request keeps nothing of the last", () => {
  const first = parse(
    "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close, upgrade, x-a\r\n" +
      "Upgrade: tcp\r\nExpect: 100-continue\r\n" + "X-F: 1\r\n".repeat(20) + "\r\n",
  ).head;
  const { head, buf } = parse("GET /b HTTP/1.1\r\nHost: y\r\nContent-Length: 3\r\n\r\n", first);
  assert.equal(head, first);
  assert.deepEqual(
    {
      method: head.method,
      target: head.target,
      count: head.count,
      contentLength: head.contentLength,
      chunked: head.chunked,
      close: head.close,
      upgrade: head.upgrade,
      expectContinue: head.expectContinue,
      connectionNamed: head.connectionNamed,
    },
    {
      method: "GET",
      target: "/b",
      count: 2,
      contentLength: 3,
      chunked: false,
      close: false,
      upgrade: "",
      expectContinue: false,
      connectionNamed: null,
    },
  );
  assert.equal(fieldValue(buf, head, 0), "y");
  const again = parse(R + "\r\n", head).head;
  assert.equal(again.contentLength, -1);
});

Deno.test("many fields grow the table without losing any", () => {
  const fields = Array.from({ length: 40 }, (_, i) => `X-${i}: v${i}\r\n`).join("");
  const { head, buf } = parse(
    "POST / HTTP/1.1\r\n" + fields + "Host: x\r\nContent-Length: 5\r\nConnection: x-39\r\n\r\n",
  );
  assert.equal(head.count, 43);
  for (let i = 0; i < 40; i++) {
    assert.equal(fieldName(buf, head, i), `X-${i}`);
    assert.equal(fieldValue(buf, head, i), `v${i}`);
    assert.equal(head.kinds[i], OTHER);
  }
  assert.equal(head.contentLength, 5, "a kind recorded after growing");
  assert.deepEqual(head.connectionNamed, ["x-39"]);
});

Deno.test("headerKind() knows its names in any case, and nothing near them", () => {
  const kind = (name: string) => headerKind(bytes(name), 0, name.length);
  const names = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "proxy-authorization",
    "proxy-authenticate",
    "content-type",
  ];
  names.forEach((name, i) => {
    assert.equal(kind(name), i + 1, name);
    assert.equal(kind(name.toUpperCase()), i + 1, name.toUpperCase());
  });
  for (const name of ["hosts", "hos", "ta", "content-lengtx", "x", "", "contentylength"]) {
    assert.equal(kind(name), OTHER, name);
  }
  assert.equal(headerKind(bytes("X-Host: 1"), 2, 6), 1, "at an offset");
});

Deno.test("latin1() reads long values whole, past its 4096-byte pieces", () => {
  for (const length of [0, 1, 4095, 4096, 4097, 8192, 8193, 12289]) {
    const text = Array.from({ length }, (_, i) => String.fromCharCode(32 + (i % 200))).join("");
    const buf = bytes("ab" + text + "cd");
    assert.equal(latin1(buf, 2, 2 + length), text, `${length} bytes`);
  }
  const mib = new Uint8Array(1 << 20).fill(97);
  assert.equal(latin1(mib, 0, mib.length), "a".repeat(1 << 20), "too many for one call");
  const value = "v".repeat(5000);
  const { head, buf } = parse(R + `X-Long: ${value}\r\n\r\n`);
  assert.equal(fieldValue(buf, head, 1), value);
});

Deno.test("HeadScanner allows a request line up to its limit, and not a byte more", async (t) => {
  const limits = { maxRequestLine: 20, maxHeaderBytes: 64, maxHeaderCount: 3 };
  const line = (length: number) => "GET /" + "a".repeat(length - 14) + " HTTP/1.1";
  await t.step(
    "at the limit",
    () => assert.equal(refusal(line(20) + "\r\nHost: x\r\n\r\n", limits), "ok"),
  );
  await t.step("one past", () => {
    assert.equal(refusal(line(21) + "\r\nHost: x\r\n\r\n", limits), "414 Request line too long");
  });
  await t.step("unfinished: the limit and its CR may wait", () => {
    assert.equal(refusal(line(20) + "\r", limits), "incomplete");
    assert.equal(refusal(line(20) + "x", limits), "incomplete");
  });
  await t.step("unfinished: one more is too long", () => {
    assert.equal(refusal(line(20) + "xy", limits), "414 Request line too long");
  });
});

Deno.test("HeadScanner allows fields and their bytes up to their limits, and not one more", async (t) => {
  const limits = { maxRequestLine: 100, maxHeaderBytes: 64, maxHeaderCount: 3 };
  // "Host: x\r\n" is 9 bytes, "X-A: " and CRLF 7 more.
  const head = (value: number) => R + `X-A: ${"v".repeat(value)}\r\n`;
  await t.step("64 bytes of fields", () => assert.equal(refusal(head(48) + "\r\n", limits), "ok"));
  await t.step("65 bytes of fields", () => {
    assert.equal(refusal(head(49) + "\r\n", limits), "431 Header block too large");
  });
  await t.step(
    "unfinished at 64 bytes",
    () => assert.equal(refusal(head(48), limits), "incomplete"),
  );
  await t.step("unfinished past 64 bytes", () => {
    assert.equal(refusal(R + "X-A: " + "v".repeat(51), limits), "431 Header block too large");
    assert.equal(refusal(R + "X-A: " + "v".repeat(50), limits), "incomplete");
  });
  await t.step("3 fields", () => assert.equal(refusal(R + "A: 1\r\nB: 2\r\n\r\n", limits), "ok"));
  await t.step("4 fields", () => {
    assert.equal(refusal(R + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), "431 Too many header fields");
  });
  await t.step("the empty line counts for nothing", () => {
    const exact = { ...limits, maxHeaderBytes: 9 };
    assert.equal(refusal(R + "\r\n", exact), "ok");
  });
});

Deno.test("HeadScanner finds the end of a head fed in pieces, across buffer compaction", () => {
  const text = "GET /_ping HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\nNEXT";
  const head = bytes(text);
  const scanner = new HeadScanner();
  // The head begins at offset 10 of the buffer; after 25 bytes the buffer is compacted.
  const buf = new Uint8Array(128);
  buf.set(head, 10);
  scanner.reset(10);
  assert.equal(scanner.started, false);
  assert.equal(scanner.scan(buf, 10, LIMITS), -1, "nothing yet");
  assert.equal(scanner.started, false);
  assert.equal(scanner.scan(buf, 35, LIMITS), -1);
  assert.equal(scanner.started, true);
  buf.copyWithin(0, 10, 10 + head.length);
  scanner.shift(10);
  let end = -1;
  let n = 25;
  for (; end < 0 && n <= head.length; n++) end = scanner.scan(buf, n, LIMITS);
  assert.equal(end, head.length - 4);
  assert.equal(n - 1, end, "complete exactly when its last LF is in");
  const parsed = parseRequestHead(buf, 0, end);
  assert.equal(parsed.target, "/_ping");
  assert.equal(fieldValue(buf, parsed, 1), "1");
});

Deno.test("HeadScanner keeps its limits across compaction", () => {
  const limits = { maxRequestLine: 100, maxHeaderBytes: 20, maxHeaderCount: 10 };
  const text = bytes(R + "X-A: " + "v".repeat(30) + "\r\n\r\n");
  const buf = new Uint8Array(256);
  buf.set(text, 50);
  const scanner = new HeadScanner();
  scanner.reset(50);
  assert.equal(scanner.scan(buf, 50 + 20, limits), -1, "the request line is in");
  buf.copyWithin(0, 50, 50 + text.length);
  scanner.shift(50);
  assert.throws(
    () => scanner.scan(buf, text.length, limits),
    (error: Error) => error instanceof HttpError && error.status === 431,
  );
});

Deno.test("a second head is found after the first, with the same scanner", () => {
  const text = bytes(R + "\r\n" + "GET /b HTTP/1.1\r\nHost: y\r\n\r\n");
  const scanner = new HeadScanner();
  scanner.reset(0);
  const first = scanner.scan(text, text.length, LIMITS);
  assert.equal(first, R.length + 2);
  scanner.reset(first);
  assert.equal(scanner.scan(text, text.length, LIMITS), text.length);
  assert.equal(parseRequestHead(text, first, text.length).target, "/b");
});

Deno.test("response heads are read for framing", async (t) => {
  const cases: [string, string, Partial<ResponseHead>][] = [
    ["HTTP/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", {
      close: true,
      contentLength: 2,
    }],
    ["HTTP/1.0 with keep-alive still closes", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", {
      close: true,
      hopByHop: true,
    }],
    ["Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", {
      close: true,
      hopByHop: true,
    }],
    ["no reason phrase", "HTTP/1.1 204\r\n\r\n", { status: 204, close: false }],
    ["status digits", "HTTP/1.1 599 X\r\n\r\n", { status: 599 }],
    ["status 100", "HTTP/1.1 100 Continue\r\n\r\n", { status: 100 }],
    [
      "equal Content-Length twice",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
      {
        contentLength: 3,
      },
    ],
    [
      "chunked last",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked \r\nContent-Length: 3\r\n\r\n",
      {
        chunked: true,
        closeDelimitedEncoding: false,
        contentLength: -1,
      },
    ],
    ["chunked not last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", {
      chunked: false,
      closeDelimitedEncoding: true,
      contentLength: -1,
    }],
    ["the type of an unframed answer", "HTTP/1.1 200 OK\r\nContent-Type: A/B\r\n\r\n", {
      contentType: "a/b",
    }],
    [
      "no type for a framed answer",
      "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Length: 0\r\n\r\n",
      {
        contentType: "",
      },
    ],
    [
      "no type for a chunked answer",
      "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nTransfer-Encoding: chunked\r\n\r\n",
      {
        contentType: "",
      },
    ],
    ["an upgrade", "HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n", {
      upgrade: "tcp",
      hopByHop: true,
    }],
    ["Keep-Alive is hop-by-hop", "HTTP/1.1 200 OK\r\nKeep-Alive: 1\r\n\r\n", { hopByHop: true }],
    ["Proxy-Connection is hop-by-hop", "HTTP/1.1 200 OK\r\nProxy-Connection: 1\r\n\r\n", {
      hopByHop: true,
    }],
    ["TE is hop-by-hop", "HTTP/1.1 200 OK\r\nTE: 1\r\n\r\n", { hopByHop: true }],
    ["Proxy-Authenticate is hop-by-hop", "HTTP/1.1 200 OK\r\nProxy-Authenticate: 1\r\n\r\n", {
      hopByHop: true,
    }],
    ["Proxy-Authorization is hop-by-hop", "HTTP/1.1 200 OK\r\nProxy-Authorization: 1\r\n\r\n", {
      hopByHop: true,
    }],
    ["Trailer is not hop-by-hop here", "HTTP/1.1 200 OK\r\nTrailer: X\r\n\r\n", {
      hopByHop: false,
    }],
    ["named fields", "HTTP/1.1 200 OK\r\nConnection: X-A\r\nConnection: x-b, close\r\n\r\n", {
      connectionNamed: ["x-a", "x-b"],
      close: true,
    }],
    ["a control byte the engine may send", "HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\n\r\n", {
      count: 1,
    }],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => {
      const { head } = response(text);
      const actual = Object.fromEntries(
        Object.keys(expected).map((key) => [key, head[key as keyof ResponseHead]]),
      );
      assert.deepEqual(actual, expected);
    });
  }
});

Deno.test("response heads the engine should not send are a 502, saying why", async (t) => {
  const cases: [string, string, string][] = [
    ["no HTTP/1", "HTTX/1.1 200 OK\r\n\r\n", "502 Malformed status line from the engine"],
    [
      "no space after the version",
      "HTTP/1.1_200 OK\r\n\r\n",
      "502 Malformed status line from the engine",
    ],
    ["a status below 0", "HTTP/1.1 /00 OK\r\n\r\n", "502 Malformed status line from the engine"],
    ["a status above 9", "HTTP/1.1 :00 OK\r\n\r\n", "502 Malformed status line from the engine"],
    [
      "a second digit below 0",
      "HTTP/1.1 2/0 OK\r\n\r\n",
      "502 Malformed status line from the engine",
    ],
    [
      "a second digit above 9",
      "HTTP/1.1 2:0 OK\r\n\r\n",
      "502 Malformed status line from the engine",
    ],
    [
      "a third digit below 0",
      "HTTP/1.1 20/ OK\r\n\r\n",
      "502 Malformed status line from the engine",
    ],
    [
      "a third digit above 9",
      "HTTP/1.1 20: OK\r\n\r\n",
      "502 Malformed status line from the engine",
    ],
    [
      "a broken field",
      "HTTP/1.1 200 OK\r\nBroken;header\r\n\r\n",
      "502 Malformed response head from the engine: Invalid header name",
    ],
    [
      "a bare LF in a value",
      "HTTP/1.1 200 OK\r\nX-A: a\nb\r\n\r\n",
      "400 Bare LF line ending",
    ],
    [
      "different Content-Length",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "502 Malformed Content-Length from the engine",
    ],
    [
      "a malformed Content-Length",
      "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
      "502 Malformed Content-Length from the engine",
    ],
    [
      "a malformed Connection",
      "HTTP/1.1 200 OK\r\nConnection: a b\r\n\r\n",
      "502 Malformed Connection header from the engine",
    ],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => assert.equal(responseRefusal(text), expected));
  }
  await t.step("a bare LF the scanner let through is refused by the parser", () => {
    const buf = bytes("HTTP/1.1 200 OK\r\nX-A: a\nb\r\n\r\n");
    assert.throws(() => parseResponseHead(buf, 0, buf.length), {
      message: "Malformed response head from the engine: Control byte in header value",
    });
  });
});

Deno.test("a response head object reused for the next response keeps nothing of the last", () => {
  const first = response(
    "HTTP/1.0 101 X\r\nConnection: close, x-a\r\nUpgrade: tcp\r\nTransfer-Encoding: gzip\r\n" +
      "Content-Type: a/b\r\n" + "X-F: 1\r\n".repeat(20) + "\r\n",
  ).head;
  const { head } = response("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", first);
  assert.equal(head, first);
  assert.deepEqual(
    {
      status: head.status,
      count: head.count,
      contentLength: head.contentLength,
      chunked: head.chunked,
      closeDelimitedEncoding: head.closeDelimitedEncoding,
      close: head.close,
      upgrade: head.upgrade,
      contentType: head.contentType,
      hopByHop: head.hopByHop,
      connectionNamed: head.connectionNamed,
    },
    {
      status: 200,
      count: 1,
      contentLength: 4,
      chunked: false,
      closeDelimitedEncoding: false,
      close: false,
      upgrade: "",
      contentType: "",
      hopByHop: false,
      connectionNamed: null,
    },
  );
  const chunkedFirst = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").head;
  assert.equal(response("HTTP/1.1 204 X\r\n\r\n", chunkedFirst).head.chunked, false);
});

Deno.test("heads are read where they start in the buffer, after earlier ones", () => {
  const earlier = "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n";
  const text = bytes(earlier + "HTTP/1.0 404 Not Found\r\nContent-Length: 5\r\nX-B: 2\r\n\r\n");
  const scanner = new HeadScanner();
  scanner.reset(earlier.length);
  const end = scanner.scan(text, text.length, LIMITS);
  const head = parseResponseHead(text, earlier.length, end);
  assert.equal(head.status, 404);
  assert.equal(head.close, true);
  assert.equal(head.contentLength, 5);
  assert.equal(head.count, 2);
  assert.equal(fieldValue(text, head, 1), "2");
  const before = "GET /first HTTP/1.1\r\nHost: a\r\n\r\n";
  const requests = bytes(before + "GETS /second HTTP/1.1\r\nHost: b\r\n\r\n");
  const request = parseRequestHead(requests, before.length, requests.length);
  assert.equal(request.method, "GETS");
  assert.equal(request.target, "/second");
  assert.equal(fieldValue(requests, request, 0), "b");
});

Deno.test("the method is named from its own bytes, not from those before it", () => {
  const buf = bytes("xxTEGOT / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(parseRequestHead(buf, 4, buf.length).method, "GOT");
});

Deno.test("HeadScanner with nothing to scan yet neither fails nor finds an end", () => {
  const scanner = new HeadScanner();
  scanner.reset(0);
  assert.equal(
    scanner.scan(new Uint8Array(8), 0, LIMITS),
    -1,
    "a NUL just past the end is not read",
  );
  assert.equal(scanner.started, false);
});

Deno.test("HeadScanner keeps its place across a compaction at any point of the head", () => {
  const text = bytes(R + "X-A: 1\r\n\r\n");
  for (let at = 1; at < text.length; at++) {
    const buf = new Uint8Array(256);
    buf.set(text, 40);
    const scanner = new HeadScanner();
    scanner.reset(40);
    assert.equal(scanner.scan(buf, 40 + at, LIMITS), -1, `split at ${at}`);
    buf.copyWithin(0, 40, 40 + text.length);
    scanner.shift(40);
    assert.equal(scanner.started, true, `still started after a split at ${at}`);
    assert.equal(scanner.scan(buf, text.length, LIMITS), text.length, `split at ${at}`);
  }
});

Deno.test("HeadScanner measures an unfinished request line from where the head starts", () => {
  const limits = { maxRequestLine: 20, maxHeaderBytes: 64, maxHeaderCount: 3 };
  const buf = new Uint8Array(64);
  buf.set(bytes("GET /" + "a".repeat(16)), 30);
  const scanner = new HeadScanner();
  scanner.reset(30);
  assert.equal(scanner.scan(buf, 30 + 21, limits), -1, "the limit and one byte for its CR");
  assert.throws(() => scanner.scan(buf, 30 + 22, limits), { message: "Request line too long" });
});

Deno.test("parseRequestHead() is strict even without the scanner before it", () => {
  const buf = bytes(" / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.throws(() => parseRequestHead(buf, 0, buf.length), {
    message: "Malformed request line",
  });
});

Deno.test("any three digits are a status, and an unframed answer's type is only its own", () => {
  assert.equal(response("HTTP/1.1 099 X\r\n\r\n").head.status, 99);
  assert.equal(response("HTTP/1.1 999 X\r\n\r\n").head.status, 999);
  assert.equal(response("HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: Two\r\n\r\n").head.contentType, "");
});

Deno.test("an HTTP/1.0 request may not be chunked or ask for an upgrade, and says why", async (t) => {
  const cases: [string, string, string][] = [
    [
      "chunked",
      "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "400 Transfer-Encoding in an HTTP/1.0 request (send Content-Length)",
    ],
    [
      "an upgrade",
      "GET /a HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
      "400 Upgrade in an HTTP/1.0 request (upgrades need HTTP/1.1)",
    ],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => assert.equal(refusal(text), expected));
  }
});
