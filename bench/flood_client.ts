/**
 * A flooding client for `bench/fairness.ts`: `connections` keep-alive
 * connections from a given loopback source address, each sending one request
 * after another until stopped (SIGTERM), then printing what it counted as
 * JSON: `{"ok":n,"limited":n,"other":n}`. It writes `flooding` to standard error once as many
 * answers as connections have come.
 *
 *   deno run -A bench/flood_client.ts <from> <host:port> <connections> <path>
 *
 * `node:net` because `Deno.connect` cannot choose its source address.
 */
import * as net from "node:net";

const [from, to, countText, path] = Deno.args;
const [host, portText] = to.split(":");
const counts = { ok: 0, limited: 0, other: 0 };
const request = `GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`;
let stopping = false;

/** One connection: sends a request, reads its answer (Content-Length or chunked), repeats. */
function flood(): void {
  const socket = net.connect({ host, port: Number(portText), localAddress: from });
  let buffer = Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.on("connect", () => socket.write(request));
  socket.on("error", () => {});
  socket.on("close", () => {
    if (!stopping) flood();
  });
  socket.on("data", (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = answerEnd(buffer);
      if (end < 0) return;
      const status = Number(buffer.subarray(9, 12).toString("latin1"));
      if (counts.ok + counts.limited + counts.other === Number(countText)) {
        console.error("flooding"); // every connection is answered: the flood is on
      }
      if (status === 200) counts.ok++;
      else if (status === 429) counts.limited++;
      else counts.other++;
      buffer = buffer.subarray(end);
      if (stopping) {
        socket.destroy();
        return;
      }
      socket.write(request);
    }
  });
}

/** Where the first whole answer in `buffer` ends, or -1. */
function answerEnd(buffer: Buffer): number {
  const headEnd = buffer.indexOf("\r\n\r\n");
  if (headEnd < 0) return -1;
  const head = buffer.subarray(0, headEnd).toString("latin1").toLowerCase();
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) {
    const end = headEnd + 4 + Number(length[1]);
    return buffer.length >= end ? end : -1;
  }
  if (!head.includes("transfer-encoding: chunked")) return headEnd + 4;
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", at);
    if (lineEnd < 0) return -1;
    const size = parseInt(buffer.subarray(at, lineEnd).toString("latin1"), 16);
    if (size === 0) {
      const trailerEnd = buffer.indexOf("\r\n", lineEnd + 2);
      return trailerEnd < 0 ? -1 : trailerEnd + 2;
    }
    at = lineEnd + 2 + size + 2;
    if (at > buffer.length) return -1;
  }
}

for (let i = 0; i < Number(countText); i++) flood();
Deno.addSignalListener("SIGTERM", () => {
  stopping = true;
  console.log(JSON.stringify(counts));
  Deno.exit(0);
});
