import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/config.ts";
import { settingTypos } from "../../../lib/config/setting_typos.ts";
import { FLAG_NAMES } from "../../../lib/policy/flags.ts";

/** `env` of the image's container (Dockerfile's ENV) in Kubernetes, next to other services. */
const REALISTIC_ENVIRONMENT: Record<string, string> = {
  // The shell and the runtime.
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOSTNAME: "socket-proxy-7d9c8b6f4-x2k9p",
  HOME: "/root",
  TERM: "xterm",
  TZ: "Europe/Berlin",
  LANG: "C.UTF-8",
  LANGUAGE: "en_US:en",
  LC_ALL: "C.UTF-8",
  LC_CTYPE: "C.UTF-8",
  PWD: "/",
  OLDPWD: "/",
  SHLVL: "1",
  USER: "root",
  LOGNAME: "root",
  SHELL: "/bin/sh",
  container: "podman",
  PUID: "1000",
  PGID: "1000",
  UMASK: "022",
  // What the Dockerfile sets.
  SOCKET_PATH: "/var/run/docker.sock",
  LOG_LEVEL: "info",
  DISABLE_IPV6: "0",
  POST: "0",
  CONTAINERS: "1",
  EVENTS: "1",
  PING: "1",
  VERSION: "1",
  ALLOW_START: "0",
  // Docker and the compose file's other services.
  DOCKER_HOST: "tcp://socket-proxy:2375",
  DOCKER_TLS_VERIFY: "1",
  DOCKER_CERT_PATH: "/certs",
  DOCKER_API_VERSION: "1.45",
  POSTGRES_USER: "app",
  POSTGRES_PASSWORD: "secret",
  POSTGRES_DB: "app",
  MYSQL_ROOT_PASSWORD: "secret",
  REDIS_URL: "redis://redis:6379",
  WATCHTOWER_CLEANUP: "true",
  WATCHTOWER_POLL_INTERVAL: "300",
  WATCHTOWER_LABEL_ENABLE: "true",
  TRAEFIK_API_DASHBOARD: "true",
  TRAEFIK_PROVIDERS_DOCKER: "true",
  TRAEFIK_LOG_LEVEL: "DEBUG",
  PORT: "8080",
  HOST: "0.0.0.0",
  NODE_ENV: "production",
  DEBUG: "1",
  HTTP_PROXY: "",
  NO_PROXY: "localhost",
  IMAGE: "ghcr.io/example/app:1.2",
  NETWORK: "proxy",
  SECRET: "c2VjcmV0",
  SERVICE: "web",
  CONFIG: "/config/app.yaml",
  CONTAINER_NAME: "web",
  LOGLEVEL_APP: "debug",
  // Kubernetes service links (every service in the namespace).
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  KUBERNETES_SERVICE_PORT_HTTPS: "443",
  KUBERNETES_PORT: "tcp://10.96.0.1:443",
  KUBERNETES_PORT_443_TCP: "tcp://10.96.0.1:443",
  KUBERNETES_PORT_443_TCP_PROTO: "tcp",
  KUBERNETES_PORT_443_TCP_PORT: "443",
  KUBERNETES_PORT_443_TCP_ADDR: "10.96.0.1",
  SOCKET_PROXY_SERVICE_HOST: "10.96.12.7",
  SOCKET_PROXY_SERVICE_PORT: "2375",
  SOCKET_PROXY_PORT: "tcp://10.96.12.7:2375",
  SOCKET_PROXY_PORT_2375_TCP: "tcp://10.96.12.7:2375",
  SOCKET_PROXY_PORT_2375_TCP_ADDR: "10.96.12.7",
  POST_SERVICE_HOST: "10.96.3.3",
  POST_PORT: "tcp://10.96.3.3:80",
  // Docker's legacy links.
  DB_PORT_5432_TCP_ADDR: "172.17.0.5",
  DB_ENV_POSTGRES_USER: "app",
  // systemd.
  INVOCATION_ID: "0f3e",
  JOURNAL_STREAM: "8:1234",
  LISTEN_FDS: "1",
  LISTEN_PID: "1",
  NOTIFY_SOCKET: "/run/systemd/notify",
};

Deno.test("a realistic container environment raises no typo warning", () => {
  assert.deepEqual(parseConfig(REALISTIC_ENVIRONMENT).warnings, []);
});

Deno.test("a misspelt setting is a warning naming the setting meant", async (t) => {
  const cases: [string, string, string][] = [
    ["CONTAINRES", "1", "CONTAINERS"],
    ["CONTAINER", "1", "CONTAINERS"],
    ["IMAGE", "1", "IMAGES"],
    ["EVNETS", "0", "EVENTS"],
    ["POTS", "1", "POST"],
    ["SOCKETPATH", "/var/run/docker.sock", "SOCKET_PATH"],
    ["SOCKET_PAHT", "unix:///run/docker.sock", "SOCKET_PATH"],
    ["LOG_LEVLE", "debug", "LOG_LEVEL"],
    ["LOGLEVEL", "warning", "LOG_LEVEL"],
    ["LOG_FROMAT", "json", "LOG_FORMAT"],
    ["LISTNE", "0.0.0.0:2375", "LISTEN"],
    ["METRICS_LISTENS", "127.0.0.1:9102", "METRICS_LISTEN"],
    ["TLS_CRET", "/etc/socket-proxy/cert.pem", "TLS_CERT"],
    ["TLS_KYE", "/etc/socket-proxy/key.pem", "TLS_KEY"],
    ["IDLE_TIMOUT", "30s", "IDLE_TIMEOUT"],
    ["MAX_CONECTIONS", "100", "MAX_CONNECTIONS"],
    ["POLICYFILE", "/etc/socket-proxy/policy.yaml", "POLICY_FILE"],
    ["MDOE", "audit", "MODE"],
    ["DISABLE_IPV4", "1", "DISABLE_IPV6"],
  ];
  for (const [name, value, meant] of cases) {
    await t.step(`${name}=${value}`, () => {
      assert.deepEqual(parseConfig({ [name]: value }).warnings, [
        `${name} is not a setting and is ignored: did you mean ${meant}?`,
      ]);
    });
  }
});

Deno.test("a setting in lower case is a warning: names are case-sensitive", () => {
  assert.deepEqual(parseConfig({ log_level: "debug" }).warnings, [
    "log_level is not a setting and is ignored: did you mean LOG_LEVEL? (names are upper case)",
  ]);
});

Deno.test("a near name whose value does not suit the setting is no typo", async (t) => {
  const cases: [string, string][] = [
    ["PORT", "2375"],
    ["HOST", "docker"],
    ["IMAGE", "nginx:latest"],
    ["NODE", "worker-1"],
    ["CODE", "enforce-me"],
    ["LOGLEVEL", "verbose"],
    ["SECRET", "s3cr3t"],
  ];
  for (const [name, value] of cases) {
    await t.step(
      `${name}=${value}`,
      () => assert.deepEqual(parseConfig({ [name]: value }).warnings, []),
    );
  }
});

Deno.test("settingTypos() takes the known names from its caller", () => {
  assert.deepEqual(settingTypos({ CONTAINRES: "1", EXTRA_SETTNG: "1" }, FLAG_NAMES), [
    "CONTAINRES is not a setting and is ignored: did you mean CONTAINERS?",
  ]);
});
