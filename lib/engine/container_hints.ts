/**
 * What the proxy can see of its own container from inside it, as candidate
 * container IDs to ask the engine about: the bind mounts Docker and Podman
 * make for `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` (their source
 * is in the container's own directory, named by its ID), the cgroup path
 * (cgroup v1, or v2 without a private cgroup namespace), Podman's
 * `/run/.containerenv`, and the hostname (by default the ID's first 12
 * characters). Pure: the caller reads the files.
 */

const FULL_ID = /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g;
const SHORT_ID = /^[0-9a-f]{12,64}$/;
const MOUNTS = new Set(["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"]);

/** The files' texts (`""` when absent). */
export interface ContainerFiles {
  /** `/proc/self/mountinfo`. */
  readonly mountinfo: string;
  /** `/proc/self/cgroup`. */
  readonly cgroup: string;
  /** `/run/.containerenv` (Podman). */
  readonly containerenv: string;
  /** The hostname. */
  readonly hostname: string;
}

/** Candidate IDs (full IDs first, then a hostname that looks like a short ID), without repeats. */
export function containerHints(files: ContainerFiles): string[] {
  const hints: string[] = [];
  const add = (id: string) => {
    if (!hints.includes(id)) hints.push(id);
  };
  for (const line of files.mountinfo.split("\n")) {
    // id parent major:minor root mountpoint ...
    const fields = line.split(" ");
    if (fields.length < 5 || !MOUNTS.has(fields[4])) continue;
    for (const match of fields[3].matchAll(FULL_ID)) add(match[0]);
  }
  const env = /^id="?([0-9a-f]{64})"?$/m.exec(files.containerenv);
  if (env !== null) add(env[1]);
  for (const line of files.cgroup.split("\n")) {
    for (const match of line.matchAll(FULL_ID)) add(match[0]);
  }
  const hostname = files.hostname.trim();
  if (SHORT_ID.test(hostname) && !hints.some((id) => id.startsWith(hostname))) add(hostname);
  return hints;
}
