/**
 * The admission settings, image builds' queries, swarm services and secrets,
 * and network creation at their edges: every word a setting accepts, every
 * message a refusal gives (asserted whole), and each allowance that lets a
 * refused request through. Written against the mutants
 * `deno task mutate admission_operations` showed surviving.
 */
import assert from "node:assert/strict";
import {
  type AdmissionSettings,
  isCanonicalAbsolutePath,
  normalizeCapability,
  parseAdmissionSettings,
  parseBool,
  parseByteSize,
  parseList,
  SettingError,
  strictSettings,
} from "../../../lib/admission/admission_settings.ts";
import { checkBuildQuery } from "../../../lib/admission/build_query.ts";
import { parseGoJsonText } from "../../../lib/admission/go_json.ts";
import {
  checkLibpodNetworkCreate,
  checkNetworkCreate,
} from "../../../lib/admission/network_create.ts";
import {
  checkNotFormEncoded,
  checkQueryKeys,
  isHttpUrl,
  paramValues,
  type QueryParams,
  singleParam,
  truthyParam,
} from "../../../lib/admission/query_params.ts";
import { type AdmissionVerdict, Refusal } from "../../../lib/admission/refusal.ts";
import {
  checkSecretSpec,
  checkServiceSpec,
  serviceNetworkTargets,
} from "../../../lib/admission/service_spec.ts";

const ALLOWED: AdmissionVerdict = { allowed: true };

/** What a check answers: allowed, or the refusal's verdict. */
function verdictOf(check: () => void): AdmissionVerdict {
  try {
    check();
    return ALLOWED;
  } catch (error) {
    if (error instanceof Refusal) return error.toVerdict();
    throw error;
  }
}

/** A 403 verdict naming `needs`. */
function forbidden(field: string, reason: string, needs: string): AdmissionVerdict {
  return { allowed: false, status: 403, reason, field, needs };
}

/** A 400 verdict. */
function malformed(reason: string, field?: string): AdmissionVerdict {
  return field === undefined
    ? { allowed: false, status: 400, reason }
    : { allowed: false, status: 400, reason, field };
}

/** The verdict refusing an unknown field at `path`. */
function unknownField(path: string): AdmissionVerdict {
  return forbidden(
    path,
    `Unknown field ${path} is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through`,
    "HOST_ACCESS=1",
  );
}

/** The settings of `HOST_ACCESS=0` with `allow` on top. */
function settings(allow: Record<string, unknown> = {}): AdmissionSettings {
  return parseAdmissionSettings({ HOST_ACCESS: "0", ...allow }, { hostAccess: false });
}

/** The setting's error message, with the setting it names. */
function settingError(parse: () => unknown): { setting: string; message: string } {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof SettingError, String(error));
    assert.equal(error.name, "SettingError");
    return { setting: error.setting, message: error.message };
  }
  assert.fail("accepted");
}

function query(pairs: [string, string][]): QueryParams {
  const map = new Map<string, string[]>();
  for (const [key, value] of pairs) map.set(key, [...(map.get(key) ?? []), value]);
  return map;
}

// ---------------------------------------------------------------------------
// admission_settings

Deno.test("parseBool() refuses every value that is not a boolean word, a YAML boolean, 1 or 0", async (t) => {
  const cases: [unknown, string][] = [
    [2, "2"],
    [null, "null"],
    [{ a: 1 }, '{"a":1}'],
    [[], "[]"],
    ["", '""'],
    ["y", '"y"'],
    ["2", '"2"'],
  ];
  for (const [value, shown] of cases) {
    await t.step(shown, () => {
      assert.deepEqual(settingError(() => parseBool("X_SETTING", value)), {
        setting: "X_SETTING",
        message: `Invalid value for X_SETTING: ${shown} (use 1/0, true/false, yes/no or on/off)`,
      });
    });
  }
  assert.equal(parseBool("X", 1), true);
  assert.equal(parseBool("X", 0), false);
  assert.equal(parseBool("X", " TRUE "), true);
  assert.equal(parseBool("X", " Off "), false);
});

Deno.test("parseList() splits strings on commas, trims items and drops blanks", () => {
  assert.deepEqual(parseList("X", " a,, b ,", "w"), ["a", "b"]);
  assert.deepEqual(parseList("X", [" a", "", "  "], "w"), ["a"]);
  assert.deepEqual(parseList("X", "", "w"), []);
  const refused: [unknown, string][] = [
    [{ a: 1 }, '{"a":1}'],
    [3, "3"],
    [["a", 1], '["a",1]'],
  ];
  for (const [value, shown] of refused) {
    assert.deepEqual(settingError(() => parseList("X", value, "want a list")), {
      setting: "X",
      message: `Invalid value for X: ${shown} (want a list)`,
    });
  }
});

Deno.test("a list setting reads a lone ALL or false word, and refuses them among names", async (t) => {
  const caps = (value: unknown) => settings({ ALLOW_CAPABILITIES: value }).capabilities;
  for (const value of ["False", "OFF", "no", false, 0, "", " , "]) {
    await t.step(`${JSON.stringify(value)} is nothing`, () => {
      assert.deepEqual(caps(value), { all: false, names: [] });
    });
  }
  for (const value of ["All", " * ", "YES", "On"]) {
    await t.step(`${JSON.stringify(value)} is everything`, () => {
      assert.deepEqual(caps(value), { all: true, names: [] });
    });
  }
  const want = "want ALL, or capability names such as NET_ADMIN,SYS_TIME";
  const refused: [unknown, string][] = [
    ["ALL,NET_ADMIN", '"ALL"'],
    ["0,NET_RAW", '"0"'],
    ["1NET", '"1NET"'],
    ["NET1", '"NET1"'],
    ["cap_all", '"cap_all"'],
    [{ a: 1 }, '{"a":1}'],
    [2, "2"],
  ];
  for (const [value, shown] of refused) {
    await t.step(`${JSON.stringify(value)} is refused`, () => {
      assert.deepEqual(settingError(() => caps(value)), {
        setting: "ALLOW_CAPABILITIES",
        message: `Invalid value for ALLOW_CAPABILITIES: ${shown} (${want})`,
      });
    });
  }
  assert.deepEqual(caps(" cap_net_admin , Sys_Time"), {
    all: false,
    names: ["NET_ADMIN", "SYS_TIME"],
  });
});

Deno.test("ALLOW_BIND_MOUNTS reads :ro and :rw, trailing slashes and the root, and refuses the rest", async (t) => {
  const binds = (value: unknown) => settings({ ALLOW_BIND_MOUNTS: value }).bindMounts;
  const cases: [unknown, { path: string; readOnly: boolean }[]][] = [
    [false, []],
    [0, []],
    ["OFF", []],
    [" no ", []],
    ["/srv:rw", [{ path: "/srv", readOnly: false }]],
    ["/srv/:ro", [{ path: "/srv", readOnly: true }]],
    ["/:ro", [{ path: "/", readOnly: true }]],
    ["/", [{ path: "/", readOnly: false }]],
    [["/a", "/b:ro"], [{ path: "/a", readOnly: false }, { path: "/b", readOnly: true }]],
  ];
  for (const [value, expected] of cases) {
    await t.step(
      `${JSON.stringify(value)} is read`,
      () => assert.deepEqual(binds(value), expected),
    );
  }
  const want = "want absolute host paths, optionally with :ro";
  const refused: [unknown, string][] = [
    ["off,/x", '"off"'],
    ["/srv:rox", '"/srv:rox"'],
    ["/srv:ro:x", '"/srv:ro:x"'],
    ["/a:b", '"/a:b"'],
    ["/a:b:ro", '"/a:b:ro"'],
    ["x/srv:ro", '"x/srv:ro"'],
    ["/a\n/b:ro", '"/a\\n/b:ro"'],
    [true, "true"],
  ];
  for (const [value, shown] of refused) {
    await t.step(`${JSON.stringify(value)} is refused`, () => {
      assert.deepEqual(settingError(() => binds(value)), {
        setting: "ALLOW_BIND_MOUNTS",
        message: `Invalid value for ALLOW_BIND_MOUNTS: ${shown} (${want})`,
      });
    });
  }
});

