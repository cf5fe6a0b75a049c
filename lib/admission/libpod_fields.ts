/**
 * The fields of podman's request structs, for the struct readers: every JSON
 * name the SpecGenerator (podman 2.0 to 5.x), PodSpecGenerator (3.0 to 5.x)
 * and OCI `LinuxResources` have had. A field not listed is refused as unknown.
 */

/** `SpecGenerator` (its embedded structs' fields). */
// deno-fmt-ignore
export const SPEC_GENERATOR_FIELDS = [
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

/** `PodSpecGenerator` (its embedded structs' fields). */
// deno-fmt-ignore
export const POD_SPEC_GENERATOR_FIELDS = [
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

/** OCI `LinuxResources`. */
// deno-fmt-ignore
export const LINUX_RESOURCES = [
  "devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma", "unified",
];
