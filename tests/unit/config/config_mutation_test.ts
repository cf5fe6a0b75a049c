/**
 * Configuration at its edges: units, bounds, labels in messages, aliases, the
 * command line and listen addresses. Written against the mutants
 * `deno task mutate config` showed surviving; messages are asserted whole
 * because users read them.
 */
import assert from "node:assert/strict";
import { parseFlags } from "../../../lib/config/cli_args.ts";
import {
  ConfigError,
  parseBoolean,
  parseCommandLine,
  parseConfig,
  parseDuration,
} from "../../../lib/config/config.ts";
import {
  defaultListenAddress,
  formatListenAddress,
  formatListenSpec,
  healthcheckAddress,
  type ListenAddress,
  parseListenAddress,
  parseListenList,
} from "../../../lib/config/listen_address.ts";

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.name, "ConfigError");
    return error.message;
  }
  assert.fail("no ConfigError");
}

Deno.test("parseDuration() reads seconds unless told otherwise", async (t) => {
  const cases: [string, number][] = [
    ["10", 10000],
    ["0", 0],
    ["1.5", 1500],
    [" 10 ", 10000],
    ["10s", 10000],
    ["10 s", 10000],
    ["10  s", 10000],
    ["10 s ", 10000],
    [" 2 m", 120000],
    ["2.5s", 2500],
    ["500ms", 500],
    ["1.5ms", 2],
    ["0.0004", 0],
    ["2m", 120000],
    ["0.5m", 30000],
    ["10h", 36_000_000],
    ["1m30s", 90000],
    ["1h0.5m", 3_630_000],
  ];
  for (const [text, ms] of cases) {
    await t.step(JSON.stringify(text), () => assert.equal(parseDuration("X", text), ms));
  }
  for (
    const text of [
      "",
      "s",
      "10d",
      "1m 30s",
      "1m30 s",
      "x10 s",
      "m5",
      "-1",
      "1e3",
      ".5",
      "5.",
      "10sec",
      "10 m s",
      "1,5",
    ]
  ) {
    await t.step(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(
        configError(() => parseDuration("IDLE_TIMEOUT", text)),
        `Invalid duration for IDLE_TIMEOUT: ${
          JSON.stringify(text)
        } (use seconds, or 500ms, 10s, 2m, 1h, 1m30s)`,
      );
    });
  }
});

Deno.test("a timeout without a unit is seconds, from the environment and from flags", () => {
  const { config } = parseConfig({
    HEADER_TIMEOUT: "10",
    IDLE_TIMEOUT: "3",
    SHUTDOWN_TIMEOUT: "1",
  });
  assert.equal(config.limits.headerTimeoutMs, 10_000);
  assert.equal(config.limits.idleTimeoutMs, 3_000);
  assert.equal(config.limits.shutdownGraceMs, 1_000);
  const flags = parseCommandLine(["--header-timeout", "7", "--shutdown-timeout=2"], {});
  assert.equal(flags.config.limits.headerTimeoutMs, 7_000);
  assert.equal(flags.config.limits.shutdownGraceMs, 2_000);
});

Deno.test("counts have a floor, and the message names the setting and the floor", async (t) => {
  const cases: [string, string, number][] = [
    ["MAX_REQUEST_LINE", "maxRequestLine", 64],
    ["MAX_HEADER_SIZE", "maxHeaderBytes", 256],
    ["MAX_HEADERS", "maxHeaderCount", 1],
    ["MAX_CONNECTIONS", "maxConnections", 1],
  ];
  for (const [name, key, min] of cases) {
    await t.step(name, () => {
      const limits = parseConfig({ [name]: ` ${min} ` }).config.limits as unknown as Record<
        string,
        number
      >;
      assert.equal(limits[key], min);
      assert.equal(
        configError(() => parseConfig({ [name]: String(min - 1) })),
        `Invalid value for ${name}: "${min - 1}" (want an integer >= ${min})`,
      );
      for (const bad of ["", "1.5e3", "-100", "0x100", "10 0", "1000a"]) {
        assert.match(configError(() => parseConfig({ [name]: bad })), /want an integer/, bad);
      }
    });
  }
  await t.step("named by its flag when the flag gave it", () => {
    assert.equal(
      configError(() => parseCommandLine(["--max-headers", "0"], { MAX_HEADERS: "5" })),
      'Invalid value for --max-headers: "0" (want an integer >= 1)',
    );
    assert.equal(
      configError(() => parseCommandLine(["--idle-timeout", "soon"], {})),
      'Invalid duration for --idle-timeout: "soon" (use seconds, or 500ms, 10s, 2m, 1h, 1m30s)',
    );
  });
});

