import { type Case, IMAGE, runCases } from "../../fixtures/admission_corpus.ts";
import { loadYaml } from "../../../lib/admission/yaml_documents.ts";

await loadYaml();

const spec = (
  name: string,
  fields: Record<string, unknown>,
  expect: Case["expect"],
  settings?: Record<string, unknown>,
): Case => ({
  name,
  operation: "LibpodContainerCreate",
  body: { name: "c", image: IMAGE, ...fields },
  contentType: "",
  settings,
  expect,
});

Deno.test("LibpodContainerCreate checks a SpecGenerator's host paths, namespaces and privileges", async (t) => {
  const media = { ALLOW_BIND_MOUNTS: "/srv/media" };
  await runCases(t, [
    spec("a plain container", { command: ["true"], env: { A: "1" }, labels: { a: "b" } }, true),
    spec("private and user-mode namespaces", {
      netns: { nsmode: "slirp4netns" },
      userns: { nsmode: "keep-id", value: "uid=1000" },
      pidns: { nsmode: "private" },
      ipcns: { nsmode: "shareable" },
    }, true),
    spec("the pod's namespaces", { pod: "p", netns: { nsmode: "pod" } }, true),
    spec("a namespace mode the proxy does not know", { netns: { nsmode: "hostish" } }, [
      403,
      "mode this proxy does not know",
    ]),
    spec("another container's network", { netns: { nsmode: "container", value: "db" } }, [
      403,
      "ALLOW_JOIN_CONTAINERS",
    ]),
    spec("slirp4netns with options", {
      netns: { nsmode: "slirp4netns", value: "allow_host_loopback=true" },
    }, [403, "ALLOW_HOST_NETWORK"]),
    spec("the host cgroup namespace", { cgroupns: { nsmode: "host" } }, true),
    spec(
      "a bind under the prefix",
      {
        mounts: [{
          destination: "/m",
          type: "bind",
          source: "/srv/media",
          options: ["rbind", "ro"],
        }],
      },
      true,
      media,
    ),
    spec(
      "a read-write bind under a read-only prefix",
      { mounts: [{ destination: "/m", type: "bind", source: "/srv/media" }] },
      [403, "read-only"],
      { ALLOW_BIND_MOUNTS: "/srv/media:ro" },
    ),
    spec(
      "a chowning bind under a read-only prefix",
      { mounts: [{ destination: "/m", type: "bind", source: "/srv/media", options: ["ro", "U"] }] },
      [403, "owner"],
      { ALLOW_BIND_MOUNTS: "/srv/media:ro" },
    ),
    spec("a glob bind", { mounts: [{ destination: "/d", type: "glob", source: "/dev/sd*" }] }, [
      403,
      "cover /dev",
    ]),
    spec(
      "an overlay upper directory on the host",
      {
        mounts: [{
          destination: "/m",
          type: "bind",
          source: "/srv/media",
          options: ["O", "upperdir=/etc", "workdir=/tmp/w"],
        }],
      },
      [403, "cover /etc"],
      media,
    ),
    spec("tmpfs, devpts and image mounts", {
      mounts: [
        { destination: "/t", type: "tmpfs", source: "tmpfs", options: ["rw", "tmpcopyup"] },
        { destination: "/i", type: "image", source: IMAGE },
      ],
    }, true),
    spec("a sysfs mount", { mounts: [{ destination: "/s", type: "sysfs", source: "sysfs" }] }, [
      403,
      "ALLOW_PRIVILEGED",
    ]),
    spec("an ext4 mount of a device", {
      mounts: [{ destination: "/d", type: "ext4", source: "/dev/sda1" }],
    }, [403, "mount type"]),
    spec("a named volume", { volumes: [{ Name: "data", Dest: "/data", Options: [] }] }, true),
    spec("a named volume that is a path", { volumes: [{ Name: "/etc", Dest: "/data" }] }, [
      403,
      "not a volume name",
    ]),
    spec("an image volume", {
      image_volumes: [{ Source: IMAGE, Destination: "/i", ReadWrite: false }],
    }, true),
    spec(
      "an overlay of an allowed directory",
      { overlay_volumes: [{ destination: "/o", source: "/srv/media" }] },
      true,
      { ALLOW_BIND_MOUNTS: "/srv/media:ro" },
    ),
    spec(
      "a device under the allowed directory",
      { devices: [{ path: "/dev/dri/renderD128" }] },
      true,
      { ALLOW_DEVICES: "/dev/dri" },
    ),
    spec("GPUs", { gpus: ["all"] }, [403, "ALLOW_DEVICES=ALL"]),
    spec("a CDI device", { devices: [{ path: "nvidia.com/gpu=all" }] }, [403, "ALLOW_DEVICES=ALL"]),
    spec("devices from another container", { devices_from: ["db"] }, [403, "ALLOW_DEVICES=ALL"]),
    spec("resource limits without devices", {
      resource_limits: { memory: { limit: 1 << 27 }, pids: { limit: 100 } },
    }, true),
    spec("a unified cgroup file", { unified: { "memory.high": "1G" } }, true),
    spec("a unified key escaping the cgroup", { unified: { "../cgroup.procs": "1" } }, [
      403,
      "cgroup file",
    ]),
    spec("the default seccomp policy", { seccomp_policy: "default" }, true),
    spec("the image's seccomp policy", { seccomp_policy: "image" }, [403, "ALLOW_UNCONFINED"]),
    spec("an AppArmor profile", { apparmor_profile: "unconfined" }, [403, "ALLOW_UNCONFINED"]),
    spec("SELinux options", { selinux_opts: ["type:spc_t"] }, [403, "ALLOW_UNCONFINED"]),
    spec("nested SELinux labels", { label_nested: true }, [403, "ALLOW_UNCONFINED"]),
    spec("masking more paths", { mask: ["/proc/cpuinfo"] }, true),
    spec("a named time zone", { timezone: "Europe/Berlin" }, true),
    spec("the host's time zone", { timezone: "local" }, true),
    spec("an absolute time zone path", { timezone: "/etc/shadow" }, [403, "zoneinfo"]),
    spec("a base hosts file from the image", { base_hosts_file: "image" }, true),
    spec("a base hosts file from the host", { base_hosts_file: "/etc/hosts" }, [
      403,
      "cover /etc/hosts",
    ]),
    spec("health logs to a host directory", { healthLogDestination: "/var/log" }, [
      403,
      "cover /var/log",
    ]),
    spec("health logs locally", { healthLogDestination: "local" }, true),
    spec(
      "an init binary from the host",
      { init: true, init_path: "/usr/libexec/podman/catatonit" },
      [403, "cover /usr/libexec/podman/catatonit"],
    ),
    spec("a passthrough log driver", { log_configuration: { driver: "passthrough" } }, [
      403,
      "ALLOW_LOG_DRIVERS",
    ]),
    spec(
      "journald logs",
      { log_configuration: { driver: "journald", options: { tag: "x" } } },
      true,
    ),
    spec("crun's runtime", { oci_runtime: "crun" }, true),
    spec("automatic user namespaces reading a host passwd file", {
      idmappings: { AutoUserNs: true, AutoUserNsOpts: { PasswdFile: "/etc/passwd" } },
    }, [403, "host file"]),
    spec("the podman client's default idmappings", {
      idmappings: {
        HostUIDMapping: true,
        HostGIDMapping: true,
        UIDMap: null,
        GIDMap: null,
        AutoUserNs: false,
        AutoUserNsOpts: {
          Size: 0,
          InitialSize: 0,
          PasswdFile: "",
          GroupFile: "",
          AdditionalUIDMappings: null,
          AdditionalGIDMappings: null,
        },
      },
    }, true),
    spec("podman's own annotations", {
      annotations: {
        "io.podman.annotations.userns": "keep-id",
        "run.oci.keep_original_groups": "1",
      },
    }, true),
    spec("a seccomp tracing hook annotation", {
      annotations: { "io.containers.trace-syscall": "of:/etc/x" },
    }, [403, "OCI runtime"]),
    spec("keys colliding under case folding", { privileged: false, Privileged: true }, [
      400,
      "collide",
    ]),
    spec("shared rootfs propagation", { rootfs_propagation: "rshared" }, [403, "ALLOW_PRIVILEGED"]),
    spec(
      "a sysctl in the host's uts namespace",
      { utsns: { nsmode: "host" }, sysctl: { "kernel.hostname": "x" } },
      [403, "ALLOW_SYSCTLS"],
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    spec("privileged when allowed", { privileged: true }, true, { ALLOW_PRIVILEGED: "1" }),
  ]);
});

Deno.test("LibpodPodCreate, volumes, updates and the other libpod requests", async (t) => {
  await runCases(t, [
    {
      name: "a plain pod",
      operation: "LibpodPodCreate",
      body: { name: "p", shared_namespaces: ["ipc", "net", "uts"], infra_image: IMAGE },
      expect: true,
    },
    {
      name: "a pod with the host's pid namespace",
      operation: "LibpodPodCreate",
      body: { name: "p", pidns: { nsmode: "host" } },
      expect: [403, "ALLOW_HOST_NAMESPACES"],
    },
    {
      name: "a pod device",
      operation: "LibpodPodCreate",
      body: { name: "p", pod_devices: ["/dev/kvm"] },
      expect: [403, "ALLOW_DEVICES to cover /dev/kvm"],
    },
    {
      name: "a pod security option",
      operation: "LibpodPodCreate",
      body: { name: "p", security_opt: ["label=disable"] },
      expect: [403, "ALLOW_UNCONFINED"],
    },
    {
      name: "a pod hosts file from the host",
      operation: "LibpodPodCreate",
      body: { name: "p", hostsFile: "/etc/shadow" },
      expect: [403, "cover /etc/shadow"],
    },
    {
      name: "a pod volumes-from",
      operation: "LibpodPodCreate",
      body: { name: "p", volumes_from: ["db"] },
      expect: [403, "ALLOW_JOIN_CONTAINERS"],
    },
    {
      name: "a libpod volume with uid options",
      operation: "LibpodVolumeCreate",
      body: { Name: "v", Options: { o: "uid=1000,gid=1000" } },
      expect: true,
    },
    {
      name: "a libpod image volume",
      operation: "LibpodVolumeCreate",
      body: { Name: "v", Driver: "image", Options: { image: IMAGE } },
      expect: true,
    },
    {
      name: "a libpod volume option sent in two cases",
      operation: "LibpodVolumeCreate",
      body: { Name: "v", Options: { device: "/srv", DEVICE: "/" } },
      expect: [403, "not a local volume option"],
    },
    {
      name: "a libpod update of limits",
      operation: "LibpodContainerUpdate",
      body: { memory: { limit: 1 << 28 }, health_cmd: "true" },
      expect: true,
    },
    {
      name: "a libpod update opening every device",
      operation: "LibpodContainerUpdate",
      body: { devices: [{ allow: true, access: "rwm" }] },
      expect: [403, "ALLOW_DEVICES=ALL"],
    },
    {
      name: "a libpod update moving health logs to the host",
      operation: "LibpodContainerUpdate",
      body: { health_log_destination: "/etc" },
      expect: [403, "cover /etc"],
    },
    {
      name: "a libpod exec",
      operation: "LibpodContainerExec",
      body: { Cmd: ["true"], DetachKeys: "ctrl-p,ctrl-q" },
      contentType: "",
      expect: true,
    },
    {
      name: "a libpod secret with the file driver",
      operation: "LibpodSecretCreate",
      query: [["name", "s"], ["driver", "file"]],
      expect: true,
    },
    {
      name: "a libpod secret with driver options",
      operation: "LibpodSecretCreate",
      query: [["name", "s"], ["driveropts", '{"path":"/etc"}']],
      expect: [403, "driveropts"],
    },
    {
      name: "a libpod secret driver in another case",
      operation: "LibpodSecretCreate",
      query: [["Driver", "pass"]],
      expect: [403, "HOST_ACCESS=1"],
    },
    {
      name: "a libpod restore of a local checkpoint",
      operation: "LibpodContainerRestore",
      query: [["keep", "true"]],
      expect: true,
    },
    {
      name: "a libpod image import from the body",
      operation: "LibpodImageImport",
      query: [["reference", "x"]],
      expect: true,
    },
    {
      name: "a libpod image import from a URL",
      operation: "LibpodImageImport",
      query: [["URL", "https://example.com/x.tar"]],
      expect: [403, "ALLOW_REMOTE"],
    },
    {
      name: "a local build on the server",
      operation: "LibpodLocalBuild",
      expect: [403, "HOST_ACCESS=1"],
    },
    {
      name: "an artifact from a server path",
      operation: "LibpodArtifactLocal",
      expect: [403, "HOST_ACCESS=1"],
    },
    {
      name: "an image copied over SSH",
      operation: "LibpodImageScp",
      expect: [403, "HOST_ACCESS=1"],
    },
    {
      name: "a kube apply with the server's kubeconfig",
      operation: "LibpodKubeApply",
      expect: [403, "HOST_ACCESS=1"],
    },
  ]);
});

const kube = (
  name: string,
  yaml: string,
  expect: Case["expect"],
  settings?: Record<string, unknown>,
  query?: [string, string][],
): Case => ({
  name,
  operation: "LibpodPlayKube",
  body: yaml,
  contentType: "application/yaml",
  settings,
  query,
  expect,
});

const pod = (spec: string, annotations = "") =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n${annotations}spec:\n${spec}`;
const container = "  containers:\n  - name: c\n    image: sp-busybox:latest\n";

Deno.test("LibpodPlayKube reads YAML only when it is unambiguous, and checks what podman plays", async (t) => {
  await runCases(t, [
    kube("a plain pod", pod(container), true),
    kube("an empty body", "", true),
    kube(
      "several documents",
      `${
        pod(container)
      }---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports: [{port: 80}]\n`,
      true,
    ),
    kube(
      "a deployment on the host network",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n      hostNetwork: true\n      containers:\n      - name: c\n        image: x\n",
      [403, "ALLOW_HOST_NETWORK"],
    ),
    kube(
      "a job with the host's pid namespace",
      "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      hostPID: true\n      containers:\n      - name: c\n        image: x\n",
      [403, "ALLOW_HOST_NAMESPACES"],
    ),
    kube(
      "a daemon set with an init container adding a capability",
      "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: i\n        image: x\n        securityContext:\n          capabilities:\n            add: [SYS_ADMIN]\n      containers:\n      - name: c\n        image: x\n",
      [403, "SYS_ADMIN"],
    ),
    kube("a List of documents", "apiVersion: v1\nkind: List\nitems: []\n", [
      403,
      "not a kind this proxy checks",
    ]),
    kube("a kind podman skips", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n", [
      403,
      "not a kind",
    ]),
    kube(
      "a hostPath under the prefix, read-only",
      pod(
        `${container}    volumeMounts:\n    - name: m\n      mountPath: /m\n      readOnly: true\n  volumes:\n  - name: m\n    hostPath:\n      path: /srv/media\n      type: Directory\n`,
      ),
      true,
      { ALLOW_BIND_MOUNTS: "/srv/media:ro" },
    ),
    kube(
      "a hostPath mounted read-write under a read-only prefix",
      pod(
        `${container}    volumeMounts:\n    - name: m\n      mountPath: /m\n  volumes:\n  - name: m\n    hostPath:\n      path: /srv/media\n`,
      ),
      [403, "read-only"],
      { ALLOW_BIND_MOUNTS: "/srv/media:ro" },
    ),
    kube(
      "a hostPath created on the host under a read-only prefix",
      pod(
        `${container}  volumes:\n  - name: m\n    hostPath:\n      path: /srv/media/new\n      type: DirectoryOrCreate\n`,
      ),
      [403, "creates the host path"],
      { ALLOW_BIND_MOUNTS: "/srv/media:ro" },
    ),
    kube(
      "a hostPath block device",
      pod(
        `${container}  volumes:\n  - name: d\n    hostPath:\n      path: /dev/sda\n      type: BlockDevice\n`,
      ),
      [403, "ALLOW_DEVICES"],
    ),
    kube(
      "a hostPath socket of the engine",
      pod(
        `${container}  volumes:\n  - name: s\n    hostPath:\n      path: /run/podman/podman.sock\n      type: Socket\n`,
      ),
      [403, "cover /run/podman/podman.sock"],
      { ALLOW_BIND_MOUNTS: "/srv/media" },
    ),
    kube(
      "a volume source the proxy does not know",
      pod(
        `${container}  volumes:\n  - name: share\n    nfs:\n      server: 10.0.0.1\n      path: /\n`,
      ),
      [403, "Unknown field"],
    ),
    kube(
      "bidirectional mount propagation",
      pod(
        `${container}    volumeMounts:\n    - name: m\n      mountPath: /m\n      mountPropagation: Bidirectional\n  volumes:\n  - name: m\n    emptyDir: {}\n`,
      ),
      [403, "ALLOW_PRIVILEGED"],
    ),
    kube(
      "an unmasked /proc",
      pod(`${container}    securityContext:\n      procMount: Unmasked\n`),
      [403, "ALLOW_UNCONFINED"],
    ),
    kube(
      "a localhost seccomp profile",
      pod(
        `  securityContext:\n    seccompProfile:\n      type: Localhost\n      localhostProfile: ../../etc/x.json\n${container}`,
      ),
      [403, "ALLOW_UNCONFINED"],
    ),
    kube(
      "a pod sysctl that is not namespaced",
      pod(
        `  securityContext:\n    sysctls:\n    - name: kernel.core_pattern\n      value: "|/x"\n${container}`,
      ),
      [403, "ALLOW_SYSCTLS"],
    ),
    kube(
      "a host device as a resource request",
      pod(`${container}    resources:\n      limits:\n        podman.io/device=/dev/sda: 1\n`),
      [403, "ALLOW_DEVICES to cover /dev/sda"],
    ),
    kube(
      "a CDI device as a resource limit",
      pod(
        `${container}    resources:\n      limits:\n        nvidia.com/gpu=all: 1\n        memory: 1Gi\n`,
      ),
      [403, "ALLOW_DEVICES=ALL"],
    ),
    kube(
      "plain resource limits",
      pod(`${container}    resources:\n      limits:\n        memory: 1Gi\n        cpu: 500m\n`),
      true,
    ),
    kube("a runtime class", pod(`  runtimeClassName: kata\n${container}`), [403, "ALLOW_RUNTIMES"]),
    kube(
      "podman's user namespace annotation for the host",
      pod(container, "  annotations:\n    io.podman.annotations.userns: host\n"),
      [403, "ALLOW_HOST_NAMESPACES"],
    ),
    kube(
      "podman's volumes-from annotation",
      pod(container, "  annotations:\n    io.podman.annotations.volumes-from/c: db\n"),
      [403, "ALLOW_JOIN_CONTAINERS"],
    ),
    kube(
      "podman's harmless annotations",
      pod(
        container,
        '  annotations:\n    io.podman.annotations.autoremove/c: "TRUE"\n    io.containers.autoupdate: registry\n',
      ),
      true,
    ),
    kube(
      "an unknown podman annotation",
      pod(container, '  annotations:\n    io.podman.annotations.privileged/c: "TRUE"\n'),
      [403, "read by podman"],
    ),
    kube(
      "a bind-mount-options relabel",
      pod(container, "  annotations:\n    bind-mount-options: /srv/media:Z\n"),
      true,
      { ALLOW_BIND_MOUNTS: "/srv/media" },
    ),
    kube(
      "a bind-mount-options propagation",
      pod(container, "  annotations:\n    bind-mount-options: /srv/media:rshared\n"),
      [403, "HOST_ACCESS=1"],
      { ALLOW_BIND_MOUNTS: "/srv/media" },
    ),
    kube(
      "a claim with a plugin driver",
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: v\n  annotations:\n    volume.podman.io/driver: rclone\n",
      [403, "ALLOW_VOLUME_DRIVERS"],
    ),
    kube(
      "a claim importing a host tarball",
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: v\n  annotations:\n    volume.podman.io/import-source: /etc/shadow.tar\n",
      [403, "HOST_ACCESS=1"],
    ),
    kube("a key in two cases", pod(`  hostNetwork: false\n  HostNetwork: true\n${container}`), [
      400,
      "collide",
    ]),
    kube("a duplicate key", pod(`  hostNetwork: false\n  hostNetwork: true\n${container}`), [
      400,
      "Invalid YAML",
    ]),
    kube("a quoted yes (a string either way)", pod(`  hostNetwork: "yes"\n${container}`), [
      400,
      "want a boolean",
    ]),
    kube("an octal-looking number", pod(`${container}    ports:\n    - containerPort: 0777\n`), [
      400,
      "YAML 1.1 and 1.2",
    ]),
    kube("an explicit tag", pod(`  hostNetwork: !!bool "true"\n${container}`), [400, "tag"]),
    kube("a merge key", "x: &a {hostNetwork: true}\n", [400, "anchors"]),
    kube("a name read as false by YAML 1.1", pod(container).replace("name: c", "name: n"), [
      400,
      "YAML 1.1 and 1.2",
    ]),
    kube("a query network on the host", pod(container), [403, "ALLOW_HOST_NETWORK"], undefined, [[
      "network",
      "host",
    ]]),
    kube(
      "a query user namespace on the host",
      pod(container),
      [403, "ALLOW_HOST_NAMESPACES"],
      undefined,
      [["userns", "host"]],
    ),
    kube("query log options writing a host file", pod(container), [403, "host path"], undefined, [[
      "logDriver",
      "k8s-file",
    ], ["logOptions", "path=/etc/x"]]),
    kube("query annotations", pod(container), [403, "put them in the YAML"], undefined, [[
      "annotations",
      '{"run.oci.handler":"krun"}',
    ]]),
    kube(
      "a query parameter the proxy does not know",
      pod(container),
      [403, "not one this proxy knows"],
      undefined,
      [["configmaps", "/etc/x"]],
    ),
    {
      name: "a kube body of another type",
      operation: "LibpodPlayKube",
      body: pod(container),
      contentType: "text/yaml",
      expect: [403, "not YAML this proxy checks"],
    },
    {
      name: "a kube body with no type",
      operation: "LibpodPlayKube",
      body: pod(container),
      contentType: "",
      expect: true,
    },
  ]);
});