Deno.test("ALLOW_DEVICES reads paths without their trailing slash, the root as is", async (t) => {
  const devices = (value: unknown) => settings({ ALLOW_DEVICES: value }).devices;
  assert.deepEqual(devices("/dev/dri/"), { all: false, paths: ["/dev/dri"] });
  assert.deepEqual(devices("/"), { all: false, paths: ["/"] });
  assert.deepEqual(devices("no"), { all: false, paths: [] });
  assert.deepEqual(devices(true), { all: true, paths: [] });
  const want = "want 1/ALL, or absolute host device paths such as /dev/dri";
  for (const value of ["/dev//x", "dev/x", "/dev/x//"]) {
    await t.step(`${JSON.stringify(value)} is refused`, () => {
      assert.deepEqual(settingError(() => devices(value)), {
        setting: "ALLOW_DEVICES",
        message: `Invalid value for ALLOW_DEVICES: ${JSON.stringify(value)} (${want})`,
      });
    });
  }
});

Deno.test("ALLOW_SYSCTLS takes lower-case names with any-case segments, and prefixes ending in .*", async (t) => {
  const sysctls = (value: unknown) => settings({ ALLOW_SYSCTLS: value }).sysctls;
  assert.deepEqual(sysctls("kernel.X,fs.*,net/ipv4/*,vm.a-b_c"), {
    all: false,
    names: ["kernel.X", "fs.*", "net.ipv4.*", "vm.a-b_c"],
  });
  const want = "want ALL, or sysctl names such as kernel.msgmax or prefixes such as fs.mqueue.*";
  const refused = [
    "Kernel.x",
    "fs.mqueue*",
    "kernel..x",
    "a b",
    "x.y*z",
    ".x",
    "x.",
    "x.*.*",
    "*.x",
  ];
  for (const value of refused) {
    await t.step(`${JSON.stringify(value)} is refused`, () => {
      assert.deepEqual(settingError(() => sysctls(value)), {
        setting: "ALLOW_SYSCTLS",
        message: `Invalid value for ALLOW_SYSCTLS: ${JSON.stringify(value)} (${want})`,
      });
    });
  }
});

Deno.test("ALLOW_RUNTIMES, ALLOW_LOG_DRIVERS and ALLOW_VOLUME_DRIVERS take plain names", async (t) => {
  const name = "a/b@c_d.e-f:1";
  assert.deepEqual(settings({ ALLOW_RUNTIMES: name }).runtimes, { all: false, names: [name] });
  assert.deepEqual(settings({ ALLOW_LOG_DRIVERS: "9x" }).logDrivers, { all: false, names: ["9x"] });
  assert.deepEqual(settings({ ALLOW_VOLUME_DRIVERS: "all" }).volumeDrivers, {
    all: true,
    names: [],
  });
  const runtimes = "want ALL, or runtime names such as nvidia,runsc";
  const logs = "want ALL, or log driver names such as syslog,gelf";
  const cases: [string, string, string][] = [
    ["ALLOW_RUNTIMES", "-x", runtimes],
    ["ALLOW_RUNTIMES", "a b", runtimes],
    ["ALLOW_RUNTIMES", "x!", runtimes],
    ["ALLOW_LOG_DRIVERS", "x!", logs],
    ["ALLOW_LOG_DRIVERS", "_x", logs],
    ["ALLOW_VOLUME_DRIVERS", "x!", "want ALL, or volume driver names such as rclone"],
  ];
  for (const [setting, value, want] of cases) {
    await t.step(`${setting}=${value} is refused`, () => {
      assert.deepEqual(settingError(() => settings({ [setting]: value })), {
        setting,
        message: `Invalid value for ${setting}: ${JSON.stringify(value)} (${want})`,
      });
    });
  }
});

Deno.test("parseByteSize() reads units in any case with blanks around, from 1k to 1g", async (t) => {
  const cases: [unknown, number][] = [
    [" 2 m ", 2 * 1024 ** 2],
    ["2M", 2 * 1024 ** 2],
    ["1gb", 1024 ** 3],
    ["1GiB", 1024 ** 3],
    ["1024b", 1024],
    ["1024", 1024],
    [1024, 1024],
    [1024 ** 3, 1024 ** 3],
    ["4kib", 4096],
    ["4KB", 4096],
    ["1mb", 1024 ** 2],
  ];
  for (const [value, bytes] of cases) {
    await t.step(JSON.stringify(value), () => assert.equal(parseByteSize("M", value), bytes));
  }
  const range = "want a size from 1k to 1g";
  const size = "want bytes, or a size such as 512k, 2m, 1MiB";
  const refused: [unknown, string, string][] = [
    [1023, "1023", range],
    ["1023b", '"1023b"', range],
    [1024 ** 3 + 1, "1073741825", range],
    ["2g", '"2g"', range],
    [1536.5, "1536.5", range],
    [true, "true", size],
    [["2k"], '["2k"]', size],
    [[2048], "[2048]", size],
    ["1t", '"1t"', size],
    ["x2k", '"x2k"', size],
    ["2kx", '"2kx"', size],
    ["k", '"k"', size],
  ];
  for (const [value, shown, want] of refused) {
    await t.step(`${shown} is refused`, () => {
      assert.deepEqual(settingError(() => parseByteSize("M", value)), {
        setting: "M",
        message: `Invalid value for M: ${shown} (${want})`,
      });
    });
  }
  assert.equal(settings({ MAX_BODY_SIZE: "2k" }).maxBodyBytes, 2048);
  assert.deepEqual(settingError(() => settings({ MAX_BODY_SIZE: "1k2" })), {
    setting: "MAX_BODY_SIZE",
    message: `Invalid value for MAX_BODY_SIZE: "1k2" (${size})`,
  });
});

Deno.test("isCanonicalAbsolutePath() accepts only absolute paths without empty, . or .. segments", async (t) => {
  const cases: [string, boolean][] = [
    ["/", true],
    ["/a", true],
    ["/a b/.c/..d", true],
    ["/a~", true],
    ["", false],
    ["a", false],
    ["a/b", false],
    ["/a/", false],
    ["//a", false],
    ["/a//b", false],
    ["/a/./b", false],
    ["/a/../b", false],
    ["/.", false],
    ["/..", false],
    ["/a\\b", false],
    ["/a\x00", false],
    ["/a\x1f", false],
    ["/a\x7f", false],
  ];
  for (const [path, expected] of cases) {
    await t.step(JSON.stringify(path), () => assert.equal(isCanonicalAbsolutePath(path), expected));
  }
});

Deno.test("normalizeCapability() trims, upper-cases and drops a leading CAP_ only", () => {
  assert.equal(normalizeCapability(" cap_net_admin "), "NET_ADMIN");
  assert.equal(normalizeCapability("CAP_"), "");
  assert.equal(normalizeCapability("net_raw"), "NET_RAW");
  assert.equal(normalizeCapability("xCAP_A"), "XCAP_A");
});

