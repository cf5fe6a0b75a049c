import assert from "node:assert/strict";
import {
  ConfigError,
  parseBoolean,
  parseCommandLine,
  parseConfig,
  parseDuration,
} from "../../../lib/config/config.ts";
import { FLAG_NAMES } from "../../../lib/policy/flags.ts";

Deno.test("parseConfig() uses linuxserver's defaults", () => {
  const { config, warnings } = parseConfig({});
  const on = FLAG_NAMES.filter((name) => config.flags[name]);
  assert.deepEqual(on.sort(), ["EVENTS", "LIBPOD_PING", "LIBPOD_VERSION", "PING", "VERSION"]);
  assert.equal(config.socketPath, "/var/run/docker.sock");
  assert.deepEqual(config.listen, [{ transport: "tcp", hostname: "::", port: 2375 }]);
  assert.equal(config.listenGiven, false);
  assert.equal(config.logLevel, "info");
  assert.equal(config.logFormat, "text");
  assert.equal(config.timeZone, "UTC");
  assert.deepEqual(config.limits, {
    maxRequestLine: 8192,
    maxHeaderBytes: 65536,
    maxHeaderCount: 100,
    headerTimeoutMs: 10000,
    idleTimeoutMs: 60000,
    shutdownGraceMs: 10000,
    maxConnections: 1024,
    engineTimeoutMs: 600_000,
  });
  assert.deepEqual(warnings, []);
});

Deno.test("parseConfig() knows every switch linuxserver and Tecnativa document", () => {
  const documented = [
    "ALLOW_START",
    "ALLOW_STOP",
    "ALLOW_RESTARTS",
    "ALLOW_PAUSE",
    "ALLOW_UNPAUSE",
    "ALLOW_ARCHIVE",
    "ALLOW_CHANGES",
    "ALLOW_EXPORT",
    "ALLOW_LOGS",
    "ALLOW_TOP",
    "AUTH",
    "BUILD",
    "COMMIT",
    "CONFIGS",
    "CONTAINERS",
    "DISTRIBUTION",
    "EVENTS",
    "EXEC",
    "GRPC",
    "IMAGES",
    "INFO",
    "NETWORKS",
    "NODES",
    "PING",
    "PLUGINS",
    "POST",
    "SECRETS",
    "SERVICES",
    "SESSION",
    "SWARM",
    "SYSTEM",
    "TASKS",
    "VERSION",
    "VOLUMES",
    "LIBPOD_CONTAINERS",
    "LIBPOD_EVENTS",
    "LIBPOD_EXEC",
    "LIBPOD_GENERATE",
    "LIBPOD_IMAGES",
    "LIBPOD_INFO",
    "LIBPOD_MANIFESTS",
    "LIBPOD_NETWORKS",
    "LIBPOD_PLAY",
    "LIBPOD_PODS",
    "LIBPOD_SECRETS",
    "LIBPOD_SYSTEM",
    "LIBPOD_VOLUMES",
    "LIBPOD_PING",
    "LIBPOD_VERSION",
    "LIBPOD_ALLOW_START",
    "LIBPOD_ALLOW_STOP",
    "LIBPOD_ALLOW_RESTARTS",
    "LIBPOD_ALLOW_PAUSE",
    "LIBPOD_ALLOW_UNPAUSE",
    "LIBPOD_ALLOW_POD_START",
    "LIBPOD_ALLOW_POD_STOP",
    "LIBPOD_ALLOW_POD_RESTARTS",
    "LIBPOD_ALLOW_POD_PAUSE",
    "LIBPOD_ALLOW_POD_UNPAUSE",
  ];
  assert.deepEqual([...FLAG_NAMES].sort(), documented.sort());
  const env = Object.fromEntries(documented.map((name) => [name, "1"]));
  const { config } = parseConfig(env);
  for (const name of documented) assert.equal(config.flags[name], true, name);
});

Deno.test("parseBoolean() accepts 1/0, true/false, yes/no, on/off in any case", async (t) => {
  for (
    const [text, value] of [
      ["1", true],
      ["0", false],
      ["true", true],
      ["FALSE", false],
      ["Yes", true],
      ["no", false],
      ["ON", true],
      ["off", false],
      [" 1 ", true],
    ] as const
  ) {
    await t.step(JSON.stringify(text), () => assert.equal(parseBoolean("X", text), value));
  }
  for (const text of ["", "2", "y", "enable", "truee", "-1"]) {
    await t.step(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseBoolean("CONTAINERS", text), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^Invalid value for CONTAINERS: /);
        return true;
      });
    });
  }
});

Deno.test("parseConfig() stops on a bad switch value, naming the variable", () => {
  assert.throws(
    () => parseConfig({ CONTAINERS: "maybe" }),
    /Invalid value for CONTAINERS: "maybe"/,
  );
  assert.throws(() => parseConfig({ DISABLE_IPV6: "2" }), /Invalid value for DISABLE_IPV6/);
});

