import { type Case, IMAGE, runCases } from "../../fixtures/admission_corpus.ts";

const service = (
  name: string,
  task: Record<string, unknown>,
  expect: Case["expect"],
  settings?: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Case => ({
  name,
  operation: "ServiceCreate",
  body: { Name: "s", TaskTemplate: task, ...extra },
  settings,
  expect,
});

Deno.test("ServiceCreate and ServiceUpdate check the task's container, networks, plugins and logs", async (t) => {
  const spec = (extra: Record<string, unknown>) => ({ ContainerSpec: { Image: IMAGE, ...extra } });
  await runCases(t, [
    service("a plain service", spec({ Env: ["A=1"], ReadOnly: true }), true),
    service("an overlay network", {
      ...spec({}),
      Networks: [{ Target: "proxy_net", Aliases: ["web"] }],
    }, true),
    service("the bridge network", { ...spec({}), Networks: [{ Target: "bridge" }] }, true),
    service(
      "the host network when allowed",
      { ...spec({}), Networks: [{ Target: "Host" }] },
      true,
      { ALLOW_HOST_NETWORK: "1" },
    ),
    service(
      "a bind under the prefix",
      spec({ Mounts: [{ Type: "bind", Source: "/srv/media", Target: "/m", ReadOnly: true }] }),
      true,
      { ALLOW_BIND_MOUNTS: "/srv/media:ro" },
    ),
    service(
      "a named volume",
      spec({ Mounts: [{ Type: "volume", Source: "data", Target: "/d" }] }),
      true,
    ),
    service(
      "a cluster volume",
      spec({ Mounts: [{ Type: "cluster", Source: "group:db", Target: "/d" }] }),
      true,
    ),
    service(
      "default capabilities",
      spec({ CapabilityAdd: ["CAP_CHOWN"], CapabilityDrop: ["ALL"] }),
      true,
    ),
    service(
      "default security modes",
      spec({
        Privileges: {
          Seccomp: { Mode: "default" },
          AppArmor: { Mode: "default" },
          NoNewPrivileges: true,
        },
      }),
      true,
    ),
    service("AppArmor disabled", spec({ Privileges: { AppArmor: { Mode: "disabled" } } }), [
      403,
      "ALLOW_UNCONFINED",
    ]),
    service(
      "a custom seccomp profile",
      spec({ Privileges: { Seccomp: { Mode: "custom", Profile: "e30=" } } }),
      [403, "ALLOW_UNCONFINED"],
    ),
    service("an SELinux level", spec({ Privileges: { SELinuxContext: { Level: "s0:c1,c2" } } }), [
      403,
      "ALLOW_UNCONFINED",
    ]),
    service("a credential spec", spec({ Privileges: { CredentialSpec: { File: "spec.json" } } }), [
      403,
      "ALLOW_UNCONFINED",
    ]),
    service("a namespaced sysctl", spec({ Sysctls: { "net.core.somaxconn": "1024" } }), true),
    service(
      "a net sysctl on the host network",
      { ...spec({ Sysctls: { "net.core.somaxconn": "1" } }), Networks: [{ Target: "host" }] },
      [403, "ALLOW_SYSCTLS"],
      { ALLOW_HOST_NETWORK: "1" },
    ),
    service("a negative OOM score", spec({ OomScoreAdj: -10 }), [403, "ALLOW_OOM_SCORE_ADJ"]),
    service("an unknown container spec field", spec({ Privileged: true }), [
      403,
      "Unknown field TaskTemplate.ContainerSpec.Privileged",
    ]),
    service("a plugin runtime without a PluginSpec", { Runtime: "plugin" }, [403, "ALLOW_PLUGINS"]),
    service(
      "a plugin service when allowed",
      { Runtime: "plugin", PluginSpec: { Name: "p" } },
      true,
      { ALLOW_PLUGINS: "1" },
    ),
    service("an unknown task runtime", { Runtime: "vm" }, [403, "task runtime"]),
    service("json-file logs", {
      ...spec({}),
      LogDriver: { Name: "json-file", Options: { "max-size": "1m" } },
    }, true),
    service("a host network at the spec's root", spec({}), [403, "ALLOW_HOST_NETWORK"], undefined, {
      Networks: [{ Target: "host" }],
    }),
    {
      name: "a service update",
      operation: "ServiceUpdate",
      query: [["version", "12"]],
      body: { Name: "s", TaskTemplate: spec({ CapabilityAdd: ["NET_ADMIN"] }) },
      expect: [403, "NET_ADMIN"],
    },
  ]);
});

Deno.test("VolumeCreate checks the driver and the local driver's options", async (t) => {
  const volume = (
    name: string,
    body: Record<string, unknown>,
    expect: Case["expect"],
    settings?: Record<string, unknown>,
  ): Case => ({
    name,
    operation: "VolumeCreate",
    body,
    settings,
    expect,
  });
  await runCases(t, [
    volume("a plain volume", { Name: "v" }, true),
    volume(
      "a plain local volume with labels",
      { Name: "v", Driver: "local", Labels: { a: "b" } },
      true,
    ),
    volume("an empty body", {}, true),
    volume("a tmpfs volume", {
      Name: "v",
      DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=64m" },
    }, true),
    volume(
      "a bind volume under the prefix",
      { Name: "v", DriverOpts: { type: "none", o: "bind", device: "/srv/media" } },
      true,
      { ALLOW_BIND_MOUNTS: "/srv/media" },
    ),
    volume("a bind volume with o in capitals", {
      Name: "v",
      DriverOpts: { type: "none", o: "BIND", device: "/etc" },
    }, [403, "cover /etc"]),
    volume("a CIFS volume", {
      Name: "v",
      DriverOpts: { type: "cifs", device: "//10.0.0.1/share", o: "username=x" },
    }, [403, "ALLOW_REMOTE"]),
    volume("a device without a type", { Name: "v", DriverOpts: { device: "/dev/sda" } }, [
      403,
      "ALLOW_DEVICES",
    ]),
    volume("a cluster volume of a CSI plugin", {
      Name: "v",
      Driver: "csi-nfs",
      ClusterVolumeSpec: { Group: "g" },
    }, [403, "ALLOW_VOLUME_DRIVERS"]),
    volume(
      "an allowed plugin",
      { Name: "v", Driver: "rclone", DriverOpts: { remote: "s3:bucket" } },
      true,
      { ALLOW_VOLUME_DRIVERS: "rclone" },
    ),
    volume(
      "driver options sent twice",
      '{"Name":"v","DriverOpts":{"device":"/srv","device":"/"}}' as unknown as Record<
        string,
        unknown
      >,
      [400, "sent twice"],
    ),
  ]);
});

Deno.test("Build queries: known parameters only, the host-reaching ones checked", async (t) => {
  const build = (
    name: string,
    query: [string, string][],
    expect: Case["expect"],
    settings?: Record<string, unknown>,
  ): Case => ({
    name,
    operation: "ImageBuild",
    query,
    body: new Uint8Array(512),
    contentType: "application/x-tar",
    settings,
    expect,
  });
  await runCases(t, [
    build("the docker CLI's classic build", [
      ["t", "a:b"],
      ["t", "a:c"],
      ["dockerfile", "Dockerfile"],
      ["buildargs", "{}"],
      ["networkmode", "default"],
      ["rm", "1"],
    ], true),
    build("a Dockerfile in a subdirectory", [["dockerfile", "docker/prod.Dockerfile"]], true),
    build("a Dockerfile outside the context", [["dockerfile", "../Dockerfile"]], [
      403,
      "outside the build context",
    ]),
    build("a Dockerfile URL", [["dockerfile", "https://example.com/Dockerfile"]], [
      403,
      "ALLOW_REMOTE",
    ]),
    build("podman's JSON list of Containerfiles", [[
      "dockerfile",
      '["Containerfile","/etc/passwd"]',
    ]], [403, "outside the build context"]),
    build("a BuildKit session build", [["version", "2"], ["session", "abc"], [
      "remote",
      "client-session",
    ], ["buildid", "x"]], true),
    build("a BuildKit image output", [["version", "2"], [
      "outputs",
      '[{"Type":"moby","Attrs":{}}]',
    ]], true),
    build("an output type the proxy does not know", [[
      "outputs",
      '[{"Type":"remote-fs","Attrs":{}}]',
    ]], [403, "exporter"]),
    build("a remote context when allowed", [["remote", "https://github.com/x/y.git"]], true, {
      ALLOW_REMOTE: "1",
    }),
    build("a git context", [["remote", "git@github.com:x/y.git"]], [403, "ALLOW_REMOTE"]),
    build("a none network", [["networkmode", "none"]], true),
    build("another container's network", [["networkmode", "container:db"]], [
      403,
      "ALLOW_JOIN_CONTAINERS",
    ]),
    build("the host network when allowed", [["networkmode", "host"]], true, {
      ALLOW_HOST_NETWORK: "1",
    }),
    build("a parameter in another case, checked too", [["NetworkMode", "host"]], [
      403,
      "ALLOW_HOST_NETWORK",
    ]),
    build("a non-ASCII parameter", [["networkmod\u0435", "host"]], [400, "not printable ASCII"]),
    build("a security option (Windows credential specs)", [[
      "securityopt",
      "credentialspec=file://x",
    ]], [403, "ALLOW_UNCONFINED"]),
    build("chroot isolation (podman)", [["isolation", "chroot"]], [403, "ALLOW_HOST_NAMESPACES"]),
    build("podman's capabilities", [["addcaps", "CAP_SYS_ADMIN"]], [403, "SYS_ADMIN"]),
    build("podman's devices", [["devices", '["/dev/fuse"]']], [
      403,
      "ALLOW_DEVICES to cover /dev/fuse",
    ]),
    build("podman's host namespace options", [["nsoptions", '[{"Name":"pid","Host":true}]']], [
      403,
      "ALLOW_HOST_NAMESPACES",
    ]),
    build("podman's namespace by path", [[
      "nsoptions",
      '[{"Name":"network","Path":"/proc/1/ns/net"}]',
    ]], [403, "by path"]),
    build("podman's secrets from a host file", [["secrets", '["id=a,src=/etc/shadow"]']], [
      403,
      "host file",
    ]),
    build("podman's additional build contexts", [[
      "additionalbuildcontexts",
      '{"x":{"Value":"/etc"}}',
    ]], [403, "host directories"]),
    build("podman's harmless parameters", [["layers", "true"], ["jobs", "2"], [
      "pullpolicy",
      "missing",
    ], ["timestamp", "0"]], true),
    build("an unknown parameter", [["cache-mounts", "/"]], [403, "not one this proxy knows"]),
    {
      name: "a build's parameters in a multipart body",
      operation: "ImageBuild",
      body: "--x\r\n",
      contentType: "multipart/form-data; boundary=x",
      expect: [400, "query parameters"],
    },
    {
      name: "a libpod build",
      operation: "LibpodImageBuild",
      query: [["t", "x"], ["layers", "true"]],
      expect: true,
    },
  ]);
});

Deno.test("Image imports, plugins, BuildKit, swarm membership and secrets", async (t) => {
  await runCases(t, [
    { name: "a pull", operation: "ImageCreate", query: [["fromImage", "alpine"]], expect: true },
    {
      name: "an import from the body",
      operation: "ImageCreate",
      query: [["fromSrc", "-"]],
      expect: true,
    },
    {
      name: "an import from a URL when allowed",
      operation: "ImageCreate",
      query: [["fromSrc", "https://example.com/r.tar"]],
      settings: { ALLOW_REMOTE: "1" },
      expect: true,
    },
    {
      name: "an import from a scheme-less address",
      operation: "ImageCreate",
      query: [["fromSrc", "example.com/r.tar"]],
      settings: { ALLOW_REMOTE: "1" },
      expect: [403, "HOST_ACCESS=1"],
    },
    {
      name: "fromSrc sent twice",
      operation: "ImageCreate",
      query: [["fromSrc", "-"], ["fromSrc", "http://x/"]],
      expect: [400, "sent 2 times"],
    },
    {
      name: "fromSrc in a form-encoded body",
      operation: "ImageCreate",
      query: [["fromImage", "alpine"]],
      body: "fromSrc=http://x/",
      contentType: "application/x-www-form-urlencoded",
      expect: [400, "query parameters"],
    },
    {
      name: "a plugin install when allowed",
      operation: "PluginPull",
      query: [["remote", "x"]],
      settings: { ALLOW_PLUGINS: "1" },
      expect: true,
    },
    {
      name: "a plugin upgrade",
      operation: "PluginUpgrade",
      query: [["remote", "x"]],
      expect: [403, "ALLOW_PLUGINS"],
    },
    {
      name: "a plugin create",
      operation: "PluginCreate",
      query: [["name", "x"]],
      expect: [403, "ALLOW_PLUGINS"],
    },
    {
      name: "BuildKit when allowed",
      operation: "Grpc",
      settings: { ALLOW_BUILDKIT: "1" },
      expect: true,
    },
    {
      name: "a swarm init",
      operation: "SwarmInit",
      body: { ListenAddr: "0.0.0.0:2377" },
      expect: [403, "HOST_ACCESS=1"],
    },
    { name: "a swarm update", operation: "SwarmUpdate", body: {}, expect: [403, "HOST_ACCESS=1"] },
    {
      name: "a secret",
      operation: "SecretCreate",
      body: { Name: "s", Data: "eA==", Labels: {} },
      expect: true,
    },
    {
      name: "a secret with a plugin driver",
      operation: "SecretCreate",
      body: { Name: "s", Driver: { Name: "vault" } },
      expect: [403, "ALLOW_PLUGINS"],
    },
    {
      name: "a config with Go templating",
      operation: "ConfigCreate",
      body: { Name: "c", Data: "eA==", Templating: { Name: "golang" } },
      expect: true,
    },
    {
      name: "a checkpoint in the default directory",
      operation: "CheckpointCreate",
      body: { CheckpointID: "c1", Exit: true },
      expect: true,
    },
    {
      name: "an operation without host access",
      operation: "NetworkList",
      body: { Name: "n", Privileged: true },
      expect: true,
    },
  ]);
});