Deno.test("parseAdmissionSettings() reads only the settings' own properties", () => {
  const inherited = Object.create({ ALLOW_PRIVILEGED: "1", HOST_ACCESS: "1", MAX_BODY_SIZE: "2k" });
  const read = parseAdmissionSettings(inherited, { hostAccess: false });
  assert.equal(read.privileged, false);
  assert.equal(read.hostAccess, false);
  assert.equal(read.maxBodyBytes, 1024 * 1024);
});

Deno.test("parseAdmissionSettings() takes every allowance from its own setting", async (t) => {
  const flags = {
    privileged: "ALLOW_PRIVILEGED",
    hostNetwork: "ALLOW_HOST_NETWORK",
    hostNamespaces: "ALLOW_HOST_NAMESPACES",
    joinContainers: "ALLOW_JOIN_CONTAINERS",
    unconfined: "ALLOW_UNCONFINED",
    cgroupParent: "ALLOW_CGROUP_PARENT",
    oomScoreAdj: "ALLOW_OOM_SCORE_ADJ",
    plugins: "ALLOW_PLUGINS",
    remote: "ALLOW_REMOTE",
    buildkit: "ALLOW_BUILDKIT",
  } as const;
  for (const [flag, setting] of Object.entries(flags) as [keyof typeof flags, string][]) {
    await t.step(setting, () => {
      const allowed = parseAdmissionSettings({ HOST_ACCESS: "0", [setting]: "1" }, {
        hostAccess: true,
      });
      assert.equal(allowed.hostAccess, false);
      assert.equal(allowed[flag], true);
      assert.deepEqual(settingError(() => settings({ [setting]: "maybe" })), {
        setting,
        message: `Invalid value for ${setting}: "maybe" (use 1/0, true/false, yes/no or on/off)`,
      });
    });
  }
});

Deno.test("strictSettings() refuses everything unless an override allows it", () => {
  assert.deepEqual(strictSettings(), parseAdmissionSettings({}, { hostAccess: false }));
  const overridden = strictSettings({ HOST_ACCESS: "1", ALLOW_PLUGINS: "yes" });
  assert.equal(overridden.hostAccess, true);
  assert.equal(overridden.plugins, true);
  assert.equal(strictSettings({ ALLOW_REMOTE: "1" }).hostAccess, false);
  // An override left undefined is a setting not set: HOST_ACCESS keeps its strict default.
  assert.equal(strictSettings({ HOST_ACCESS: undefined }).hostAccess, false);
});

// ---------------------------------------------------------------------------
// query_params

Deno.test("checkQueryKeys() refuses keys that are not printable ASCII", async (t) => {
  assert.doesNotThrow(() => checkQueryKeys(query([[" a~", "x"], ["", "y"]])));
  const cases: [string, string][] = [
    ["a\x1f", 'Query parameter "a\\u001f" is not printable ASCII'],
    ["a\x7f", 'Query parameter "a\x7f" is not printable ASCII'],
    ["\u00e9", 'Query parameter "\u00e9" is not printable ASCII'],
  ];
  for (const [key, reason] of cases) {
    await t.step(reason, () => {
      assert.deepEqual(
        verdictOf(() => checkQueryKeys(query([["ok", "1"], [key, "x"]]))),
        malformed(reason, key),
      );
    });
  }
});

Deno.test("paramValues() and singleParam() match keys case-insensitively", () => {
  const q = query([["Fromsrc", "a"], ["Fromsrc", "b"], ["x", "c"], ["FROMSRC", "d"]]);
  assert.deepEqual(paramValues(q, "fromSrc"), {
    keys: ["Fromsrc", "FROMSRC"],
    values: ["a", "b", "d"],
  });
  assert.deepEqual(paramValues(q, "y"), { keys: [], values: [] });
  assert.equal(singleParam(query([["X", "v"]]), "x"), "v");
  assert.equal(singleParam(query([]), "x"), "");
  assert.equal(singleParam(new Map([["x", []]]), "x"), "");
  assert.deepEqual(
    verdictOf(() => singleParam(query([["fromSrc", "a"], ["fromSrc", "b"]]), "fromSrc")),
    malformed('Query parameter "fromSrc" is sent 2 times: ambiguous', "fromSrc"),
  );
  assert.deepEqual(
    verdictOf(() => singleParam(query([["fromSrc", "a"], ["FROMSRC", "c"]]), "fromsrc")),
    malformed(
      'Query parameter "fromsrc" is sent 2 times (as "fromSrc", "FROMSRC"): ambiguous',
      "fromsrc",
    ),
  );
});

Deno.test("truthyParam() reads the engines' false words as false and anything else as true", async (t) => {
  const cases: [string, boolean][] = [
    ["", false],
    [" ", false],
    ["0", false],
    ["false", false],
    ["FALSE", false],
    ["f", false],
    ["no", false],
    ["off", false],
    ["none", false],
    [" Off ", false],
    ["1", true],
    ["true", true],
    ["t", true],
    ["yes", true],
    ["00", true],
  ];
  for (const [value, expected] of cases) {
    await t.step(JSON.stringify(value), () => assert.equal(truthyParam(value), expected));
  }
});

Deno.test("checkNotFormEncoded() refuses form bodies and non-ASCII media types", async (t) => {
  const cases: [string, string][] = [
    [
      "application/x-www-form-urlencoded",
      "A body of type application/x-www-form-urlencoded would be read as query parameters by the engine; send the parameters in the query",
    ],
    [
      " Multipart/Form-Data ; boundary=x",
      "A body of type multipart/form-data would be read as query parameters by the engine; send the parameters in the query",
    ],
    ["text/\u00e9", 'Content-Type "text/\u00e9" is not ASCII'],
  ];
  for (const [contentType, reason] of cases) {
    await t.step(JSON.stringify(contentType), () => {
      assert.deepEqual(verdictOf(() => checkNotFormEncoded(contentType)), malformed(reason));
    });
  }
  for (const contentType of ["", "application/json; charset=utf-8", "a\x7f", "multipart/mixed"]) {
    await t.step(`${JSON.stringify(contentType)} is accepted`, () => {
      assert.deepEqual(verdictOf(() => checkNotFormEncoded(contentType)), ALLOWED);
    });
  }
});

Deno.test("isHttpUrl() takes http and https URLs in any case, blanks around", async (t) => {
  const cases: [string, boolean][] = [
    ["http://x", true],
    ["HTTPS://x", true],
    [" http://x ", true],
    ["ftp://x", false],
    ["xhttp://x", false],
    ["http:/x", false],
    ["https//x", false],
    ["httpss://x", false],
  ];
  for (const [value, expected] of cases) {
    await t.step(JSON.stringify(value), () => assert.equal(isHttpUrl(value), expected));
  }
});

// ---------------------------------------------------------------------------
// build_query

const build = (pairs: [string, string][], allow: Record<string, unknown> = {}) =>
  verdictOf(() => checkBuildQuery(settings(allow), query(pairs)));

const HARMLESS = [
  "t",
  "q",
  "nocache",
  "cachefrom",
  "cacheto",
  "cachettl",
  "pull",
  "pullpolicy",
  "rm",
  "forcerm",
  "memory",
  "memswap",
  "cpushares",
  "cpusetcpus",
  "cpusetmems",
  "cpuperiod",
  "cpuquota",
  "buildargs",
  "shmsize",
  "squash",
  "labels",
  "platform",
  "target",
  "version",
  "session",
  "buildid",
  "ulimits",
  "extrahosts",
  "allplatforms",
  "annotations",
  "compatvolumes",
  "compression",
  "createdannotation",
  "dnsoptions",
  "dnssearch",
  "dnsservers",
  "dropcaps",
  "excludes",
  "from",
  "groupadd",
  "httpproxy",
  "identitylabel",
  "ignore",
  "inheritlabels",
  "inheritannotations",
  "jobs",
  "layerlabel",
  "layers",
  "manifest",
  "nohosts",
  "omithistory",
  "osfeature",
  "osversion",
  "outputformat",
  "registry",
  "retry",
  "retry-delay",
  "rewritetimestamp",
  "rusage",
  "save-stages",
  "setenv",
  "skipunusedstages",
  "sourcedateepoch",
  "stage-labels",
  "timestamp",
  "tlsverify",
  "unsetenv",
  "unsetlabel",
  "unsetannotation",
];

