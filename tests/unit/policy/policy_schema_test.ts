import assert from "node:assert/strict";
import { parse } from "yaml";
import { policySchema } from "../../../scripts/generate_schema.ts";
import { validate } from "../../helpers/json_schema.ts";

const SCHEMA = JSON.parse(
  await Deno.readTextFile(new URL("../../../policy.schema.json", import.meta.url)),
);

Deno.test("the committed JSON Schema is what scripts/generate_schema.ts writes", () => {
  assert.deepEqual(SCHEMA, policySchema());
});

Deno.test("the JSON Schema accepts a policy the proxy accepts", () => {
  const policy = parse(`
version: 1
mode: audit
profiles:
  - name: traefik
    match: { listener: "unix:/run/socket-proxy/traefik.sock" }
    rules: [SystemPing, ContainerList, "Container*", "GET /containers/{id}/json"]
  - name: diun
    match: { listener: "unix:/run/socket-proxy/diun.sock" }
    app: "diun v4.33"
    preset: diun
    CONTAINER_LABELS: ""
  - name: autoheal
    match: { container: { name: autoheal, labels: { role: healer } } }
    mode: enforce
    CONTAINERS: 1
    POST: "yes"
    HOST_ACCESS: 0
    CONTAINER_LABELS: [autoheal=true]
    OWNER: healer
    rules:
      - allow: ContainerKill
        query: { signal: [SIGHUP], follow: false, tail: null, fromImage: "ghcr.io/*" }
      - allow: ContainerRestart
        target: { labels: { autoheal: "true", any: null } }
      - allow: ContainerExec
        target: { labels: { role: db } }
        body:
          Cmd: [[pg_dump, "**"], null]
          User: [postgres, null]
          Privileged: false
          Tty: false
          Env: [PG*]
          WorkingDir: /backup
      - allow: ContainerCreate
        body: { Image: ["ghcr.io/acme/**"], Entrypoint: null, Labels: { job: "*", x: null } }
`);
  assert.deepEqual(validate(SCHEMA, policy), []);
});

Deno.test("the JSON Schema flags what the proxy refuses", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ["an unknown top-level key", { profile: [] }, /unknown property profile/],
    ["no profiles", {}, /missing profiles/],
    ["an unknown profile key", { profiles: [{ name: "a", rule: [] }] }, /unknown property rule/],
    [
      "a misspelt switch",
      { profiles: [{ name: "a", CONTAINER: 1 }] },
      /unknown property CONTAINER/,
    ],
    ["a bad boolean", { profiles: [{ name: "a", POST: "maybe" }] }, /\/profiles\/0\/POST/],
    ["an unknown operation", { profiles: [{ name: "a", rules: ["ContainerLst"] }] }, /rules\/0/],
    ["a bad mode", { mode: "dry", profiles: [] }, /\/mode: not one of the enum/],
    [
      "an unknown preset",
      { profiles: [{ name: "a", preset: "traefk" }] },
      /\/profiles\/0\/preset: not one of the enum/,
    ],
    [
      "a rule key",
      { profiles: [{ name: "a", rules: [{ allow: "ContainerList", when: 1 }] }] },
      /rules\/0: oneOf: 0 alternatives fit/,
    ],
    ["an empty match", { profiles: [{ name: "a", match: {} }] }, /too few properties/],
    [
      "an unknown body field",
      { profiles: [{ name: "a", rules: [{ allow: "ContainerExec", body: { Command: [] } }] }] },
      /rules\/0: oneOf: 0 alternatives fit/,
    ],
    [
      "a Cmd that is one argv",
      { profiles: [{ name: "a", rules: [{ allow: "ContainerExec", body: { Cmd: ["sh"] } }] }] },
      /rules\/0: oneOf: 0 alternatives fit/,
    ],
    ["no name", { profiles: [{ rules: [] }] }, /missing name/],
  ];
  for (const [name, policy, error] of cases) {
    await t.step(name, () => assert.match(validate(SCHEMA, policy).join("\n"), error));
  }
});
