/**
 * A private Docker engine for tests and benchmarks: its own temporary
 * directory for the socket, data-root and exec-root (two runs never collide),
 * no default bridge and no iptables rules (containers use `--network none` or
 * `host`), stopped by process id.
 */

const decoder = new TextDecoder();

/** Runs a command; resolves with its stdout, throws with its stderr when it fails. */
export async function run(
  cmd: string,
  args: string[],
  options: Deno.CommandOptions = {},
): Promise<string> {
  const output = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  if (!output.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${decoder.decode(output.stderr).trim()}`);
  }
  return decoder.decode(output.stdout);
}

/** A TCP port free on loopback right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The path of an installed program; throws naming the Debian package when it is missing. */
export async function which(
  name: string,
  hint = ".ci/run installs what the tests need",
): Promise<string> {
  try {
    return (await run("sh", ["-c", `command -v ${name}`])).trim();
  } catch {
    throw new Error(`${name} is not installed (${hint})`);
  }
}

/** Polls `GET /_ping` on a unix socket until it answers 200. */
export async function waitForPing(path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const request = new TextEncoder().encode(
    "GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
  );
  while (Date.now() < deadline) {
    try {
      const conn = await Deno.connect({ transport: "unix", path });
      try {
        await conn.write(request);
        const buf = new Uint8Array(64);
        const n = await conn.read(buf);
        if (n && decoder.decode(buf.subarray(0, n)).startsWith("HTTP/1.1 200")) return;
      } finally {
        conn.close();
      }
    } catch {
      // Not up yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Nothing answered /_ping on ${path} in ${timeoutMs / 1000}s`);
}

/** Sends SIGTERM to a child and waits for it, with SIGKILL after 20 s. */
export async function stopProcess(child: Deno.ChildProcess, name: string): Promise<void> {
  try {
    Deno.kill(child.pid, "SIGTERM");
  } catch {
    return; // Already gone.
  }
  const timer = setTimeout(() => {
    console.error(`${name} (pid ${child.pid}) did not stop, killing it`);
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch {
      // Gone.
    }
  }, 20_000);
  await child.status;
  clearTimeout(timer);
}

/** Unmounts whatever a stopped service left mounted below `root`, deepest first. */
export async function unmountUnder(root: string): Promise<void> {
  const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
  const points = mountinfo.split("\n").map((line) => line.split(" ")[4])
    .filter((point) => point?.startsWith(root + "/"))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    await new Deno.Command("umount", { args: ["-l", point], stderr: "null" }).output();
  }
}

/** Copies `output` of a child's stderr into a log file in the background. */
async function logTo(path: string, stream: ReadableStream<Uint8Array>): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, append: true });
  stream.pipeTo(file.writable).catch(() => {});
}

/**
 * Imports Debian's static busybox into the engine on `socket` as `image`
 * (applets as symlinks, PATH=/bin), building its tree below `workdir`.
 */
export async function importBusybox(socket: string, image: string, workdir: string): Promise<void> {
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  if (!busybox) throw new Error("busybox is not installed (apt-get install busybox-static)");
  const rootfs = `${workdir}/rootfs-${image.replace(/\W/g, "_")}`;
  await Deno.mkdir(`${rootfs}/bin`, { recursive: true });
  await Deno.mkdir(`${rootfs}/tmp`, { recursive: true });
  await Deno.copyFile(busybox, `${rootfs}/bin/busybox`);
  for (const applet of (await run(busybox, ["--list"])).split("\n")) {
    if (applet && applet !== "busybox") {
      await Deno.symlink("busybox", `${rootfs}/bin/${applet}`);
    }
  }
  await run("sh", [
    "-c",
    `tar -C ${rootfs} -c . | docker -H unix://${socket} import --change 'ENV PATH=/bin' - ${image}`,
  ]);
  await Deno.remove(rootfs, { recursive: true });
}