Deno.test("a build takes every harmless parameter, in any case", async (t) => {
  for (const name of HARMLESS) {
    await t.step(name, () => {
      assert.deepEqual(build([[name, "x"]]), ALLOWED);
      assert.deepEqual(build([[name.toUpperCase(), "x"]]), ALLOWED);
    });
  }
});

Deno.test("a build refuses the parameters that name host files or programs", async (t) => {
  const hostOnly = [
    "cppflags",
    "rusagelogfile",
    "sourcepolicy",
    "transientrunmounts",
    "idmappingoptions",
    "sbom-output",
    "sbom-purl-output",
    "sbom-image-output",
    "sbom-image-purl-output",
    "sbom-scanner-image",
    "sbom-scanner-command",
    "sbom-merge-strategy",
  ];
  for (const name of [...hostOnly, "CPPFLAGS"]) {
    await t.step(name, () => {
      assert.deepEqual(
        build([[name, "x"]]),
        forbidden(
          name,
          `Build parameter "${name}" (host files or programs) needs HOST_ACCESS=1`,
          "HOST_ACCESS=1",
        ),
      );
    });
  }
  assert.deepEqual(
    build([["t", "x"], ["cache-mounts", "/"]]),
    forbidden(
      "cache-mounts",
      'Build parameter "cache-mounts" is not one this proxy knows (it may reach the host); it needs HOST_ACCESS=1',
      "HOST_ACCESS=1",
    ),
  );
});

Deno.test("a build takes the checked parameters with values that stay off the host", async (t) => {
  const cases: [string, string][] = [
    ["dockerfile", "Dockerfile"],
    ["dockerfile", '"Containerfile"'],
    ["dockerfile", '["a/Containerfile","..x/Dockerfile"]'],
    ["dockerfile", " "],
    ["networkmode", "none"],
    ["networkmode", ""],
    ["cgroupparent", ""],
    ["remote", ""],
    ["remote", "client-session"],
    ["outputs", '[{"Type":"moby"},{"type":"image"},{"Type":"docker"},{"type":"oci"}]'],
    ["outputs", '[{"Type":"local"},{"Type":"tar"},{"Type":"cacheonly"}]'],
    ["outputs", ""],
    ["isolation", "default"],
    ["isolation", "OCI"],
    ["isolation", "rootless"],
    ["isolation", "process"],
    ["isolation", "hyperv"],
    ["isolation", ""],
    ["securityopt", "[]"],
    ["apparmor", " "],
    ["seccomp", " [] "],
    ["labelopts", ""],
    ["addcaps", "CHOWN, ,CAP_NET_RAW,"],
    ["addcaps", '["CAP_CHOWN"]'],
    ["devices", ""],
    ["devices", " "],
    ["nsoptions", ""],
    ["nsoptions", " "],
    ["nsoptions", "null"],
    ["nsoptions", "[1]"],
    ["nsoptions", "[null]"],
    ["nsoptions", '[{"Name":"pid","Host":false},{"Name":"net","Path":""}]'],
    ["nsoptions", '[{"Name":"pid","Host":"true"}]'],
    ["secrets", '["id=a,src=rel"]'],
    ["secrets", "xsrc=/a"],
    ["additionalbuildcontexts", ""],
    ["additionalbuildcontexts", "{}"],
    ["additionalbuildcontexts", "null"],
  ];
  for (const [name, value] of cases) {
    await t.step(`${name}=${value}`, () => assert.deepEqual(build([[name, value]]), ALLOWED));
  }
});

Deno.test("a build's dockerfile stays inside the context, or is a URL when ALLOW_REMOTE allows it", async (t) => {
  const outside = (file: string) =>
    forbidden(
      "dockerfile",
      `Build dockerfile ${
        JSON.stringify(file)
      } (a file outside the build context) needs HOST_ACCESS=1`,
      "HOST_ACCESS=1",
    );
  const notList = (value: string) =>
    malformed(
      `Query parameter dockerfile: ${JSON.stringify(value)} is not a JSON list of strings`,
      "dockerfile",
    );
  const cases: [string, AdmissionVerdict][] = [
    ["/etc/Dockerfile", outside("/etc/Dockerfile")],
    ["a\\b", outside("a\\b")],
    ["a/../../b", outside("a/../../b")],
    ['["Containerfile","/etc/passwd"]', outside("/etc/passwd")],
    ['"/etc/passwd"', outside("/etc/passwd")],
    [
      "HTTPS://e.com/D",
      forbidden(
        "dockerfile",
        'Build dockerfile "HTTPS://e.com/D" (the engine fetches it) needs ALLOW_REMOTE=1',
        "ALLOW_REMOTE=1",
      ),
    ],
    ["[1]", notList("[1]")],
    ['["Dockerfile",1]', notList('["Dockerfile",1]')],
    [" [x", notList(" [x")],
  ];
  for (const [file, expected] of cases) {
    await t.step(file, () => assert.deepEqual(build([["dockerfile", file]]), expected));
  }
  assert.deepEqual(build([["dockerfile", "http://e.com/D"]], { ALLOW_REMOTE: "1" }), ALLOWED);
  assert.deepEqual(build([["dockerfile", "/D"]], { ALLOW_REMOTE: "1" }), outside("/D"));
});

Deno.test("a build's remote context, cgroup parent and isolation need their settings", () => {
  assert.deepEqual(
    build([["remote", "https://x/y.git"]]),
    forbidden(
      "remote",
      'Build remote="https://x/y.git" (the engine fetches the context, or podman reads a host directory) needs ALLOW_REMOTE=1',
      "ALLOW_REMOTE=1",
    ),
  );
  assert.deepEqual(build([["remote", "/srv/ctx"]], { ALLOW_REMOTE: "1" }), ALLOWED);
  assert.deepEqual(
    build([["networkmode", "host"]]),
    forbidden(
      "query networkmode",
      'query networkmode "host" needs ALLOW_HOST_NETWORK=1',
      "ALLOW_HOST_NETWORK=1",
    ),
  );
  assert.deepEqual(
    build([["cgroupparent", "/x"]]),
    forbidden(
      "cgroupparent",
      'Build cgroupparent="/x" needs ALLOW_CGROUP_PARENT=1',
      "ALLOW_CGROUP_PARENT=1",
    ),
  );
  assert.deepEqual(build([["cgroupparent", "/x"]], { ALLOW_CGROUP_PARENT: "1" }), ALLOWED);
  assert.deepEqual(
    build([["isolation", "CHROOT"]]),
    forbidden(
      "isolation",
      "Build isolation=chroot (RUN shares the host's namespaces) needs ALLOW_HOST_NAMESPACES=1",
      "ALLOW_HOST_NAMESPACES=1",
    ),
  );
  assert.deepEqual(build([["isolation", "chroot"]], { ALLOW_HOST_NAMESPACES: "1" }), ALLOWED);
  assert.deepEqual(
    build([["isolation", "VM"]], { ALLOW_HOST_NAMESPACES: "1" }),
    forbidden(
      "isolation",
      'Build isolation="vm" is not one this proxy knows; it needs HOST_ACCESS=1',
      "HOST_ACCESS=1",
    ),
  );
});