Deno.test("switch values are refused with the words that work", () => {
  assert.equal(
    configError(() => parseBoolean("POST", "2")),
    'Invalid value for POST: "2" (use 1/0, true/false, yes/no or on/off)',
  );
  assert.equal(
    configError(() => parseConfig({ DISABLE_IPV6: "maybe" })),
    'Invalid value for DISABLE_IPV6: "maybe" (use 1/0, true/false, yes/no or on/off)',
  );
  assert.match(
    configError(() => parseCommandLine(["--disable-ipv6", "x"], {})),
    /^Invalid value for --disable-ipv6: "x"/,
  );
  const on = parseConfig({ CONTAINERS: "yes", EVENTS: "off" }).config.flags;
  assert.equal(on.CONTAINERS, true);
  assert.equal(on.EVENTS, false);
  assert.ok(Object.isFrozen(on));
});

Deno.test("unknown ALLOW_* and LIBPOD_* names stop the proxy; other names do not", () => {
  assert.equal(
    configError(() => parseConfig({ LIBPOD_NOPE: "1" })),
    "Unknown setting LIBPOD_NOPE (did you mean LIBPOD_PODS?)",
  );
  assert.equal(
    configError(() => parseConfig({ ALLOW_EVERYTHING_PLEASE: "1" })),
    "Unknown setting ALLOW_EVERYTHING_PLEASE",
  );
  assert.equal(
    configError(() => parseConfig({ ALLOW_RESTART: "1" })),
    "Unknown setting ALLOW_RESTART (did you mean ALLOW_RESTARTS?)",
  );
  parseConfig({ XALLOW_START: "1", MY_LIBPOD_X: "1", HOST_ACCESS: "1", MAX_BODY_SIZE: "1m" });
});

Deno.test("the socket path must be absolute, with or without unix://", () => {
  assert.equal(
    parseConfig({ SOCKET_PATH: " /run/docker.sock " }).config.socketPath,
    "/run/docker.sock",
  );
  assert.equal(
    parseConfig({ SOCKET_PATH: "unix:///run/docker.sock" }).config.socketPath,
    "/run/docker.sock",
  );
  assert.equal(
    configError(() => parseConfig({ SOCKET_PATH: "unix://run/docker.sock" })),
    "Invalid value for SOCKET_PATH: want an absolute path",
  );
  assert.equal(
    configError(() => parseCommandLine(["--socket", "docker.sock"], {})),
    "Invalid value for --socket: want an absolute path",
  );
});

Deno.test("a blank LISTEN is the default, and a bad one is named with the address", () => {
  const blank = parseConfig({ LISTEN: "  ", DISABLE_IPV6: "1" }).config;
  assert.deepEqual(blank.listen, [{ transport: "tcp", hostname: "0.0.0.0", port: 2375 }]);
  assert.equal(blank.listenGiven, false);
  assert.equal(
    configError(() => parseConfig({ LISTEN: "127.0.0.1:99999" })),
    "Invalid value for LISTEN: Invalid port in listen address: 127.0.0.1:99999",
  );
  assert.equal(
    configError(() => parseCommandLine(["--listen", ","], {})),
    "Invalid value for --listen: LISTEN names no address",
  );
});

