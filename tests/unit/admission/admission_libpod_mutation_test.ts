/**
 * Podman's bodies and queries and `kube play`'s YAML at their edges: every
 * field the struct readers know, every mode, type and option that is let
 * through or refused, and every message whole (reason, field and setting).
 * Written against the mutants `deno task mutate admission_libpod` showed
 * surviving.
 */
import assert from "node:assert/strict";
import type { AdmissionVerdict } from "../../../lib/admission/refusal.ts";
import { decide, IMAGE } from "../../fixtures/admission_corpus.ts";
import { GoJsonNumber, GoJsonObject } from "../../../lib/admission/go_json.ts";
import { loadYaml, parseKubeYaml } from "../../../lib/admission/yaml_documents.ts";

await loadYaml();

interface Case {
  name: string;
  operation: string;
  body?: unknown;
  query?: [string, string][];
  contentType?: string;
  settings?: Record<string, unknown>;
  expect: AdmissionVerdict;
}

const ALLOWED: AdmissionVerdict = { allowed: true };

/** A 403 as `forbid` gives it: the reason whole, the field and the setting that would allow it. */
function refused(field: string, reason: string, needs: string): AdmissionVerdict {
  return { allowed: false, status: 403, reason, field, needs };
}

/** A 400 as `malformed` gives it. */
function malformed(reason: string, field?: string): AdmissionVerdict {
  return field === undefined
    ? { allowed: false, status: 400, reason }
    : { allowed: false, status: 400, reason, field };
}

async function runTable(t: Deno.TestContext, cases: readonly Case[]): Promise<void> {
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(decide(c), c.expect);
    });
  }
}

/** Every field null: Go leaves each at its zero value, so only an unknown name is refused. */
function allNull(names: readonly string[]): Record<string, null> {
  return Object.fromEntries(names.map((name) => [name, null]));
}

const RO_MEDIA = { ALLOW_BIND_MOUNTS: "/srv/media:ro" };
const MEDIA = { ALLOW_BIND_MOUNTS: "/srv/media" };

// ---------------------------------------------------------------------------
// LibpodContainerCreate (libpod_spec.ts, libpod_fields.ts)

const spec = (
  name: string,
  fields: Record<string, unknown>,
  expect: AdmissionVerdict,
  settings?: Record<string, unknown>,
): Case => ({
  name,
  operation: "LibpodContainerCreate",
  body: { name: "c", image: IMAGE, ...fields },
  settings,
  expect,
});

// deno-fmt-ignore
const SPEC_GENERATOR = [
  "name", "pod", "entrypoint", "command", "env_host", "httpproxy", "env", "terminal", "stdin",
  "labels", "annotations", "stop_signal", "stop_timeout", "timeout", "log_configuration",
  "conmon_pid_file", "restart_policy", "restart_tries", "oci_runtime", "systemd", "sdnotifyMode",
  "pidns", "utsns", "hostname", "hostusers", "sysctl", "remove", "removeImage",
  "containerCreateCommand", "timezone", "dependencyContainers", "secret_env",
  "init_container_type", "personality", "envmerge", "unsetenv", "unsetenvall", "manage_password",
  "passwd_entry", "group_entry", "namespace", "image", "raw_image_name", "image_os", "image_arch",
  "image_variant", "rootfs", "rootfs_overlay", "rootfs_mapping", "image_volume_mode",
  "volumes_from", "init", "init_path", "mounts", "volumes", "overlay_volumes", "image_volumes",
  "artifact_volumes", "devices", "device_cgroup_rule", "devices_from", "host_device_list", "gpus",
  "ipcns", "shm_size", "shm_size_systemd", "work_dir", "create_working_dir", "storage_opts",
  "rootfs_propagation", "secrets", "volatile", "chroot_directories", "privileged", "user",
  "groups", "cap_add", "cap_drop", "selinux_opts", "apparmor_profile", "seccomp_policy",
  "seccomp_profile_path", "no_new_privileges", "userns", "idmappings", "read_only_filesystem",
  "read_write_tmpfs", "label_nested", "umask", "procfs_opts", "mask", "unmask", "cgroupns",
  "cgroups_mode", "cgroup_parent", "netns", "portmappings", "publish_image_ports", "expose",
  "Networks", "cni_networks", "networkOrder", "use_image_resolve_conf", "dns_server",
  "dns_search", "dns_option", "use_image_hostname", "use_image_hosts", "base_hosts_file",
  "hostadd", "network_options", "aliases", "static_ip", "static_ipv6", "static_mac", "intelRdt",
  "resource_limits", "r_limits", "oom_score_adj", "weightDevice", "throttleReadBpsDevice",
  "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice", "unified",
  "cpu_period", "cpu_quota", "healthconfig", "health_check_on_failure_action",
  "startupHealthConfig", "healthLogDestination", "healthMaxLogCount", "healthMaxLogSize",
];
// deno-fmt-ignore
const LINUX_RESOURCES = [
  "devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma", "unified",
];

