/**
 * Debian root trees holding a newer engine (docker.io or podman from trixie or
 * sid), built with debootstrap from the mirror apt uses here and cached outside
 * the repository, one directory per suite, package and package version:
 *
 *   /var/cache/socket-proxy/engines/<suite>-<package>-<version>/
 *
 * The version comes from the suite's own Packages index (`apt-get update` and
 * `apt-cache policy` on a private list directory), so a tree is rebuilt when
 * Debian moves the package on; older trees of the same suite and package are
 * removed then. A tree is complete when its `.complete` file holds the
 * debootstrap command that built it (a different command rebuilds it).
 */
import { run, unmountUnder } from "../private_engine.ts";

export const CACHE_ROOT = Deno.env.get("SP_ENGINE_CACHE") ?? "/var/cache/socket-proxy/engines";
export const MIRROR = "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

export type EnginePackage = "docker.io" | "podman";

/**
 * What else goes into each tree: dockerd runs `ps` for `docker top`. A change
 * here rebuilds the trees (the list is written to `.complete` and compared).
 */
const EXTRA_PACKAGES: Record<EnginePackage, string[]> = {
  "docker.io": ["procps"],
  podman: [],
};

export interface EngineTree {
  suite: string;
  package: EnginePackage;
  /** The Debian package version, e.g. `28.5.2+dfsg4-5`. */
  version: string;
  /** The root directory of the tree. */
  path: string;
}

/** apt options that read and write a private copy of `suite`'s index below the cache. */
async function aptOptions(suite: string): Promise<string[]> {
  const dir = `${CACHE_ROOT}/apt-${suite}`;
  await Deno.mkdir(`${dir}/lists/partial`, { recursive: true });
  await Deno.mkdir(`${dir}/cache`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/sources.list`,
    `deb [signed-by=${KEYRING}] ${MIRROR} ${suite} main\n`,
  );
  return [
    "-o",
    `Dir::Etc::SourceList=${dir}/sources.list`,
    "-o",
    "Dir::Etc::SourceParts=/nonexistent",
    "-o",
    `Dir::State::Lists=${dir}/lists`,
    "-o",
    `Dir::Cache=${dir}/cache`,
  ];
}

/** Refreshes `suite`'s index (one download per suite and run) and reads each package's version. */
export async function candidateVersions(
  suite: string,
  packages: EnginePackage[],
): Promise<Map<EnginePackage, string>> {
  const options = await aptOptions(suite);
  await run("apt-get", [...options, "-qq", "update"]);
  const policy = await run("apt-cache", [...options, "policy", ...packages]);
  const versions = new Map<EnginePackage, string>();
  let current: EnginePackage | null = null;
  for (const line of policy.split("\n")) {
    const header = line.match(/^(\S+):$/);
    if (header) current = header[1] as EnginePackage;
    const candidate = line.match(/^\s+Candidate: (\S+)/);
    if (current && candidate && candidate[1] !== "(none)") versions.set(current, candidate[1]);
  }
  for (const name of packages) {
    if (!versions.has(name)) throw new Error(`Debian ${suite} has no package ${name}`);
  }
  return versions;
}

function treeName(suite: string, name: EnginePackage, version: string): string {
  return `${suite}-${name}-${version.replace(/[^\w.+-]/g, "_")}`;
}

/**
 * The cached tree for `name` at `version` in `suite`, built first when missing
 * (debootstrap minbase with the package, then apt's caches dropped).
 */
export async function engineTree(
  suite: string,
  name: EnginePackage,
  version: string,
  log: (line: string) => void = (line) => console.error(line),
): Promise<EngineTree> {
  const path = `${CACHE_ROOT}/${treeName(suite, name, version)}`;
  const tree = { suite, package: name, version, path };
  const include = [name, ...EXTRA_PACKAGES[name]].join(",");
  const recipe = `debootstrap --variant=minbase --include=${include} ${suite} ${MIRROR}\n`;
  if (await Deno.readTextFile(`${path}/.complete`).catch(() => "") === recipe) return tree;
  const started = Date.now();
  log(`engines: building ${suite} ${name} ${version} in ${path}`);
  await removeTree(path);
  await Deno.mkdir(CACHE_ROOT, { recursive: true });
  const debootstrap = await new Deno.Command("debootstrap", {
    args: ["--variant=minbase", `--include=${include}`, suite, path, MIRROR],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!debootstrap.success) {
    const text = new TextDecoder().decode(debootstrap.stdout) +
      new TextDecoder().decode(debootstrap.stderr);
    throw new Error(
      `debootstrap ${suite} ${name} failed:\n${text.split("\n").slice(-15).join("\n")}`,
    );
  }
  const installed = await installedVersion(path, name);
  if (installed !== version) {
    throw new Error(`debootstrap installed ${name} ${installed} in ${path}, not ${version}`);
  }
  await run("sh", ["-c", `rm -rf '${path}'/var/cache/apt/archives/*.deb`]);
  await Deno.writeTextFile(`${path}/.complete`, recipe);
  log(
    `engines: built ${suite} ${name} ${version} in ${Math.round((Date.now() - started) / 1000)}s`,
  );
  await removeOlderTrees(tree);
  return tree;
}

/** The version dpkg installed in `root`. */
export async function installedVersion(root: string, name: string): Promise<string> {
  const status = await Deno.readTextFile(`${root}/var/lib/dpkg/status`);
  for (const stanza of status.split("\n\n")) {
    if (stanza.match(new RegExp(`^Package: ${name.replace(/\./g, "\\.")}$`, "m"))) {
      const version = stanza.match(/^Version: (\S+)$/m);
      if (version) return version[1];
    }
  }
  throw new Error(`${name} is not installed in ${root}`);
}

/** Removes the trees of the same suite and package at other versions. */
async function removeOlderTrees(tree: EngineTree): Promise<void> {
  const prefix = `${tree.suite}-${tree.package}-`;
  const keep = treeName(tree.suite, tree.package, tree.version);
  for await (const entry of Deno.readDir(CACHE_ROOT)) {
    if (entry.isDirectory && entry.name.startsWith(prefix) && entry.name !== keep) {
      await removeTree(`${CACHE_ROOT}/${entry.name}`);
    }
  }
}

/**
 * Removes a tree, unmounting first what an interrupted debootstrap left
 * mounted in it (its /proc, /sys, /dev): never recurse into the host's.
 */
async function removeTree(path: string): Promise<void> {
  await unmountUnder(path);
  const left = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
    .some((line) => line.split(" ")[4]?.startsWith(path + "/"));
  if (left) throw new Error(`${path} still has mounts below it; not removing it`);
  await Deno.remove(path, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}
