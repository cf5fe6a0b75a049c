import assert from "node:assert/strict";
import { admissionNeeds } from "../../../lib/admission/admit.ts";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import {
  BENIGN,
  bodyBytes,
  contentTypeOf,
  type CorpusRequest,
  DANGEROUS,
  decide,
} from "../../fixtures/admission_corpus.ts";

function verdictOf(request: CorpusRequest, overrides: Record<string, string> = {}) {
  return decide({
    operation: request.operation,
    query: request.query,
    body: bodyBytes(request.body),
    contentType: contentTypeOf(request),
    settings: { ...request.settings, ...overrides },
  });
}

Deno.test("the corpus holds enough requests of each kind, with unique names", () => {
  assert.ok(DANGEROUS.length >= 60, `${DANGEROUS.length} dangerous requests`);
  assert.ok(BENIGN.length >= 15, `${BENIGN.length} benign requests`);
  const names = [...DANGEROUS, ...BENIGN].map((request) => request.name);
  assert.equal(new Set(names).size, names.length);
  for (const request of [...DANGEROUS, ...BENIGN]) {
    assert.ok(request.path.startsWith("/") && !/^\/v[0-9]/.test(request.path), request.path);
  }
});

Deno.test("every dangerous request of the corpus is refused, naming what would allow it", async (t) => {
  for (const request of DANGEROUS) {
    await t.step(request.name, () => {
      const verdict = verdictOf(request);
      assert.equal(verdict.allowed, false, "allowed");
      if (verdict.allowed) return;
      assert.equal(verdict.status, request.expect.status, verdict.reason);
      assert.ok(
        verdict.reason.includes(request.expect.mentions),
        `reason ${JSON.stringify(verdict.reason)} does not mention ${
          JSON.stringify(request.expect.mentions)
        }`,
      );
    });
  }
});

Deno.test("every benign request of the corpus is allowed", async (t) => {
  for (const request of BENIGN) {
    await t.step(request.name, () => assert.deepEqual(verdictOf(request), { allowed: true }));
  }
});

Deno.test("with HOST_ACCESS=1 every request of the corpus is allowed, unread", () => {
  const settings = parseAdmissionSettings({ HOST_ACCESS: "1" }, { hostAccess: false });
  for (const request of [...DANGEROUS, ...BENIGN]) {
    assert.equal(admissionNeeds(request.operation, settings), "none");
    assert.deepEqual(verdictOf(request, { HOST_ACCESS: "1" }), { allowed: true }, request.name);
  }
});

Deno.test("every operation of the corpus needs the query or the body with HOST_ACCESS=0", () => {
  const settings = parseAdmissionSettings({}, { hostAccess: false });
  for (const request of DANGEROUS) {
    assert.notEqual(admissionNeeds(request.operation, settings), "none", request.operation);
  }
});
