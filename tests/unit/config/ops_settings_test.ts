import assert from "node:assert/strict";
import { parseCommandLine, parseConfig } from "../../../lib/config/config.ts";
import { groupId } from "../../../lib/server/group_file.ts";
import { formatListenAddress, formatListenSpec } from "../../../lib/config/listen_address.ts";
import { permissionFlags, requiredPermissions } from "../../../lib/server/permissions.ts";
import {
  bakedPermissions,
  compileCommands,
  DEFAULT_METRICS_LISTEN,
} from "../../../scripts/compile.ts";

Deno.test("METRICS_LISTEN is off by default and takes a host:port of its own", async (t) => {
  await t.step("off by default", () => assert.equal(parseConfig({}).config.metricsListen, null));
  await t.step("an IPv4 address", () => {
    assert.deepEqual(parseConfig({ METRICS_LISTEN: "127.0.0.1:9102" }).config.metricsListen, {
      transport: "tcp",
      hostname: "127.0.0.1",
      port: 9102,
    });
  });
  await t.step("the flag wins", () => {
    const { config } = parseCommandLine(["--metrics-listen", "[::]:9102"], {
      METRICS_LISTEN: "127.0.0.1:1",
    });
    assert.deepEqual(config.metricsListen, { transport: "tcp", hostname: "::", port: 9102 });
  });
  const refused: [string, Record<string, string>, RegExp][] = [
    ["a unix socket", { METRICS_LISTEN: "unix:/run/m.sock" }, /want host:port .*127\.0\.0\.1:9102/],
    ["no port", { METRICS_LISTEN: "127.0.0.1" }, /Invalid value for METRICS_LISTEN/],
    [
      "the proxy's own port",
      { METRICS_LISTEN: "127.0.0.1:2375" },
      /takes the port of the proxy listener \[::\]:2375 .*own/,
    ],
    [
      "a wildcard on the proxy's port",
      { LISTEN: "127.0.0.1:2375", METRICS_LISTEN: "0.0.0.0:2375" },
      /takes the port of the proxy listener 127\.0\.0\.1:2375/,
    ],
  ];
  for (const [name, env, message] of refused) {
    await t.step(`${name} is refused`, () => assert.throws(() => parseConfig(env), message));
  }
  await t.step("port 0 next to port 0 is fine (tests)", () => {
    assert.doesNotThrow(() =>
      parseConfig({ LISTEN: "127.0.0.1:0", METRICS_LISTEN: "127.0.0.1:0" })
    );
  });
});

