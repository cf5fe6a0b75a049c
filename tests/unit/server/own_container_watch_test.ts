import assert from "node:assert/strict";
import { Logger, type LogSink } from "../../../lib/log/log.ts";
import { UpstreamPool } from "../../../lib/engine/upstream_pool.ts";
import { UNKNOWN_SELF, watchOwnContainer } from "../../../lib/server/own_container_watch.ts";
import { FakeEngine } from "../../helpers/fake_engine.ts";
import { within } from "../../helpers/deadline.ts";

const NONE = { mountinfo: "", cgroup: "", containerenv: "", hostname: "vm\n" };
const ID = "0123456789ab".repeat(5) + "0123";

/** A logger whose lines are kept, and a promise of the first line that says `text`. */
function recording(text: string) {
  const lines: string[] = [];
  let said!: (line: string) => void;
  const saying = new Promise<string>((resolve) => said = resolve);
  const sink: LogSink = {
    write(line: string) {
      lines.push(line);
      if (line.includes(text)) said(line);
    },
    flush: () => Promise.resolve(),
  };
  return { logger: new Logger({ level: "debug", format: "text", sink }), lines, saying };
}

Deno.test("PROTECT_SELF says once when the proxy's own container cannot be known", async (t) => {
  const pool = new UpstreamPool("/nonexistent/engine.sock");
  const never = () => Promise.reject(new Error("no container to find"));
  await t.step("in a container with no hint (a hostname that is no ID): said at once", () => {
    const { logger, lines } = recording(UNKNOWN_SELF);
    watchOwnContainer(pool, logger, never, () => true, NONE, true)();
    assert.equal(lines.filter((line) => line.includes(UNKNOWN_SELF)).length, 1);
  });
  await t.step("no profile wants it (PROTECT_SELF=0): nothing said", () => {
    const { logger, lines } = recording(UNKNOWN_SELF);
    watchOwnContainer(pool, logger, never, () => false, NONE, true)();
    assert.deepEqual(lines, []);
  });
  await t.step("outside a container: nothing said", () => {
    const { logger, lines } = recording(UNKNOWN_SELF);
    watchOwnContainer(pool, logger, never, () => true, NONE, false)();
    assert.deepEqual(lines, []);
  });
  await t.step("a hint the engine does not know: said once it answered", async () => {
    const engine = await FakeEngine.start();
    try {
      const { logger, saying } = recording(UNKNOWN_SELF);
      const files = { ...NONE, containerenv: `engine="podman"\nid="${ID}"\n` };
      const stop = watchOwnContainer(
        new UpstreamPool(engine.path),
        logger,
        never,
        () => true,
        files,
      );
      await within(saying, "the line");
      stop();
      assert.ok(engine.requests.some((r) => r.target === `/containers/${ID}/json`));
    } finally {
      await engine.close();
    }
  });
});
