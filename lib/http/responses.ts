/** Responses the proxy writes itself, with Docker's error body so `docker` prints the message. */

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  414: "URI Too Long",
  417: "Expectation Failed",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Error";
}

const encoder = new TextEncoder();

export interface ResponseOptions {
  /** Add `Connection: close`. */
  close?: boolean;
  /** Leave the body out (the answer to a HEAD request). */
  head?: boolean;
  contentType?: string;
  /** Add `Retry-After` (seconds). */
  retryAfter?: number;
}

/** A complete response with `body`. */
export function plainResponse(
  status: number,
  body: string,
  options: ResponseOptions = {},
): Uint8Array {
  const bytes = encoder.encode(body);
  const head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n` +
    `Content-Type: ${options.contentType ?? "text/plain; charset=utf-8"}\r\n` +
    `Content-Length: ${bytes.length}\r\n` +
    (options.retryAfter !== undefined ? `Retry-After: ${options.retryAfter}\r\n` : "") +
    (options.close ? "Connection: close\r\n" : "") + "\r\n";
  const headBytes = encoder.encode(head);
  if (options.head) return headBytes;
  const all = new Uint8Array(headBytes.length + bytes.length);
  all.set(headBytes);
  all.set(bytes, headBytes.length);
  return all;
}

/** A Docker-style error: `{"message": "..."}`. */
export function errorResponse(
  status: number,
  message: string,
  options: ResponseOptions = {},
): Uint8Array {
  return plainResponse(status, JSON.stringify({ message }) + "\n", {
    ...options,
    contentType: "application/json",
  });
}

export const CONTINUE_100 = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
