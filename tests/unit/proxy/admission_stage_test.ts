/**
 * The pipeline calls the admission stage only where `admissionReads` says it
 * has something to read or decide. That must be exactly where `admitRequest`
 * would do more than let the body stream as it comes: for every operation of
 * the route table, with and without host access, and with scope plans that
 * label or check bodies.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/config.ts";
import {
  type AdmissionInput,
  admissionReads,
  admitRequest,
} from "../../../lib/proxy/admission_stage.ts";
import type { Profile } from "../../../lib/policy/profile.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";
import type { ScopePlan } from "../../../lib/scoping/scope_plan.ts";

function profileOf(env: Record<string, string>): Profile {
  return parseConfig(env).config.policy.profiles[0];
}

/** Stands for what `admitRequest` must not touch when it has nothing to do. */
const untouchable = new Proxy({}, {
  get(_target, name) {
    throw new Error(`read ${String(name)}`);
  },
});

const NO_PLAN: ScopePlan = {
  refuse: null,
  object: null,
  queryContainer: null,
  bodyContainer: false,
  labelFilters: null,
  label: null,
  rewrite: null,
  events: false,
};

Deno.test("admission is skipped exactly where it would let the body stream unread", async (t) => {
  const operations = [...new Set(ROUTES.map((route) => route.operation))];
  const profiles: [string, Profile][] = [
    ["HOST_ACCESS=0, a policy file's default", profileOf({ HOST_ACCESS: "0" })],
    ["HOST_ACCESS=1, the environment's default", profileOf({})],
    ["HOST_ACCESS=1 with OWNER", profileOf({ HOST_ACCESS: "1", OWNER: "ci" })],
    ["MODE=audit, which records what execs and creates run", profileOf({ MODE: "audit" })],
  ];
  const plans: [string, ScopePlan | null][] = [
    ["no scope plan", null],
    ["a plan that labels bodies", { ...NO_PLAN, label: "body" }],
    ["a plan that checks the container a body names", { ...NO_PLAN, bodyContainer: true }],
  ];
  for (const [profileName, profile] of profiles) {
    for (const [planName, plan] of plans) {
      await t.step(`${profileName}, ${planName}`, async () => {
        let skipped = 0;
        for (const operation of operations) {
          if (admissionReads(operation, profile, plan)) continue;
          skipped++;
          const input = {
            client: untouchable,
            body: untouchable,
            head: untouchable,
            target: untouchable,
            profile,
            operation,
            plan,
            scopes: () => untouchable,
          } as unknown as AdmissionInput;
          assert.deepEqual(
            await admitRequest(input),
            { kind: "forward", body: null, notes: [] },
            operation,
          );
        }
        // A plan that checks a body's container reads every body; the others skip most.
        if (plan?.bodyContainer) assert.equal(skipped, 0);
        else assert.ok(skipped > operations.length / 2, `only ${skipped} skipped`);
      });
    }
  }
  // What admission decides on is still read: a create's body when host access is not granted.
  assert.equal(admissionReads("ContainerCreate", profileOf({ HOST_ACCESS: "0" }), null), true);
  assert.equal(admissionReads("SystemPing", profileOf({ HOST_ACCESS: "0" }), null), false);
  assert.equal(admissionReads("ContainerCreate", profileOf({}), null), false);
  // Audit mode reads an exec's or create's body for the access log (`learn`).
  assert.equal(admissionReads("ContainerExec", profileOf({ MODE: "audit" }), null), true);
  assert.equal(admissionReads("SystemPing", profileOf({ MODE: "audit" }), null), false);
});
