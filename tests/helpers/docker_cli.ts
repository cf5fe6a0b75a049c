/** Runs the real `docker` CLI against a proxy. */

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
}

export interface DockerCli {
  (args: string[], options?: { stdin?: Uint8Array | string }): Promise<CliResult>;
  /** Like calling it, but throws unless the command exits 0. */
  ok(args: string[], options?: { stdin?: Uint8Array | string }): Promise<CliResult>;
  /** Starts a long-running command (`events`, `logs -f`). */
  spawn(args: string[]): Deno.ChildProcess;
  /** Starts a detached container of `image` that sleeps for an hour, named `name`. */
  sleeper(name: string, image: string): Promise<CliResult>;
}

/**
 * A `docker` bound to `host` (`tcp://127.0.0.1:PORT`), with a private client
 * config; `extraEnv` adds variables (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`).
 */
export function dockerCli(host: string, extraEnv: Record<string, string> = {}): DockerCli {
  const config = Deno.makeTempDirSync({ prefix: "sp-docker-config-" });
  const env = {
    DOCKER_HOST: host,
    DOCKER_CONFIG: config,
    DOCKER_BUILDKIT: "0",
    DOCKER_CLI_HINTS: "false",
    ...extraEnv,
  };
  const command = (args: string[], stdin: boolean) =>
    new Deno.Command("docker", {
      args,
      env,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    });
  const run = async (args: string[], options: { stdin?: Uint8Array | string } = {}) => {
    const child = command(args, options.stdin !== undefined).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      const bytes = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      await writer.write(bytes);
      await writer.close();
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      bytes: output.stdout,
    };
  };
  const cli = run as DockerCli;
  cli.ok = async (args, options) => {
    const result = await run(args, options);
    if (result.code !== 0) {
      throw new Error(`docker ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    }
    return result;
  };
  cli.sleeper = (name, image) =>
    cli.ok(["run", "-d", "--network", "none", "--name", name, image, "sleep", "3600"]);
  cli.spawn = (args) =>
    new Deno.Command("docker", { args, env, stdin: "null", stdout: "piped", stderr: "piped" })
      .spawn();
  return cli;
}

/** SHA-256 of `bytes`, hex. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads lines from a stream until one matches; resolves with it. */
export async function readUntil(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    const line = text.split("\n").find((l) => pattern.test(l));
    if (line !== undefined) return line;
  }
  throw new Error(`Stream ended without a line matching ${pattern}: ${text}`);
}
