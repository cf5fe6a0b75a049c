import assert from "node:assert/strict";
import { decide } from "../../fixtures/admission_corpus.ts";

Deno.test("a network on the host's own segment needs ALLOW_HOST_NETWORK", async (t) => {
  const cases: [string, string, unknown, Record<string, string>, string | null][] = [
    ["a bridge", "NetworkCreate", { Name: "n", Driver: "bridge" }, {}, null],
    ["the default driver", "NetworkCreate", { Name: "n", Labels: { a: "b" } }, {}, null],
    ["an overlay", "NetworkCreate", { Name: "n", Driver: "overlay", Attachable: true }, {}, null],
    [
      "macvlan",
      "NetworkCreate",
      { Name: "n", Driver: "macvlan", Options: { parent: "eth0" } },
      {},
      "ALLOW_HOST_NETWORK=1",
    ],
    [
      "ipvlan in capitals",
      "NetworkCreate",
      { Name: "n", driver: "IPVLAN" },
      {},
      "ALLOW_HOST_NETWORK=1",
    ],
    ["macvlan allowed", "NetworkCreate", { Name: "n", Driver: "macvlan" }, {
      ALLOW_HOST_NETWORK: "1",
    }, null],
    [
      "a host bridge by name",
      "NetworkCreate",
      { Name: "n", Options: { "com.docker.network.bridge.name": "br0" } },
      {},
      "ALLOW_HOST_NETWORK=1",
    ],
    [
      "another network's configuration",
      "NetworkCreate",
      { Name: "n", ConfigFrom: { Network: "lan" } },
      {},
      "ALLOW_HOST_NETWORK=1",
    ],
    ["a plugin driver", "NetworkCreate", { Name: "n", Driver: "weave" }, {}, "ALLOW_PLUGINS=1"],
    [
      "a plugin IPAM driver",
      "NetworkCreate",
      { Name: "n", IPAM: { Driver: "infoblox" } },
      {},
      "ALLOW_PLUGINS=1",
    ],
    ["podman's bridge", "LibpodNetworkCreate", { name: "n", driver: "bridge" }, {}, null],
    [
      "podman's macvlan",
      "LibpodNetworkCreate",
      { name: "n", driver: "macvlan", network_interface: "eth0" },
      {},
      "ALLOW_HOST_NETWORK=1",
    ],
    [
      "podman on a host bridge",
      "LibpodNetworkCreate",
      { name: "n", network_interface: "br0" },
      {},
      "ALLOW_HOST_NETWORK=1",
    ],
  ];
  for (const [name, operation, body, settings, needs] of cases) {
    await t.step(name, () => {
      const verdict = decide({ operation, body, settings });
      if (needs === null) assert.deepEqual(verdict, { allowed: true });
      else {
        assert.equal(verdict.allowed, false);
        assert.equal(verdict.allowed === false && verdict.needs, needs);
      }
    });
  }
  const unknown = decide({ operation: "NetworkCreate", body: { Name: "n", Future: 1 } });
  assert.equal(unknown.allowed === false && unknown.status, 403);
});
