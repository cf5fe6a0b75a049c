/**
 * A volume's local driver options are named where they are sent (`DriverOpts`
 * for Docker's VolumeCreate, `Options` for podman's LibpodVolumeCreate), not
 * under `Driver` (found by mutation testing).
 */
import assert from "node:assert/strict";
import { decide } from "../../fixtures/admission_corpus.ts";

Deno.test("VolumeCreate names DriverOpts for an option Docker's local driver does not know", () => {
  assert.deepEqual(
    decide({ operation: "VolumeCreate", body: { Name: "v", DriverOpts: { uid: "1000" } } }),
    {
      allowed: false,
      status: 403,
      reason:
        'DriverOpts["uid"] is not a local volume option this proxy knows; it needs HOST_ACCESS=1',
      field: 'DriverOpts["uid"]',
      needs: "HOST_ACCESS=1",
    },
  );
});

Deno.test("LibpodVolumeCreate names Options for an option sent in two cases", () => {
  assert.deepEqual(
    decide({
      operation: "LibpodVolumeCreate",
      body: { Name: "v", Options: { device: "/srv", DEVICE: "/" } },
    }),
    {
      allowed: false,
      status: 403,
      reason:
        'Options["DEVICE"] is not a local volume option this proxy knows; it needs HOST_ACCESS=1',
      field: 'Options["DEVICE"]',
      needs: "HOST_ACCESS=1",
    },
  );
});