Deno.test("log settings take aliases in any case, and errors list the valid words", async (t) => {
  const levels: [string, string][] = [
    ["warn", "warning"],
    ["error", "err"],
    ["critical", "crit"],
    ["emergency", "emerg"],
    [" DEBUG ", "debug"],
    ["notice", "notice"],
    ["alert", "alert"],
  ];
  for (const [text, level] of levels) {
    await t.step(text, () => assert.equal(parseConfig({ LOG_LEVEL: text }).config.logLevel, level));
  }
  assert.equal(
    configError(() => parseConfig({ LOG_LEVEL: "Loud" })),
    'Invalid value for LOG_LEVEL: "Loud" (use emerg, alert, crit, err, warning, notice, info, debug)',
  );
  assert.equal(parseConfig({ LOG_FORMAT: " JSON " }).config.logFormat, "json");
  assert.equal(
    configError(() => parseConfig({ LOG_FORMAT: "xml" })),
    "Invalid value for LOG_FORMAT: use text or json",
  );
  assert.equal(
    configError(() => parseCommandLine(["--log-format", "xml"], {})),
    "Invalid value for --log-format: use text or json",
  );
});

Deno.test("TZ is trimmed, loses a leading colon, and an unknown zone is a warning", () => {
  assert.equal(parseConfig({ TZ: " Europe/Berlin " }).config.timeZone, "Europe/Berlin");
  assert.equal(parseConfig({ TZ: ":" }).config.timeZone, "UTC");
  assert.equal(parseConfig({ TZ: "" }).config.timeZone, "UTC");
  const { config, warnings } = parseConfig({ TZ: "Mars/Olympus" });
  assert.equal(config.timeZone, "UTC");
  assert.deepEqual(warnings, ["Unknown time zone TZ=Mars/Olympus: logging in UTC"]);
});

Deno.test("MODE and POLICY_FILE are read trimmed and named by their flag in errors", () => {
  assert.equal(parseConfig({}).config.mode, "enforce");
  assert.equal(parseConfig({ MODE: " Audit " }).config.mode, "audit");
  assert.equal(parseConfig({ MODE: "audit" }).config.policy.profiles[0].mode, "audit");
  assert.equal(
    configError(() => parseConfig({ MODE: "dry-run" })),
    "Invalid value for MODE: use enforce or audit",
  );
  assert.equal(
    configError(() => parseCommandLine(["--mode", "x"], {})),
    "Invalid value for --mode: use enforce or audit",
  );
  assert.equal(parseConfig({}).config.policyFile, null);
  assert.equal(parseConfig({ POLICY_FILE: "  " }).config.policyFile, null);
  assert.equal(parseConfig({ POLICY_FILE: " /etc/p.yaml " }).config.policyFile, "/etc/p.yaml");
  assert.equal(parseCommandLine(["--policy", "/p.yaml"], {}).config.policyFile, "/p.yaml");
});

Deno.test("with a policy file, only settings that change the defaults are warned about", () => {
  const warn = (name: string, value: string) =>
    `${name}=${value} in the environment is ignored: the policy file /p.yaml decides ` +
    "(write it in a profile there)";
  const { warnings } = parseConfig({
    POLICY_FILE: "/p.yaml",
    CONTAINERS: "1",
    EVENTS: "1",
    PING: "0",
    POST: "0",
    HOST_ACCESS: " Yes ",
    CONTAINER_LABELS: "a=b",
  });
  assert.ok(warnings.includes(warn("CONTAINERS", "1")));
  assert.ok(warnings.includes(warn("PING", "0")));
  assert.ok(warnings.includes(warn("CONTAINER_LABELS", "a=b")));
  assert.equal(warnings.length, 3, warnings.join("\n"));
  const host = parseConfig({ POLICY_FILE: "/p.yaml", HOST_ACCESS: "0" }).warnings;
  assert.deepEqual(host, [warn("HOST_ACCESS", "0")]);
  assert.deepEqual(parseConfig({ POLICY_FILE: "/p.yaml", HOST_ACCESS: "1" }).warnings, []);
  assert.deepEqual(parseConfig({ POLICY_FILE: "/p.yaml", SCRUB_ENVS: "1" }).warnings, [
    warn("SCRUB_ENVS", "1"),
  ]);
  assert.deepEqual(parseConfig({ CONTAINERS: "1" }).warnings, [], "no warning without a file");
});