export interface PrivateEngine {
  root: string;
  socket: string;
  pid: number;
  /** `docker` against this engine; resolves with stdout. */
  docker(...args: string[]): Promise<string>;
  /** Imports Debian's static busybox as `image` (applets as symlinks, PATH=/bin). */
  importBusybox(image: string): Promise<void>;
  /** Stops the engine by process id, unmounts what it left and removes its directory. */
  stop(): Promise<void>;
  /** Stops dockerd and starts it again on the same socket and data; resolves once it answers. */
  restart(): Promise<void>;
}

/** Starts dockerd in a new temporary directory; `tcpPort` adds a loopback TCP listener. */
export async function startEngine(options: { tcpPort?: number } = {}): Promise<PrivateEngine> {
  const dockerd = await which("dockerd");
  const root = await Deno.makeTempDir({ dir: "/tmp", prefix: "spe-" });
  const socket = `${root}/docker.sock`;
  await Deno.writeTextFile(`${root}/daemon.json`, "{}");
  const args = [
    "--config-file",
    `${root}/daemon.json`,
    ...(options.tcpPort ? ["--host", `tcp://127.0.0.1:${options.tcpPort}`] : []),
    ...dockerdArgs(root, socket),
  ];
  const spawn = async () => {
    const started = new Deno.Command(dockerd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await logTo(`${root}/dockerd.log`, started.stderr);
    return started;
  };
  let child = await spawn();
  const engine: PrivateEngine = {
    root,
    socket,
    get pid() {
      return child.pid;
    },
    docker: (...args) => run("docker", ["-H", `unix://${socket}`, ...args]),
    importBusybox: (image) => importBusybox(socket, image, root),
    async restart() {
      await stopProcess(child, "dockerd");
      child = await spawn();
      await waitForPing(socket);
    },
    async stop() {
      await stopProcess(child, "dockerd");
      await unmountUnder(root);
      await Deno.remove(root, { recursive: true }).catch((error) =>
        console.error(`Could not remove ${root}: ${error.message}`)
      );
    },
  };
  try {
    await waitForPing(socket);
  } catch (error) {
    const log = await Deno.readTextFile(`${root}/dockerd.log`).catch(() => "");
    await engine.stop();
    throw new Error(`${(error as Error).message}\n${log.split("\n").slice(-20).join("\n")}`);
  }
  return engine;
}

/**
 * `dockerd`'s arguments for a private engine: its state below `root` (data,
 * exec root, pid file), listening on `socket`, no bridge and no iptables.
 * The engine matrix runs newer dockerds with the same.
 */
export function dockerdArgs(root: string, socket: string): string[] {
  return [
    "--host",
    `unix://${socket}`,
    "--data-root",
    `${root}/data`,
    "--exec-root",
    `${root}/exec`,
    "--pidfile",
    `${root}/dockerd.pid`,
    "--bridge=none",
    "--iptables=false",
    "--ip6tables=false",
    "--log-level=warn",
  ];
}

/**
 * `podman system service`'s arguments for a private service: storage and run
 * state below `root` (vfs, cgroupfs, events in a file), listening on `socket`,
 * never idling out. The engine matrix runs newer podmans with the same.
 */
export function podmanServiceArgs(root: string, socket: string): string[] {
  return [
    "--root",
    `${root}/podman-root`,
    "--runroot",
    `${root}/podman-run`,
    "--storage-driver",
    "vfs",
    "--cgroup-manager",
    "cgroupfs",
    "--events-backend",
    "file",
    "system",
    "service",
    "--time=0",
    `unix://${socket}`,
  ];
}

/** Starts `podman system service` on a socket below `root` (rootful, vfs storage). */
export async function startPodman(
  root: string,
): Promise<{ socket: string; stop(): Promise<void> }> {
  const podman = await which("podman");
  const socket = `${root}/podman.sock`;
  const child = new Deno.Command(podman, {
    args: podmanServiceArgs(root, socket),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await logTo(`${root}/podman.log`, child.stderr);
  const stop = async () => {
    await stopProcess(child, "podman");
    await unmountUnder(`${root}/podman-root`);
  };
  try {
    await waitForPing(socket);
  } catch (error) {
    await stop();
    throw error;
  }
  return { socket, stop };
}