Deno.test("LibpodContainerCreate knows every field of the SpecGenerator and of its nested structs", async (t) => {
  await runTable(t, [
    {
      name: "every SpecGenerator field, null",
      operation: "LibpodContainerCreate",
      body: allNull(SPEC_GENERATOR),
      expect: ALLOWED,
    },
    spec(
      "every field of a namespace, an OCI mount, a volume, an overlay and a device",
      {
        netns: { nsmode: "bridge", value: "" },
        mounts: [{
          destination: "/t",
          type: "tmpfs",
          source: "tmpfs",
          options: null,
          uidMappings: null,
          gidMappings: null,
        }],
        volumes: [allNull(["Name", "Dest", "Options", "IsAnonymous", "SubPath"])],
        overlay_volumes: [allNull(["destination", "source", "options"])],
        devices: [{
          path: "/dev/null",
          type: null,
          major: null,
          minor: null,
          fileMode: null,
          uid: null,
          gid: null,
        }],
        log_configuration: allNull(["driver", "path", "size", "options", "labels"]),
        resource_limits: allNull(LINUX_RESOURCES),
        idmappings: {
          ...allNull(["HostUIDMapping", "HostGIDMapping", "UIDMap", "GIDMap", "AutoUserNs"]),
          AutoUserNsOpts: allNull([
            "Size",
            "InitialSize",
            "PasswdFile",
            "GroupFile",
            "AdditionalUIDMappings",
            "AdditionalGIDMappings",
          ]),
        },
      },
      ALLOWED,
      { ALLOW_DEVICES: "/dev/null" },
    ),
    spec(
      "a field the SpecGenerator does not have",
      { hostconfig: {} },
      refused(
        "hostconfig",
        "Unknown field hostconfig is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    spec(
      "labels that are not strings",
      { labels: { a: 1 } },
      malformed('labels["a"]: want a string, got a number', 'labels["a"]'),
    ),
  ]);
});

const PRIVATE_MODES = [
  "",
  "default",
  "private",
  "none",
  "bridge",
  "slirp4netns",
  "pasta",
  "shareable",
  "keep-id",
  "no-map",
  "nomap",
  "auto",
  "pod",
  "from_pod",
];

Deno.test("LibpodContainerCreate classifies each podman namespace mode", async (t) => {
  await runTable(t, [
    ...PRIVATE_MODES.map((nsmode) =>
      spec(`the private mode ${JSON.stringify(nsmode)}`, { netns: { nsmode } }, ALLOWED)
    ),
    spec("a namespace sent as null", { netns: null }, ALLOWED),
    spec("a bridge with options", { netns: { nsmode: "bridge", value: "net1" } }, ALLOWED),
    spec(
      "an unknown mode, quoted with its value",
      { netns: { nsmode: "hostish", value: "x" } },
      refused(
        "netns",
        'netns "hostish:x" is a mode this proxy does not know; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    spec(
      "the host's network",
      { netns: { nsmode: "host" } },
      refused("netns", 'netns "host" needs ALLOW_HOST_NETWORK=1', "ALLOW_HOST_NETWORK=1"),
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    spec("the host's network when allowed", { netns: { nsmode: "host" } }, ALLOWED, {
      ALLOW_HOST_NETWORK: "1",
    }),
    ...["pidns", "ipcns", "utsns", "userns"].map((name) =>
      spec(
        `the host's ${name}`,
        { [name]: { nsmode: "host" } },
        refused(name, `${name} "host" needs ALLOW_HOST_NAMESPACES=1`, "ALLOW_HOST_NAMESPACES=1"),
        { ALLOW_HOST_NETWORK: "1" },
      )
    ),
    spec(
      "another container's cgroup namespace",
      { cgroupns: { nsmode: "container", value: "db" } },
      refused(
        "cgroupns",
        'cgroupns "container:db" needs ALLOW_JOIN_CONTAINERS=1',
        "ALLOW_JOIN_CONTAINERS=1",
      ),
    ),
    spec(
      "a pid namespace by path",
      { pidns: { nsmode: "path", value: "/proc/1/ns/pid" } },
      refused(
        "pidns",
        'pidns "path:/proc/1/ns/pid" (a namespace by path, such as the host\'s) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    spec(
      "pasta with options (passed to a host program)",
      { netns: { nsmode: "pasta", value: "--map-gw" } },
      refused(
        "netns",
        'netns "pasta:--map-gw" (a namespace by path, such as the host\'s) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    spec(
      "slirp4netns with options",
      { netns: { nsmode: "slirp4netns", value: "allow_host_loopback=true" } },
      refused(
        "netns",
        'netns "slirp4netns:allow_host_loopback=true" needs ALLOW_HOST_NETWORK=1',
        "ALLOW_HOST_NETWORK=1",
      ),
    ),
    spec(
      "slirp4netns with options when the host network is allowed",
      { netns: { nsmode: "slirp4netns", value: "allow_host_loopback=true" } },
      ALLOWED,
      { ALLOW_HOST_NETWORK: "1" },
    ),
  ]);
});

Deno.test("LibpodContainerCreate makes namespaced sysctls global only with the namespace they belong to", async (t) => {
  const sysctl = (name: string) =>
    refused(
      `sysctl[${JSON.stringify(name)}]`,
      `sysctl[${
        JSON.stringify(name)
      }] (not namespaced, or in a namespace shared with the host) needs ALLOW_SYSCTLS to include ${name}`,
      "ALLOW_SYSCTLS",
    );
  const all = { "net.ipv4.ip_forward": "1", "kernel.msgmax": "1", "kernel.hostname": "x" };
  await runTable(t, [
    spec("network, ipc and uts sysctls in private namespaces", { sysctl: all }, ALLOWED),
    spec(
      "network, ipc and uts sysctls with only the host's pid namespace",
      { pidns: { nsmode: "host" }, sysctl: all },
      ALLOWED,
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    spec(
      "a network sysctl in the host's network",
      { netns: { nsmode: "host" }, sysctl: { "net.ipv4.ip_forward": "1" } },
      sysctl("net.ipv4.ip_forward"),
      { ALLOW_HOST_NETWORK: "1" },
    ),
    spec(
      "a network sysctl in another container's network",
      { netns: { nsmode: "container", value: "db" }, sysctl: { "net.ipv4.ip_forward": "1" } },
      sysctl("net.ipv4.ip_forward"),
      { ALLOW_JOIN_CONTAINERS: "1" },
    ),
    spec(
      "an ipc sysctl in the host's ipc namespace",
      { ipcns: { nsmode: "host" }, sysctl: { "kernel.msgmax": "1" } },
      sysctl("kernel.msgmax"),
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    spec(
      "a uts sysctl in the host's uts namespace",
      { utsns: { nsmode: "host" }, sysctl: { "kernel.hostname": "x" } },
      sysctl("kernel.hostname"),
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
  ]);
});

Deno.test("LibpodContainerCreate refuses the SpecGenerator's privileges with their messages", async (t) => {
  await runTable(t, [
    spec(
      "privileged",
      { privileged: true },
      refused("privileged", "privileged needs ALLOW_PRIVILEGED=1", "ALLOW_PRIVILEGED=1"),
    ),
    spec("not privileged", { privileged: false, env_host: false }, ALLOWED),
    spec(
      "the service's environment",
      { env_host: true },
      refused(
        "env_host",
        "env_host (the service's environment) needs HOST_ACCESS=1",
        "HOST_ACCESS=1",
      ),
      { ALLOW_PRIVILEGED: "1" },
    ),
    spec(
      "host users",
      { hostusers: ["root"] },
      refused(
        "hostusers",
        "hostusers (entries of the host's /etc/passwd) needs HOST_ACCESS=1",
        "HOST_ACCESS=1",
      ),
    ),
    spec("no host users", { hostusers: [] }, ALLOWED),
    spec(
      "network helper options",
      { network_options: { slirp4netns: ["allow_host_loopback=true"] } },
      refused(
        "network_options",
        "network_options (options of the host's network helpers) needs ALLOW_HOST_NETWORK=1",
        "ALLOW_HOST_NETWORK=1",
      ),
    ),
    spec("no network helper options", { network_options: {} }, ALLOWED),
    spec(
      "network helper options that are not a map",
      { network_options: [] },
      malformed("network_options: want an object, got an array", "network_options"),
    ),
    spec(
      "network helper options when the host network is allowed",
      { network_options: { pasta: ["--map-gw"] } },
      ALLOWED,
      { ALLOW_HOST_NETWORK: "1" },
    ),
    spec(
      "a capability",
      { cap_add: ["CHOWN", "SYS_ADMIN"] },
      refused(
        "cap_add[1]",
        'cap_add[1] "SYS_ADMIN" needs ALLOW_CAPABILITIES to include SYS_ADMIN',
        "ALLOW_CAPABILITIES",
      ),
    ),
    spec(
      "SELinux options, joined",
      { selinux_opts: ["type:spc_t", "level:s0"] },
      refused(
        "selinux_opts",
        'selinux_opts "type:spc_t,level:s0" needs ALLOW_UNCONFINED=1',
        "ALLOW_UNCONFINED=1",
      ),
    ),
    spec(
      "unmasked paths",
      { unmask: ["ALL"] },
      refused("unmask", 'unmask "ALL" needs ALLOW_UNCONFINED=1', "ALLOW_UNCONFINED=1"),
    ),
    spec("no SELinux options and nothing unmasked", { selinux_opts: [], unmask: [] }, ALLOWED),
    spec(
      "an AppArmor profile",
      { apparmor_profile: "unconfined" },
      refused(
        "apparmor_profile",
        'apparmor_profile "unconfined" needs ALLOW_UNCONFINED=1',
        "ALLOW_UNCONFINED=1",
      ),
    ),
    spec(
      "a seccomp profile file",
      { seccomp_profile_path: "/etc/x.json" },
      refused(
        "seccomp_profile_path",
        'seccomp_profile_path "/etc/x.json" needs ALLOW_UNCONFINED=1',
        "ALLOW_UNCONFINED=1",
      ),
    ),
    spec(
      "the image's seccomp policy",
      { seccomp_policy: "image" },
      refused(
        "seccomp_policy",
        'seccomp_policy "image" needs ALLOW_UNCONFINED=1',
        "ALLOW_UNCONFINED=1",
      ),
    ),
    spec("an empty seccomp policy", { seccomp_policy: "" }, ALLOWED),
    spec(
      "nested SELinux labels",
      { label_nested: true },
      refused("label_nested", "label_nested needs ALLOW_UNCONFINED=1", "ALLOW_UNCONFINED=1"),
    ),
    spec(
      "every confinement option when unconfined is allowed",
      {
        selinux_opts: ["disable"],
        unmask: ["ALL"],
        apparmor_profile: "unconfined",
        seccomp_profile_path: "/etc/x.json",
        seccomp_policy: "image",
        label_nested: true,
      },
      ALLOWED,
      { ALLOW_UNCONFINED: "1" },
    ),
    spec(
      "automatic user namespaces reading a host group file",
      { idmappings: { AutoUserNs: true, AutoUserNsOpts: { GroupFile: "/etc/group" } } },
      refused(
        "idmappings.AutoUserNsOpts.GroupFile",
        'idmappings.AutoUserNsOpts.GroupFile "/etc/group" (a host file) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    spec(
      "automatic user namespaces reading a host passwd file",
      { idmappings: { AutoUserNs: true, AutoUserNsOpts: { PasswdFile: "/etc/passwd" } } },
      refused(
        "idmappings.AutoUserNsOpts.PasswdFile",
        'idmappings.AutoUserNsOpts.PasswdFile "/etc/passwd" (a host file) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    spec("idmappings without automatic options", { idmappings: { AutoUserNs: true } }, ALLOWED),
    spec(
      "a cgroup parent",
      { cgroup_parent: "/machine" },
      refused(
        "cgroup_parent",
        'cgroup_parent "/machine" needs ALLOW_CGROUP_PARENT=1',
        "ALLOW_CGROUP_PARENT=1",
      ),
    ),
    spec("a cgroup parent when allowed", { cgroup_parent: "/machine" }, ALLOWED, {
      ALLOW_CGROUP_PARENT: "1",
    }),
    spec(
      "a negative OOM score",
      { oom_score_adj: -1 },
      refused(
        "oom_score_adj",
        "oom_score_adj -1 needs ALLOW_OOM_SCORE_ADJ=1",
        "ALLOW_OOM_SCORE_ADJ=1",
      ),
    ),
    spec("a zero OOM score", { oom_score_adj: 0 }, ALLOWED),
    spec("a positive OOM score", { oom_score_adj: 500 }, ALLOWED),
    spec("a negative OOM score when allowed", { oom_score_adj: -1000 }, ALLOWED, {
      ALLOW_OOM_SCORE_ADJ: "1",
    }),
    spec(
      "another OCI runtime",
      { oci_runtime: "kata" },
      refused(
        "oci_runtime",
        'oci_runtime "kata" needs ALLOW_RUNTIMES to include kata',
        "ALLOW_RUNTIMES",
      ),
    ),
    spec(
      "a runtime annotation",
      { annotations: { "run.oci.hooks.stdout": "/etc/x" } },
      refused(
        'annotations["run.oci.hooks.stdout"]',
        'annotations["run.oci.hooks.stdout"] (read by the OCI runtime or its hooks) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
  ]);
});

Deno.test("LibpodContainerCreate checks each host path of the SpecGenerator with its description", async (t) => {
  const uncovered = (field: string, value: string, what: string, path = value) =>
    refused(
      field,
      `${field} ${JSON.stringify(value)} (${what}) needs ALLOW_BIND_MOUNTS to cover ${path}`,
      "ALLOW_BIND_MOUNTS",
    );
  const readWrite = (field: string, value: string, what: string) =>
    refused(
      field,
      `${field} ${
        JSON.stringify(value)
      } (${what}) is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
      "ALLOW_BIND_MOUNTS",
    );
  await runTable(t, [
    spec(
      "a root filesystem from the host",
      { rootfs: "/srv/media/root" },
      readWrite("rootfs", "/srv/media/root", "the container's root filesystem"),
      RO_MEDIA,
    ),
    spec(
      "a root filesystem under an overlay (read-only on the host)",
      { rootfs: "/srv/media/root", rootfs_overlay: true },
      ALLOWED,
      RO_MEDIA,
    ),
    spec(
      "a root filesystem not covered",
      { rootfs: "/", rootfs_overlay: true },
      uncovered("rootfs", "/", "the container's root filesystem"),
    ),
    spec(
      "an init binary, read-only",
      { init_path: "/srv/media/catatonit" },
      ALLOWED,
      RO_MEDIA,
    ),
    spec(
      "an init binary not covered",
      { init_path: "/usr/bin/catatonit" },
      uncovered("init_path", "/usr/bin/catatonit", "run as the container's init"),
    ),
    spec(
      "a conmon pid file (written)",
      { conmon_pid_file: "/srv/media/c.pid" },
      readWrite("conmon_pid_file", "/srv/media/c.pid", "written by conmon"),
      RO_MEDIA,
    ),
    spec(
      "a conmon pid file not covered",
      { conmon_pid_file: "/run/c.pid" },
      uncovered("conmon_pid_file", "/run/c.pid", "written by conmon"),
    ),
    spec(
      "a conmon pid file under a read-write prefix",
      {
        conmon_pid_file: "/srv/media/c.pid",
      },
      ALLOWED,
      MEDIA,
    ),
    spec("no base hosts file", { base_hosts_file: "" }, ALLOWED),
    spec("no base hosts file at all", { base_hosts_file: "none" }, ALLOWED),
    spec(
      "a base hosts file from the host",
      { base_hosts_file: "/etc/hosts" },
      uncovered("base_hosts_file", "/etc/hosts", "copied into the container"),
    ),
    spec(
      "a base hosts file under a read-only prefix (read-only)",
      { base_hosts_file: "/srv/media/hosts" },
      ALLOWED,
      RO_MEDIA,
    ),
    spec("health logs to podman's events", { healthLogDestination: "events" }, ALLOWED),
    spec("health logs nowhere in particular", { healthLogDestination: "" }, ALLOWED),
    spec(
      "health logs to a host directory",
      { healthLogDestination: "/var/log" },
      uncovered("healthLogDestination", "/var/log", "a directory podman writes health logs to"),
    ),
    spec(
      "health logs to a read-only prefix (written)",
      { healthLogDestination: "/srv/media/h" },
      readWrite("healthLogDestination", "/srv/media/h", "a directory podman writes health logs to"),
      RO_MEDIA,
    ),
    spec(
      "a log file on the host",
      { log_configuration: { driver: "k8s-file", path: "/etc/x.log" } },
      uncovered("log_configuration.path", "/etc/x.log", "the container's log file"),
    ),
    spec(
      "a log file under a read-only prefix (written)",
      { log_configuration: { path: "/srv/media/x.log" } },
      readWrite("log_configuration.path", "/srv/media/x.log", "the container's log file"),
      RO_MEDIA,
    ),
    spec(
      "a log driver that is not local",
      { log_configuration: { driver: "syslog" } },
      refused(
        "log_configuration",
        'log_configuration log driver "syslog" needs ALLOW_LOG_DRIVERS to include syslog',
        "ALLOW_LOG_DRIVERS",
      ),
    ),
    spec(
      "a log option naming a host path",
      { log_configuration: { driver: "k8s-file", options: { path: "/etc/x" } } },
      refused(
        "log_configuration",
        'log_configuration log option path="/etc/x" (a host path) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    spec(
      "shared root propagation",
      { rootfs_propagation: "shared" },
      refused(
        "rootfs_propagation",
        "rootfs_propagation (propagation shared: mounts made in the container appear on the host) needs ALLOW_PRIVILEGED=1",
        "ALLOW_PRIVILEGED=1",
      ),
    ),
    spec("private root propagation", { rootfs_propagation: "rprivate" }, ALLOWED),
  ]);
});

Deno.test("LibpodContainerCreate reads a time zone as a name under /usr/share/zoneinfo", async (t) => {
  const refusedZone = (zone: string) =>
    refused(
      "timezone",
      `timezone ${
        JSON.stringify(zone)
      } (a path under the host's /usr/share/zoneinfo) needs HOST_ACCESS=1`,
      "HOST_ACCESS=1",
    );
  await runTable(t, [
    ...["UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+3", "Etc/GMT-3", "", "local"].map((
      zone,
    ) => spec(`the zone ${JSON.stringify(zone)}`, { timezone: zone }, ALLOWED)),
    ...[
      "../../../etc/shadow",
      "/etc/shadow",
      "Europe//Berlin",
      "Europe/Berlin/",
      "Europe/../../x",
      "x/Europe/.",
      "Europe/Ber lin",
      ".",
    ].map((zone) =>
      spec(`the zone ${JSON.stringify(zone)}`, { timezone: zone }, refusedZone(zone))
    ),
  ]);
});

Deno.test("LibpodContainerCreate checks OCI mounts by type and options", async (t) => {
  const mount = (fields: Record<string, unknown>) => ({
    mounts: [{ destination: "/m", ...fields }],
  });
  const what = (type: string, source: string, i = 0) =>
    `mounts[${i}] (type ${JSON.stringify(type)}, source ${JSON.stringify(source)})`;
  await runTable(t, [
    ...["tmpfs", "ramfs", "devpts", "mqueue", "image", "volume", "artifact"].map((type) =>
      spec(`a ${type} mount`, mount({ type, source: "x" }), ALLOWED)
    ),
    ...["proc", "sysfs", "cgroup", "cgroup2"].map((type) =>
      spec(
        `a ${type} mount`,
        mount({ type, source: type }),
        refused(
          "mounts[0]",
          `${what(type, type)} (an unmasked kernel filesystem) needs ALLOW_PRIVILEGED=1`,
          "ALLOW_PRIVILEGED=1",
        ),
      )
    ),
    spec(
      "a proc mount when privileged is allowed",
      mount({ type: "proc", source: "proc" }),
      ALLOWED,
      {
        ALLOW_PRIVILEGED: "1",
      },
    ),
    spec(
      "a mount type the proxy does not know, second in the list",
      {
        mounts: [{ destination: "/t", type: "tmpfs" }, {
          destination: "/d",
          type: "ext4",
          source: "/dev/sda1",
        }],
      },
      refused(
        "mounts[1]",
        `${
          what("ext4", "/dev/sda1", 1)
        } has a mount type this proxy does not allow; it needs HOST_ACCESS=1`,
        "HOST_ACCESS=1",
      ),
    ),
    spec(
      "a shared propagation option",
      mount({ type: "tmpfs", options: ["rshared"] }),
      refused(
        "mounts[0]",
        `${
          what("tmpfs", "")
        } (propagation rshared: mounts made in the container appear on the host) needs ALLOW_PRIVILEGED=1`,
        "ALLOW_PRIVILEGED=1",
      ),
    ),
    spec(
      "an overlay work directory on the host",
      mount({ type: "tmpfs", options: ["workdir=/etc"] }),
      refused(
        "mounts[0]",
        `${what("tmpfs", "")} needs ALLOW_BIND_MOUNTS to cover /etc`,
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    spec(
      "an overlay upper directory on the host",
      mount({ type: "tmpfs", options: ["upperdir=/etc"] }),
      refused(
        "mounts[0]",
        `${what("tmpfs", "")} needs ALLOW_BIND_MOUNTS to cover /etc`,
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    spec(
      "upperdir and workdir without a value, and another directory option",
      mount({ type: "tmpfs", options: ["upperdir", "workdir", "lowerdir=/etc"] }),
      ALLOWED,
    ),
    spec(
      "an overlay directory is written (read-write under a read-only prefix)",
      mount({ type: "tmpfs", options: ["upperdir=/srv/media/u"] }),
      refused(
        "mounts[0]",
        `${
          what("tmpfs", "")
        } is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    ...["bind", "rbind"].map((option) =>
      spec(
        `a mount made a bind by the ${option} option`,
        mount({ type: "none", source: "/etc", options: [option] }),
        refused(
          "mounts[0]",
          `${what("none", "/etc")} needs ALLOW_BIND_MOUNTS to cover /etc`,
          "ALLOW_BIND_MOUNTS",
        ),
      )
    ),
    spec(
      "a bind without a source (the root)",
      mount({ type: "bind" }),
      refused(
        "mounts[0]",
        `${what("bind", "")} needs ALLOW_BIND_MOUNTS to cover /`,
        "ALLOW_BIND_MOUNTS",
      ),
      MEDIA,
    ),
    spec(
      "a read-write bind under a read-only prefix",
      mount({ type: "bind", source: "/srv/media", options: ["rw"] }),
      refused(
        "mounts[0]",
        `${
          what("bind", "/srv/media")
        } is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    ...["z", "Z", "relabel=private", "relabel=shared"].map((option) =>
      spec(
        `a read-only bind relabelled by ${option}`,
        mount({ type: "bind", source: "/srv/media", options: ["ro", option] }),
        refused(
          "mounts[0]",
          `${
            what("bind", "/srv/media")
          } relabels the host files (z/Z), and ALLOW_BIND_MOUNTS allows /srv/media read-only`,
          "ALLOW_BIND_MOUNTS",
        ),
        RO_MEDIA,
      )
    ),
    ...["U", "chown"].map((option) =>
      spec(
        `a read-only bind chowned by ${option}`,
        mount({ type: "bind", source: "/srv/media", options: ["ro", option] }),
        refused(
          "mounts[0]",
          `${
            what("bind", "/srv/media")
          } changes the host files' owner (U), and ALLOW_BIND_MOUNTS allows /srv/media read-only`,
          "ALLOW_BIND_MOUNTS",
        ),
        RO_MEDIA,
      )
    ),
    spec(
      "a read-only bind with another relabel option",
      mount({ type: "bind", source: "/srv/media", options: ["ro", "relabel=none"] }),
      ALLOWED,
      RO_MEDIA,
    ),
    spec(
      "a relabelled bind under a read-write prefix",
      mount({
        type: "bind",
        source: "/srv/media",
        options: ["Z", "U"],
      }),
      ALLOWED,
      MEDIA,
    ),
    ...[
      ["/srv/media/*.mkv", "/srv/media"],
      ["/srv/media/a?/b", "/srv/media"],
      ["/srv/media/[ab]", "/srv/media"],
      ["/srv/*/x", "/srv"],
      ["/srv/media/x", "/srv/media/x"],
    ].map(([source, covered]) =>
      spec(
        `a glob ${source} (checked as ${covered})`,
        mount({ type: "glob", source }),
        refused(
          "mounts[0]",
          `${what("glob", source)} needs ALLOW_BIND_MOUNTS to cover ${covered}`,
          "ALLOW_BIND_MOUNTS",
        ),
        { ALLOW_BIND_MOUNTS: "/opt" },
      )
    ),
    spec(
      "a glob whose pattern a newline cuts short (checked whole, and refused as not canonical)",
      mount({ type: "glob", source: "/srv/media/*\n/x" }),
      malformed(
        'mounts[0] (type "glob", source "/srv/media/*\\n/x") has a host path that is not absolute and canonical (no .., ., //, \\ or control characters): "/srv/media/*\\n/x"',
        "mounts[0]",
      ),
    ),
    spec(
      "a bind whose source has a glob character (a plain path)",
      mount({ type: "bind", source: "/srv/media/x*" }),
      refused(
        "mounts[0]",
        `${what("bind", "/srv/media/x*")} needs ALLOW_BIND_MOUNTS to cover /srv/media/x*`,
        "ALLOW_BIND_MOUNTS",
      ),
      { ALLOW_BIND_MOUNTS: "/opt" },
    ),
    spec(
      "a glob under the prefix",
      mount({ type: "glob", source: "/srv/media/*.mkv", options: ["ro"] }),
      ALLOWED,
      RO_MEDIA,
    ),
  ]);
});

Deno.test("LibpodContainerCreate checks named volumes, overlays and volumes-from", async (t) => {
  await runTable(t, [
    spec(
      "a named volume that is a path",
      { volumes: [{ Name: "data", Dest: "/d" }, { Name: "a/b", Dest: "/e" }] },
      refused(
        "volumes[1].Name",
        'volumes[1].Name "a/b" (a path, not a volume name) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    ...["upperdir", "workdir"].map((key) =>
      spec(
        `a named volume's ${key} on the host`,
        { volumes: [{ Name: "data", Dest: "/d", Options: ["O", `${key}=/etc`] }] },
        refused(
          "volumes[0]",
          `volumes[0] option "${key}=/etc" needs ALLOW_BIND_MOUNTS to cover /etc`,
          "ALLOW_BIND_MOUNTS",
        ),
      )
    ),
    spec(
      "a named volume's overlay directory is written",
      { volumes: [{ Name: "data", Dest: "/d", Options: ["upperdir=/srv/media/u"] }] },
      refused(
        "volumes[0]",
        'volumes[0] option "upperdir=/srv/media/u" is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)',
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    spec("a named volume's other options", {
      volumes: [{ Name: "data", Dest: "/d", Options: ["upperdir", "lowerdir=/etc", "ro"] }],
    }, ALLOWED),
    spec(
      "an overlay of a host directory",
      { overlay_volumes: [{ destination: "/o", source: "/etc" }] },
      refused(
        "overlay_volumes[0].source",
        'overlay_volumes[0].source "/etc" (the lower directory of an overlay) needs ALLOW_BIND_MOUNTS to cover /etc',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    ...["upperdir", "workdir"].map((key) =>
      spec(
        `an overlay's ${key} on the host`,
        {
          overlay_volumes: [{ destination: "/o", source: "/srv/media", options: [`${key}=/etc`] }],
        },
        refused(
          "overlay_volumes[0]",
          `overlay_volumes[0] option "${key}=/etc" needs ALLOW_BIND_MOUNTS to cover /etc`,
          "ALLOW_BIND_MOUNTS",
        ),
        RO_MEDIA,
      )
    ),
    spec(
      "an overlay's upper directory is written",
      {
        overlay_volumes: [{
          destination: "/o",
          source: "/srv/media",
          options: ["upperdir=/srv/media/u"],
        }],
      },
      refused(
        "overlay_volumes[0]",
        'overlay_volumes[0] option "upperdir=/srv/media/u" is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)',
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    spec(
      "an overlay's other options",
      {
        overlay_volumes: [{
          destination: "/o",
          source: "/srv/media",
          options: ["upperdir", "lowerdir=/etc"],
        }],
      },
      ALLOWED,
      RO_MEDIA,
    ),
    spec(
      "volumes from other containers, joined",
      { volumes_from: ["db", "web:ro"] },
      refused(
        "volumes_from",
        'volumes_from "db,web:ro" needs ALLOW_JOIN_CONTAINERS=1',
        "ALLOW_JOIN_CONTAINERS=1",
      ),
    ),
    spec("no volumes from other containers", { volumes_from: [] }, ALLOWED),
    spec("volumes from other containers when allowed", { volumes_from: ["db"] }, ALLOWED, {
      ALLOW_JOIN_CONTAINERS: "1",
    }),
  ]);
});

Deno.test("LibpodContainerCreate checks devices, device rules and resource limits", async (t) => {
  await runTable(t, [
    spec(
      "a device with a container path",
      { devices: [{ path: "/dev/null" }, { path: "/dev/sda:/dev/xvda:rwm" }] },
      refused(
        "devices[1]",
        'devices[1] "/dev/sda:/dev/xvda:rwm" needs ALLOW_DEVICES to cover /dev/sda',
        "ALLOW_DEVICES",
      ),
      { ALLOW_DEVICES: "/dev/null" },
    ),
    spec(
      "a CDI device",
      { devices: [{ path: "nvidia.com/gpu=0" }] },
      refused(
        "devices[0]",
        'devices[0] "nvidia.com/gpu=0" needs ALLOW_DEVICES=ALL',
        "ALLOW_DEVICES=ALL",
      ),
      { ALLOW_DEVICES: "/dev" },
    ),
    spec(
      "a CDI device when every device is allowed",
      { devices: [{ path: "nvidia.com/gpu=0" }] },
      ALLOWED,
      {
        ALLOW_DEVICES: "ALL",
      },
    ),
    spec(
      "a host device path with an equals sign",
      { devices: [{ path: "/dev/a=b" }] },
      refused(
        "devices[0]",
        'devices[0] "/dev/a=b" needs ALLOW_DEVICES to cover /dev/a=b',
        "ALLOW_DEVICES",
      ),
    ),
    spec(
      "a relative device path",
      { devices: [{ path: "sda" }] },
      malformed(
        'devices[0] "sda" has a host path that is not absolute and canonical (no .., ., //, \\ or control characters): "sda"',
        "devices[0]",
      ),
    ),
    ...["device_cgroup_rule", "devices_from", "host_device_list", "gpus"].map((name) =>
      spec(
        `${name}`,
        { [name]: ["x"] },
        refused(name, `${name} needs ALLOW_DEVICES=ALL`, "ALLOW_DEVICES=ALL"),
        { ALLOW_DEVICES: "/dev" },
      )
    ),
    spec("empty device lists", {
      device_cgroup_rule: [],
      devices_from: [],
      host_device_list: [],
      gpus: [],
      devices: [],
    }, ALLOWED),
    spec(
      "device lists when every device is allowed",
      {
        device_cgroup_rule: [{ allow: true, access: "rwm" }],
        gpus: ["all"],
      },
      ALLOWED,
      { ALLOW_DEVICES: "ALL" },
    ),
    spec(
      "device cgroup rules in the resource limits",
      { resource_limits: { devices: [{ allow: true, access: "rwm" }] } },
      refused(
        "resource_limits.devices",
        "resource_limits.devices (device cgroup rules) needs ALLOW_DEVICES=ALL",
        "ALLOW_DEVICES=ALL",
      ),
    ),
    spec(
      "no device cgroup rules in the resource limits",
      { resource_limits: { devices: [] } },
      ALLOWED,
    ),
    spec(
      "a unified key of the resource limits escaping the cgroup",
      { resource_limits: { unified: { "memory.max": "1G", "../cgroup.procs": "1" } } },
      refused(
        "unified",
        'Cgroup file "../cgroup.procs" in unified is not a cgroup file name; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    ...["memory.high", "cpu.max", "io.bfq.weight", "hugetlb.2mb.max", "cpu_0.y_1"].map((key) =>
      spec(`the unified key ${key}`, { unified: { [key]: "1" } }, ALLOWED)
    ),
    ...[
      "memory",
      "Memory.high",
      "memory.high/x",
      "x/memory.high",
      ".memory",
      "memory.",
      "memory.high\n",
    ].map((
      key,
    ) =>
      spec(
        `the unified key ${JSON.stringify(key)}`,
        { unified: { [key]: "1" } },
        refused(
          "unified",
          `Cgroup file ${
            JSON.stringify(key)
          } in unified is not a cgroup file name; it needs HOST_ACCESS=1`,
          "HOST_ACCESS=1",
        ),
      )
    ),
  ]);
});

// ---------------------------------------------------------------------------
// LibpodPodCreate (libpod_pod.ts)

const podSpec = (
  name: string,
  fields: Record<string, unknown>,
  expect: AdmissionVerdict,
  settings?: Record<string, unknown>,
): Case => ({
  name,
  operation: "LibpodPodCreate",
  body: { name: "p", ...fields },
  settings,
  expect,
});

// deno-fmt-ignore
const POD_SPEC_GENERATOR = [
  "name", "hostname", "labels", "no_infra", "infra_image", "infra_name", "infra_command",
  "infra_conmon_pid_file", "pod_create_command", "pod_devices", "share_parent",
  "shared_namespaces", "sysctl", "exit_policy", "restart_policy", "restart_tries", "ipcns",
  "pidns", "userns", "utsns", "netns", "portmappings", "Networks", "cni_networks", "dns_server",
  "dns_search", "dns_option", "hostadd", "hostsFile", "no_manage_hostname", "no_manage_hosts",
  "no_manage_resolv_conf", "network_options", "static_ip", "static_mac", "cgroup_parent",
  "cpu_period", "cpu_quota", "resource_limits", "throttleReadBpsDevice", "security_opt",
  "idmappings", "image_volumes", "mounts", "overlay_volumes", "shm_size", "shm_size_systemd",
  "volumes", "volumes_from", "serviceContainerID",
];

Deno.test("LibpodPodCreate checks a PodSpecGenerator's fields with their messages", async (t) => {
  await runTable(t, [
    {
      name: "every PodSpecGenerator field, null",
      operation: "LibpodPodCreate",
      body: allNull(POD_SPEC_GENERATOR),
      expect: ALLOWED,
    },
    podSpec(
      "a cgroup namespace (not a pod field)",
      { cgroupns: { nsmode: "host" } },
      refused(
        "cgroupns",
        "Unknown field cgroupns is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    podSpec(
      "the host's network",
      { netns: { nsmode: "host" } },
      refused("netns", 'netns "host" needs ALLOW_HOST_NETWORK=1', "ALLOW_HOST_NETWORK=1"),
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    ...["pidns", "ipcns", "utsns", "userns"].map((name) =>
      podSpec(
        `the host's ${name}`,
        { [name]: { nsmode: "host" } },
        refused(name, `${name} "host" needs ALLOW_HOST_NAMESPACES=1`, "ALLOW_HOST_NAMESPACES=1"),
        { ALLOW_HOST_NETWORK: "1" },
      )
    ),
    podSpec(
      "a network sysctl in the host's network",
      { netns: { nsmode: "host" }, sysctl: { "net.core.somaxconn": "1024" } },
      refused(
        'sysctl["net.core.somaxconn"]',
        'sysctl["net.core.somaxconn"] (not namespaced, or in a namespace shared with the host) needs ALLOW_SYSCTLS to include net.core.somaxconn',
        "ALLOW_SYSCTLS",
      ),
      { ALLOW_HOST_NETWORK: "1" },
    ),
    podSpec("a network sysctl in the pod's network", {
      sysctl: { "net.core.somaxconn": "1024" },
    }, ALLOWED),
    podSpec(
      "network helper options",
      { network_options: { pasta: ["-T", "8080"] } },
      refused(
        "network_options",
        "network_options (options of the host's network helpers) needs ALLOW_HOST_NETWORK=1",
        "ALLOW_HOST_NETWORK=1",
      ),
    ),
    podSpec("no network helper options", { network_options: {} }, ALLOWED),
    podSpec(
      "network helper options that are not a map",
      { network_options: "pasta" },
      malformed("network_options: want an object, got a string", "network_options"),
    ),
    podSpec(
      "network helper options when the host network is allowed",
      {
        network_options: { pasta: ["-T", "8080"] },
      },
      ALLOWED,
      { ALLOW_HOST_NETWORK: "1" },
    ),
    podSpec(
      "a security option",
      { security_opt: ["no-new-privileges", "seccomp=unconfined"] },
      refused(
        "security_opt[1]",
        'security_opt[1] "seccomp=unconfined" needs ALLOW_UNCONFINED=1',
        "ALLOW_UNCONFINED=1",
      ),
    ),
    podSpec(
      "an infra conmon pid file",
      { infra_conmon_pid_file: "/run/p.pid" },
      refused(
        "infra_conmon_pid_file",
        'infra_conmon_pid_file "/run/p.pid" (written by conmon) needs ALLOW_BIND_MOUNTS to cover /run/p.pid',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    podSpec(
      "an infra conmon pid file under a read-only prefix (written)",
      { infra_conmon_pid_file: "/srv/media/p.pid" },
      refused(
        "infra_conmon_pid_file",
        'infra_conmon_pid_file "/srv/media/p.pid" (written by conmon) is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)',
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    ...["", "none", "image"].map((hostsFile) =>
      podSpec(`the hosts file ${JSON.stringify(hostsFile)}`, { hostsFile }, ALLOWED)
    ),
    podSpec(
      "a hosts file from the host",
      { hostsFile: "/etc/hosts" },
      refused(
        "hostsFile",
        'hostsFile "/etc/hosts" (copied into the pod) needs ALLOW_BIND_MOUNTS to cover /etc/hosts',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    podSpec(
      "a hosts file under a read-only prefix (read)",
      { hostsFile: "/srv/media/hosts" },
      ALLOWED,
      RO_MEDIA,
    ),
    podSpec(
      "a cgroup parent",
      { cgroup_parent: "machine.slice" },
      refused(
        "cgroup_parent",
        'cgroup_parent "machine.slice" needs ALLOW_CGROUP_PARENT=1',
        "ALLOW_CGROUP_PARENT=1",
      ),
    ),
    podSpec("a cgroup parent when allowed", { cgroup_parent: "machine.slice" }, ALLOWED, {
      ALLOW_CGROUP_PARENT: "1",
    }),
    podSpec(
      "a second pod device with a container path",
      { pod_devices: ["/dev/null", "/dev/kvm:/dev/kvm"] },
      refused(
        "pod_devices[1]",
        'pod_devices[1] "/dev/kvm:/dev/kvm" needs ALLOW_DEVICES to cover /dev/kvm',
        "ALLOW_DEVICES",
      ),
      { ALLOW_DEVICES: "/dev/null" },
    ),
    podSpec("a covered pod device", { pod_devices: ["/dev/kvm:/dev/kvm:rwm"] }, ALLOWED, {
      ALLOW_DEVICES: "/dev/kvm",
    }),
    podSpec(
      "device cgroup rules in the pod's resource limits",
      { resource_limits: { devices: [{ allow: true }] } },
      refused(
        "resource_limits.devices",
        "resource_limits.devices (device cgroup rules) needs ALLOW_DEVICES=ALL",
        "ALLOW_DEVICES=ALL",
      ),
    ),
    podSpec(
      "a pod bind mount",
      { mounts: [{ destination: "/m", type: "bind", source: "/etc" }] },
      refused(
        "mounts[0]",
        'mounts[0] (type "bind", source "/etc") needs ALLOW_BIND_MOUNTS to cover /etc',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    podSpec("a pod named volume", { volumes: [{ Name: "data", Dest: "/d" }] }, ALLOWED),
    podSpec(
      "a pod named volume that is a path",
      {
        volumes: [allNull(["Name", "Dest", "Options", "IsAnonymous", "SubPath"]), { Name: "/etc" }],
      },
      refused(
        "volumes[1].Name",
        'volumes[1].Name "/etc" (a path, not a volume name) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    podSpec(
      "a pod overlay of a host directory",
      { overlay_volumes: [{ destination: "/o", source: "/etc" }] },
      refused(
        "overlay_volumes[0].source",
        'overlay_volumes[0].source "/etc" (the lower directory of an overlay) needs ALLOW_BIND_MOUNTS to cover /etc',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    podSpec(
      "pod volumes from another container",
      { volumes_from: ["db"] },
      refused(
        "volumes_from",
        'volumes_from "db" needs ALLOW_JOIN_CONTAINERS=1',
        "ALLOW_JOIN_CONTAINERS=1",
      ),
    ),
    podSpec(
      "pod idmappings reading a host passwd file",
      { idmappings: { AutoUserNsOpts: { PasswdFile: "/etc/passwd" } } },
      refused(
        "idmappings.AutoUserNsOpts.PasswdFile",
        'idmappings.AutoUserNsOpts.PasswdFile "/etc/passwd" (a host file) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
  ]);
});

// ---------------------------------------------------------------------------
// Volumes, updates, checkpoints, imports, secrets, restores (libpod_misc.ts)

const op = (
  operation: string,
  name: string,
  request: Partial<Case>,
  expect: AdmissionVerdict,
): Case => ({ name, operation, ...request, expect });

// deno-fmt-ignore
const UPDATE_EXTRA = [
  "BlkIOWeightDevice", "DeviceReadBPs", "DeviceWriteBPs", "DeviceReadIOPs", "DeviceWriteIOPs",
  "Env", "UnsetEnv", "r_limits", "health_log_destination", "health_max_log_size",
  "health_max_log_count", "health_on_failure", "no_healthcheck", "health_cmd", "health_interval",
  "health_retries", "health_timeout", "health_start_period", "health_startup_cmd",
  "health_startup_interval", "health_startup_retries", "health_startup_timeout",
  "health_startup_success",
];

Deno.test("VolumeCreate and LibpodVolumeCreate read their fields and options as each engine does", async (t) => {
  await runTable(t, [
    op("VolumeCreate", "every VolumeCreate field, null", {
      body: allNull(["Name", "Driver", "DriverOpts", "Labels", "ClusterVolumeSpec"]),
    }, ALLOWED),
    op("VolumeCreate", "Docker volume labels that are not strings", {
      body: { Name: "v", Labels: { a: true } },
    }, malformed('Labels["a"]: want a string, got a boolean', 'Labels["a"]')),
    op(
      "VolumeCreate",
      "a Docker volume with podman's image driver (a plugin for Docker)",
      {
        body: { Name: "v", Driver: "image" },
      },
      refused(
        "Driver",
        'Driver volume driver "image" (a plugin) needs ALLOW_VOLUME_DRIVERS to include image',
        "ALLOW_VOLUME_DRIVERS",
      ),
    ),
    op("LibpodVolumeCreate", "podman's own local volume options, in any case", {
      body: { Name: "v", Options: { UID: "1000", gid: "1000", NoQuota: "true" } },
    }, ALLOWED),
    op(
      "VolumeCreate",
      "a Docker volume with a plugin driver",
      {
        body: { Name: "v", Driver: "rclone" },
      },
      refused(
        "Driver",
        'Driver volume driver "rclone" (a plugin) needs ALLOW_VOLUME_DRIVERS to include rclone',
        "ALLOW_VOLUME_DRIVERS",
      ),
    ),
    op(
      "VolumeCreate",
      "a Docker bind volume of a host path",
      {
        body: { Name: "v", DriverOpts: { type: "none", o: "bind", device: "/etc" } },
      },
      refused(
        "DriverOpts",
        'DriverOpts (local volume type="none" device="/etc" o="bind") needs ALLOW_BIND_MOUNTS to cover /etc',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    op("LibpodVolumeCreate", "every LibpodVolumeCreate field, null", {
      body: allNull([
        "Name",
        "Driver",
        "Label",
        "Labels",
        "Options",
        "IgnoreIfExists",
        "UID",
        "GID",
      ]),
    }, ALLOWED),
    ...["Label", "Labels"].map((field) =>
      op("LibpodVolumeCreate", `podman volume ${field} that are not strings`, {
        body: { Name: "v", [field]: { a: 1 } },
      }, malformed(`${field}["a"]: want a string, got a number`, `${field}["a"]`))
    ),
    op(
      "LibpodVolumeCreate",
      "a podman local volume option in capitals",
      {
        body: { Name: "v", Options: { UID: "1000", O: "bind", Device: "/etc" } },
      },
      refused(
        "Options",
        'Options (local volume type="" device="/etc" o="bind") needs ALLOW_BIND_MOUNTS to cover /etc',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    op(
      "LibpodVolumeCreate",
      "a podman volume with a plugin driver",
      {
        body: { Name: "v", Driver: "rclone" },
      },
      refused(
        "Driver",
        'Driver volume driver "rclone" (a plugin) needs ALLOW_VOLUME_DRIVERS to include rclone',
        "ALLOW_VOLUME_DRIVERS",
      ),
    ),
  ]);
});

Deno.test("LibpodContainerUpdate knows every field and checks devices, cgroup files and health logs", async (t) => {
  const update = (
    name: string,
    body: unknown,
    expect: AdmissionVerdict,
    settings?: Record<string, unknown>,
  ) => op("LibpodContainerUpdate", name, { body, settings }, expect);
  await runTable(t, [
    update("every update field, null", allNull([...LINUX_RESOURCES, ...UPDATE_EXTRA]), ALLOWED),
    update(
      "a field the update does not have",
      { Privileged: true },
      refused(
        "Privileged",
        "Unknown field Privileged is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    update(
      "device cgroup rules",
      { devices: [{ allow: true, access: "rwm" }] },
      refused(
        "devices",
        "devices (device cgroup rules) needs ALLOW_DEVICES=ALL",
        "ALLOW_DEVICES=ALL",
      ),
    ),
    update("no device cgroup rules", { devices: [] }, ALLOWED),
    update(
      "device cgroup rules when every device is allowed",
      { devices: [{ allow: true }] },
      ALLOWED,
      {
        ALLOW_DEVICES: "ALL",
      },
    ),
    update("a cgroup file", { unified: { "memory.high": "1G", "io.max": "8:0 rbps=1" } }, ALLOWED),
    ...["../cgroup.procs", "memory", "x/memory.high", "memory.high/x", "Memory.high"].map((key) =>
      update(
        `the unified key ${JSON.stringify(key)}`,
        { unified: { [key]: "1" } },
        refused(
          "unified",
          `Cgroup file ${
            JSON.stringify(key)
          } in unified is not a cgroup file name; it needs HOST_ACCESS=1`,
          "HOST_ACCESS=1",
        ),
      )
    ),
    ...["", "local", "events"].map((destination) =>
      update(`health logs to ${JSON.stringify(destination)}`, {
        health_log_destination: destination,
      }, ALLOWED)
    ),
    update(
      "health logs to a host directory",
      { health_log_destination: "/var/log" },
      refused(
        "health_log_destination",
        'health_log_destination "/var/log" (a directory podman writes health logs to) needs ALLOW_BIND_MOUNTS to cover /var/log',
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    update(
      "health logs under a read-only prefix (written)",
      { health_log_destination: "/srv/media/h" },
      refused(
        "health_log_destination",
        'health_log_destination "/srv/media/h" (a directory podman writes health logs to) is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)',
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
  ]);
});

Deno.test("Checkpoints, imports, secrets and restores name the host paths and programs they reach", async (t) => {
  await runTable(t, [
    op("CheckpointCreate", "a checkpoint in the engine's directory", {
      body: { CheckpointID: "c1", CheckpointDir: "", Exit: true },
    }, ALLOWED),
    op(
      "CheckpointCreate",
      "a checkpoint in a host directory",
      {
        body: { CheckpointID: "c1", CheckpointDir: "/tmp/c" },
      },
      refused(
        "CheckpointDir",
        'CheckpointDir "/tmp/c" (a host directory) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    op(
      "CheckpointCreate",
      "a checkpoint field the proxy does not know",
      {
        body: { CheckpointID: "c1", Dir: "/tmp" },
      },
      refused(
        "Dir",
        "Unknown field Dir is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    op("ContainerStart", "a start from a checkpoint in the engine's directory", {
      query: [["checkpoint", "c1"]],
    }, ALLOWED),
    op(
      "ContainerStart",
      "a start from a checkpoint in a host directory",
      {
        query: [["checkpoint", "c1"], ["checkpoint-dir", "/tmp/c"]],
      },
      refused(
        "checkpoint-dir",
        'Start checkpoint-dir="/tmp/c" (a host directory) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    op(
      "ImageCreate",
      "an image pulled from a registry",
      { query: [["fromImage", IMAGE]] },
      ALLOWED,
    ),
    op("ImageCreate", "an image imported from the body", { query: [["fromSrc", "-"]] }, ALLOWED),
    op(
      "ImageCreate",
      "an image imported from a URL",
      {
        query: [["fromSrc", "http://example.com/x.tar"]],
      },
      refused(
        "fromSrc",
        'fromSrc="http://example.com/x.tar" (the engine fetches it) needs ALLOW_REMOTE=1',
        "ALLOW_REMOTE=1",
      ),
    ),
    op("ImageCreate", "an image imported from a URL when remote access is allowed", {
      query: [["fromSrc", "https://example.com/x.tar"]],
      settings: { ALLOW_REMOTE: "1" },
    }, ALLOWED),
    op(
      "ImageCreate",
      "an image imported from a host path",
      {
        query: [["fromSrc", "/etc/shadow"]],
        settings: { ALLOW_REMOTE: "1" },
      },
      refused(
        "fromSrc",
        'fromSrc="/etc/shadow" (a path or URL the engine opens on the host) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    op(
      "LibpodImageImport",
      "a podman import from a host path",
      {
        query: [["url", "file:///etc/shadow"]],
      },
      refused(
        "url",
        'url="file:///etc/shadow" (a path or URL the engine opens on the host) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    op(
      "LibpodImageImport",
      "a podman import from a URL",
      {
        query: [["url", "https://example.com/x.tar"]],
      },
      refused(
        "url",
        'url="https://example.com/x.tar" (the engine fetches it) needs ALLOW_REMOTE=1',
        "ALLOW_REMOTE=1",
      ),
    ),
    op("LibpodImageImport", "a podman import from the body", { query: [["url", "-"]] }, ALLOWED),
    op(
      "LibpodSecretCreate",
      "a secret with the default driver",
      { query: [["name", "s"]] },
      ALLOWED,
    ),
    op(
      "LibpodSecretCreate",
      "a secret with a host-side driver",
      {
        query: [["name", "s"], ["driver", "shell"]],
      },
      refused(
        "driver",
        'Secret driver "shell" (runs host programs) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    op("LibpodSecretCreate", "a secret with blank and empty driver options", {
      query: [["name", "s"], ["driveropts", " "], ["driveropts", " {} "]],
    }, ALLOWED),
    op(
      "LibpodSecretCreate",
      "a secret with driver options, joined",
      {
        query: [["driveropts", "{}"], ["driveropts", "path=/etc"], ["DriverOpts", "x"]],
      },
      refused(
        "driveropts",
        'Secret driveropts "path=/etc,x" (host paths or commands) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    op(
      "LibpodContainerRestore",
      "a restore of an imported checkpoint",
      {
        query: [["import", "1"]],
      },
      refused(
        "import",
        "Restoring an imported checkpoint (its configuration cannot be inspected) needs HOST_ACCESS=1",
        "HOST_ACCESS=1",
      ),
    ),
    op(
      "LibpodContainerRestore",
      "a restore that does not import",
      { query: [["import", "false"]] },
      ALLOWED,
    ),
  ]);
});

// ---------------------------------------------------------------------------
// LibpodPlayKube (kube_play.ts, kube_fields.ts)

/** A kube play request; an object body is sent as JSON, which YAML 1.1 and 1.2 read alike. */
const kube = (
  name: string,
  body: unknown,
  expect: AdmissionVerdict,
  settings?: Record<string, unknown>,
  query?: [string, string][],
): Case => ({
  name,
  operation: "LibpodPlayKube",
  body: typeof body === "string" ? body : JSON.stringify(body),
  contentType: "application/yaml",
  settings,
  query,
  expect,
});

const C = { name: "c", image: IMAGE };
const podDoc = (spec: Record<string, unknown> | null, meta: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", ...meta },
  spec,
});
const withContainer = (fields: Record<string, unknown>, spec: Record<string, unknown> = {}) =>
  podDoc({ containers: [{ ...C, ...fields }], ...spec });
const annotated = (annotations: Record<string, string>) =>
  podDoc({ containers: [C] }, { annotations });
const ANNOTATIONS = "document 1.metadata.annotations";
const annotation = (key: string) => `${ANNOTATIONS}[${JSON.stringify(key)}]`;
const CONTAINER_0 = "document 1.spec.containers[0]";

// deno-fmt-ignore
const ROOT = ["apiVersion", "kind", "metadata", "spec", "status"];
// deno-fmt-ignore
const OBJECT_META = [
  "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
  "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
  "ownerReferences", "finalizers", "managedFields",
];
// deno-fmt-ignore
const WORKLOAD_SPEC = [
  "replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit",
  "paused", "progressDeadlineSeconds", "updateStrategy", "parallelism", "completions",
  "activeDeadlineSeconds", "podFailurePolicy", "successPolicy", "backoffLimit",
  "backoffLimitPerIndex", "maxFailedIndexes", "manualSelector", "ttlSecondsAfterFinished",
  "completionMode", "suspend", "podReplacementPolicy", "managedBy",
];
// deno-fmt-ignore
const POD_SPEC = [
  "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
  "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
  "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName",
  "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext",
  "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations",
  "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
  "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead",
  "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates",
  "resourceClaims", "resources", "hostnameOverride",
];
// deno-fmt-ignore
const CONTAINER = [
  "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
  "resizePolicy", "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices",
  "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
  "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
];
// deno-fmt-ignore
const SECURITY_CONTEXT = [
  "capabilities", "privileged", "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup",
  "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "procMount",
  "seccompProfile", "appArmorProfile",
];
// deno-fmt-ignore
const POD_SECURITY_CONTEXT = [
  "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot",
  "supplementalGroups", "supplementalGroupsPolicy", "fsGroup", "sysctls", "fsGroupChangePolicy",
  "seccompProfile", "appArmorProfile", "seLinuxChangePolicy",
];
// deno-fmt-ignore
const VOLUME_MOUNT = [
  "name", "readOnly", "recursiveReadOnly", "mountPath", "subPath", "mountPropagation",
  "subPathExpr",
];
// deno-fmt-ignore
const VOLUME_SOURCES = ["hostPath", "emptyDir", "configMap", "secret", "persistentVolumeClaim", "image"];
// deno-fmt-ignore
const PVC_SPEC = [
  "accessModes", "selector", "resources", "volumeName", "storageClassName", "volumeMode",
  "dataSource", "dataSourceRef", "volumeAttributesClassName",
];

Deno.test("LibpodPlayKube knows every field of the Kubernetes types podman plays", async (t) => {
  const fullPodSpec = {
    ...allNull(POD_SPEC),
    securityContext: allNull(POD_SECURITY_CONTEXT),
    volumes: [{ name: "v", ...allNull(VOLUME_SOURCES) }],
    containers: [{
      ...allNull(CONTAINER),
      name: "c",
      image: IMAGE,
      securityContext: {
        ...allNull(SECURITY_CONTEXT),
        capabilities: { add: null, drop: null },
        seccompProfile: { type: null, localhostProfile: null },
        appArmorProfile: { type: null, localhostProfile: null },
      },
      resources: { limits: null, requests: null, claims: null },
      volumeMounts: [{ ...allNull(VOLUME_MOUNT), name: "v", mountPath: "/v" }],
    }],
  };
  await runTable(t, [
    kube("a pod with every field, null", {
      ...allNull(ROOT),
      apiVersion: "v1",
      kind: "Pod",
      metadata: allNull(OBJECT_META),
      spec: fullPodSpec,
    }, ALLOWED),
    kube("a deployment with every workload field, null", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d" },
      spec: {
        ...allNull(WORKLOAD_SPEC),
        template: { metadata: allNull(OBJECT_META), spec: fullPodSpec },
      },
    }, ALLOWED),
    kube("a claim with every spec field, null", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "v" },
      spec: allNull(PVC_SPEC),
    }, ALLOWED),
    kube(
      "a hostPath with both its fields",
      podDoc({
        containers: [C],
        volumes: [{ name: "h", hostPath: { path: "/srv/media", type: "" } }],
      }),
      ALLOWED,
      RO_MEDIA,
    ),
    kube(
      "a pod sysctl with a field it does not have",
      podDoc({
        containers: [C],
        securityContext: {
          sysctls: [{ name: "net.ipv4.ping_group_range", value: "0 0", extra: 1 }],
        },
      }),
      refused(
        "document 1.spec.securityContext.sysctls[0].extra",
        "Unknown field document 1.spec.securityContext.sysctls[0].extra is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "a pod sysctl whose value is a number",
      podDoc({
        containers: [C],
        securityContext: { sysctls: [{ name: "net.ipv4.ping_group_range", value: 1 }] },
      }),
      malformed(
        "document 1.spec.securityContext.sysctls[0].value: want a string, got a number",
        "document 1.spec.securityContext.sysctls[0].value",
      ),
    ),
    kube(
      "a pod sysctl with both its fields",
      podDoc({
        containers: [C],
        securityContext: { sysctls: [{ name: "net.ipv4.ping_group_range", value: "0 0" }] },
      }),
      ALLOWED,
    ),
    ...["ConfigMap", "Secret"].map((kind) =>
      kube(`a ${kind} with every field`, {
        apiVersion: "v1",
        kind,
        metadata: { name: "x" },
        data: { a: "b" },
        binaryData: { b: "YQ==" },
        immutable: true,
        stringData: { c: "d" },
        type: "Opaque",
      }, ALLOWED)
    ),
    kube(
      "a ConfigMap with a spec",
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "x" },
        spec: {},
      },
      refused(
        "document 1.spec",
        "Unknown field document 1.spec is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "a pod with ConfigMap data",
      { ...podDoc({ containers: [C] }), data: {} },
      refused(
        "document 1.data",
        "Unknown field document 1.data is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "a List with items",
      { apiVersion: "v1", kind: "List", items: [] },
      refused(
        "document 1",
        'document 1 of kind "List" is not a kind this proxy checks; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "a document without a kind",
      { apiVersion: "v1" },
      refused(
        "document 1",
        'document 1 of kind "" is not a kind this proxy checks; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "a second document of a kind podman skips",
      `${
        JSON.stringify(podDoc({ containers: [C] }))
      }\n---\n{"apiVersion": "v1", "kind": "Namespace"}\n`,
      refused(
        "document 2",
        'document 2 of kind "Namespace" is not a kind this proxy checks; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
  ]);
});

Deno.test("LibpodPlayKube accepts each kind podman plays and reads each by its own rules", async (t) => {
  const workload = (kind: string) => ({
    apiVersion: "apps/v1",
    kind,
    metadata: { name: "w" },
    spec: { template: { metadata: { labels: { app: "w" } }, spec: { containers: [C] } } },
  });
  await runTable(t, [
    kube("a pod", podDoc({ containers: [C] }), ALLOWED),
    kube("a pod without metadata or spec", { apiVersion: "v1", kind: "Pod" }, ALLOWED),
    ...["Deployment", "DaemonSet", "Job"].map((kind) => kube(`a ${kind}`, workload(kind), ALLOWED)),
    kube("a Deployment without a spec", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d" },
    }, ALLOWED),
    kube("a Job without a template", {
      apiVersion: "batch/v1",
      kind: "Job",
      spec: { completions: 1 },
    }, ALLOWED),
    kube("a Deployment whose template has no spec", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      spec: { template: { metadata: { name: "t" } } },
    }, ALLOWED),
    kube(
      "a claim",
      { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "v" } },
      ALLOWED,
    ),
    kube("a claim without metadata", { apiVersion: "v1", kind: "PersistentVolumeClaim" }, ALLOWED),
    kube("a ConfigMap", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }, ALLOWED),
    kube("a Secret", { apiVersion: "v1", kind: "Secret", metadata: { name: "s" } }, ALLOWED),
    kube("a Service, whose spec and annotations podman does not play", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s", annotations: { "io.podman.annotations.label/c": "disable" } },
      spec: { ports: [{ port: 80 }], selector: { app: "w" } },
    }, ALLOWED),
    kube("a claim's spec", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "v", annotations: { "io.podman.annotations.label/c": "disable" } },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    }, ALLOWED),
    kube(
      "a claim's spec with a pod field",
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        spec: { containers: [] },
      },
      refused(
        "document 1.spec.containers",
        "Unknown field document 1.spec.containers is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "a deployment template's annotations",
      {
        ...workload("Deployment"),
        spec: {
          template: {
            metadata: { annotations: { "io.podman.annotations.label/c": "disable" } },
            spec: { containers: [C] },
          },
        },
      },
      refused(
        'document 1.spec.template.metadata.annotations["io.podman.annotations.label/c"]',
        'document 1.spec.template.metadata.annotations["io.podman.annotations.label/c"] "disable" needs ALLOW_UNCONFINED=1',
        "ALLOW_UNCONFINED=1",
      ),
    ),
    kube(
      "a deployment's own annotations",
      {
        ...workload("Deployment"),
        metadata: { annotations: { "io.podman.annotations.label/c": "disable" } },
      },
      refused(
        'document 1.metadata.annotations["io.podman.annotations.label/c"]',
        'document 1.metadata.annotations["io.podman.annotations.label/c"] "disable" needs ALLOW_UNCONFINED=1',
        "ALLOW_UNCONFINED=1",
      ),
    ),
    kube(
      "a deployment template's pod spec",
      {
        ...workload("DaemonSet"),
        spec: { template: { spec: { hostIPC: true, containers: [C] } } },
      },
      refused(
        "document 1.spec.template.spec.hostIPC",
        "document 1.spec.template.spec.hostIPC needs ALLOW_HOST_NAMESPACES=1",
        "ALLOW_HOST_NAMESPACES=1",
      ),
    ),
  ]);
});

const HARMLESS_PODMAN = [
  "autoremove",
  "autoremove-image",
  "init",
  "publish-all",
  "pids-limit",
  "cpuset",
  "memory-nodes",
  "ulimit",
  "infra.name",
  "kube.image.volumes.mount",
  "init.container.type",
  "kube.health.check",
  "seccomp",
  "apparmor",
];

Deno.test("LibpodPlayKube checks the annotations podman and Kubernetes read", async (t) => {
  await runTable(t, [
    ...HARMLESS_PODMAN.map((name) =>
      kube(
        `podman's ${name} annotation`,
        annotated({ [`io.podman.annotations.${name}/c`]: "x" }),
        ALLOWED,
      )
    ),
    kube(
      "a podman annotation read by podman",
      annotated({ "io.podman.annotations.sdnotify": "container" }),
      refused(
        annotation("io.podman.annotations.sdnotify"),
        `${
          annotation("io.podman.annotations.sdnotify")
        } "container" (read by podman) needs HOST_ACCESS=1`,
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "annotations podman does not read",
      annotated({
        "example.com/x": "y",
        "io.podman.annotationsx": "y",
        "seccomp.security.alpha.kubernetes.io": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io.x/c": "unconfined",
      }),
      ALLOWED,
    ),
    kube(
      "a runtime annotation",
      annotated({ "run.oci.hooks.stdout": "/etc/x" }),
      refused(
        annotation("run.oci.hooks.stdout"),
        `${
          annotation("run.oci.hooks.stdout")
        } (read by the OCI runtime or its hooks) needs HOST_ACCESS=1`,
        "HOST_ACCESS=1",
      ),
    ),
    ...[
      "seccomp.security.alpha.kubernetes.io/pod",
      "container.seccomp.security.alpha.kubernetes.io/c",
      "container.apparmor.security.beta.kubernetes.io/c",
    ].flatMap((key) => [
      kube(
        `an unconfined profile in ${key}`,
        annotated({ [key]: "unconfined" }),
        refused(
          annotation(key),
          `${annotation(key)} "unconfined" needs ALLOW_UNCONFINED=1`,
          "ALLOW_UNCONFINED=1",
        ),
      ),
      kube(
        `an unconfined profile in ${key} when allowed`,
        annotated({ [key]: "unconfined" }),
        ALLOWED,
        {
          ALLOW_UNCONFINED: "1",
        },
      ),
    ]),
    ...["", "runtime/default", "docker/default", " runtime/default "].map((value) =>
      kube(
        `the default profile ${JSON.stringify(value)}`,
        annotated({ "seccomp.security.alpha.kubernetes.io/pod": value }),
        ALLOWED,
      )
    ),
    kube(
      "a relabelling bind-mount-options",
      annotated({ "bind-mount-options": "/srv/media/a:b:z" }),
      ALLOWED,
      MEDIA,
    ),
    kube(
      "bind-mount-options of a path not covered",
      annotated({ "bind-mount-options": "/etc:Z" }),
      refused(
        annotation("bind-mount-options"),
        `${
          annotation("bind-mount-options")
        } "/etc:Z" (relabels the host files) needs ALLOW_BIND_MOUNTS to cover /etc`,
        "ALLOW_BIND_MOUNTS",
      ),
      MEDIA,
    ),
    kube(
      "bind-mount-options under a read-only prefix (relabelling writes)",
      annotated({ "bind-mount-options": "/srv/media:z" }),
      refused(
        annotation("bind-mount-options"),
        `${
          annotation("bind-mount-options")
        } "/srv/media:z" (relabels the host files) is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    ...["/srv/media:ro", "/srv/media", "/srv/media:zz"].map((value) =>
      kube(
        `bind-mount-options ${JSON.stringify(value)}`,
        annotated({ "bind-mount-options": value }),
        refused(
          annotation("bind-mount-options"),
          `${annotation("bind-mount-options")} ${JSON.stringify(value)} needs HOST_ACCESS=1`,
          "HOST_ACCESS=1",
        ),
        MEDIA,
      )
    ),
    ...["", "private", "auto", "keep-id", "nomap", "no-map"].map((value) =>
      kube(
        `podman's user namespace annotation ${JSON.stringify(value)}`,
        annotated({ "io.podman.annotations.userns/c": value }),
        ALLOWED,
      )
    ),
    kube(
      "podman's user namespace annotation joining a container",
      annotated({ "io.podman.annotations.userns": "container:db" }),
      refused(
        annotation("io.podman.annotations.userns"),
        `${
          annotation("io.podman.annotations.userns")
        } "container:db" needs ALLOW_JOIN_CONTAINERS=1`,
        "ALLOW_JOIN_CONTAINERS=1",
      ),
    ),
    kube(
      "podman's user namespace annotation for the host, with only the host network allowed",
      annotated({ "io.podman.annotations.userns": "host" }),
      refused(
        annotation("io.podman.annotations.userns"),
        `${annotation("io.podman.annotations.userns")} "host" needs ALLOW_HOST_NAMESPACES=1`,
        "ALLOW_HOST_NAMESPACES=1",
      ),
      { ALLOW_HOST_NETWORK: "1" },
    ),
    kube(
      "podman's user namespace annotation in a mode the proxy does not know",
      annotated({ "io.podman.annotations.userns": "bridge" }),
      refused(
        annotation("io.podman.annotations.userns"),
        `${
          annotation("io.podman.annotations.userns")
        } "bridge" is a mode this proxy does not know; it needs HOST_ACCESS=1`,
        "HOST_ACCESS=1",
      ),
    ),
    kube(
      "podman's volumes-from annotation",
      annotated({ "io.podman.annotations.volumes-from/c": "db" }),
      refused(
        annotation("io.podman.annotations.volumes-from/c"),
        `${annotation("io.podman.annotations.volumes-from/c")} "db" needs ALLOW_JOIN_CONTAINERS=1`,
        "ALLOW_JOIN_CONTAINERS=1",
      ),
    ),
    kube(
      "podman's volumes-from annotation when allowed",
      annotated({
        "io.podman.annotations.volumes-from/c": "db",
      }),
      ALLOWED,
      { ALLOW_JOIN_CONTAINERS: "1" },
    ),
    kube(
      "podman's label annotation when unconfined is allowed",
      annotated({
        "io.podman.annotations.label/c": "disable",
      }),
      ALLOWED,
      { ALLOW_UNCONFINED: "1" },
    ),
  ]);
});

Deno.test("LibpodPlayKube checks security contexts and container resources", async (t) => {
  const context = `${CONTAINER_0}.securityContext`;
  await runTable(t, [
    kube(
      "a privileged container",
      withContainer({ securityContext: { privileged: true } }),
      refused(
        `${context}.privileged`,
        `${context}.privileged needs ALLOW_PRIVILEGED=1`,
        "ALLOW_PRIVILEGED=1",
      ),
      { ALLOW_UNCONFINED: "1" },
    ),
    kube(
      "a privileged container when allowed",
      withContainer({ securityContext: { privileged: true } }),
      ALLOWED,
      {
        ALLOW_PRIVILEGED: "1",
      },
    ),
    kube(
      "an unprivileged container",
      withContainer({ securityContext: { privileged: false } }),
      ALLOWED,
    ),
    kube(
      "an added capability",
      withContainer({
        securityContext: { capabilities: { add: ["CHOWN", "NET_ADMIN"], drop: ["ALL"] } },
      }),
      refused(
        `${context}.capabilities.add[1]`,
        `${context}.capabilities.add[1] "NET_ADMIN" needs ALLOW_CAPABILITIES to include NET_ADMIN`,
        "ALLOW_CAPABILITIES",
      ),
      { ALLOW_UNCONFINED: "1" },
    ),
    kube(
      "dropped capabilities",
      withContainer({ securityContext: { capabilities: { drop: ["ALL"] } } }),
      ALLOWED,
    ),
    kube(
      "an unmasked /proc",
      withContainer({ securityContext: { procMount: "Unmasked" } }),
      refused(
        `${context}.procMount`,
        `${context}.procMount "Unmasked" needs ALLOW_UNCONFINED=1`,
        "ALLOW_UNCONFINED=1",
      ),
    ),
    kube(
      "the default /proc",
      withContainer({ securityContext: { procMount: "Default" } }),
      ALLOWED,
    ),
    kube(
      "SELinux options",
      withContainer({ securityContext: { seLinuxOptions: { type: "spc_t" } } }),
      refused(
        `${context}.seLinuxOptions`,
        `${context}.seLinuxOptions needs ALLOW_UNCONFINED=1`,
        "ALLOW_UNCONFINED=1",
      ),
    ),
    kube(
      "empty SELinux options",
      withContainer({ securityContext: { seLinuxOptions: {} } }),
      ALLOWED,
    ),
    ...["seccompProfile", "appArmorProfile"].flatMap((name) => [
      kube(
        `an unconfined ${name}`,
        withContainer({ securityContext: { [name]: { type: "Unconfined" } } }),
        refused(
          `${context}.${name}`,
          `${context}.${name} "Unconfined" needs ALLOW_UNCONFINED=1`,
          "ALLOW_UNCONFINED=1",
        ),
      ),
      ...["", "RuntimeDefault"].map((type) =>
        kube(
          `the ${name} type ${JSON.stringify(type)}`,
          withContainer({ securityContext: { [name]: { type } } }),
          ALLOWED,
        )
      ),
    ]),
    kube(
      "every confinement option when unconfined is allowed",
      withContainer({
        securityContext: {
          procMount: "Unmasked",
          seLinuxOptions: { type: "spc_t" },
          seccompProfile: { type: "Unconfined" },
          appArmorProfile: { type: "Unconfined" },
        },
      }),
      ALLOWED,
      { ALLOW_UNCONFINED: "1" },
    ),
    kube(
      "pod-level SELinux options",
      podDoc({ securityContext: { seLinuxOptions: { level: "s0" } }, containers: [C] }),
      refused(
        "document 1.spec.securityContext.seLinuxOptions",
        "document 1.spec.securityContext.seLinuxOptions needs ALLOW_UNCONFINED=1",
        "ALLOW_UNCONFINED=1",
      ),
    ),
    kube(
      "resource claims",
      withContainer({ resources: { claims: [{ name: "gpu" }] } }),
      refused(
        `${CONTAINER_0}.resources.claims`,
        `${CONTAINER_0}.resources.claims (resource claims) needs ALLOW_DEVICES=ALL`,
        "ALLOW_DEVICES=ALL",
      ),
    ),
    kube("no resource claims", withContainer({ resources: { claims: [] } }), ALLOWED),
    kube(
      "resource claims when every device is allowed",
      withContainer({ resources: { claims: [{ name: "gpu" }] } }),
      ALLOWED,
      {
        ALLOW_DEVICES: "ALL",
      },
    ),
    kube(
      "a host device request with an equals sign in its path",
      withContainer({ resources: { requests: { "podman.io/device=/dev/a=b": 1 } } }),
      refused(
        `${CONTAINER_0}.resources.requests["podman.io/device=/dev/a=b"]`,
        `${CONTAINER_0}.resources.requests["podman.io/device=/dev/a=b"] (a host device) needs ALLOW_DEVICES to cover /dev/a=b`,
        "ALLOW_DEVICES",
      ),
    ),
    kube(
      "a covered host device request",
      withContainer({
        resources: { requests: { "podman.io/device=/dev/kvm": 1 } },
      }),
      ALLOWED,
      { ALLOW_DEVICES: "/dev/kvm" },
    ),
    kube(
      "a CDI device request",
      withContainer({ resources: { requests: { cpu: 1, "vendor.com/class=x=y": 1 } } }),
      refused(
        `${CONTAINER_0}.resources.requests["vendor.com/class=x=y"]`,
        `${CONTAINER_0}.resources.requests["vendor.com/class=x=y"] (a CDI device) needs ALLOW_DEVICES=ALL`,
        "ALLOW_DEVICES=ALL",
      ),
      { ALLOW_DEVICES: "/dev" },
    ),
    kube(
      "a host device limit",
      withContainer({ resources: { limits: { "podman.io/device=/dev/sda": 1 } } }),
      refused(
        `${CONTAINER_0}.resources.limits["podman.io/device=/dev/sda"]`,
        `${CONTAINER_0}.resources.limits["podman.io/device=/dev/sda"] (a host device) needs ALLOW_DEVICES to cover /dev/sda`,
        "ALLOW_DEVICES",
      ),
    ),
    kube(
      "CDI devices when every device is allowed",
      withContainer({
        resources: {
          limits: { "nvidia.com/gpu=all": 1 },
          requests: { "podman.io/device=/dev/sda": 1 },
        },
      }),
      ALLOWED,
      { ALLOW_DEVICES: "ALL" },
    ),
    kube(
      "a privileged ephemeral container",
      podDoc({
        containers: [C],
        ephemeralContainers: [{ ...C, securityContext: { privileged: true } }],
      }),
      refused(
        "document 1.spec.ephemeralContainers[0].securityContext.privileged",
        "document 1.spec.ephemeralContainers[0].securityContext.privileged needs ALLOW_PRIVILEGED=1",
        "ALLOW_PRIVILEGED=1",
      ),
    ),
    kube(
      "an init container's device request",
      podDoc({
        containers: [C],
        initContainers: [{ ...C, resources: { limits: { "nvidia.com/gpu=0": 1 } } }],
      }),
      refused(
        'document 1.spec.initContainers[0].resources.limits["nvidia.com/gpu=0"]',
        'document 1.spec.initContainers[0].resources.limits["nvidia.com/gpu=0"] (a CDI device) needs ALLOW_DEVICES=ALL',
        "ALLOW_DEVICES=ALL",
      ),
    ),
    kube(
      "volume devices",
      withContainer({ volumeDevices: [{ name: "v", devicePath: "/dev/xvda" }] }),
      refused(
        `${CONTAINER_0}.volumeDevices`,
        `${CONTAINER_0}.volumeDevices needs HOST_ACCESS=1`,
        "HOST_ACCESS=1",
      ),
    ),
    kube("no volume devices", withContainer({ volumeDevices: [] }), ALLOWED),
  ]);
});

Deno.test("LibpodPlayKube checks a pod's host namespaces, sysctls and runtime", async (t) => {
  const sysctl = (name: string) =>
    refused(
      `document 1.spec.securityContext.sysctls[${JSON.stringify(name)}]`,
      `document 1.spec.securityContext.sysctls[${
        JSON.stringify(name)
      }] (not namespaced, or in a namespace shared with the host) needs ALLOW_SYSCTLS to include ${name}`,
      "ALLOW_SYSCTLS",
    );
  const sysctls = (spec: Record<string, unknown>, ...names: string[]) =>
    podDoc({
      ...spec,
      containers: [C],
      securityContext: { sysctls: names.map((name) => ({ name, value: "1" })) },
    });
  const hostAll = { ALLOW_HOST_NETWORK: "1", ALLOW_HOST_NAMESPACES: "1" };
  await runTable(t, [
    kube(
      "the host network",
      podDoc({ hostNetwork: true, containers: [C] }),
      refused(
        "document 1.spec.hostNetwork",
        "document 1.spec.hostNetwork needs ALLOW_HOST_NETWORK=1",
        "ALLOW_HOST_NETWORK=1",
      ),
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    kube("the host network when allowed", podDoc({ hostNetwork: true, containers: [C] }), ALLOWED, {
      ALLOW_HOST_NETWORK: "1",
    }),
    ...["hostPID", "hostIPC"].map((name) =>
      kube(
        `the ${name} namespace`,
        podDoc({ [name]: true, containers: [C] }),
        refused(
          `document 1.spec.${name}`,
          `document 1.spec.${name} needs ALLOW_HOST_NAMESPACES=1`,
          "ALLOW_HOST_NAMESPACES=1",
        ),
        { ALLOW_HOST_NETWORK: "1" },
      )
    ),
    kube(
      "the host pid and ipc namespaces when allowed",
      podDoc({ hostPID: true, hostIPC: true, containers: [C] }),
      ALLOWED,
      {
        ALLOW_HOST_NAMESPACES: "1",
      },
    ),
    kube(
      "a runtime class",
      podDoc({ runtimeClassName: "kata", containers: [C] }),
      refused(
        "document 1.spec.runtimeClassName",
        'document 1.spec.runtimeClassName "kata" needs ALLOW_RUNTIMES to include kata',
        "ALLOW_RUNTIMES",
      ),
    ),
    kube(
      "network, ipc and uts sysctls in the pod's namespaces",
      sysctls({}, "net.ipv4.ip_forward", "kernel.msgmax", "kernel.hostname"),
      ALLOWED,
    ),
    kube(
      "a network sysctl in the host network",
      sysctls({ hostNetwork: true }, "net.ipv4.ip_forward"),
      sysctl("net.ipv4.ip_forward"),
      hostAll,
    ),
    kube(
      "a uts sysctl in the host network",
      sysctls({ hostNetwork: true }, "kernel.domainname"),
      sysctl("kernel.domainname"),
      hostAll,
    ),
    kube(
      "an ipc sysctl with the host network",
      sysctls({ hostNetwork: true }, "kernel.msgmax"),
      ALLOWED,
      hostAll,
    ),
    kube(
      "an ipc sysctl in the host ipc namespace",
      sysctls({ hostIPC: true }, "kernel.msgmax"),
      sysctl("kernel.msgmax"),
      hostAll,
    ),
    kube(
      "network and uts sysctls with the host ipc namespace",
      sysctls({ hostIPC: true }, "net.ipv4.ip_forward", "kernel.hostname"),
      ALLOWED,
      hostAll,
    ),
    kube(
      "sysctls with the host pid namespace",
      sysctls({ hostPID: true }, "net.ipv4.ip_forward", "kernel.msgmax", "kernel.hostname"),
      ALLOWED,
      hostAll,
    ),
  ]);
});

Deno.test("LibpodPlayKube checks hostPath volumes and the mounts that use them", async (t) => {
  const hostPath = (path: string, type?: string) => ({
    name: "h",
    hostPath: type === undefined ? { path } : { path, type },
  });
  const volumePod = (volume: Record<string, unknown>, mount?: Record<string, unknown>) =>
    podDoc({
      volumes: [{ name: "e", emptyDir: {} }, volume],
      containers: [{
        ...C,
        volumeMounts: mount === undefined ? [] : [{ name: "h", mountPath: "/h", ...mount }],
      }],
    });
  const HP = "document 1.spec.volumes[1].hostPath";
  const MOUNT = `${CONTAINER_0}.volumeMounts[0]`;
  await runTable(t, [
    ...["", "Directory", "File", "Socket", "DirectoryOrCreate", "FileOrCreate"].map((type) =>
      kube(
        `a hostPath of type ${JSON.stringify(type)}`,
        volumePod(hostPath("/srv/media", type)),
        ALLOWED,
        MEDIA,
      )
    ),
    ...["CharDevice", "BlockDevice"].map((type) =>
      kube(
        `a hostPath ${type} covered by ALLOW_DEVICES`,
        volumePod(hostPath("/dev/kvm", type)),
        ALLOWED,
        {
          ALLOW_DEVICES: "/dev/kvm",
        },
      )
    ),
    kube(
      "a hostPath character device",
      volumePod(hostPath("/dev/mem", "CharDevice")),
      refused(HP, `${HP} "/dev/mem" needs ALLOW_DEVICES to cover /dev/mem`, "ALLOW_DEVICES"),
    ),
    kube(
      "a hostPath type the proxy does not know",
      volumePod(hostPath("/srv/media", "Directory2")),
      refused(
        HP,
        `${HP} "/srv/media" type "Directory2" is a hostPath type this proxy does not know; it needs HOST_ACCESS=1`,
        "HOST_ACCESS=1",
      ),
      MEDIA,
    ),
    kube(
      "a hostPath not covered",
      volumePod(hostPath("/etc")),
      refused(HP, `${HP} "/etc" needs ALLOW_BIND_MOUNTS to cover /etc`, "ALLOW_BIND_MOUNTS"),
      MEDIA,
    ),
    kube(
      "an existing hostPath under a read-only prefix, unmounted",
      volumePod(hostPath("/srv/media", "File")),
      ALLOWED,
      RO_MEDIA,
    ),
    kube(
      "a hostPath file created under a read-only prefix",
      volumePod(hostPath("/srv/media/f", "FileOrCreate")),
      refused(
        HP,
        `${HP} "/srv/media/f" creates the host path (FileOrCreate), and ALLOW_BIND_MOUNTS allows /srv/media read-only`,
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    kube(
      "a read-only mount of a hostPath",
      volumePod(hostPath("/srv/media"), { readOnly: true }),
      ALLOWED,
      RO_MEDIA,
    ),
    kube(
      "a read-write mount of a hostPath",
      volumePod(hostPath("/srv/media"), { readOnly: false }),
      refused(
        MOUNT,
        `${MOUNT} (hostPath "/srv/media") is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
        "ALLOW_BIND_MOUNTS",
      ),
      RO_MEDIA,
    ),
    ...[["/srv/media", "x/y"], ["/srv/media/", "x/y"]].map(([path, subPath]) =>
      kube(
        `a mount of the subPath ${subPath} of ${path}`,
        volumePod(hostPath(path), { subPath }),
        refused(
          MOUNT,
          `${MOUNT} (hostPath "/srv/media/x/y") is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
          "ALLOW_BIND_MOUNTS",
        ),
        { ALLOW_BIND_MOUNTS: "/srv/media/a,/srv/media:ro" },
      )
    ),
    kube(
      "a read-write mount of a covered subPath",
      volumePod(hostPath("/srv/media"), { subPath: "a" }),
      ALLOWED,
      {
        ALLOW_BIND_MOUNTS: "/srv/media/a,/srv/media:ro",
      },
    ),
    kube(
      "a read-write mount of an emptyDir",
      podDoc({
        volumes: [{ name: "e", emptyDir: {} }],
        containers: [{ ...C, volumeMounts: [{ name: "e", mountPath: "/e" }] }],
      }),
      ALLOWED,
      RO_MEDIA,
    ),
    kube(
      "a mount with a subPathExpr",
      volumePod(hostPath("/srv/media"), { subPathExpr: "$(POD_NAME)", readOnly: true }),
      refused(MOUNT, `${MOUNT}.subPathExpr needs HOST_ACCESS=1`, "HOST_ACCESS=1"),
      RO_MEDIA,
    ),
    kube(
      "bidirectional propagation",
      volumePod(hostPath("/srv/media"), { mountPropagation: "Bidirectional" }),
      refused(
        MOUNT,
        `${MOUNT} mountPropagation Bidirectional (propagation rshared: mounts made in the container appear on the host) needs ALLOW_PRIVILEGED=1`,
        "ALLOW_PRIVILEGED=1",
      ),
      MEDIA,
    ),
    kube(
      "host-to-container propagation",
      volumePod(hostPath("/srv/media"), { mountPropagation: "HostToContainer" }),
      ALLOWED,
      MEDIA,
    ),
    kube(
      "bidirectional propagation when privileged is allowed",
      volumePod(hostPath("/srv/media"), {
        mountPropagation: "Bidirectional",
      }),
      ALLOWED,
      { ...MEDIA, ALLOW_PRIVILEGED: "1" },
    ),
  ]);
});

Deno.test("LibpodPlayKube reads a claim's volume.podman.io annotations as local volume options", async (t) => {
  const claim = (annotations: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "v", annotations },
  });
  await runTable(t, [
    kube(
      "a claim's other annotations",
      claim({
        "volume.beta.kubernetes.io/storage-class": "x",
        "example.com/import-source": "/etc",
      }),
      ALLOWED,
    ),
    kube(
      "a claim's uid, gid and image",
      claim({
        "volume.podman.io/uid": "1000",
        "volume.podman.io/gid": "1000",
        "volume.podman.io/image": IMAGE,
      }),
      ALLOWED,
    ),
    kube(
      "a claim with the image driver",
      claim({ "volume.podman.io/driver": "image", "volume.podman.io/image": IMAGE }),
      ALLOWED,
    ),
    kube(
      "a claim with a plugin driver when allowed",
      claim({ "volume.podman.io/driver": "rclone" }),
      ALLOWED,
      {
        ALLOW_VOLUME_DRIVERS: "rclone",
      },
    ),
    kube(
      "a claim with a plugin driver",
      claim({ "volume.podman.io/driver": "rclone" }),
      refused(
        ANNOTATIONS,
        `${ANNOTATIONS} volume driver "rclone" (a plugin) needs ALLOW_VOLUME_DRIVERS to include rclone`,
        "ALLOW_VOLUME_DRIVERS",
      ),
    ),
    kube(
      "a claim binding a host path",
      claim({ "volume.podman.io/device": "/etc", "volume.podman.io/mount-options": "bind,ro" }),
      refused(
        ANNOTATIONS,
        `${ANNOTATIONS} (local volume type="" device="/etc" o="bind,ro") needs ALLOW_BIND_MOUNTS to cover /etc`,
        "ALLOW_BIND_MOUNTS",
      ),
    ),
    kube(
      "a claim mounting a network filesystem",
      claim({ "volume.podman.io/type": "nfs", "volume.podman.io/device": "server:/x" }),
      refused(
        ANNOTATIONS,
        `${ANNOTATIONS} (local volume type="nfs" device="server:/x" o=""): the host mounts a network filesystem, which needs ALLOW_REMOTE=1`,
        "ALLOW_REMOTE=1",
      ),
    ),
    kube(
      "a claim of a tmpfs",
      claim({ "volume.podman.io/type": "tmpfs", "volume.podman.io/device": "tmpfs" }),
      ALLOWED,
    ),
    ...["import-source", "toString", "constructor", "options"].map((name) =>
      kube(
        `a claim's ${name} annotation`,
        claim({ [`volume.podman.io/${name}`]: "/etc/x" }),
        refused(
          annotation(`volume.podman.io/${name}`),
          `${annotation(`volume.podman.io/${name}`)} "/etc/x" needs HOST_ACCESS=1`,
          "HOST_ACCESS=1",
        ),
      )
    ),
  ]);
});

const KUBE_QUERY = [
  ["annotations", "{}"],
  ["logDriver", "json-file"],
  ["logOptions", "max-size=10m"],
  ["network", "bridge"],
  ["noHostname", "true"],
  ["noHosts", "true"],
  ["noTrunc", "true"],
  ["replace", "true"],
  ["publishPorts", "8080:80"],
  ["publishAllPorts", "true"],
  ["serviceContainer", "true"],
  ["start", "true"],
  ["staticIPs", "10.88.0.5"],
  ["staticMACs", "02:42:ac:11:00:02"],
  ["tlsVerify", "true"],
  ["userns", "auto"],
  ["wait", "true"],
  ["build", "false"],
  ["noPodPrefix", "true"],
] as [string, string][];

Deno.test("LibpodPlayKube checks its query and content type", async (t) => {
  const body = podDoc({ containers: [C] });
  const query = (
    name: string,
    pairs: [string, string][],
    expect: AdmissionVerdict,
    settings?: Record<string, unknown>,
  ) => kube(name, body, expect, settings, pairs);
  const typed = (contentType: string, expect: AdmissionVerdict): Case => ({
    name: `a body of type ${JSON.stringify(contentType)}`,
    operation: "LibpodPlayKube",
    body: JSON.stringify(body),
    contentType,
    expect,
  });
  await runTable(t, [
    query("every parameter podman takes, in podman's spelling", KUBE_QUERY, ALLOWED),
    query(
      "every parameter podman takes, in lower case",
      KUBE_QUERY.map(([k, v]) => [k.toLowerCase(), v]),
      ALLOWED,
    ),
    query(
      "a parameter the proxy does not know",
      [["start", "true"], ["configMaps", "/etc/x"]],
      refused(
        "configMaps",
        'Kube play parameter "configMaps" is not one this proxy knows; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    query(
      "a parameter that is not ASCII",
      [["stärt", "true"]],
      malformed('Query parameter "stärt" is not printable ASCII', "stärt"),
    ),
    query(
      "a log option writing a host file",
      [["logOptions", "max-size=1m"], ["logOptions", "path=/etc/x"]],
      refused(
        "query logDriver",
        'query logDriver log option path="/etc/x" (a host path) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    query(
      "a log option path without a value",
      [["logoptions", "path"]],
      refused(
        "query logDriver",
        'query logDriver log option path="" (a host path) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    query(
      "a log option with an equals sign in its value",
      [["logOptions", "tag=a=unix:x"], ["logOptions", "syslog-address=unix:///dev/log"]],
      refused(
        "query logDriver",
        'query logDriver log option syslog-address="unix:///dev/log" (a host path) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    query(
      "a log driver that is not local",
      [["logDriver", "syslog"]],
      refused(
        "query logDriver",
        'query logDriver log driver "syslog" needs ALLOW_LOG_DRIVERS to include syslog',
        "ALLOW_LOG_DRIVERS",
      ),
    ),
    query(
      "the host network in a list of networks",
      [["network", "bridge"], ["network", "net1,host"]],
      refused(
        "query network",
        'query network "host" needs ALLOW_HOST_NETWORK=1',
        "ALLOW_HOST_NETWORK=1",
      ),
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    query("the host network when allowed", [["network", "host"]], ALLOWED, {
      ALLOW_HOST_NETWORK: "1",
    }),
    query(
      "another container's network",
      [["network", "container:db"]],
      refused(
        "query network",
        'query network "container:db" needs ALLOW_JOIN_CONTAINERS=1',
        "ALLOW_JOIN_CONTAINERS=1",
      ),
    ),
    query(
      "a network namespace by path",
      [["network", "ns:/proc/1/ns/net"]],
      refused(
        "query network",
        'query network "ns:/proc/1/ns/net" (a namespace by path, such as the host\'s) needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    ...["", "private", "auto", "keep-id", "nomap", "no-map"].map((userns) =>
      query(`the user namespace ${JSON.stringify(userns)}`, [["userns", userns]], ALLOWED)
    ),
    query(
      "the host's user namespace",
      [["userns", "host"]],
      refused(
        "query userns",
        'query userns "host" needs ALLOW_HOST_NAMESPACES=1',
        "ALLOW_HOST_NAMESPACES=1",
      ),
      { ALLOW_HOST_NETWORK: "1" },
    ),
    query(
      "a user namespace mode the proxy does not know",
      [["userns", "bridge"]],
      refused(
        "query userns",
        'query userns "bridge" is a mode this proxy does not know; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
    query("blank and empty annotations", [["annotations", " "], ["annotations", " {} "]], ALLOWED),
    query(
      "annotations, joined",
      [["annotations", "{}"], ["annotations", '{"a":"b"}']],
      refused(
        "annotations",
        'Kube play annotations "{},{\\"a\\":\\"b\\"}" cannot be checked in the query; put them in the YAML',
        "HOST_ACCESS=1",
      ),
    ),
    ...[
      "",
      "text/plain",
      "application/json",
      "application/yaml",
      "application/text",
      "application/x-yaml",
    ].map((type) => typed(type, ALLOWED)),
    typed(
      "application/x-tar",
      refused(
        "Content-Type",
        "A kube play tar body (build contexts the proxy cannot inspect) needs HOST_ACCESS=1",
        "HOST_ACCESS=1",
      ),
    ),
    typed(
      "application/yaml; charset=utf-8",
      refused(
        "Content-Type",
        'A kube play body of type "application/yaml; charset=utf-8" is not YAML this proxy checks; it needs HOST_ACCESS=1',
        "HOST_ACCESS=1",
      ),
    ),
  ]);
});

// ---------------------------------------------------------------------------
// The YAML reader (yaml_documents.ts)

const yamlBytes = (text: string) => new TextEncoder().encode(text);

function yamlRefusal(body: string | Uint8Array): AdmissionVerdict {
  try {
    parseKubeYaml(typeof body === "string" ? yamlBytes(body) : body);
  } catch (error) {
    assert.ok(error instanceof Error && error.name === "Refusal", String(error));
    const { status, reason, field } = error as unknown as {
      status: 400;
      reason: string;
      field?: string;
    };
    return field === undefined
      ? { allowed: false, status, reason }
      : { allowed: false, status, reason, field };
  }
  return ALLOWED;
}

const differently = (n: number) =>
  malformed(
    `YAML document ${n} reads differently under YAML 1.1 and 1.2 (yes/no, octal, timestamps...)`,
  );

Deno.test("parseKubeYaml refuses what YAML 1.1 and 1.2 read differently, or what Go cannot read alike", async (t) => {
  const cases: [string, string | Uint8Array, AdmissionVerdict][] = [
    [
      "bytes that are not UTF-8",
      new Uint8Array([0x61, 0x3a, 0x20, 0xff]),
      malformed("Body is not valid UTF-8"),
    ],
    ["a byte order mark", "\uFEFFa: 1\n", malformed("Body starts with a byte order mark")],
    ["an anchor", "a: &x 1\n", malformed("YAML anchors and aliases are not accepted")],
    ["an alias", "a: *x\n", malformed("YAML anchors and aliases are not accepted")],
    ["a flow anchor", "{a: &x 1}\n", malformed("YAML anchors and aliases are not accepted")],
    ["a secondary tag", "a: !!str 1\n", malformed("YAML tag !!str is not accepted")],
    ["a local tag", "a: !x 1\n", malformed("YAML tag !x is not accepted")],
    ["a YAML directive", "%YAML 1.2\n---\na: 1\n", malformed("YAML directives are not accepted")],
    ["a duplicate key", "a: 1\na: 2\n", malformed("Invalid YAML: Map keys must be unique")],
    [
      "an unclosed flow sequence",
      "a: [1\n",
      malformed(
        "Invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
      ),
    ],
    ["a merge key", "<<: {a: 1}\n", differently(1)],
    ["yes in a second document", "a: x\n---\nb: on\n", differently(2)],
    ["an octal number", "a: 0777\n", differently(1)],
    ["a number with underscores", "a: 1_000\n", differently(1)],
    ["a sexagesimal number", "a: 1:20\n", differently(1)],
    ["a date", "a: 2001-12-14\n", differently(1)],
    ["a timestamp whose JSON reads the same", "a: 2001-12-14T00:00:00.000Z\n", differently(1)],
    ["a timestamp beside a string", "a: 2001-12-14T00:00:00.000Z\nb: x\n", differently(1)],
    ["a timestamp in a list", "a: [2001-12-14T00:00:00.000Z]\n", differently(1)],
    ["a timestamp in a nested map", "a:\n  b:\n    c: 2001-12-14T00:00:00.000Z\n", differently(1)],
    ["an infinite number", "a: .inf\n", malformed("YAML number is not finite")],
    ["a number that is not a number", "a: [.nan]\n", malformed("YAML number is not finite")],
    [
      "a lone high surrogate",
      'a: "x\\ud800y"\n',
      malformed("YAML string with a lone surrogate escape"),
    ],
    [
      "a lone high surrogate at the end",
      'a: "\\ud800"\n',
      malformed("YAML string with a lone surrogate escape"),
    ],
    [
      "a lone low surrogate",
      'a: "x\\udc00"\n',
      malformed("YAML string with a lone surrogate escape"),
    ],
    [
      "a lone low surrogate first",
      'a: "\\udfffx"\n',
      malformed("YAML string with a lone surrogate escape"),
    ],
    [
      "two high surrogates",
      'a: "\\ud800\\udbff"\n',
      malformed("YAML string with a lone surrogate escape"),
    ],
    ["66 nested lists", "[".repeat(66) + "]".repeat(66), malformed("YAML nested too deeply")],
    ["65 nested lists", "[".repeat(65) + "]".repeat(65), ALLOWED],
    [
      "a value in 65 nested maps",
      "{a: ".repeat(65) + "1" + "}".repeat(65),
      malformed("YAML nested too deeply"),
    ],
    ["a value in 64 nested maps", "{a: ".repeat(64) + "1" + "}".repeat(64), ALLOWED],
    ["a surrogate pair", 'a: "\\ud83d\\ude00 \\udbff\\udfff"\n', ALLOWED],
  ];
  for (const [name, body, expect] of cases) {
    await t.step(name, () => assert.deepEqual(yamlRefusal(body), expect));
  }
});

Deno.test("parseKubeYaml returns each non-empty document as Go-JSON values", () => {
  assert.deepEqual(parseKubeYaml(yamlBytes("")), []);
  assert.deepEqual(parseKubeYaml(yamlBytes("---\n---\n# c\n---\na: ~\n...\n")), [
    new GoJsonObject([{ key: "a", value: null }]),
  ]);
  assert.deepEqual(
    parseKubeYaml(yamlBytes("a: 'x'\nb: [1, 1.5, true, false, null, {c: d}]\n---\n- 0x1f\n- -2\n")),
    [
      new GoJsonObject([
        { key: "a", value: "x" },
        {
          key: "b",
          value: [
            new GoJsonNumber("1"),
            new GoJsonNumber("1.5"),
            true,
            false,
            null,
            new GoJsonObject([{ key: "c", value: "d" }]),
          ],
        },
      ]),
      [new GoJsonNumber("31"), new GoJsonNumber("-2")],
    ],
  );
});

/** A fresh copy of the module per run (a run may repeat in one process, as `mutate:fast` does). */
let freshCopies = 0;

Deno.test("parseKubeYaml refuses to run before loadYaml", async () => {
  const fresh = await import(`../../../lib/admission/yaml_documents.ts?unloaded=${++freshCopies}`);
  assert.throws(
    () => fresh.parseKubeYaml(yamlBytes("a: 1\n")),
    (error: unknown) =>
      error instanceof Error && error.name === "Error" &&
      error.message === "The YAML parser is not loaded: call loadYaml() first",
  );
  await fresh.loadYaml();
  assert.deepEqual(fresh.parseKubeYaml(yamlBytes("a: 1\n")).length, 1);
});