Deno.test("an invalid profile setting in the environment is a ConfigError naming it", () => {
  assert.match(configError(() => parseConfig({ OWNER: "a b" })), /^Invalid value for OWNER: "a b"/);
  assert.match(
    configError(() => parseConfig({ SCRUB_ENVS: "sometimes" })),
    /^Invalid value for SCRUB_ENVS: "sometimes"/,
  );
  const { config } = parseConfig({ CONTAINERS: "1", OWNER: "team", HOST_ACCESS: "0" });
  assert.equal(config.policy.profiles[0].switches?.CONTAINERS, true);
  assert.equal(config.policy.profiles[0].scope.owner, "team");
  assert.equal(config.policy.profiles[0].admission.hostAccess, false);
});

Deno.test("parseCommandLine() reads commands, their arguments and options", async (t) => {
  const cases: [string[], string, string[]][] = [
    [[], "serve", []],
    [["healthcheck"], "healthcheck", []],
    [["check"], "check", []],
    [["learn"], "learn", []],
    [["explain", "GET", "/_ping"], "explain", ["GET", "/_ping"]],
    [["check", "--help"], "help", []],
    [["-V"], "version", []],
    [["--help", "--version"], "help", []],
  ];
  for (const [args, command, rest] of cases) {
    await t.step(args.join(" ") || "(none)", () => {
      const parsed = parseCommandLine(args, {});
      assert.equal(parsed.command, command);
      assert.deepEqual(parsed.options.args, rest);
    });
  }
  await t.step("explain's options", () => {
    const { options } = parseCommandLine([
      "explain",
      "GET",
      "/_ping",
      "--client",
      "10.0.0.5",
      "--listener=unix:/run/sp.sock",
      "--container",
      "app,role=web",
      "--body",
      '{"Cmd":["x"]}',
    ], {});
    assert.deepEqual(options, {
      args: ["GET", "/_ping"],
      client: "10.0.0.5",
      listener: "unix:/run/sp.sock",
      container: "app,role=web",
      body: '{"Cmd":["x"]}',
      policyOut: undefined,
    });
    assert.equal(
      parseCommandLine(["learn", "--policy-out", "/tmp/p.yaml"], {}).options.policyOut,
      "/tmp/p.yaml",
    );
  });
  await t.step("mistakes", () => {
    assert.equal(
      configError(() => parseCommandLine(["chek"], {})),
      "Unknown command: chek (did you mean check?) (try --help)",
    );
    assert.equal(
      configError(() => parseCommandLine(["check", "extra", "more"], {})),
      "Too many arguments: extra more",
    );
    assert.equal(
      configError(() => parseCommandLine(["explain", "GET"], {})),
      "explain takes METHOD TARGET, such as: explain GET /v1.47/containers/json",
    );
    assert.equal(
      configError(() => parseCommandLine(["--bogus"], {})),
      "Invalid command line: Unknown option --bogus",
    );
    assert.equal(
      configError(() => parseCommandLine(["toString"], {})),
      "Unknown command: toString (try --help)",
    );
  });
});