Deno.test("parseConfig() stops on an unknown ALLOW_* or LIBPOD_* name", async (t) => {
  for (
    const [name, hint] of [
      ["ALLOW_RESTART", "did you mean ALLOW_RESTARTS?"],
      ["ALLOW_STARTS", "did you mean ALLOW_START?"],
      ["LIBPOD_CONTAINER", "did you mean LIBPOD_CONTAINERS?"],
      ["ALLOW_EVERYTHING_PLEASE", ""],
    ]
  ) {
    await t.step(name, () => {
      assert.throws(() => parseConfig({ [name]: "1" }), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.message.startsWith(`Unknown setting ${name}`), error.message);
        if (hint) assert.ok(error.message.includes(hint), error.message);
        return true;
      });
    });
  }
  // Other unknown names are none of the proxy's business.
  assert.doesNotThrow(() => parseConfig({ PATH: "/bin", HOME: "/root", CONTAINERS_X: "1" }));
});

Deno.test("parseConfig() reads the listen addresses", () => {
  assert.deepEqual(parseConfig({ DISABLE_IPV6: "1" }).config.listen, [
    { transport: "tcp", hostname: "0.0.0.0", port: 2375 },
  ]);
  const { config } = parseConfig({ LISTEN: "127.0.0.1:2375, [::1]:0,unix:/run/proxy.sock" });
  assert.deepEqual(config.listen, [
    { transport: "tcp", hostname: "127.0.0.1", port: 2375 },
    { transport: "tcp", hostname: "::1", port: 0 },
    { transport: "unix", path: "/run/proxy.sock" },
  ]);
  assert.equal(config.listenGiven, true);
  for (const bad of ["127.0.0.1", "127.0.0.1:99999", "unix:relative", "[::1]", "a:b:c", ","]) {
    assert.throws(() => parseConfig({ LISTEN: bad }), /Invalid value for LISTEN/, bad);
  }
});

Deno.test("parseCommandLine() lets flags win over the environment", () => {
  const { command, config } = parseCommandLine(
    ["--listen", "127.0.0.1:9999", "--socket", "/tmp/engine.sock", "--log-level", "debug"],
    { LISTEN: "0.0.0.0:1", SOCKET_PATH: "/var/run/docker.sock", LOG_LEVEL: "err" },
  );
  assert.equal(command, "serve");
  assert.deepEqual(config.listen, [{ transport: "tcp", hostname: "127.0.0.1", port: 9999 }]);
  assert.equal(config.socketPath, "/tmp/engine.sock");
  assert.equal(config.logLevel, "debug");
});

Deno.test("parseCommandLine() recognises help, version and healthcheck", () => {
  assert.equal(parseCommandLine(["--help"], {}).command, "help");
  assert.equal(parseCommandLine(["-h"], {}).command, "help");
  assert.equal(parseCommandLine(["--version"], {}).command, "version");
  assert.equal(parseCommandLine(["healthcheck"], {}).command, "healthcheck");
  assert.throws(() => parseCommandLine(["--bogus"], {}), /Invalid command line/);
  assert.throws(() => parseCommandLine(["serve-me"], {}), /Unknown command: serve-me/);
  assert.throws(
    () => parseCommandLine(["--log-level", "loud"], {}),
    /Invalid value for --log-level/,
  );
});

Deno.test("parseConfig() reads log settings, limits and the time zone", () => {
  const { config, warnings } = parseConfig({
    LOG_LEVEL: "WARNING",
    LOG_FORMAT: "json",
    TZ: "Europe/Berlin",
    HEADER_TIMEOUT: "2.5s",
    IDLE_TIMEOUT: "500ms",
    SHUTDOWN_TIMEOUT: "1m",
    MAX_CONNECTIONS: "10",
    MAX_REQUEST_LINE: "1024",
    MAX_HEADER_SIZE: "4096",
    MAX_HEADERS: "20",
    ENGINE_TIMEOUT: "1m30s",
  });
  assert.equal(config.logLevel, "warning");
  assert.equal(config.logFormat, "json");
  assert.equal(config.timeZone, "Europe/Berlin");
  assert.deepEqual(config.limits, {
    maxRequestLine: 1024,
    maxHeaderBytes: 4096,
    maxHeaderCount: 20,
    headerTimeoutMs: 2500,
    idleTimeoutMs: 500,
    shutdownGraceMs: 60000,
    maxConnections: 10,
    engineTimeoutMs: 90_000,
  });
  assert.deepEqual(warnings, []);
  assert.equal(parseConfig({ LOG_LEVEL: "warn" }).config.logLevel, "warning");
  assert.equal(parseConfig({ TZ: ":Etc/UTC" }).config.timeZone, "Etc/UTC");
  const odd = parseConfig({ TZ: "Mars/Olympus" });
  assert.match(odd.warnings[0], /Unknown time zone TZ=Mars\/Olympus/);
  assert.throws(() => parseConfig({ MAX_CONNECTIONS: "0" }), /MAX_CONNECTIONS/);
  assert.throws(
    () => parseConfig({ HEADER_TIMEOUT: "soon" }),
    /Invalid duration for HEADER_TIMEOUT/,
  );
  assert.equal(parseDuration("X", "0"), 0);
});

