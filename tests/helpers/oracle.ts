/**
 * A model of what the proxy does with a byte stream from one client, built
 * from the pure modules: which answers it gives and the exact bytes it sends
 * the engine. The fuzz test runs the real proxy against it, so any difference
 * in buffering, framing or pipelining between the I/O layer and the decisions
 * shows up.
 */
import { ByteWriter } from "../../lib/http/byte_writer.ts";
import { ChunkedDecoder, LAST_CHUNK, writeChunkHeader } from "../../lib/http/chunked.ts";
import type { Limits } from "../../lib/config/config.ts";
import { admissionNeeds, admit } from "../../lib/admission/admit.ts";
import { writeFraming, writeRequestFields, writeRequestHead } from "../../lib/http/forward_head.ts";
import { isQueryError, parseQuery } from "../../lib/policy/query_params.ts";
import { HeadScanner, HttpError, latin1, parseRequestHead } from "../../lib/http/http_head.ts";
import type { Profile } from "../../lib/policy/profile.ts";
import { route } from "../../lib/proxy/route_cache.ts";
import { routeMatcher } from "../../lib/routes/engine_routes.ts";
import { isTargetError, parseRequestTarget } from "../../lib/http/request_target.ts";

/** The class of an answer: forwarded (2xx from the engine), denied (403), refused (other), 100. */
export type Answer = "forwarded" | "denied" | "refused" | "continue";

export interface Expected {
  answers: { kind: Answer; head: boolean }[];
  /** Complete requests the engine receives, byte for byte. */
  forwarded: string[];
  /** Whether the proxy closes the connection after the last answer. */
  closes: boolean;
}

export function answerKind(status: number): Answer {
  if (status === 100) return "continue";
  if (status >= 200 && status < 300) return "forwarded";
  if (status === 403) return "denied";
  return "refused";
}

const HEALTH_REQUEST = "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";

/** What the proxy answers to `input` (sent in full) and what the engine then receives. */
export function simulate(input: Uint8Array, profile: Profile, limits: Limits): Expected {
  const expected: Expected = { answers: [], forwarded: [], closes: false };
  const refuse = (head = false) => {
    expected.answers.push({ kind: "refused", head });
    expected.closes = true;
    return expected;
  };
  const scanner = new HeadScanner();
  let pos = 0;
  for (;;) {
    scanner.reset(pos);
    let end: number;
    let head;
    try {
      end = scanner.scan(input, input.length, limits);
      if (end < 0) return expected; // waits for the rest of the head
      head = parseRequestHead(input, pos, end);
    } catch (error) {
      if (error instanceof HttpError) return refuse();
      throw error;
    }
    const isHead = head.method === "HEAD";
    const target = parseRequestTarget(head.target);
    if (isTargetError(target)) return refuse(isHead);
    const hasBody = head.chunked || head.contentLength > 0;
    const health = target.path === "/_ping" && (head.method === "GET" || isHead) && !hasBody &&
      Array.from(
        { length: head.count },
        (_, i) => latin1(input, head.fields[i * 4], head.fields[i * 4 + 1]).toLowerCase(),
      ).includes("x-socket-proxy-healthcheck");
    if (health) {
      expected.forwarded.push(HEALTH_REQUEST);
      expected.answers.push({ kind: "forwarded", head: isHead });
      if (head.close) return { ...expected, closes: true };
      pos = end;
      continue;
    }
    const decision = route(profile, routeMatcher(), head.method, head.target, head.upgrade !== "")
      .decision!;
    const contentType = Array.from({ length: head.count }, (_, i) => i).filter((i) =>
      latin1(input, head.fields[i * 4], head.fields[i * 4 + 1]).toLowerCase() === "content-type"
    ).map((i) => latin1(input, head.fields[i * 4 + 2], head.fields[i * 4 + 3]).toLowerCase());
    const formBody = hasBody &&
      contentType.some((type) =>
        type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")
      );
    if (!decision.forward || (decision.readsQuery && formBody)) {
      const kind = decision.forward || decision.status === 403 ? "denied" : "refused";
      expected.answers.push({ kind, head: isHead });
      if (hasBody || head.close) return { ...expected, closes: true };
      pos = end;
      continue;
    }
    const out = new ByteWriter(256);
    const operation = decision.operation!;
    const needs = admissionNeeds(operation, profile.admission);
    const query = parseQuery(target.query);
    const audit = profile.mode === "audit";
    /** The kind of answer admission gives, or `null` when it lets the request through. */
    const admitted = (body: Uint8Array | null): Answer | null => {
      if (audit) return null;
      const verdict = admit({
        operation,
        query: isQueryError(query) ? new Map() : query,
        body,
        contentType: contentType[0] ?? "",
      }, profile.admission);
      return verdict.allowed ? null : verdict.status === 400 ? "refused" : "denied";
    };
    let bodyEnd: number;
    if (needs === "body" && hasBody) {
      // Read whole, decided on, forwarded with a Content-Length of its own.
      if (head.expectContinue) expected.answers.push({ kind: "continue", head: false });
      const body = new ByteWriter(256);
      if (head.chunked) {
        const decoder = new ChunkedDecoder(400);
        try {
          bodyEnd = decoder.feed(input, end, input.length, (buf, start, stop) => {
            body.bytes(buf, start, stop);
          });
        } catch (error) {
          if (error instanceof HttpError) return refuse(isHead);
          throw error;
        }
        if (!decoder.done) return expected;
      } else {
        if (input.length - end < head.contentLength) return expected;
        body.bytes(input, end, end + head.contentLength);
        bodyEnd = end + head.contentLength;
      }
      if (body.length > profile.admission.maxBodyBytes) return refuse(isHead);
      const refusal = admitted(body.view());
      if (refusal !== null) {
        expected.answers.push({ kind: refusal, head: isHead });
        return { ...expected, closes: true };
      }
      writeRequestFields(out, input, head, { target: target.path + target.query, upgrade: true });
      writeFraming(out, head, true, body.length);
      out.bytes(body.view());
      expected.forwarded.push(latin1(out.buf, 0, out.length));
      expected.answers.push({ kind: "forwarded", head: isHead });
      if (head.close) return { ...expected, closes: true };
      pos = bodyEnd;
      continue;
    }
    const refusal = needs === "none" ? null : admitted(null);
    if (refusal !== null) {
      expected.answers.push({ kind: refusal, head: isHead });
      if (hasBody || head.close) return { ...expected, closes: true };
      pos = end;
      continue;
    }
    if (hasBody && head.expectContinue) expected.answers.push({ kind: "continue", head: false });
    writeRequestHead(out, input, head, { target: target.path + target.query, upgrade: true });
    if (head.chunked) {
      const decoder = new ChunkedDecoder(400);
      try {
        bodyEnd = decoder.feed(input, end, input.length, (buf, start, stop) => {
          out.reserve(stop - start + 20);
          out.length = writeChunkHeader(out.buf, out.length, stop - start);
          out.bytes(buf, start, stop);
          out.ascii("\r\n");
        });
      } catch (error) {
        if (error instanceof HttpError) return refuse(isHead);
        throw error;
      }
      if (!decoder.done) return expected; // the body is still coming
      out.bytes(LAST_CHUNK);
    } else {
      const length = Math.max(head.contentLength, 0);
      if (input.length - end < length) return expected;
      out.bytes(input, end, end + length);
      bodyEnd = end + length;
    }
    expected.forwarded.push(latin1(out.buf, 0, out.length));
    expected.answers.push({ kind: "forwarded", head: isHead });
    if (head.close) return { ...expected, closes: true };
    pos = bodyEnd;
  }
}