Deno.test("parseFlags() reads a lone dash, --, empty inline values and aliases", async (t) => {
  const spec = { strings: ["listen"], booleans: ["help"], aliases: { h: "help", l: "listen" } };
  await t.step("a lone dash is a positional", () => {
    assert.deepEqual(parseFlags(["-", "x"], spec), { values: {}, positionals: ["-", "x"] });
  });
  await t.step("-- ends the options", () => {
    assert.deepEqual(parseFlags(["a", "--", "--listen", "-h"], spec), {
      values: {},
      positionals: ["a", "--listen", "-h"],
    });
  });
  await t.step("an empty inline value is a value", () => {
    assert.deepEqual(parseFlags(["--listen="], spec).values, { listen: "" });
    assert.deepEqual(parseFlags(["--listen=a=b"], spec).values, { listen: "a=b" });
  });
  await t.step("the next argument is the value, whatever it looks like", () => {
    assert.deepEqual(parseFlags(["--listen", "--help", "x"], spec), {
      values: { listen: "--help" },
      positionals: ["x"],
    });
  });
  await t.step("an alias of a string flag takes a value", () => {
    assert.deepEqual(parseFlags(["-l", "a:1"], spec).values, { listen: "a:1" });
  });
  await t.step("messages", () => {
    assert.throws(() => parseFlags(["--listen"], spec), {
      message: "Option --listen needs a value",
    });
    assert.throws(() => parseFlags(["--help=yes"], spec), {
      message: "Option --help takes no value",
    });
    assert.throws(() => parseFlags(["--nope=1"], spec), { message: "Unknown option --nope=1" });
    assert.throws(() => parseFlags(["-x"], spec), { message: "Unknown option -x" });
    assert.throws(() => parseFlags(["-h"], { strings: [], booleans: ["help"] }), {
      message: "Unknown option -h",
    });
  });
});

Deno.test("listen addresses are read in each form, and the healthcheck connects to loopback", async (t) => {
  const good: [string, unknown][] = [
    ["127.0.0.1:2375", { transport: "tcp", hostname: "127.0.0.1", port: 2375 }],
    [" localhost:0 ", { transport: "tcp", hostname: "localhost", port: 0 }],
    ["[::1]:65535", { transport: "tcp", hostname: "::1", port: 65535 }],
    ["[::ffff:10.0.0.1]:1", { transport: "tcp", hostname: "::ffff:10.0.0.1", port: 1 }],
    ["unix:/run/sp.sock", { transport: "unix", path: "/run/sp.sock" }],
  ];
  for (const [text, address] of good) {
    await t.step(text, () => assert.deepEqual(parseListenAddress(text), address));
  }
  const bad: [string, string][] = [
    ["unix:run/sp.sock", "Unix listen address needs an absolute path: unix:run/sp.sock"],
    ["127.0.0.1:65536", "Invalid port in listen address: 127.0.0.1:65536"],
    ["127.0.0.1:", "Invalid port in listen address: 127.0.0.1:"],
    ["127.0.0.1:123456", "Invalid port in listen address: 127.0.0.1:123456"],
    ["127.0.0.1:-1", "Invalid port in listen address: 127.0.0.1:-1"],
    ["[::1]:x", "Invalid port in listen address: [::1]:x"],
    [
      "a:b:c",
      "Invalid listen address (want host:port, [v6]:port or unix:/path): a:b:c",
    ],
    [
      "[fe80::1%eth0]:1",
      "Invalid listen address (want host:port, [v6]:port or unix:/path): [fe80::1%eth0]:1",
    ],
    [
      "host_name:1",
      "Invalid listen address (want host:port, [v6]:port or unix:/path): host_name:1",
    ],
    ["127.0.0.1:1x", "Invalid port in listen address: 127.0.0.1:1x"],
    ["x[::1]:1", "Invalid listen address (want host:port, [v6]:port or unix:/path): x[::1]:1"],
    ["[::1]:1:2", "Invalid listen address (want host:port, [v6]:port or unix:/path): [::1]:1:2"],
  ];
  for (const [text, message] of bad) {
    await t.step(
      `refuses ${text}`,
      () => assert.throws(() => parseListenAddress(text), { message }),
    );
  }
  await t.step("lists", () => {
    assert.deepEqual(parseListenList(" a:1 ,, unix:/s "), [
      { transport: "tcp", hostname: "a", port: 1 },
      { transport: "unix", path: "/s" },
    ]);
    assert.throws(() => parseListenList(" , "), { message: "LISTEN names no address" });
  });
  await t.step("formatting", () => {
    assert.equal(formatListenAddress({ transport: "unix", path: "/s" }), "unix:/s");
    assert.equal(formatListenAddress({ transport: "tcp", hostname: "::", port: 1 }), "[::]:1");
    assert.equal(formatListenAddress({ transport: "tcp", hostname: "a.b", port: 2 }), "a.b:2");
  });
  await t.step("defaults", () => {
    assert.deepEqual(defaultListenAddress(false), { transport: "tcp", hostname: "::", port: 2375 });
    assert.deepEqual(defaultListenAddress(true), {
      transport: "tcp",
      hostname: "0.0.0.0",
      port: 2375,
    });
  });
  await t.step("the healthcheck connects to loopback for a wildcard listener", () => {
    for (const hostname of ["::", "0.0.0.0"]) {
      assert.deepEqual(healthcheckAddress({ transport: "tcp", hostname, port: 9 }), {
        transport: "tcp",
        hostname: "127.0.0.1",
        port: 9,
      });
    }
    const other = { transport: "tcp", hostname: "10.0.0.1", port: 9 } as const;
    assert.deepEqual(healthcheckAddress(other), other);
    const unix = { transport: "unix", path: "/s" } as const;
    assert.deepEqual(healthcheckAddress(unix), unix);
  });
});

