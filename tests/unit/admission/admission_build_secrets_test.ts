/**
 * Podman JSON-decodes the `secrets` build parameter before it joins each
 * `src=` to the build context, so a JSON escape (`\u002e` for `.`) must not
 * hide a `..` from the proxy: podman would read `src=../../../../etc/shadow`
 * and mount that host file into the build's RUN steps. Found by mutation
 * testing; it was allowed before.
 */
import assert from "node:assert/strict";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import { checkBuildQuery } from "../../../lib/admission/build_query.ts";
import { Refusal } from "../../../lib/admission/refusal.ts";

function refusalOf(secrets: string): Refusal | undefined {
  const settings = parseAdmissionSettings({ HOST_ACCESS: "0" }, { hostAccess: false });
  try {
    checkBuildQuery(settings, new Map([["secrets", [secrets]]]));
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  return undefined;
}

Deno.test("a build secret whose src climbs out of the context through JSON escapes is refused", async (t) => {
  const cases = [
    // What podman decodes: ["id=a,src=../../../../etc/shadow"]
    '["id=a,src=\\u002e\\u002e/\\u002e\\u002e/\\u002e\\u002e/\\u002e\\u002e/etc/shadow"]',
    // ["id=a,src=../../../../etc/shadow"] with only the second dot escaped
    '["id=a,src=.\\u002e/.\\u002e/.\\u002e/.\\u002e/etc/shadow"]',
  ];
  for (const secrets of cases) {
    await t.step(secrets, () => {
      // The decoded value is what podman uses.
      assert.deepEqual(JSON.parse(secrets), ["id=a,src=../../../../etc/shadow"]);
      const refusal = refusalOf(secrets);
      assert.ok(refusal !== undefined, "allowed");
      assert.equal(refusal.status, 403);
      assert.equal(refusal.field, "secrets");
      assert.equal(refusal.needs, "HOST_ACCESS=1");
    });
  }
});

Deno.test("a secrets parameter that looks like a JSON list but is none is refused, named", () => {
  const refusal = refusalOf('["id=a,src=x"');
  assert.ok(refusal !== undefined, "allowed");
  assert.equal(refusal.status, 400);
  assert.equal(refusal.field, "secrets");
  assert.equal(
    refusal.reason,
    'Query parameter secrets: "[\\"id=a,src=x\\"" is not a JSON list of strings',
  );
});
