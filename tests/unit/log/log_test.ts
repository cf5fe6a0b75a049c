import assert from "node:assert/strict";
import { Logger, MemorySink } from "../../../lib/log/log.ts";
import { TimestampFormatter } from "../../../lib/log/timestamp.ts";

const SUMMER = Date.UTC(2026, 6, 1, 12, 30, 45, 7); // 2026-07-01T12:30:45.007Z
const WINTER = Date.UTC(2026, 11, 1, 23, 59, 59, 999);

Deno.test("TimestampFormatter writes ISO 8601 with the zone's offset", () => {
  assert.equal(new TimestampFormatter("UTC").format(SUMMER), "2026-07-01T12:30:45.007Z");
  assert.equal(
    new TimestampFormatter("Europe/Berlin").format(SUMMER),
    "2026-07-01T14:30:45.007+02:00",
  );
  assert.equal(
    new TimestampFormatter("Europe/Berlin").format(WINTER),
    "2026-12-02T00:59:59.999+01:00",
  );
  assert.equal(
    new TimestampFormatter("America/New_York").format(WINTER),
    "2026-12-01T18:59:59.999-05:00",
  );
  assert.equal(
    new TimestampFormatter("Asia/Kolkata").format(SUMMER),
    "2026-07-01T18:00:45.007+05:30",
  );
});

Deno.test("TimestampFormatter follows a daylight saving change", () => {
  const berlin = new TimestampFormatter("Europe/Berlin");
  const change = Date.UTC(2026, 2, 29, 1, 0, 0); // clocks go forward at 01:00 UTC
  assert.equal(berlin.format(change - 1), "2026-03-29T01:59:59.999+01:00");
  assert.equal(berlin.format(change), "2026-03-29T03:00:00.000+02:00");
});

Deno.test("Logger filters by level and writes text lines", () => {
  const sink = new MemorySink();
  const logger = new Logger({ level: "warning", sink, now: () => SUMMER });
  logger.info("hidden");
  logger.debug("hidden");
  logger.warning("Shown", { client: "1.2.3.4:5", reason: "two words" });
  logger.error("Also shown");
  assert.deepEqual(sink.lines, [
    '2026-07-01T12:30:45.007Z warning Shown client=1.2.3.4:5 reason="two words"\n',
    "2026-07-01T12:30:45.007Z err Also shown\n",
  ]);
});

Deno.test("Logger writes JSON lines in the TZ zone", () => {
  const sink = new MemorySink();
  const logger = new Logger({ format: "json", timeZone: "Europe/Berlin", sink, now: () => SUMMER });
  logger.info("request", { status: 200, client: "x" });
  assert.deepEqual(JSON.parse(sink.lines[0]), {
    time: "2026-07-01T14:30:45.007+02:00",
    level: "info",
    msg: "request",
    status: 200,
    client: "x",
  });
});

Deno.test("BatchedSink writes every line in order, in few writes", async () => {
  const writes: string[] = [];
  const out = {
    write(p: Uint8Array) {
      writes.push(new TextDecoder().decode(p));
      return Promise.resolve(p.length);
    },
  };
  const { BatchedSink } = await import("../../../lib/log/log.ts");
  const sink = new BatchedSink(out);
  const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}\n`);
  for (const line of lines) sink.write(line);
  sink.write("y".repeat(100_000) + "\n");
  await sink.flush();
  assert.equal(writes.join(""), lines.join("") + "y".repeat(100_000) + "\n");
  assert.ok(writes.length < 10, `${writes.length} writes`);
});

Deno.test("BatchedSink drops lines instead of growing when the output blocks", async () => {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  let written = 0;
  const out = {
    async write(p: Uint8Array) {
      await blocked;
      written += p.length;
      return p.length;
    },
  };
  const { BatchedSink } = await import("../../../lib/log/log.ts");
  const sink = new BatchedSink(out);
  const line = "z".repeat(1000) + "\n";
  for (let i = 0; i < 20_000; i++) sink.write(line); // 20 MB while the output is blocked
  // Nothing was written yet; what is held is bounded.
  release();
  await sink.flush();
  assert.ok(written < 5 * 1024 * 1024, `${written} bytes held and written`);
  assert.ok(written > 4 * 1024 * 1024, `${written} bytes written`);
});
