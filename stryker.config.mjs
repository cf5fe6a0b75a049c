// Mutation testing with StrykerJS and its command runner (see DEVELOPERS.md,
// "Mutation testing"). Run through `deno task mutate [group...]`, which runs
// Stryker once per group: each group mutates a few modules and runs only the
// unit tests that reach them, so that a group takes minutes, not an hour.
//
// Stryker runs under Deno (StrykerJS 10 wants Node 22); every mutant is
// compiled into the instrumented source and chosen at run time through the
// __STRYKER_ACTIVE_MUTANT__ environment variable, which the tests may read.

import { execSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const deno = process.env.MUTATE_DENO ?? process.execPath;
const group = process.env.MUTATE_GROUP ?? "chunked";

/** Tests that read the repository's own files need --allow-read. */
const PERMISSIONS = "--allow-env=__STRYKER_ACTIVE_MUTANT__,LOG_TOKENS,LOG_STREAM --allow-read=.";

/**
 * Test files that may fail on main while a module they touch is being written
 * elsewhere: Stryker needs every test it runs to pass unmutated, so these are
 * run only when they do (with a warning when not). None at the moment; list a
 * file here while the work it depends on is in progress.
 */
const PASSING_ONLY = new Set([]);

/**
 * Group name -> the modules it mutates and the tests it runs. A group's tests
 * are the unit tests of its modules and of the modules built on them; the
 * in-process proxy tests are not used (seconds per mutant, and they hang
 * rather than fail on some mutants).
 */
export const GROUPS = {
  request_target: {
    mutate: ["lib/http/request_target.ts"],
    tests: [
      "tests/unit/http/request_target_test.ts",
      "tests/unit/http/request_target_mutation_test.ts",
    ],
  },
  http_head: {
    mutate: ["lib/http/http_head.ts"],
    tests: [
      "tests/unit/http/http_head_test.ts",
      "tests/unit/http/http_head_mutation_test.ts",
      "tests/unit/http/forward_head_mutation_test.ts",
    ],
  },
  chunked: {
    mutate: ["lib/http/chunked.ts"],
    tests: ["tests/unit/http/chunked_test.ts", "tests/unit/http/chunked_mutation_test.ts"],
  },
  forward_head: {
    mutate: ["lib/http/forward_head.ts"],
    tests: ["tests/unit/http/http_head_test.ts", "tests/unit/http/forward_head_mutation_test.ts"],
  },
  config: {
    mutate: ["lib/config/config.ts", "lib/config/cli_args.ts", "lib/config/listen_address.ts"],
    tests: [
      "tests/unit/config/config_test.ts",
      "tests/unit/config/config_mutation_test.ts",
      "tests/unit/policy/presets_test.ts", // PRESET
    ],
  },
  switches: {
    mutate: ["lib/policy/switches.ts", "lib/policy/flags.ts"],
    tests: ["tests/unit/policy/switches_test.ts", "tests/unit/policy/switches_mutation_test.ts"],
  },
  query: {
    mutate: ["lib/policy/query_params.ts", "lib/policy/query_constraint.ts"],
    tests: [
      "tests/unit/policy/query_params_test.ts",
      "tests/unit/policy/query_constraint_test.ts",
      "tests/unit/policy/query_mutation_test.ts",
    ],
  },
  match: {
    mutate: ["lib/policy/glob.ts", "lib/policy/cidr.ts", "lib/policy/labels.ts"],
    tests: ["tests/unit/policy/cidr_test.ts", "tests/unit/policy/match_mutation_test.ts"],
  },
  decide: {
    mutate: [
      "lib/policy/rule.ts",
      "lib/policy/decide.ts",
      "lib/policy/describe_rule.ts",
      "lib/proxy/route_cache.ts",
    ],
    tests: [
      "tests/unit/policy/decide_test.ts",
      "tests/unit/policy/policy_loader_test.ts",
      "tests/unit/policy/decide_mutation_test.ts",
      "tests/unit/policy/presets_test.ts", // a preset's rules in messages
      "tests/unit/policy/body_rules_test.ts",
    ],
  },
  // Rules on bodies: reading a body as the engine does, argv and image patterns.
  body_rules: {
    mutate: [
      "lib/policy/body_constraint.ts",
      "lib/policy/body_fields.ts",
      "lib/policy/body_kinds.ts",
      "lib/policy/argv_pattern.ts",
      "lib/policy/image_reference.ts",
    ],
    tests: [
      "tests/unit/policy/body_constraint_test.ts",
      "tests/unit/policy/body_rules_test.ts",
      "tests/unit/policy/body_rules_mutation_test.ts",
    ],
  },
  policy_file: {
    mutate: [
      "lib/policy/profile.ts",
      "lib/policy/profile_settings.ts",
      "lib/policy/policy_loader.ts",
      "lib/policy/policy_document.ts",
      "lib/policy/env_policy.ts",
      "lib/policy/presets.ts",
    ],
    tests: [
      "tests/unit/policy/policy_loader_test.ts",
      "tests/unit/policy/policy_loader_mutation_test.ts",
      "tests/unit/policy/presets_test.ts",
      "tests/unit/policy/body_rules_test.ts",
    ],
  },
  commands: {
    mutate: ["lib/policy/learn.ts", "lib/policy/explain.ts"],
    tests: [
      "tests/unit/policy/learn_mutation_test.ts",
      "tests/unit/policy/explain_mutation_test.ts",
      "tests/unit/policy/body_rules_test.ts",
      "tests/unit/policy/body_rules_mutation_test.ts",
    ],
  },
  routes: {
    mutate: ["lib/routes/route_matcher.ts", "lib/routes/route_template.ts", "lib/routes/route.ts"],
    tests: ["tests/unit/routes/route_matcher_test.ts", "tests/unit/routes/route_mutation_test.ts"],
  },
  pipeline: {
    // The parts of the I/O modules that decide: who is local, form bodies,
    // fields, and the pipeline's steps from the health answer to the form body.
    mutate: ["lib/proxy/request_facts.ts", "lib/proxy/proxy_connection.ts:281-303"],
    tests: ["tests/unit/proxy/proxy_connection_mutation_test.ts"],
  },
  // API_VERSION_FLOOR: the table of versioned changes and the stage that
  // rewrites targets, bodies and answers by it.
  version_floor: {
    mutate: ["lib/routes/api_versions.ts", "lib/proxy/version_floor_stage.ts"],
    tests: [
      "tests/unit/routes/api_versions_test.ts",
      "tests/unit/proxy/version_floor_stage_test.ts",
      "tests/unit/proxy/version_floor_mutation_test.ts",
    ],
  },
  // Admission, by stage: Go's JSON decoding, the container checks, libpod's
  // and kube's bodies, and the other operations. Every admission test goes
  // through admit(), so each group runs the tests that reach its modules.
  admission_json: {
    mutate: ["lib/admission/go_json.ts", "lib/admission/go_fold.ts", "lib/admission/go_fields.ts"],
    tests: [
      "tests/unit/admission/admission_go_json_test.ts",
      "tests/unit/admission/admission_container_test.ts",
      "tests/unit/admission/admission_json_mutation_test.ts",
      "tests/unit/admission/go_fold_test.ts",
    ],
  },
  admission_container: {
    mutate: [
      "lib/admission/admit.ts",
      "lib/admission/container_create.ts",
      "lib/admission/host_config.ts",
      "lib/admission/security_checks.ts",
      "lib/admission/docker_mounts.ts",
      "lib/admission/host_paths.ts",
      "lib/admission/volume_options.ts",
      "lib/admission/refusal.ts",
    ],
    tests: [
      "tests/unit/admission/admission_container_test.ts",
      "tests/unit/admission/admission_corpus_test.ts",
      "tests/unit/admission/admission_operations_test.ts",
      "tests/unit/admission/admission_container_mutation_test.ts",
      "tests/unit/admission/admission_podman_paths_test.ts",
    ],
  },
  admission_libpod: {
    mutate: [
      "lib/admission/libpod_spec.ts",
      "lib/admission/libpod_fields.ts",
      "lib/admission/libpod_misc.ts",
      "lib/admission/libpod_pod.ts",
      "lib/admission/kube_play.ts",
      "lib/admission/kube_fields.ts",
      "lib/admission/yaml_documents.ts",
    ],
    tests: [
      "tests/unit/admission/admission_libpod_test.ts",
      "tests/unit/admission/admission_libpod_mutation_test.ts",
      "tests/unit/admission/admission_volume_options_test.ts",
    ],
  },
  admission_operations: {
    mutate: [
      "lib/admission/admission_settings.ts",
      "lib/admission/build_query.ts",
      "lib/admission/service_spec.ts",
      "lib/admission/network_create.ts",
      "lib/admission/query_params.ts",
    ],
    tests: [
      "tests/unit/admission/admission_settings_test.ts",
      "tests/unit/admission/admission_operations_test.ts",
      "tests/unit/admission/admission_network_test.ts",
      "tests/unit/admission/admission_operations_mutation_test.ts",
      "tests/unit/admission/admission_build_secrets_test.ts",
    ],
  },
  engine_ops: {
    mutate: [
      "lib/proxy/engine_deadline.ts",
      "lib/engine/engine_state.ts",
      "lib/policy/engine_timeout_setting.ts",
      "lib/duration.ts",
      "lib/engine/upstream_pool.ts:41-45",
    ],
    tests: [
      "tests/unit/proxy/engine_deadline_test.ts",
      "tests/unit/engine/lookup_timeout_test.ts",
      "tests/unit/proxy/client_limits_stream_test.ts",
      "tests/unit/engine/engine_state_test.ts",
      "tests/unit/policy/engine_timeout_setting_test.ts",
    ],
  },
  scoping: {
    mutate: ["lib/scoping/**/*.ts", "lib/policy/scope.ts", "lib/proxy/scope_stage.ts:39-58"],
    tests: [
      "tests/unit/scoping/scoping_test.ts",
      "tests/unit/scoping/scope_plan_test.ts",
      "tests/unit/scoping/scoping_mutation_test.ts",
    ],
  },
  client_limits: {
    mutate: [
      "lib/limits/token_bucket.ts",
      "lib/limits/fair_queue.ts",
      "lib/limits/client_key.ts",
      "lib/limits/client_limiter.ts",
      "lib/policy/client_limit_settings.ts",
      "lib/policy/self_protection.ts",
      "lib/engine/container_hints.ts",
    ],
    tests: [
      "tests/unit/limits/token_bucket_test.ts",
      "tests/unit/limits/fair_queue_test.ts",
      "tests/unit/limits/client_key_test.ts",
      "tests/unit/limits/client_limiter_test.ts",
      "tests/unit/policy/client_limit_settings_test.ts",
      "tests/unit/policy/self_protection_test.ts",
      "tests/unit/engine/container_hints_test.ts",
      "tests/unit/limits/limits_mutation_test.ts",
      "tests/unit/policy/client_limits_mutation_test.ts",
    ],
  },
};

const selected = GROUPS[group];
if (selected === undefined) {
  throw new Error(`Unknown mutation group ${group} (groups: ${Object.keys(GROUPS).join(", ")})`);
}

/** The test files of `patterns` that exist (a `*` in a file name is a wildcard). */
function expand(patterns) {
  return patterns.flatMap((pattern) => {
    if (!pattern.includes("*")) return existsSync(pattern) ? [pattern] : [];
    const slash = pattern.lastIndexOf("/");
    const dir = pattern.slice(0, slash);
    const name = new RegExp(
      "^" + pattern.slice(slash + 1).split("*").map((part) =>
        part.replace(/[.]/g, "\\.")
      ).join(".*") +
        "$",
    );
    return existsSync(dir)
      ? readdirSync(dir).filter((file) => name.test(file)).sort().map((file) => `${dir}/${file}`)
      : [];
  });
}

// Test files not written yet (or of modules not landed yet) are left out.
const tests = expand(selected.tests).filter((path) => {
  if (!PASSING_ONLY.has(path)) return true;
  try {
    execSync(`"${deno}" test --no-check --quiet --no-prompt ${PERMISSIONS} ${path}`, {
      stdio: "ignore",
    });
    return true;
  } catch {
    console.warn(`mutate: ${path} fails unmutated, so it is left out of this run`);
    return false;
  }
});
// Without files, `deno test` would run every test under the sandbox.
if (tests.length === 0) throw new Error(`Mutation group ${group} has no tests yet`);

export default {
  $schema: "./node_modules/@stryker-mutator/core/schema/stryker-schema.json",
  packageManager: "npm",
  testRunner: "command",
  commandRunner: {
    command: `"${deno}" test --no-check --quiet --no-prompt ${PERMISSIONS} ${tests.join(" ")}`,
  },
  coverageAnalysis: "off",
  mutate: selected.mutate,
  // The 2-core machines are shared: one mutant at a time unless told otherwise.
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? "1"),
  // Generous: on a loaded machine a slow run must not pass for a hang.
  timeoutMS: 8000,
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  jsonReporter: { fileName: `reports/mutation/${group}.json` },
  htmlReporter: { fileName: `reports/mutation/${group}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true },
  tempDirName: ".stryker-tmp",
  // Not copied into Stryker's sandbox: Deno itself, build output, reports.
  ignorePatterns: [".deno", "dist", "bench/out", "reports", "mutation", "*.log"],
  cleanTempDir: "always",
  thresholds: { high: 95, low: 90, break: null },
};
