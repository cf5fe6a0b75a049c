import assert from "node:assert/strict";
import {
  ADMISSION_SETTING_NAMES,
  parseAdmissionSettings,
  parseByteSize,
  SettingError,
} from "../../../lib/admission/admission_settings.ts";

Deno.test("parseAdmissionSettings() defaults to the caller's HOST_ACCESS and allows nothing else", () => {
  const env = parseAdmissionSettings({}, { hostAccess: true });
  assert.equal(env.hostAccess, true);
  const profile = parseAdmissionSettings({}, { hostAccess: false });
  assert.equal(profile.hostAccess, false);
  assert.equal(profile.maxBodyBytes, 1024 * 1024);
  assert.equal(profile.privileged, false);
  assert.deepEqual(profile.bindMounts, []);
  assert.deepEqual(profile.devices, { all: false, paths: [] });
  assert.deepEqual(profile.capabilities, { all: false, names: [] });
  for (
    const flag of [
      "hostNetwork",
      "hostNamespaces",
      "joinContainers",
      "unconfined",
      "cgroupParent",
      "oomScoreAdj",
      "plugins",
      "remote",
      "buildkit",
    ] as const
  ) {
    assert.equal(profile[flag], false, flag);
  }
});

Deno.test("parseAdmissionSettings() reads booleans from strings, YAML booleans and numbers", async (t) => {
  const cases: [unknown, boolean][] = [
    ["1", true],
    ["true", true],
    [" Yes ", true],
    ["ON", true],
    ["0", false],
    ["false", false],
    ["no", false],
    ["off", false],
    [true, true],
    [false, false],
    [1, true],
    [0, false],
  ];
  for (const [value, expected] of cases) {
    await t.step(JSON.stringify(value), () => {
      const settings = parseAdmissionSettings({ ALLOW_PRIVILEGED: value, HOST_ACCESS: value }, {
        hostAccess: !expected,
      });
      assert.equal(settings.privileged, expected);
      assert.equal(settings.hostAccess, expected);
    });
  }
});

Deno.test("parseAdmissionSettings() reads lists from comma-separated strings and arrays", () => {
  const settings = parseAdmissionSettings({
    ALLOW_BIND_MOUNTS: "/srv/media, /data:ro,/var/log/:ro",
    ALLOW_CAPABILITIES: ["net_admin", "CAP_SYS_TIME"],
    ALLOW_DEVICES: "/dev/dri,/dev/ttyUSB0",
    ALLOW_SYSCTLS: "kernel.msgmax,fs.mqueue.*,net/core/somaxconn",
    ALLOW_RUNTIMES: "nvidia",
    ALLOW_LOG_DRIVERS: ["gelf", "syslog"],
    ALLOW_VOLUME_DRIVERS: "rclone:latest",
  }, { hostAccess: false });
  assert.deepEqual(settings.bindMounts, [
    { path: "/srv/media", readOnly: false },
    { path: "/data", readOnly: true },
    { path: "/var/log", readOnly: true },
  ]);
  assert.deepEqual(settings.capabilities, { all: false, names: ["NET_ADMIN", "SYS_TIME"] });
  assert.deepEqual(settings.devices, { all: false, paths: ["/dev/dri", "/dev/ttyUSB0"] });
  assert.deepEqual(settings.sysctls.names, ["kernel.msgmax", "fs.mqueue.*", "net.core.somaxconn"]);
  assert.deepEqual(settings.runtimes.names, ["nvidia"]);
  assert.deepEqual(settings.logDrivers.names, ["gelf", "syslog"]);
  assert.deepEqual(settings.volumeDrivers.names, ["rclone:latest"]);
});

Deno.test("parseAdmissionSettings() reads ALL, 1 and true as everything in a list setting", async (t) => {
  for (const value of ["ALL", "all", "1", "true", true, 1, "*"]) {
    await t.step(JSON.stringify(value), () => {
      const settings = parseAdmissionSettings({
        ALLOW_CAPABILITIES: value,
        ALLOW_DEVICES: value,
        ALLOW_SYSCTLS: value,
      }, { hostAccess: false });
      assert.equal(settings.capabilities.all, true);
      assert.equal(settings.devices.all, true);
      assert.equal(settings.sysctls.all, true);
    });
  }
  const none = parseAdmissionSettings({ ALLOW_CAPABILITIES: "0", ALLOW_BIND_MOUNTS: "" }, {
    hostAccess: false,
  });
  assert.deepEqual(none.capabilities, { all: false, names: [] });
  assert.deepEqual(none.bindMounts, []);
});

