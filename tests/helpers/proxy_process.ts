/**
 * Runs the real proxy (`main.ts`) as a child process with exactly the
 * permissions `lib/server/permissions.ts` computes, and learns its port from the
 * start-up summary.
 */
import { parseConfig } from "../../lib/config/config.ts";
import { runFlags } from "../../lib/server/permissions.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface ProxyProcess {
  port: number;
  child: Deno.ChildProcess;
  /** Every line the proxy printed so far (stdout and stderr). */
  lines: string[];
  /** Resolves with the first line (seen or future) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` and resolves with the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Resolves with the exit status (when the proxy exits on its own). */
  status: Promise<Deno.CommandStatus>;
}

export interface ProxyProcessOptions {
  /** Extra `deno run` flags (replacing the computed permission flags when given). */
  denoFlags?: string[];
  args?: string[];
  /** Return once the process started, without waiting for the summary. */
  noWait?: boolean;
}

/** The engine socket the test harness started; fails loudly when there is none. */
export function engineSocket(): string {
  const socket = Deno.env.get("SP_TEST_DOCKER_SOCKET");
  if (!socket) {
    throw new Error(
      "SP_TEST_DOCKER_SOCKET is not set: engine tests run through `deno task test`, " +
        "which starts a private dockerd",
    );
  }
  return socket;
}

export function podmanSocket(): string {
  const socket = Deno.env.get("SP_TEST_PODMAN_SOCKET");
  if (!socket) throw new Error("SP_TEST_PODMAN_SOCKET is not set: run through `deno task test`");
  return socket;
}

export function testImage(): string {
  return Deno.env.get("SP_TEST_IMAGE") ?? "sp-busybox:latest";
}

export async function startProxyProcess(
  env: Record<string, string>,
  options: ProxyProcessOptions = {},
): Promise<ProxyProcess> {
  const fullEnv: Record<string, string> = { LISTEN: "127.0.0.1:0", LOG_LEVEL: "info", ...env };
  // Deno's own cache settings pass through; nothing else of the caller's environment does.
  for (const name of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined && !(name in fullEnv)) fullEnv[name] = value;
  }
  const flags = options.denoFlags ?? runFlags(parseConfig(fullEnv).config);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, MAIN, ...(options.args ?? [])],
    env: fullEnv,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + text).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    }
    if (rest) lines.push(rest);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = pumps.then(() => child.status);
  const waitForLine = (pattern: RegExp, timeoutMs = 10_000) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`No line matching ${pattern} in ${timeoutMs}ms; got:\n${lines.join("\n")}`),
        );
      }, timeoutMs);
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      status.then(() => {
        clearTimeout(timer);
        reject(new Error(`The proxy exited before printing ${pattern}:\n${lines.join("\n")}`));
      });
    });
  };
  let port = 0;
  if (!options.noWait) {
    const line = await waitForLine(/listening on /);
    port = Number(/listening on [^"]*?:(\d+)(?:[,"\s]|$)/.exec(line)?.[1] ?? "0");
  }
  return {
    port,
    child,
    lines,
    waitForLine,
    status,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
      return await status;
    },
  };
}
