/**
 * Writes `policy.schema.json`, the JSON Schema of the policy file, so editors
 * complete and check it (`# yaml-language-server: $schema=...` in YAML). The
 * operation names come from the route table, the settings from the modules
 * that read them and the preset names from the presets' table, so the schema
 * never disagrees with the loader; a unit test checks the committed file is
 * what this script writes (`scripts/generate_presets.ts` runs this too).
 *
 *   deno run --allow-read --allow-write --allow-env=LOG_TOKENS,LOG_STREAM scripts/generate_schema.ts
 */
import { FLAG_NAMES } from "../lib/policy/flags.ts";
import { PRESETS } from "../lib/policy/preset_table.ts";
import { PROFILE_SETTING_NAMES } from "../lib/policy/profile_settings.ts";
import { ROUTES } from "../lib/routes/engine_routes.ts";

export const SCHEMA_FILE = new URL("../policy.schema.json", import.meta.url);

type Schema = Record<string, unknown>;

const TEXT: Schema = { type: "string" };
const LIST: Schema = { type: "array", items: { type: "string" }, minItems: 1 };
const TEXT_OR_LIST: Schema = { oneOf: [TEXT, LIST] };

/** Settings that are not switches: what each takes. */
function settingSchema(name: string): Schema {
  if (
    FLAG_NAMES.includes(name) || name === "SCRUB_ENVS" || name === "HOST_ACCESS" ||
    name === "PROTECT_SELF"
  ) {
    return { $ref: "#/$defs/boolean" };
  }
  if (name === "OWNER") return { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$" };
  if (name === "MAX_BODY_SIZE") return { type: ["string", "integer"] };
  if (name === "ENGINE_TIMEOUT") {
    return {
      oneOf: [{ type: "string", pattern: "^\\s*[0-9][0-9.a-z]*\\s*$" }, {
        type: "number",
        minimum: 0,
      }],
      description: "Time the engine gets to begin answering a finite request (30s, 2m; 0: none)",
    };
  }
  if (name === "MAX_CLIENT_REQUESTS" || name === "MAX_CLIENT_STREAMS" || name === "RATE_BURST") {
    return {
      oneOf: [{ type: "integer", minimum: 0 }, { type: "string", pattern: "^\\s*[0-9]+\\s*$" }],
    };
  }
  if (name === "RATE_LIMIT") {
    return {
      oneOf: [{ type: "number", minimum: 0 }, {
        type: "string",
        pattern: "^\\s*[0-9]+(\\.[0-9]+)?\\s*$",
      }],
    };
  }
  return { oneOf: [{ $ref: "#/$defs/boolean" }, TEXT, LIST] };
}

/** The schema, as a value. */
export function policySchema(): Schema {
  const operations = [...new Set(ROUTES.map((route) => route.operation))].sort();
  const settings = Object.fromEntries(
    PROFILE_SETTING_NAMES.map((name) => [name, settingSchema(name)]),
  );
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://github.com/socket-proxy/socket-proxy/policy.schema.json",
    title: "socket-proxy policy file",
    description: "Profiles chosen per client, each with rules and settings. See the README.",
    type: "object",
    additionalProperties: false,
    required: ["profiles"],
    properties: {
      version: { const: 1 },
      mode: { $ref: "#/$defs/mode" },
      profiles: { type: "array", items: { $ref: "#/$defs/profile" } },
    },
    $defs: {
      mode: {
        enum: ["enforce", "audit"],
        description: "audit forwards what would be denied and logs it as would-deny",
      },
      boolean: {
        oneOf: [
          { type: "boolean" },
          { enum: [0, 1] },
          {
            type: "string",
            pattern: "^\\s*([01]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|" +
              "[Yy][Ee][Ss]|[Nn][Oo]|[Oo][Nn]|[Oo][Ff][Ff])\\s*$",
          },
        ],
      },
      textOrList: TEXT_OR_LIST,
      operation: {
        enum: operations,
        description: "An Engine API operation (moby's operationId; Podman's prefixed Libpod)",
      },
      allow: {
        description: "An operation (ContainerList), a glob (Container*) or METHOD /template " +
          "(GET /containers/{id}/json, GET /containers/**)",
        anyOf: [
          { $ref: "#/$defs/operation" },
          { type: "string", pattern: "^[A-Za-z*]*\\*[A-Za-z*]*$" },
          { type: "string", pattern: "^(\\*|[A-Z]+) /\\S*$" },
        ],
      },
      rule: {
        oneOf: [
          { $ref: "#/$defs/allow" },
          {
            type: "object",
            additionalProperties: false,
            required: ["allow"],
            properties: {
              allow: { $ref: "#/$defs/allow" },
              query: {
                type: "object",
                description: "What each query parameter may be: true/false (a boolean as the " +
                  "engine reads it), null (absent), a text or glob, or a list of them",
                additionalProperties: {
                  oneOf: [
                    { type: "boolean" },
                    { type: "null" },
                    { type: "string" },
                    { type: "array", items: { type: "string" }, minItems: 1 },
                  ],
                },
              },
              target: {
                type: "object",
                additionalProperties: false,
                required: ["labels"],
                properties: {
                  labels: {
                    type: "object",
                    description: "Labels the target container must carry (null: any value)",
                    additionalProperties: { type: ["string", "null"] },
                    minProperties: 1,
                  },
                },
              },
              body: { $ref: "#/$defs/body" },
            },
          },
        ],
      },
      body: {
        type: "object",
        description: "What the request body may ask for (ContainerExec, ContainerCreate, " +
          "ServiceCreate, ServiceUpdate, libpod's exec and create), read as the engine reads it",
        additionalProperties: false,
        minProperties: 1,
        properties: {
          Cmd: { $ref: "#/$defs/argvPatterns" },
          Entrypoint: { $ref: "#/$defs/argvPatterns" },
          Image: {
            description: "Image patterns, normalized as the engine does (postgres:16* is " +
              "docker.io/library/postgres:16*; no tag is :latest)",
            oneOf: [
              { type: "string", minLength: 1 },
              { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
            ],
          },
          User: { $ref: "#/$defs/textsOrNull" },
          WorkingDir: { $ref: "#/$defs/textsOrNull" },
          Privileged: { type: "boolean" },
          Tty: { type: "boolean" },
          Env: {
            description: "The variable names allowed (globs); null: none",
            oneOf: [
              { type: "null" },
              { type: "array", items: { type: "string", minLength: 1 } },
            ],
          },
          Labels: {
            type: "object",
            description: "Labels the body must carry (a glob), or must not (null)",
            additionalProperties: { type: ["string", "null"] },
            minProperties: 1,
          },
        },
      },
      argvPatterns: {
        description: "Command lines allowed: a list of argv patterns, one glob per argument " +
          "(** last: any further arguments); null in the list: the field may be absent",
        oneOf: [
          { type: "null" },
          {
            type: "array",
            minItems: 1,
            items: { oneOf: [{ type: "null" }, { type: "array", items: { type: "string" } }] },
          },
        ],
      },
      textsOrNull: {
        description: "A text or glob, null (absent), or a list of them",
        oneOf: [
          { type: "null" },
          { type: "string", minLength: 1 },
          {
            type: "array",
            minItems: 1,
            items: { oneOf: [{ type: "null" }, { type: "string", minLength: 1 }] },
          },
        ],
      },
      match: {
        type: "object",
        additionalProperties: false,
        minProperties: 1,
        properties: {
          listener: { ...TEXT_OR_LIST, description: "Listen addresses as LISTEN writes them" },
          source: { ...TEXT_OR_LIST, description: "Client addresses or CIDRs" },
          container: {
            type: "object",
            additionalProperties: false,
            minProperties: 1,
            properties: {
              name: { ...TEXT_OR_LIST, description: "Client container names (globs)" },
              labels: {
                oneOf: [
                  { type: "object", additionalProperties: { type: ["string", "null"] } },
                  TEXT,
                  LIST,
                ],
              },
            },
          },
        },
      },
      profile: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$" },
          app: {
            type: "string",
            description: "The app and version the profile was proven against (information only)",
          },
          preset: {
            enum: PRESETS.map((preset) => preset.name),
            description: "A proven recipe by name (socket-proxy presets): its rules and " +
              "settings; settings given beside it win, rules given beside it are added",
          },
          match: { $ref: "#/$defs/match" },
          mode: { $ref: "#/$defs/mode" },
          rules: { type: "array", items: { $ref: "#/$defs/rule" } },
          ...settings,
        },
      },
    },
  };
}

/** The file's text. */
export function schemaText(): string {
  return JSON.stringify(policySchema(), null, 2) + "\n";
}

if (import.meta.main) {
  await Deno.writeTextFile(SCHEMA_FILE, schemaText());
  console.error(`generate_schema: wrote ${SCHEMA_FILE.pathname}`);
}