Deno.test("a build's security options need ALLOW_UNCONFINED, each named with its values", async (t) => {
  const unconfined = (name: string, values: string) =>
    forbidden(name, `Build ${name}=${values} needs ALLOW_UNCONFINED=1`, "ALLOW_UNCONFINED=1");
  const cases: [[string, string][], AdmissionVerdict][] = [
    [[["securityopt", "a"], ["securityopt", "b"]], unconfined("securityopt", '"a,b"')],
    [[["apparmor", "x"]], unconfined("apparmor", '"x"')],
    [[["seccomp", "/x.json"]], unconfined("seccomp", '"/x.json"')],
    [[["labelopts", '["disable"]']], unconfined("labelopts", '"[\\"disable\\"]"')],
    [[["seccomp", "[]"], ["seccomp", "x"]], unconfined("seccomp", '"[],x"')],
  ];
  for (const [pairs, expected] of cases) {
    await t.step(JSON.stringify(pairs), () => {
      assert.deepEqual(build(pairs), expected);
      assert.deepEqual(build(pairs, { ALLOW_UNCONFINED: "1" }), ALLOWED);
    });
  }
});

Deno.test("a build's outputs name exporters the proxy knows", async (t) => {
  const unknown = (outputs: string) =>
    forbidden(
      "outputs",
      `Build outputs ${
        JSON.stringify(outputs)
      } names an exporter this proxy does not know; it needs HOST_ACCESS=1`,
      "HOST_ACCESS=1",
    );
  const cases: [string, AdmissionVerdict][] = [
    ["x", malformed('Query parameter outputs: "x" is not JSON', "outputs")],
    ["{}", unknown("{}")],
    ['{"Type":"moby"}', unknown('{"Type":"moby"}')],
    ["[null]", unknown("[null]")],
    ["[{}]", unknown("[{}]")],
    ['[{"Type":"tar"},{"Type":"x"}]', unknown('[{"Type":"tar"},{"Type":"x"}]')],
  ];
  for (const [outputs, expected] of cases) {
    await t.step(outputs, () => assert.deepEqual(build([["outputs", outputs]]), expected));
  }
});

Deno.test("a build's capabilities, devices and volumes are checked as a container's", () => {
  const capability = (index: number, name: string) =>
    forbidden(
      `query addcaps[${index}]`,
      `query addcaps[${index}] "${name}" needs ALLOW_CAPABILITIES to include ${name}`,
      "ALLOW_CAPABILITIES",
    );
  assert.deepEqual(build([["addcaps", '["CAP_CHOWN","NET_ADMIN"]']]), capability(1, "NET_ADMIN"));
  assert.deepEqual(build([["addcaps", "CHOWN, ,NET_RAW,SYS_TIME"]]), capability(2, "SYS_TIME"));
  assert.deepEqual(
    build([["addcaps", "CHOWN"], ["ADDCAPS", "SYS_TIME"]]),
    capability(1, "SYS_TIME"),
  );
  assert.deepEqual(
    build([["addcaps", "[1]"]]),
    malformed('Query parameter addcaps: "[1]" is not a JSON list of strings', "addcaps"),
  );
  const device = (value: string, path: string) =>
    forbidden(
      "query devices",
      `Build device ${JSON.stringify(value)} needs ALLOW_DEVICES to cover ${path}`,
      "ALLOW_DEVICES",
    );
  assert.deepEqual(
    build([["devices", "/dev/fuse:/dev/fuse:rwm"]]),
    device("/dev/fuse:/dev/fuse:rwm", "/dev/fuse"),
  );
  assert.deepEqual(
    build([["devices", '["/dev/null","/dev/kvm"]']], { ALLOW_DEVICES: "/dev/null" }),
    device("/dev/kvm", "/dev/kvm"),
  );
  assert.deepEqual(build([["devices", "/dev/fuse"]], { ALLOW_DEVICES: "/dev/fuse" }), ALLOWED);
  assert.deepEqual(
    build([["devices", '["/dev/fuse",2]']], { ALLOW_DEVICES: "all" }),
    malformed(
      'Query parameter devices: "[\\"/dev/fuse\\",2]" is not a JSON list of strings',
      "devices",
    ),
  );
  assert.deepEqual(
    build([["volume", "/srv:/x"], ["volume", "/etc:/x"]], { ALLOW_BIND_MOUNTS: "/srv" }),
    forbidden(
      "query volume",
      'query volume "/etc:/x" needs ALLOW_BIND_MOUNTS to cover /etc',
      "ALLOW_BIND_MOUNTS",
    ),
  );
  assert.deepEqual(build([["volume", "/srv:/x"]], { ALLOW_BIND_MOUNTS: "/srv" }), ALLOWED);
});

Deno.test("a build's namespace options: host namespaces need their setting, paths HOST_ACCESS", async (t) => {
  const refused = (item: string, how: string, needs: string) =>
    forbidden("nsoptions", `Build nsoptions ${JSON.stringify(item)}${how} needs ${needs}`, needs);
  const cases: [string, Record<string, unknown>, AdmissionVerdict][] = [
    ["x", {}, malformed('Query parameter nsoptions: "x" is not JSON', "nsoptions")],
    ["{}", {}, malformed("Query parameter nsoptions: want a JSON list", "nsoptions")],
    [
      '[{"name":"net","host":true}]',
      { ALLOW_HOST_NAMESPACES: "1" },
      refused('{"name":"net","host":true}', "", "ALLOW_HOST_NETWORK=1"),
    ],
    [
      '[{"Name":"Network","Host":true}]',
      {},
      refused('{"Name":"Network","Host":true}', "", "ALLOW_HOST_NETWORK=1"),
    ],
    ['[{"Name":"net","Host":true}]', { ALLOW_HOST_NETWORK: "1" }, ALLOWED],
    [
      '[{"Name":"uts","Host":true}]',
      { ALLOW_HOST_NETWORK: "1" },
      refused('{"Name":"uts","Host":true}', "", "ALLOW_HOST_NAMESPACES=1"),
    ],
    ['[{"Name":"pid","Host":true}]', { ALLOW_HOST_NAMESPACES: "1" }, ALLOWED],
    [
      '[{"Name":"pid","PATH":"/p"}]',
      { ALLOW_HOST_NAMESPACES: "1", ALLOW_HOST_NETWORK: "1" },
      refused('{"Name":"pid","PATH":"/p"}', " (a namespace by path)", "HOST_ACCESS=1"),
    ],
  ];
  for (const [value, allow, expected] of cases) {
    await t.step(value, () => assert.deepEqual(build([["nsoptions", value]], allow), expected));
  }
});

Deno.test("a build's secrets must not name host files, nor its extra contexts host directories", async (t) => {
  const secrets = [
    "src=/x",
    "id=a,source= /x",
    '["id=a", "src=/x"]',
    "id=a src=/x",
    "id=a\tsrc=/x",
    "src=a/../b",
  ];
  for (const value of secrets) {
    await t.step(value, () => {
      assert.deepEqual(
        build([["secrets", value]]),
        forbidden(
          "secrets",
          `Build secrets ${JSON.stringify(value)} (a host file) needs HOST_ACCESS=1`,
          "HOST_ACCESS=1",
        ),
      );
    });
  }
  assert.deepEqual(
    build([["additionalbuildcontexts", '{"x":{"Value":"/etc"}}']]),
    forbidden(
      "additionalbuildcontexts",
      'Build additionalbuildcontexts="{\\"x\\":{\\"Value\\":\\"/etc\\"}}" (host directories or URLs) needs HOST_ACCESS=1',
      "HOST_ACCESS=1",
    ),
  );
});

