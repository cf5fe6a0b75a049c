/**
 * A newer engine (dockerd or `podman system service`) run as a container of
 * the private Debian 12 dockerd: its Debian tree imported once as an image, the
 * container given every capability but CAP_SYS_RESOURCE (`--privileged` fails
 * on machines whose bounding set lacks it), no seccomp, AppArmor or masked
 * /proc paths, the host's cgroup namespace and hierarchy, and the host network
 * (loopback only is used). Its data root and socket live in a host temporary
 * directory mounted at the same path inside, so the socket's path is the same
 * on both sides; /tmp and /srv are shared the same way (SHARED_DIRS) so that
 * tests' bind sources exist for the inner engine. Stopped by process id (SIGTERM to the engine, which is
 * the container's first process), its container removed, mounts unmounted and
 * the directory removed.
 */
import {
  dockerdArgs,
  podmanServiceArgs,
  type PrivateEngine,
  run,
  unmountUnder,
  waitForPing,
} from "../private_engine.ts";
import type { EngineTree } from "./engine_tree.ts";

export interface ContainerEngine {
  /** `dockerd 28.5.2` or `podman 5.8.6`. */
  label: string;
  socket: string;
  /** The engine's process id on the host. */
  pid: number;
  root: string;
  stop(): Promise<void>;
}

/** The flags that let an engine run inside a container here (see the module comment). */
export const ENGINE_CONTAINER_FLAGS = [
  "--cap-add",
  "ALL",
  "--cap-drop",
  "SYS_RESOURCE",
  "--security-opt",
  "seccomp=unconfined",
  "--security-opt",
  "apparmor=unconfined",
  "--security-opt",
  "systempaths=unconfined",
  "--cgroupns",
  "host",
  "-v",
  "/sys/fs/cgroup:/sys/fs/cgroup",
  "--network",
  "host",
];

/**
 * Host directories the engines see at the same path, without the mounts below
 * them (other engines' layers): the tests' temporary directories and the bind
 * sources the admission corpus names (/srv/...).
 */
const SHARED_DIRS = ["/tmp", "/srv"];

/** Whether this machine mounts cgroup v1 controllers with a v2 hierarchy beside them. */
function hybridCgroups(): boolean {
  try {
    return Deno.statSync("/sys/fs/cgroup/unified").isDirectory &&
      Deno.statSync("/sys/fs/cgroup/memory").isDirectory;
  } catch {
    return false;
  }
}

/** The image a tree is imported as in `host`: one import per tree and engine. */
export function treeImage(tree: EngineTree): string {
  const tag = tree.version.replace(/[^\w.-]/g, "_").slice(0, 120);
  return `sp-engine-${tree.suite}-${tree.package.replace(/\W/g, "")}:${tag}`;
}

/** Imports `tree` into `host` unless it is there already. */
export async function importTree(host: PrivateEngine, tree: EngineTree): Promise<string> {
  const image = treeImage(tree);
  const present = await host.docker("image", "ls", "-q", image);
  if (present.trim() === "") {
    await run("sh", [
      "-c",
      `tar -C '${tree.path}' --exclude=./.complete --exclude=./proc/* --exclude=./sys/* -c . | ` +
      `docker -H unix://${host.socket} import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:` +
      `/usr/sbin:/usr/bin:/sbin:/bin' - ${image}`,
    ]);
  }
  return image;
}

/** The engine's arguments inside its container, its socket below `root`. */
function engineCommand(tree: EngineTree, root: string, socket: string): string[] {
  if (tree.package === "docker.io") return ["dockerd", ...dockerdArgs(root, socket)];
  return ["podman", ...podmanServiceArgs(root, socket)];
}

/** Starts the engine of `tree` as a container of `host`; fails when it does not answer. */
export async function startContainerEngine(
  host: PrivateEngine,
  tree: EngineTree,
  options: { env?: Record<string, string> } = {},
): Promise<ContainerEngine> {
  const image = await importTree(host, tree);
  for (const dir of SHARED_DIRS) await Deno.mkdir(dir, { recursive: true });
  const kind = tree.package === "docker.io" ? "dockerd" : "podman";
  const env = Object.entries(options.env ?? {});
  const label = `${kind} ${tree.version.replace(/[+~].*$/, "")}` +
    env.map(([name, value]) => ` ${name}=${value}`).join("");
  const root = await Deno.makeTempDir({ dir: "/tmp", prefix: `spx-${kind}-` });
  const socket = `${root}/${kind === "dockerd" ? "docker" : "podman"}.sock`;
  const name = `sp-engine-${kind}-${root.slice(-6).replace(/\W/g, "")}`;
  // crun refuses cgroup v1 controllers with a v2 hierarchy beside them
  // ("cgroups in hybrid mode not supported"): podman's container unmounts the
  // v2 one in its own mount namespace first, then becomes podman (same pid).
  const command = kind === "podman" && hybridCgroups()
    ? [
      "sh",
      "-c",
      'umount /sys/fs/cgroup/unified && exec "$@"',
      "podman",
      ...engineCommand(tree, root, socket),
    ]
    : engineCommand(tree, root, socket);
  const run = host.docker(
    "run",
    "-d",
    "--name",
    name,
    ...ENGINE_CONTAINER_FLAGS,
    ...env.flatMap(([name, value]) => ["--env", `${name}=${value}`]),
    ...SHARED_DIRS.flatMap((dir) => [
      "--mount",
      `type=bind,source=${dir},target=${dir},bind-nonrecursive=true`,
    ]),
    "--entrypoint",
    command[0],
    image,
    ...command.slice(1),
  );
  let id: string;
  try {
    id = (await run).trim();
  } catch (error) {
    await host.docker("rm", "-f", name).catch(() => "");
    await Deno.remove(root, { recursive: true }).catch(() => {});
    throw error;
  }
  const pid = Number((await host.docker("inspect", "-f", "{{.State.Pid}}", id)).trim());
  const engine: ContainerEngine = {
    label,
    socket,
    pid,
    root,
    async stop() {
      if (pid > 0) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch {
          // Already gone.
        }
      }
      // `docker wait` returns when the engine exited; `stop` sends SIGKILL after 20 s.
      await host.docker("stop", "-t", "20", id).catch(() => "");
      await host.docker("rm", "-f", "-v", id).catch((error) => {
        console.error(`Could not remove the ${label} container: ${error.message}`);
        return "";
      });
      await unmountUnder(root);
      await Deno.remove(root, { recursive: true }).catch((error) =>
        console.error(`Could not remove ${root}: ${error.message}`)
      );
    },
  };
  try {
    await waitForPing(socket, 120_000);
  } catch (error) {
    const logs = await new Deno.Command("docker", {
      args: ["-H", `unix://${host.socket}`, "logs", "--tail", "30", id],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(logs.stdout) + new TextDecoder().decode(logs.stderr);
    await engine.stop();
    throw new Error(`${label} did not start: ${(error as Error).message}\n${text}`);
  }
  return engine;
}