Deno.test("the usage text names every command and option", async () => {
  const { USAGE } = await import("../../../lib/config/config.ts");
  assert.match(USAGE, /^Usage: socket-proxy \[command\] \[options\]\n/);
  for (
    const word of [
      "healthcheck",
      "check",
      "explain METHOD TARGET",
      "learn",
      "--client <addr>",
      "--listener <addr>",
      "--container <spec>",
      "--policy-out <file>",
      "--listen <addr,...>",
      "--socket <path>",
      "--disable-ipv6 <bool>",
      "--log-level <level>",
      "--log-format <format>",
      "--header-timeout <dur>",
      "--idle-timeout <dur>",
      "--shutdown-timeout <dur>",
      "--max-connections <n>",
      "--max-request-line <n>",
      "--max-header-size <n>",
      "--max-headers <n>",
      "--policy <file>",
      "--mode <mode>",
      "-h, --help",
      "-V, --version",
    ]
  ) {
    assert.ok(USAGE.includes(word), word);
  }
});

Deno.test("only a leading colon of TZ and a leading unix:// of SOCKET_PATH are dropped", () => {
  assert.deepEqual(parseConfig({ TZ: "Mars:Olympus" }).warnings, [
    "Unknown time zone TZ=Mars:Olympus: logging in UTC",
  ]);
  assert.equal(
    parseConfig({ SOCKET_PATH: "/run/unix://docker.sock" }).config.socketPath,
    "/run/unix://docker.sock",
  );
});

Deno.test("a unix listen address takes the mode and group its socket file gets", async (t) => {
  const good: [string, unknown][] = [
    [
      "unix:/run/sp.sock?mode=0660&group=traefik",
      { transport: "unix", path: "/run/sp.sock", mode: 0o660, group: "traefik" },
    ],
    ["unix:/s?mode=660", { transport: "unix", path: "/s", mode: 0o660 }],
    ["unix:/s?mode=0o600", { transport: "unix", path: "/s", mode: 0o600 }],
    ["unix:/s?mode=0007", { transport: "unix", path: "/s", mode: 0o7 }],
    [" unix:/s?group=101&mode=0640 ", { transport: "unix", path: "/s", mode: 0o640, group: "101" }],
    ["unix:/s?group=4294967295", { transport: "unix", path: "/s", group: "4294967295" }],
    ["unix:/s?group=_docker-users.1", { transport: "unix", path: "/s", group: "_docker-users.1" }],
    ["unix:/s?group=host$", { transport: "unix", path: "/s", group: "host$" }],
    [`unix:/s?group=g${"x".repeat(31)}`, {
      transport: "unix",
      path: "/s",
      group: `g${"x".repeat(31)}`,
    }],
    ["unix:/s?mode=0600&mode=0660", { transport: "unix", path: "/s", mode: 0o660 }],
  ];
  for (const [text, address] of good) {
    await t.step(text, () => assert.deepEqual(parseListenAddress(text), address));
  }
});