Deno.test("TLS_CERT and TLS_KEY come both or not at all, as absolute paths", async (t) => {
  const cert = "/etc/socket-proxy/cert.pem";
  const key = "/etc/socket-proxy/key.pem";
  await t.step("neither: plain HTTP", () => assert.equal(parseConfig({}).config.tls, null));
  await t.step("both", () => {
    assert.deepEqual(parseConfig({ TLS_CERT: cert, TLS_KEY: key }).config.tls, {
      certFile: cert,
      keyFile: key,
    });
  });
  await t.step("the certificate alone names the missing key", () => {
    assert.throws(
      () => parseConfig({ TLS_CERT: cert }),
      /^ConfigError: TLS_CERT is set but TLS_KEY is not/,
    );
  });
  await t.step("the key alone names the missing certificate", () => {
    assert.throws(() => parseConfig({ TLS_KEY: key }), /TLS_KEY is set but TLS_CERT is not/);
  });
  await t.step("flags are named as flags", () => {
    assert.throws(() => parseCommandLine(["--tls-key", key], {}), /--tls-key is set but TLS_CERT/);
  });
  await t.step("a relative path", () => {
    assert.throws(
      () => parseConfig({ TLS_CERT: "cert.pem", TLS_KEY: key }),
      /Invalid value for TLS_CERT: cert\.pem \(want an absolute path/,
    );
  });
  await t.step("only unix listeners: a warning", () => {
    const { warnings } = parseConfig({ LISTEN: "unix:/run/p.sock", TLS_CERT: cert, TLS_KEY: key });
    assert.match(warnings.join("\n"), /LISTEN has none: unix sockets stay plain/);
  });
});

Deno.test("a unix listen address takes a mode and a group", async (t) => {
  const listen = (text: string) => parseConfig({ LISTEN: text }).config.listen[0];
  await t.step("both", () => {
    assert.deepEqual(listen("unix:/run/sp/traefik.sock?mode=0660&group=101"), {
      transport: "unix",
      path: "/run/sp/traefik.sock",
      mode: 0o660,
      group: "101",
    });
  });
  await t.step("a group name, mode without its 0", () => {
    assert.deepEqual(listen("unix:/run/a.sock?group=traefik&mode=640"), {
      transport: "unix",
      path: "/run/a.sock",
      mode: 0o640,
      group: "traefik",
    });
  });
  await t.step("profiles and logs name it by its path alone", () => {
    const address = listen("unix:/run/a.sock?mode=0600");
    assert.equal(formatListenAddress(address), "unix:/run/a.sock");
    assert.equal(formatListenSpec(address), "unix:/run/a.sock?mode=0600");
  });
  const refused: [string, RegExp][] = [
    ["unix:/run/a.sock?mode=0999", /Invalid mode .*0660/],
    ["unix:/run/a.sock?mode=1777", /Invalid mode/],
    ["unix:/run/a.sock?mode=rw", /Invalid mode/],
    ["unix:/run/a.sock?group=", /Invalid group .*101/],
    ["unix:/run/a.sock?group=a:b", /Invalid group/],
    ["unix:/run/a.sock?owner=1", /Unknown option "owner" .*mode and group/],
    ["127.0.0.1:2375?mode=0600", /for unix listen addresses only/],
  ];
  for (const [text, message] of refused) {
    await t.step(
      `${text} is refused`,
      () => assert.throws(() => parseConfig({ LISTEN: text }), message),
    );
  }
});

Deno.test("groupId() takes a number as it is and looks a name up in /etc/group", async (t) => {
  const file = "root:x:0:\ndocker:x:999:alice\ntraefik:x:101:\n";
  await t.step("a number", () => assert.equal(groupId("101", null), 101));
  await t.step("a name", () => assert.equal(groupId("docker", file), 999));
  await t.step("an unknown name", () => {
    assert.throws(
      () => groupId("nobody", file),
      /Unknown group nobody: not in \/etc\/group \(give/,
    );
  });
  await t.step("no /etc/group (a scratch image)", () => {
    assert.throws(() => groupId("docker", null), /not readable \(give the numeric group id\)/);
  });
});

Deno.test("requiredPermissions() adds the metrics listener, TLS files and /etc/group when needed", () => {
  const base = requiredPermissions(parseConfig({}).config);
  assert.ok(!base.read.includes("/etc/group"));
  const set = requiredPermissions(
    parseConfig({
      LISTEN: "[::]:2375,unix:/run/sp/a.sock?group=traefik",
      METRICS_LISTEN: "127.0.0.1:9102",
      TLS_CERT: "/etc/socket-proxy/tls/cert.pem",
      TLS_KEY: "/etc/socket-proxy/private/key.pem",
    }).config,
  );
  assert.ok(set.net.includes("127.0.0.1:9102"), set.net.join());
  for (const path of ["/etc/group", "/etc/socket-proxy/tls", "/etc/socket-proxy/private"]) {
    assert.ok(set.read.includes(path), `read ${path}: ${set.read.join()}`);
  }
  assert.ok(!set.write.includes("/etc/group"));
  assert.ok(!set.read.some((path) => path.endsWith(".pem")), "directories, not files");
  const flags = permissionFlags(parseConfig({ LISTEN: "unix:/run/a.sock?group=101" }).config);
  assert.ok(!flags.join(" ").includes("/etc/group"), "a numeric group needs no lookup");
});

Deno.test("default binaries may serve metrics on port 9102, loopback or every address", () => {
  const flags = bakedPermissions(
    ["[::]:2375"],
    ["/var/run/docker.sock"],
    [],
    DEFAULT_METRICS_LISTEN,
  );
  const net = flags.find((flag) => flag.startsWith("--allow-net="))!;
  for (const host of ["127.0.0.1:9102", "[::]:9102", "0.0.0.0:9102"]) {
    assert.ok(net.split(/[=,]/).includes(host), `${host} in ${net}`);
  }
  const [command] = compileCommands({
    targets: ["x86_64-unknown-linux-gnu"],
    listen: ["[::]:2375"],
    sockets: ["/var/run/docker.sock"],
    configDirs: ["/etc/socket-proxy"],
    metricsListen: DEFAULT_METRICS_LISTEN,
    outDir: "dist",
  });
  assert.ok(command.args.some((arg) => arg.startsWith("--allow-net=") && arg.includes(":9102")));
  assert.ok(
    command.args.includes(
      "--allow-read=/var/run/docker.sock,/run/.containerenv,/etc/hostname,/.dockerenv,/etc/socket-proxy",
    ),
  );
});