Deno.test("a build refuses non-ASCII keys and a checked parameter sent twice", () => {
  assert.deepEqual(
    build([["t", "x"], ["networkmod\u0435", "host"]]),
    malformed('Query parameter "networkmod\u0435" is not printable ASCII', "networkmod\u0435"),
  );
  assert.deepEqual(
    build([["dockerfile", "a"], ["Dockerfile", "b"]]),
    malformed(
      'Query parameter "dockerfile" is sent 2 times (as "dockerfile", "Dockerfile"): ambiguous',
      "dockerfile",
    ),
  );
  assert.deepEqual(build([["t", "a"], ["T", "b"]]), ALLOWED);
});

// ---------------------------------------------------------------------------
// service_spec

const service = (body: unknown, allow: Record<string, unknown> = {}) =>
  verdictOf(() => checkServiceSpec(settings(allow), parseGoJsonText(JSON.stringify(body))));
const task = (template: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Name: "s",
  TaskTemplate: template,
  ...extra,
});
const container = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  task({ ContainerSpec: { Image: "x", ...spec }, ...extra });

Deno.test("a service on the host network needs ALLOW_HOST_NETWORK, named case-insensitively", async (t) => {
  const cases: [unknown, AdmissionVerdict][] = [
    [
      { Networks: [{ Target: "HOST" }] },
      forbidden(
        "Networks[0]",
        'Networks[0].Target "HOST" needs ALLOW_HOST_NETWORK=1',
        "ALLOW_HOST_NETWORK=1",
      ),
    ],
    [
      task({ Networks: [{ Target: "x" }, { Target: "host" }] }),
      forbidden(
        "TaskTemplate.Networks[1]",
        'TaskTemplate.Networks[1].Target "host" needs ALLOW_HOST_NETWORK=1',
        "ALLOW_HOST_NETWORK=1",
      ),
    ],
    [{ Networks: [{ Target: "x", Aliases: ["a"], DriverOpts: { a: "b" } }] }, ALLOWED],
    [
      { Networks: [{ Target: "x", DriverOpts: 1 }] },
      malformed("Networks[0].DriverOpts: want an object, got a number", "Networks[0].DriverOpts"),
    ],
  ];
  for (const [body, expected] of cases) {
    await t.step(JSON.stringify(body), () => assert.deepEqual(service(body), expected));
  }
  assert.deepEqual(
    service(task({ Networks: [{ Target: "host" }] }), { ALLOW_HOST_NETWORK: "1" }),
    ALLOWED,
  );
});

Deno.test("a service's net sysctls are refused on the host network, wherever it is attached", async (t) => {
  const sysctl = { Sysctls: { "net.core.somaxconn": "1" } };
  const host = [{ Target: "host" }];
  const field = 'TaskTemplate.ContainerSpec.Sysctls["net.core.somaxconn"]';
  const refused = forbidden(
    field,
    `${field} (not namespaced, or in a namespace shared with the host) needs ALLOW_SYSCTLS to include net.core.somaxconn`,
    "ALLOW_SYSCTLS",
  );
  const allow = { ALLOW_HOST_NETWORK: "1" };
  await t.step("at the spec's root", () => {
    assert.deepEqual(service({ ...container(sysctl), Networks: host }, allow), refused);
  });
  await t.step("in the task", () => {
    assert.deepEqual(service(container(sysctl, { Networks: host }), allow), refused);
  });
  await t.step("in both", () => {
    assert.deepEqual(
      service({ ...container(sysctl, { Networks: host }), Networks: host }, allow),
      refused,
    );
  });
  await t.step("on another network", () => {
    assert.deepEqual(
      service({ ...container(sysctl), Networks: [{ Target: "web" }] }, allow),
      ALLOWED,
    );
  });
  await t.step("ipc and uts sysctls stay namespaced", () => {
    assert.deepEqual(
      service(container({ Sysctls: { "kernel.shmmax": "1", "kernel.domainname": "x" } })),
      ALLOWED,
    );
  });
});

