/**
 * Runs a command (the test suite) next to a private Docker engine and a
 * private Podman API service, then stops both by process id.
 *
 *   deno run -A scripts/test_env.ts deno test -A tests/
 *
 * The command sees:
 *   SP_TEST_DOCKER_SOCKET  the engine's unix socket
 *   SP_TEST_DOCKER_PID     dockerd's process id (to SIGSTOP it: a wedged engine)
 *   SP_TEST_PODMAN_SOCKET  the Podman service's unix socket
 *   SP_TEST_IMAGE          a busybox image imported from Debian's busybox-static
 */
import { startEngine, startPodman } from "./private_engine.ts";

export const TEST_IMAGE = "sp-busybox:latest";

async function main(): Promise<number> {
  if (Deno.args.length === 0) throw new Error("usage: test_env.ts <command> [args...]");
  const engine = await startEngine();
  let podman: Awaited<ReturnType<typeof startPodman>> | null = null;
  try {
    podman = await startPodman(engine.root);
    await engine.importBusybox(TEST_IMAGE);
    console.error(
      `test_env: dockerd pid ${engine.pid} on ${engine.socket}, podman on ${podman.socket}`,
    );
    const [name, ...args] = Deno.args;
    // `deno` is this very Deno, which need not be on the PATH.
    const command = name === "deno" ? Deno.execPath() : name;
    const child = new Deno.Command(command, {
      args,
      env: {
        SP_TEST_DOCKER_SOCKET: engine.socket,
        SP_TEST_DOCKER_PID: String(engine.pid),
        SP_TEST_PODMAN_SOCKET: podman.socket,
        SP_TEST_IMAGE: TEST_IMAGE,
      },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  } finally {
    await podman?.stop();
    await engine.stop();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`test_env: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