Deno.test("parseConfig() accepts SOCKET_PATH with or without unix://", () => {
  assert.equal(
    parseConfig({ SOCKET_PATH: "unix:///run/podman/podman.sock" }).config.socketPath,
    "/run/podman/podman.sock",
  );
  assert.throws(() => parseConfig({ SOCKET_PATH: "docker.sock" }), /SOCKET_PATH/);
});

Deno.test("parseFlags() reads --name value, --name=value, booleans and aliases", async (t) => {
  const { parseFlags } = await import("../../../lib/config/cli_args.ts");
  const spec = { strings: ["listen", "socket"], booleans: ["help"], aliases: { h: "help" } };
  await t.step("values in both spellings", () => {
    assert.deepEqual(parseFlags(["--listen", "a:1", "--socket=/s", "healthcheck"], spec), {
      values: { listen: "a:1", socket: "/s" },
      positionals: ["healthcheck"],
    });
  });
  await t.step("booleans and aliases", () => {
    assert.deepEqual(parseFlags(["-h"], spec).values, { help: true });
    assert.deepEqual(parseFlags(["--", "--help"], spec).positionals, ["--help"]);
  });
  await t.step("mistakes", () => {
    assert.throws(() => parseFlags(["--listen"], spec), /needs a value/);
    assert.throws(() => parseFlags(["--help=1"], spec), /takes no value/);
    assert.throws(() => parseFlags(["--nope"], spec), /Unknown option --nope/);
    assert.throws(() => parseFlags(["-x"], spec), /Unknown option -x/);
  });
});

Deno.test("ENGINE_TIMEOUT is the proxy's: 0 turns it off, and the env profile keeps none of its own", () => {
  assert.equal(parseConfig({ ENGINE_TIMEOUT: "0" }).config.limits.engineTimeoutMs, 0);
  assert.equal(parseConfig({ ENGINE_TIMEOUT: "2s" }).config.limits.engineTimeoutMs, 2000);
  const { config } = parseConfig({ ENGINE_TIMEOUT: "2s" });
  assert.equal(config.policy.profiles[0].engineTimeoutMs, null);
  const withFile = parseConfig({ ENGINE_TIMEOUT: "2s", POLICY_FILE: "/etc/socket-proxy/p.yaml" });
  assert.deepEqual(withFile.warnings, []);
  assert.throws(
    () => parseConfig({ ENGINE_TIMEOUT: "soon" }),
    /Invalid duration for ENGINE_TIMEOUT: "soon" \(use seconds, or 500ms, 10s, 2m, 1h, 1m30s\)/,
  );
  assert.equal(
    parseCommandLine(["--engine-timeout", "5s"], { ENGINE_TIMEOUT: "1s" }).config.limits
      .engineTimeoutMs,
    5000,
  );
});

Deno.test("healthcheck --ready asks for readiness, and --ready goes with nothing else", () => {
  assert.equal(parseCommandLine(["healthcheck", "--ready"], {}).options.ready, true);
  assert.equal(parseCommandLine(["healthcheck"], {}).options.ready, undefined);
  assert.throws(
    () => parseCommandLine(["check", "--ready"], {}),
    /--ready goes with the healthcheck command: healthcheck --ready/,
  );
});

Deno.test("API_VERSION_FLOOR takes a Docker API version, and is off by default", async (t) => {
  await t.step("off by default", () => {
    assert.equal(parseConfig({}).config.versionFloor, null);
  });
  await t.step("1.44 and v1.44", () => {
    assert.deepEqual(parseConfig({ API_VERSION_FLOOR: "1.44" }).config.versionFloor, [1, 44]);
    assert.deepEqual(parseConfig({ API_VERSION_FLOOR: "v1.44" }).config.versionFloor, [1, 44]);
  });
  await t.step("a version the proxy does not know stops it at start, naming the valid ones", () => {
    assert.throws(
      () => parseConfig({ API_VERSION_FLOOR: "1.60" }),
      /Invalid value for API_VERSION_FLOOR: "1\.60" \(use an API version from 1\.25 to 1\.51/,
    );
    assert.throws(() => parseConfig({ API_VERSION_FLOOR: "latest" }), /API_VERSION_FLOOR/);
  });
  await t.step("a misspelt name is named in a warning", () => {
    const { warnings } = parseConfig({ API_VERSION_FLOR: "1.44" });
    assert.ok(warnings.some((w) => w.includes("API_VERSION_FLOOR")), warnings.join("\n"));
  });
});