Deno.test("a malformed unix socket option is refused with the whole address", async (t) => {
  const mode = (address: string) =>
    `Invalid mode in listen address (want octal permission bits such as 0660): ${address}`;
  const group = (address: string) =>
    `Invalid group in listen address (want a group id such as 101, or a group name): ${address}`;
  const unknown = (key: string, address: string) =>
    `Unknown option ${JSON.stringify(key)} in listen address (use mode and group): ${address}`;
  const bad: [string, string][] = [
    ["unix:/s?mode", mode("unix:/s?mode")],
    ["unix:/s?mode=", mode("unix:/s?mode=")],
    ["unix:/s?mode=0668", mode("unix:/s?mode=0668")],
    ["unix:/s?mode=66", mode("unix:/s?mode=66")],
    ["unix:/s?mode=06600", mode("unix:/s?mode=06600")],
    ["unix:/s?mode=x660", mode("unix:/s?mode=x660")],
    ["unix:/s?mode=0660x", mode("unix:/s?mode=0660x")],
    ["unix:/s?mode=o660", mode("unix:/s?mode=o660")],
    ["unix:/s?mode=0x660", mode("unix:/s?mode=0x660")],
    ["unix:/s?group", group("unix:/s?group")],
    ["unix:/s?group=", group("unix:/s?group=")],
    ["unix:/s?group=-g", group("unix:/s?group=-g")],
    ["unix:/s?group=1a", group("unix:/s?group=1a")],
    ["unix:/s?group=12345678901", group("unix:/s?group=12345678901")],
    ["unix:/s?group=a$b", group("unix:/s?group=a$b")],
    ["unix:/s?group=a b", group("unix:/s?group=a b")],
    [`unix:/s?group=g${"x".repeat(32)}`, group(`unix:/s?group=g${"x".repeat(32)}`)],
    ["unix:/s?mode=0660&group=", group("unix:/s?mode=0660&group=")],
    ["unix:/s?owner=me", unknown("owner", "unix:/s?owner=me")],
    ["unix:/s?", unknown("", "unix:/s?")],
    ["unix:/s?=0660", unknown("", "unix:/s?=0660")],
    ["unix:/s?mode=0660&", unknown("", "unix:/s?mode=0660&")],
    ["unix:/s?Mode=0660", unknown("Mode", "unix:/s?Mode=0660")],
    ["unix:s?mode=0660", "Unix listen address needs an absolute path: unix:s?mode=0660"],
  ];
  for (const [text, message] of bad) {
    await t.step(
      `refuses ${text}`,
      () => assert.throws(() => parseListenAddress(text), { message }),
    );
  }
});

Deno.test("socket options on a TCP listen address are refused rather than read as a port", () => {
  for (const text of ["127.0.0.1:2375?mode=0660", "[::1]:2375?group=docker"]) {
    assert.throws(() => parseListenAddress(text), {
      message: `Options (mode, group) are for unix listen addresses only: ${text}`,
    });
  }
  assert.equal(
    configError(() => parseConfig({ LISTEN: "unix:/s?mode=0660, 0.0.0.0:2375?group=1" })),
    "Invalid value for LISTEN: Options (mode, group) are for unix listen addresses only: " +
      "0.0.0.0:2375?group=1",
  );
});

Deno.test("formatListenSpec() writes an address back as LISTEN takes it, options included", async (t) => {
  const cases: [ListenAddress, string][] = [
    [{ transport: "tcp", hostname: "127.0.0.1", port: 2375 }, "127.0.0.1:2375"],
    [{ transport: "tcp", hostname: "::", port: 1 }, "[::]:1"],
    [{ transport: "unix", path: "/s" }, "unix:/s"],
    [{ transport: "unix", path: "/s", mode: 0o660 }, "unix:/s?mode=0660"],
    [{ transport: "unix", path: "/s", mode: 0o7 }, "unix:/s?mode=0007"],
    [{ transport: "unix", path: "/s", group: "docker" }, "unix:/s?group=docker"],
    [
      { transport: "unix", path: "/r/p.sock", mode: 0o600, group: "101" },
      "unix:/r/p.sock?mode=0600&group=101",
    ],
  ];
  for (const [address, text] of cases) {
    await t.step(text, () => {
      assert.equal(formatListenSpec(address), text);
      assert.deepEqual(parseListenAddress(text), address);
    });
  }
});