Deno.test("parseByteSize() reads bytes and binary units", async (t) => {
  const cases: [unknown, number][] = [
    ["1048576", 1048576],
    ["512k", 512 * 1024],
    ["512KiB", 512 * 1024],
    ["2m", 2 * 1024 * 1024],
    ["1MiB", 1024 * 1024],
    ["1MB", 1024 * 1024],
    ["1g", 1024 ** 3],
    [65536, 65536],
  ];
  for (const [value, expected] of cases) {
    await t.step(
      JSON.stringify(value),
      () => assert.equal(parseByteSize("MAX_BODY_SIZE", value), expected),
    );
  }
});

Deno.test("parseAdmissionSettings() names the setting and the value it refuses", async (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { ALLOW_BIND_MOUNTS: "srv" },
      'Invalid value for ALLOW_BIND_MOUNTS: "srv" (want absolute host paths, optionally with :ro)',
    ],
    [
      { ALLOW_BIND_MOUNTS: "/srv/../etc" },
      'Invalid value for ALLOW_BIND_MOUNTS: "/srv/../etc" (want absolute host paths, optionally with :ro)',
    ],
    [
      { ALLOW_BIND_MOUNTS: "/srv//media" },
      'Invalid value for ALLOW_BIND_MOUNTS: "/srv//media" (want absolute host paths, optionally with :ro)',
    ],
    [
      { ALLOW_BIND_MOUNTS: "/srv:rx" },
      'Invalid value for ALLOW_BIND_MOUNTS: "/srv:rx" (want absolute host paths, optionally with :ro)',
    ],
    [
      { ALLOW_BIND_MOUNTS: 1 },
      "Invalid value for ALLOW_BIND_MOUNTS: 1 (want absolute host paths, optionally with :ro)",
    ],
    [
      { ALLOW_PRIVILEGED: "maybe" },
      'Invalid value for ALLOW_PRIVILEGED: "maybe" (use 1/0, true/false, yes/no or on/off)',
    ],
    [
      { HOST_ACCESS: 2 },
      "Invalid value for HOST_ACCESS: 2 (use 1/0, true/false, yes/no or on/off)",
    ],
    [
      { ALLOW_CAPABILITIES: "NET ADMIN" },
      'Invalid value for ALLOW_CAPABILITIES: "NET ADMIN" (want ALL, or capability names such as NET_ADMIN,SYS_TIME)',
    ],
    [
      { ALLOW_DEVICES: "dri" },
      'Invalid value for ALLOW_DEVICES: "dri" (want 1/ALL, or absolute host device paths such as /dev/dri)',
    ],
    [
      { ALLOW_SYSCTLS: "kernel.*.x" },
      'Invalid value for ALLOW_SYSCTLS: "kernel.*.x" (want ALL, or sysctl names such as kernel.msgmax or prefixes such as fs.mqueue.*)',
    ],
    [
      { ALLOW_RUNTIMES: ["nvidia", 3] },
      'Invalid value for ALLOW_RUNTIMES: ["nvidia",3] (want ALL, or runtime names such as nvidia,runsc)',
    ],
    [
      { MAX_BODY_SIZE: "1.5m" },
      'Invalid value for MAX_BODY_SIZE: "1.5m" (want bytes, or a size such as 512k, 2m, 1MiB)',
    ],
    [{ MAX_BODY_SIZE: "12" }, 'Invalid value for MAX_BODY_SIZE: "12" (want a size from 1k to 1g)'],
  ];
  for (const [values, message] of cases) {
    await t.step(message, () => {
      assert.throws(() => parseAdmissionSettings(values, { hostAccess: false }), (error) => {
        assert.ok(error instanceof SettingError);
        assert.equal(error.message, message);
        assert.equal(error.setting, Object.keys(values)[0]);
        return true;
      });
    });
  }
});

Deno.test("ADMISSION_SETTING_NAMES lists every name parseAdmissionSettings() reads", () => {
  const read = new Set<string>();
  const spy = new Proxy({}, {
    has: () => false,
    getOwnPropertyDescriptor: (_target, name) => {
      read.add(String(name));
      return undefined;
    },
  });
  parseAdmissionSettings(spy, { hostAccess: false });
  assert.deepEqual([...read].sort(), [...ADMISSION_SETTING_NAMES].sort());
});
