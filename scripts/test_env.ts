/**
 * Runs a command (the test suite) next to a private Docker engine and a
 * private Podman API service, then stops both by process id.
 *
 *   deno run -A scripts/test_env.ts deno test -A tests/
 *
 * Each run gets its own temporary directory holding the engine's socket,
 * data-root and exec-root, so two runs never collide. The engine runs with
 * `--bridge=none` and no iptables rules: containers use `--network none`.
 * The command sees:
 *   SP_TEST_DOCKER_SOCKET  the engine's unix socket
 *   SP_TEST_PODMAN_SOCKET  the Podman service's unix socket
 *   SP_TEST_IMAGE          a busybox image imported from Debian's busybox-static
 */

const BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];
export const TEST_IMAGE = "sp-busybox:latest";

function fail(message: string): never {
  console.error(`test_env: ${message}`);
  Deno.exit(2);
}

async function which(name: string): Promise<string> {
  const { success, stdout } = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) {
    fail(
      `${name} is not installed: run .ci/run, which installs docker.io, podman and busybox-static`,
    );
  }
  return new TextDecoder().decode(stdout).trim();
}

/** Polls `GET /_ping` on a unix socket until it answers 200 or `timeoutMs` passes. */
async function waitForPing(path: string, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const conn = await Deno.connect({ transport: "unix", path });
      try {
        await conn.write(
          new TextEncoder().encode("GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"),
        );
        const buf = new Uint8Array(64);
        const n = await conn.read(buf);
        if (n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("HTTP/1.1 200")) return;
      } finally {
        conn.close();
      }
    } catch {
      // Not up yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let tail = "";
  try {
    tail = (await Deno.readTextFile(log)).split("\n").slice(-20).join("\n");
  } catch {
    // No log.
  }
  fail(`Service at ${path} did not come up in ${timeoutMs / 1000}s:\n${tail}`);
}

async function stop(child: Deno.ChildProcess, name: string): Promise<void> {
  try {
    Deno.kill(child.pid, "SIGTERM");
  } catch {
    return; // Already gone.
  }
  const timer = setTimeout(() => {
    console.error(`test_env: ${name} (pid ${child.pid}) did not stop, killing it`);
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
async function unmountUnder(root: string): Promise<void> {
  const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
  const points = mountinfo.split("\n").map((line) => line.split(" ")[4])
    .filter((point) => point?.startsWith(root + "/"))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    await new Deno.Command("umount", { args: ["-l", point], stderr: "null" }).output();
  }
}

async function importBusybox(root: string, dockerSocket: string): Promise<void> {
  let busybox = "";
  for (const candidate of BUSYBOX_CANDIDATES) {
    try {
      if (Deno.statSync(candidate).isFile) busybox = candidate;
    } catch {
      // Try the next.
    }
    if (busybox) break;
  }
  if (!busybox) fail("busybox is not installed: apt-get install busybox-static");
  const rootfs = `${root}/rootfs`;
  await Deno.mkdir(`${rootfs}/bin`, { recursive: true });
  await Deno.mkdir(`${rootfs}/tmp`, { recursive: true });
  await Deno.copyFile(busybox, `${rootfs}/bin/busybox`);
  const list = await new Deno.Command(busybox, { args: ["--list"], stdout: "piped" }).output();
  for (const applet of new TextDecoder().decode(list.stdout).split("\n")) {
    if (applet && applet !== "busybox") await Deno.symlink("busybox", `${rootfs}/bin/${applet}`);
  }
  const tar = new Deno.Command("tar", { args: ["-C", rootfs, "-c", "."], stdout: "piped" }).spawn();
  const docker = new Deno.Command(await which("docker"), {
    args: ["-H", `unix://${dockerSocket}`, "import", "--change", "ENV PATH=/bin", "-", TEST_IMAGE],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  await tar.stdout.pipeTo(docker.stdin);
  const [tarStatus, dockerStatus] = await Promise.all([tar.status, docker.status]);
  if (!tarStatus.success || !dockerStatus.success) fail("Importing the busybox image failed");
}

async function main(): Promise<number> {
  if (Deno.args.length === 0) fail("usage: test_env.ts <command> [args...]");
  const dockerd = await which("dockerd");
  const podman = await which("podman");
  const root = await Deno.makeTempDir({ dir: "/tmp", prefix: "spt-" });
  const dockerSocket = `${root}/docker.sock`;
  const podmanSocket = `${root}/podman.sock`;
  await Deno.writeTextFile(`${root}/daemon.json`, "{}");

  const engineLog = await Deno.open(`${root}/dockerd.log`, { write: true, create: true });
  const engine = new Deno.Command(dockerd, {
    args: [
      "--config-file",
      `${root}/daemon.json`,
      "--host",
      `unix://${dockerSocket}`,
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
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  engine.stderr.pipeTo(engineLog.writable).catch(() => {});
  const podmanLog = await Deno.open(`${root}/podman.log`, { write: true, create: true });
  const podmanService = new Deno.Command(podman, {
    args: [
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
      `unix://${podmanSocket}`,
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  podmanService.stderr.pipeTo(podmanLog.writable).catch(() => {});

  let code = 1;
  try {
    await waitForPing(dockerSocket, 60_000, `${root}/dockerd.log`);
    await waitForPing(podmanSocket, 60_000, `${root}/podman.log`);
    await importBusybox(root, dockerSocket);
    console.error(
      `test_env: dockerd pid ${engine.pid} on ${dockerSocket}, podman pid ${podmanService.pid}`,
    );
    const [name, ...args] = Deno.args;
    // `deno` is this very Deno, which need not be on the PATH.
    const command = name === "deno" ? Deno.execPath() : name;
    const child = new Deno.Command(command, {
      args,
      env: {
        SP_TEST_DOCKER_SOCKET: dockerSocket,
        SP_TEST_PODMAN_SOCKET: podmanSocket,
        SP_TEST_IMAGE: TEST_IMAGE,
      },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    code = (await child.status).code;
  } finally {
    await stop(podmanService, "podman");
    await stop(engine, "dockerd");
    await unmountUnder(root);
    await Deno.remove(root, { recursive: true }).catch((error) =>
      console.error(`test_env: could not remove ${root}: ${error.message}`)
    );
  }
  return code;
}

if (import.meta.main) Deno.exit(await main());