Deno.test("a bad METRICS_LISTEN or TLS setting is a ConfigError naming the variable or the flag", () => {
  assert.equal(
    configError(() => parseConfig({ METRICS_LISTEN: "unix:/m.sock" })),
    "Invalid value for METRICS_LISTEN: unix:/m.sock (want host:port or [v6]:port, such as " +
      "127.0.0.1:9102: Prometheus scrapes over TCP)",
  );
  assert.equal(
    configError(() => parseCommandLine(["--tls-cert", "/c.pem"], {})),
    "--tls-cert is set but TLS_KEY is not: TLS needs both (the PEM certificate chain and its " +
      "private key), or neither",
  );
  const { config } = parseConfig({ METRICS_LISTEN: "127.0.0.1:9102" });
  assert.deepEqual(config.metricsListen, { transport: "tcp", hostname: "127.0.0.1", port: 9102 });
  assert.equal(config.tls, null);
});

Deno.test("an error of the override other than a bad setting passes through unchanged", () => {
  const failure = new TypeError("flag store unavailable");
  const override = (name: string) => {
    if (name === "METRICS_LISTEN") throw failure;
    return undefined;
  };
  assert.throws(() => parseConfig({}, override), (error) => error === failure);
});

Deno.test("the warning that TLS leaves unix sockets plain is among the configuration's warnings", () => {
  const { config, warnings } = parseConfig({
    LISTEN: "unix:/run/sp.sock",
    TLS_CERT: "/c.pem",
    TLS_KEY: "/k.pem",
  });
  assert.deepEqual(config.tls, { certFile: "/c.pem", keyFile: "/k.pem" });
  assert.deepEqual(warnings, [
    "TLS_CERT and TLS_KEY apply to TCP listeners, and LISTEN has none: unix sockets stay plain",
  ]);
});

Deno.test("misspelt names of switches and of other settings are warned about", () => {
  assert.deepEqual(parseConfig({ CONTAINRES: "1" }).warnings, [
    "CONTAINRES is not a setting and is ignored: did you mean CONTAINERS?",
  ]);
  assert.deepEqual(parseConfig({ LOG_LEVLE: "debug" }).warnings, [
    "LOG_LEVLE is not a setting and is ignored: did you mean LOG_LEVEL?",
  ]);
  assert.deepEqual(parseConfig({ metrics_listen: "127.0.0.1:9102" }).warnings, [
    "metrics_listen is not a setting and is ignored: did you mean METRICS_LISTEN? " +
    "(names are upper case)",
  ]);
});

Deno.test("API_VERSION_FLOOR is off when empty, 0 or off, and otherwise a version from 1.25 to 1.51", async (t) => {
  const cases: [string, readonly [number, number] | null][] = [
    ["", null],
    ["0", null],
    ["off", null],
    ["OFF", null],
    [" 1.44 ", [1, 44]],
    ["v1.44", [1, 44]],
    ["1.25", [1, 25]],
    ["1.51", [1, 51]],
  ];
  for (const [value, floor] of cases) {
    await t.step(JSON.stringify(value), () => {
      assert.deepEqual(parseConfig({ API_VERSION_FLOOR: value }).config.versionFloor, floor);
    });
  }
});

Deno.test("an API_VERSION_FLOOR that is no version the table knows is refused with the range", async (t) => {
  for (const value of ["1.24", "1.52", "21.44", "1.441", "x1.44", "2.0", "latest"]) {
    await t.step(value, () => {
      assert.throws(() => parseConfig({ API_VERSION_FLOOR: value }), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(
          error.message,
          `Invalid value for API_VERSION_FLOOR: ${JSON.stringify(value)} (use an API version ` +
            "from 1.25 to 1.51, such as 1.44, or leave it empty for none)",
        );
        return true;
      });
    });
  }
});
