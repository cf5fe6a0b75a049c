import assert from "node:assert/strict";
import { clientKey } from "../../../lib/limits/client_key.ts";

Deno.test("a client is its container, else its address, else its unix listener", async (t) => {
  const container = { id: "abc123", name: "web" };
  for (
    const [name, facts, key] of [
      ["a known container wins over its address", {
        container,
        host: "172.17.0.2",
        listener: "0.0.0.0:2375",
      }, "container:abc123"],
      ["an address without a known container", {
        container: null,
        host: "127.0.0.2",
        listener: "127.0.0.1:2375",
      }, "address:127.0.0.2"],
      ["127.0.0.1 and 127.0.0.2 are two clients", {
        container: null,
        host: "127.0.0.1",
        listener: "127.0.0.1:2375",
      }, "address:127.0.0.1"],
      ["an IPv6 address", { container: null, host: "::1", listener: "[::]:2375" }, "address:::1"],
      ["a unix socket's clients are its listener", {
        container: null,
        host: null,
        listener: "unix:/run/proxy.sock",
      }, "listener:unix:/run/proxy.sock"],
    ] as const
  ) {
    await t.step(name, () => assert.equal(clientKey(facts), key));
  }
});
