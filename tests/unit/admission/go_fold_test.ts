/**
 * goFoldName() folds as Go's encoding/json does, whatever was folded before in
 * the process: three of Go's case orbits have a member no JavaScript case
 * mapping leads back to (found by mutation testing: the result used to depend
 * on what had been folded first).
 */
import assert from "node:assert/strict";
import { goFoldName, type GoJsonObject, parseGoJsonText } from "../../../lib/admission/go_json.ts";
import { checkKeys, Where } from "../../../lib/admission/go_fields.ts";
import { Refusal } from "../../../lib/admission/refusal.ts";

function reason(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof Refusal, String(error));
    return error.reason;
  }
  assert.fail("no refusal");
}

Deno.test("goFoldName() folds GREEK CAPITAL MU as Go does, whatever was folded before", () => {
  // First in the process: nothing cached yet.
  const first = goFoldName("\u039c");
  assert.equal(goFoldName("\u00b5"), "\u00b5");
  assert.equal(first, "\u00b5"); // Go: foldRune(0x39C) = 0xB5; here 0x39C
  assert.equal(goFoldName("\u039c"), first);
});

Deno.test("goFoldName() folds COMBINING GREEK YPOGEGRAMMENI's orbit to it, as Go does", () => {
  assert.equal(goFoldName("\u0399"), "\u0345"); // Go: foldRune(0x399) = 0x345
  assert.equal(goFoldName("\u03b9"), "\u0345");
  assert.equal(goFoldName("\u1fbe"), "\u0345");
});

Deno.test("the same body gets the same message every time", () => {
  // CYRILLIC SMALL LETTER MONOGRAPH UK and CYRILLIC SMALL LETTER UNBLENDED UK:
  // Go folds both to U+1C88, so it would take them for the same field.
  const body = () => parseGoJsonText('{"\ua64b":1,"\u1c88":2}') as GoJsonObject;
  const expected = 'Keys "\ua64b" and "\u1c88" collide under case folding in The body';
  assert.equal(reason(() => checkKeys(body(), new Where(""))), expected);
  assert.equal(reason(() => checkKeys(body(), new Where(""))), expected);
});