Deno.test("a plugin task needs ALLOW_PLUGINS, an unknown runtime HOST_ACCESS", async (t) => {
  const plugin = forbidden(
    "TaskTemplate.PluginSpec",
    "TaskTemplate.PluginSpec (a plugin task runs as root on every node) needs ALLOW_PLUGINS=1",
    "ALLOW_PLUGINS=1",
  );
  const cases: [unknown, Record<string, unknown>, AdmissionVerdict][] = [
    [task({ PluginSpec: {} }), {}, plugin],
    [task({ Runtime: "plugin" }), {}, plugin],
    [task({ PluginSpec: null }), {}, ALLOWED],
    [task({ Runtime: "container" }), {}, ALLOWED],
    [task({ Runtime: "attachment" }), {}, ALLOWED],
    [task({ Runtime: "plugin", PluginSpec: { Name: "p" } }), { ALLOW_PLUGINS: "1" }, ALLOWED],
    [
      task({ Runtime: "vm" }),
      { ALLOW_PLUGINS: "1" },
      forbidden(
        "TaskTemplate.Runtime",
        'TaskTemplate.Runtime "vm" is a task runtime this proxy does not know; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ],
    [{ Name: "s", TaskTemplate: null }, {}, ALLOWED],
    [task({ ContainerSpec: null }), {}, ALLOWED],
  ];
  for (const [body, allow, expected] of cases) {
    await t.step(JSON.stringify(body), () => assert.deepEqual(service(body, allow), expected));
  }
});

Deno.test("a service's log driver and container spec are checked with their messages", async (t) => {
  const at = "TaskTemplate.ContainerSpec";
  const cases: [unknown, AdmissionVerdict][] = [
    [
      task({ LogDriver: { Name: "syslog" } }),
      forbidden(
        "TaskTemplate.LogDriver",
        'TaskTemplate.LogDriver log driver "syslog" needs ALLOW_LOG_DRIVERS to include syslog',
        "ALLOW_LOG_DRIVERS",
      ),
    ],
    [
      task({ LogDriver: { Name: "json-file", Options: { a: 1 } } }),
      malformed(
        'TaskTemplate.LogDriver.Options["a"]: want a string, got a number',
        'TaskTemplate.LogDriver.Options["a"]',
      ),
    ],
    [
      container({ Mounts: [{ Type: "bind", Source: "/etc", Target: "/e" }] }),
      forbidden(
        `${at}.Mounts[0]`,
        `${at}.Mounts[0] (type "bind", source "/etc") needs ALLOW_BIND_MOUNTS to cover /etc`,
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      container({ CapabilityAdd: ["CHOWN", "SYS_ADMIN"] }),
      forbidden(
        `${at}.CapabilityAdd[1]`,
        `${at}.CapabilityAdd[1] "SYS_ADMIN" needs ALLOW_CAPABILITIES to include SYS_ADMIN`,
        "ALLOW_CAPABILITIES",
      ),
    ],
    [
      container({ Sysctls: { "kernel.sem": "1", "vm.swappiness": "1" } }),
      forbidden(
        `${at}.Sysctls["vm.swappiness"]`,
        `${at}.Sysctls["vm.swappiness"] (not namespaced, or in a namespace shared with the host) needs ALLOW_SYSCTLS to include vm.swappiness`,
        "ALLOW_SYSCTLS",
      ),
    ],
    [
      container({ OomScoreAdj: -1 }),
      forbidden(
        `${at}.OomScoreAdj`,
        `${at}.OomScoreAdj -1 needs ALLOW_OOM_SCORE_ADJ=1`,
        "ALLOW_OOM_SCORE_ADJ=1",
      ),
    ],
    [container({ OomScoreAdj: 0 }), ALLOWED],
    [
      container({ Labels: { a: 1 } }),
      malformed(`${at}.Labels["a"]: want a string, got a number`, `${at}.Labels["a"]`),
    ],
    [
      container({ Secrets: {} }),
      malformed(`${at}.Secrets: want an array, got an object`, `${at}.Secrets`),
    ],
    [container({ Labels: { a: "b" }, Secrets: [{ SecretName: "s" }] }), ALLOWED],
  ];
  for (const [body, expected] of cases) {
    await t.step(JSON.stringify(body), () => assert.deepEqual(service(body), expected));
  }
  assert.deepEqual(service(container({ OomScoreAdj: -1 }), { ALLOW_OOM_SCORE_ADJ: "1" }), ALLOWED);
});

Deno.test("a service's loosened security options need ALLOW_UNCONFINED, each named", async (t) => {
  const at = "TaskTemplate.ContainerSpec.Privileges";
  const unconfined = (field: string, reason = field) =>
    forbidden(field, `${reason} needs ALLOW_UNCONFINED=1`, "ALLOW_UNCONFINED=1");
  const cases: [Record<string, unknown>, AdmissionVerdict][] = [
    [{ CredentialSpec: {} }, ALLOWED],
    [{ CredentialSpec: { Config: "x" } }, unconfined(`${at}.CredentialSpec`)],
    [{ SELinuxContext: { Disable: true } }, unconfined(`${at}.SELinuxContext`)],
    [{ SELinuxContext: { User: "u" } }, unconfined(`${at}.SELinuxContext`)],
    [{ SELinuxContext: { Role: "r" } }, unconfined(`${at}.SELinuxContext`)],
    [{ SELinuxContext: { Type: "t" } }, unconfined(`${at}.SELinuxContext`)],
    [{ SELinuxContext: { Level: "l" } }, unconfined(`${at}.SELinuxContext`)],
    [{ SELinuxContext: { Disable: false, User: "", Role: "", Type: "", Level: "" } }, ALLOWED],
    [
      { Seccomp: { Mode: "unconfined" } },
      unconfined(`${at}.Seccomp.Mode`, `${at}.Seccomp.Mode "unconfined"`),
    ],
    [{ Seccomp: { Mode: "" } }, ALLOWED],
    [{ Seccomp: { Mode: "default", Profile: "" } }, ALLOWED],
    [
      { AppArmor: { Mode: "disabled" } },
      unconfined(`${at}.AppArmor.Mode`, `${at}.AppArmor.Mode "disabled"`),
    ],
    [{ AppArmor: { Mode: "" } }, ALLOWED],
    [{ AppArmor: { Mode: "default" }, NoNewPrivileges: true }, ALLOWED],
    [{ Foo: 1 }, unknownField(`${at}.Foo`)],
  ];
  for (const [privileges, expected] of cases) {
    await t.step(JSON.stringify(privileges), () => {
      assert.deepEqual(service(container({ Privileges: privileges })), expected);
    });
  }
  const loosened = {
    AppArmor: { Mode: "disabled" },
    Seccomp: { Mode: "unconfined" },
    SELinuxContext: { Disable: true },
    CredentialSpec: { File: "x" },
  };
  assert.deepEqual(
    service(container({ Privileges: loosened }), { ALLOW_UNCONFINED: "1" }),
    ALLOWED,
  );
});

Deno.test("a service spec refuses fields it does not know at each level", async (t) => {
  const privileges = "TaskTemplate.ContainerSpec.Privileges";
  const cases: [unknown, AdmissionVerdict][] = [
    [{ Foo: 1 }, unknownField("Foo")],
    [task({ Foo: 1 }), unknownField("TaskTemplate.Foo")],
    [{ Networks: [{ Target: "x", Foo: 1 }] }, unknownField("Networks[0].Foo")],
    [
      task({ LogDriver: { Name: "json-file", Foo: 1 } }),
      unknownField("TaskTemplate.LogDriver.Foo"),
    ],
    [
      container({ Privileges: { SELinuxContext: { Foo: 1 } } }),
      unknownField(`${privileges}.SELinuxContext.Foo`),
    ],
    [container({ Privileges: { Seccomp: { Foo: 1 } } }), unknownField(`${privileges}.Seccomp.Foo`)],
    [
      container({ Privileges: { AppArmor: { Profile: "x" } } }),
      unknownField(`${privileges}.AppArmor.Profile`),
    ],
  ];
  for (const [body, expected] of cases) {
    await t.step(JSON.stringify(body), () => assert.deepEqual(service(body), expected));
  }
  const known = {
    Name: "s",
    Labels: { a: "b" },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: {},
    RollbackConfig: {},
    EndpointSpec: {},
    TaskTemplate: {
      ContainerSpec: {
        Image: "x",
        Labels: {},
        Command: ["a"],
        Args: ["b"],
        Hostname: "h",
        Env: ["A=1"],
        Dir: "/",
        User: "u",
        Groups: ["g"],
        Init: true,
        StopSignal: "TERM",
        TTY: true,
        OpenStdin: true,
        ReadOnly: true,
        StopGracePeriod: 1,
        Healthcheck: {},
        Hosts: ["h"],
        DNSConfig: {},
        Configs: [],
        Isolation: "default",
        CapabilityDrop: ["ALL"],
        Ulimits: [],
      },
      NetworkAttachmentSpec: {},
      Resources: {},
      RestartPolicy: {},
      Placement: {},
      ForceUpdate: 1,
    },
  };
  await t.step("every known field", () => assert.deepEqual(service(known), ALLOWED));
});

Deno.test("a secret's or config's driver is a plugin, except Go templating", async (t) => {
  const secret = (body: unknown, allow: Record<string, unknown> = {}) =>
    verdictOf(() => checkSecretSpec(settings(allow), parseGoJsonText(JSON.stringify(body))));
  const plugin = (field: string, name: string) =>
    forbidden(field, `${field} "${name}" (a plugin) needs ALLOW_PLUGINS=1`, "ALLOW_PLUGINS=1");
  const cases: [unknown, AdmissionVerdict][] = [
    [{ Name: "s", Driver: { Name: "vault" } }, plugin("Driver", "vault")],
    [{ Name: "s", Driver: { Name: "golang" } }, plugin("Driver", "golang")],
    [{ Name: "c", Templating: { Name: "x" } }, plugin("Templating", "x")],
    [{ Name: "c", Templating: { Name: "golang" } }, ALLOWED],
    [{ Name: "c", Driver: { Name: "" }, Templating: {}, Labels: {}, Data: "eA==" }, ALLOWED],
    [{ Name: "s", Driver: { Name: "d", Foo: 1 } }, unknownField("Driver.Foo")],
  ];
  for (const [body, expected] of cases) {
    await t.step(JSON.stringify(body), () => assert.deepEqual(secret(body), expected));
  }
  assert.deepEqual(
    secret({ Driver: { Name: "vault", Options: { a: "b" } }, Templating: { Name: "t" } }, {
      ALLOW_PLUGINS: "1",
    }),
    ALLOWED,
  );
});

Deno.test("serviceNetworkTargets() lists the named targets of the spec and its task, in order", () => {
  const targets = (body: unknown) => serviceNetworkTargets(parseGoJsonText(JSON.stringify(body)));
  assert.deepEqual(
    targets({
      Networks: [{ Target: "a" }, { Target: "" }, { Target: "c" }],
      TaskTemplate: { Networks: [{ Target: "" }, { Target: "b" }] },
    }),
    [
      { where: "Networks[0].Target", target: "a" },
      { where: "Networks[2].Target", target: "c" },
      { where: "TaskTemplate.Networks[1].Target", target: "b" },
    ],
  );
  assert.deepEqual(targets({}), []);
  assert.deepEqual(targets({ TaskTemplate: {} }), []);
  assert.deepEqual(targets({ TaskTemplate: null, Networks: [{ Target: "x" }] }), [
    { where: "Networks[0].Target", target: "x" },
  ]);
});

Deno.test("serviceNetworkTargets() names the field of a body it cannot read", async (t) => {
  const cases: [unknown, AdmissionVerdict][] = [
    [{ Foo: 1 }, unknownField("Foo")],
    [{ Networks: [{ Target: "a" }, { Target: "b", Foo: 1 }] }, unknownField("Networks[1].Foo")],
    [{ TaskTemplate: { Networks: [{ Foo: 1 }] } }, unknownField("TaskTemplate.Networks[0].Foo")],
    [
      { Networks: [{ Target: 1 }] },
      malformed("Networks[0].Target: want a string, got a number", "Networks[0].Target"),
    ],
  ];
  for (const [body, expected] of cases) {
    await t.step(JSON.stringify(body), () => {
      assert.deepEqual(
        verdictOf(() => serviceNetworkTargets(parseGoJsonText(JSON.stringify(body)))),
        expected,
      );
    });
  }
});

// ---------------------------------------------------------------------------
// network_create

Deno.test("NetworkCreate: host drivers, plugin drivers, another's configuration and host bridges", async (t) => {
  const network = (body: unknown, allow: Record<string, unknown> = {}) =>
    verdictOf(() => checkNetworkCreate(settings(allow), parseGoJsonText(JSON.stringify(body))));
  const hostNetwork = { ALLOW_HOST_NETWORK: "1" };
  const plugins = { ALLOW_PLUGINS: "1" };
  const needsHostNetwork = (field: string, reason: string) =>
    forbidden(field, `${reason} needs ALLOW_HOST_NETWORK=1`, "ALLOW_HOST_NETWORK=1");
  const needsPlugins = (field: string, reason: string) =>
    forbidden(field, `${reason} needs ALLOW_PLUGINS=1`, "ALLOW_PLUGINS=1");
  const bridge = 'Options["com.docker.network.bridge.name"]';
  const cases: [unknown, Record<string, unknown>, AdmissionVerdict][] = [
    [{ Driver: "MacVlan" }, plugins, needsHostNetwork("Driver", 'Driver "macvlan"')],
    [{ Driver: "host" }, plugins, needsHostNetwork("Driver", 'Driver "host"')],
    [{ Driver: "ipvlan" }, hostNetwork, ALLOWED],
    [
      { Driver: "weave" },
      hostNetwork,
      needsPlugins("Driver", 'Driver "weave" (a network plugin)'),
    ],
    [{ Driver: "weave" }, plugins, ALLOWED],
    [{ Driver: "null" }, {}, ALLOWED],
    [{ Driver: "none" }, {}, ALLOWED],
    [{ Driver: "Bridge" }, {}, ALLOWED],
    [{ Driver: "overlay" }, {}, ALLOWED],
    [{ Driver: "" }, {}, ALLOWED],
    [
      { IPAM: { Driver: "macvlan" } },
      hostNetwork,
      needsPlugins("IPAM.Driver", 'IPAM.Driver "macvlan" (an IPAM plugin)'),
    ],
    [
      { IPAM: { Driver: "bridge" } },
      {},
      needsPlugins("IPAM.Driver", 'IPAM.Driver "bridge" (an IPAM plugin)'),
    ],
    [{ IPAM: { Driver: "Default", Config: [], Options: {} } }, {}, ALLOWED],
    [{ IPAM: { Driver: "null" } }, {}, ALLOWED],
    [{ IPAM: { Driver: "" } }, {}, ALLOWED],
    [{ IPAM: { Driver: "X" } }, plugins, ALLOWED],
    [{ ConfigFrom: { Network: "" } }, {}, ALLOWED],
    [
      { ConfigFrom: { Network: "lan" } },
      plugins,
      needsHostNetwork(
        "ConfigFrom.Network",
        `ConfigFrom.Network "lan" (its configuration may be a host network's)`,
      ),
    ],
    [{ ConfigFrom: { Network: "lan" } }, hostNetwork, ALLOWED],
    [
      { Options: { a: "b", "com.docker.network.bridge.name": "br0" } },
      plugins,
      needsHostNetwork(bridge, `${bridge} "br0" (an existing host bridge would be joined)`),
    ],
    [{ Options: { "com.docker.network.bridge.name": "br0" } }, hostNetwork, ALLOWED],
    [{ Options: { "com.docker.network.bridge.enable_icc": "true" } }, {}, ALLOWED],
    [
      { Labels: { a: 1 } },
      {},
      malformed('Labels["a"]: want a string, got a number', 'Labels["a"]'),
    ],
    [{ IPAM: { Foo: 1 } }, {}, unknownField("IPAM.Foo")],
    [{ ConfigFrom: { Foo: 1 } }, {}, unknownField("ConfigFrom.Foo")],
    [
      {
        Name: "n",
        CheckDuplicate: true,
        Scope: "local",
        EnableIPv4: true,
        EnableIPv6: false,
        Internal: false,
        Attachable: true,
        Ingress: false,
        ConfigOnly: false,
      },
      {},
      ALLOWED,
    ],
  ];
  for (const [body, allow, expected] of cases) {
    await t.step(JSON.stringify(body), () => assert.deepEqual(network(body, allow), expected));
  }
});

Deno.test("LibpodNetworkCreate: host drivers, plugin drivers and host interfaces", async (t) => {
  const network = (body: unknown, allow: Record<string, unknown> = {}) =>
    verdictOf(() =>
      checkLibpodNetworkCreate(settings(allow), parseGoJsonText(JSON.stringify(body)))
    );
  const cases: [unknown, Record<string, unknown>, AdmissionVerdict][] = [
    [
      { driver: "ipvlan" },
      {},
      forbidden("driver", 'driver "ipvlan" needs ALLOW_HOST_NETWORK=1', "ALLOW_HOST_NETWORK=1"),
    ],
    [
      { driver: "x" },
      {},
      forbidden("driver", 'driver "x" (a network plugin) needs ALLOW_PLUGINS=1', "ALLOW_PLUGINS=1"),
    ],
    [
      { network_interface: "br0" },
      {},
      forbidden(
        "network_interface",
        'network_interface "br0" (a host interface or bridge) needs ALLOW_HOST_NETWORK=1',
        "ALLOW_HOST_NETWORK=1",
      ),
    ],
    [{ network_interface: "br0", driver: "macvlan" }, { ALLOW_HOST_NETWORK: "1" }, ALLOWED],
    [{ network_interface: "" }, {}, ALLOWED],
    [
      { labels: { a: 1 } },
      {},
      malformed('labels["a"]: want a string, got a number', 'labels["a"]'),
    ],
    [{ foo: 1 }, {}, unknownField("foo")],
    [
      {
        name: "n",
        id: "i",
        driver: "bridge",
        created: "2024-01-01T00:00:00Z",
        subnets: [],
        routes: [],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: true,
        network_dns_servers: [],
        options: {},
        ipam_options: {},
        labels: { a: "b" },
      },
      {},
      ALLOWED,
    ],
  ];
  for (const [body, allow, expected] of cases) {
    await t.step(JSON.stringify(body), () => assert.deepEqual(network(body, allow), expected));
  }
});
