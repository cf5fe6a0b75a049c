/**
 * The fields of the Kubernetes types podman's `kube play` reads, for the
 * struct readers: a field not listed is refused as unknown.
 */

/** A Kubernetes object's top level. */
// deno-fmt-ignore
export const ROOT = [
  "apiVersion", "kind", "metadata", "spec", "status",
];

/** `ObjectMeta`. */
// deno-fmt-ignore
export const OBJECT_META = [
  "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
  "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
  "ownerReferences", "finalizers", "managedFields",
];

/** The specs of `Deployment`, `DaemonSet` and `Job` (their union). */
// deno-fmt-ignore
export const WORKLOAD_SPEC = [
  "replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit",
  "paused", "progressDeadlineSeconds", "updateStrategy", "parallelism", "completions",
  "activeDeadlineSeconds", "podFailurePolicy", "successPolicy", "backoffLimit",
  "backoffLimitPerIndex", "maxFailedIndexes", "manualSelector", "ttlSecondsAfterFinished",
  "completionMode", "suspend", "podReplacementPolicy", "managedBy",
];

/** `PodSpec` (Kubernetes 1.34). */
// deno-fmt-ignore
export const POD_SPEC = [
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

/** `Container`. */
// deno-fmt-ignore
export const CONTAINER = [
  "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
  "resizePolicy", "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices",
  "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
  "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
];

/** A container's `SecurityContext`. */
// deno-fmt-ignore
export const SECURITY_CONTEXT = [
  "capabilities", "privileged", "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup",
  "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "procMount",
  "seccompProfile", "appArmorProfile",
];

/** `PodSecurityContext`. */
// deno-fmt-ignore
export const POD_SECURITY_CONTEXT = [
  "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot",
  "supplementalGroups", "supplementalGroupsPolicy", "fsGroup", "sysctls", "fsGroupChangePolicy",
  "seccompProfile", "appArmorProfile", "seLinuxChangePolicy",
];

/** `VolumeMount`. */
// deno-fmt-ignore
export const VOLUME_MOUNT = [
  "name", "readOnly", "recursiveReadOnly", "mountPath", "subPath", "mountPropagation",
  "subPathExpr",
];

/** The volume sources podman plays: others are refused as unknown fields. */
// deno-fmt-ignore
export const VOLUME_SOURCES = [
  "hostPath", "emptyDir", "configMap", "secret", "persistentVolumeClaim", "image",
];

/** `PersistentVolumeClaimSpec`. */
// deno-fmt-ignore
export const PVC_SPEC = [
  "accessModes", "selector", "resources", "volumeName", "storageClassName", "volumeMode",
  "dataSource", "dataSourceRef", "volumeAttributesClassName",
];
