/**
 * The proxy's image as the Dockerfile's final stage builds it, on a root
 * filesystem assembled here (`deno compile` cannot get its runtime on this
 * machine): deno and the libraries it links, and `main.ts` bundled, run with
 * `deno run` and the permission flags `runFlags` gives. Built on the test
 * engine with the classic builder.
 */
import assert from "node:assert/strict";
import { run } from "../../scripts/private_engine.ts";
import { engineSocket } from "./proxy_process.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * The Dockerfile's final stage, copying `rootfs/` and running `deno run` with
 * `flags`; the `HEALTHCHECK` kept (running the same) when `healthcheck`, else
 * dropped with the `CMD`.
 */
export async function mirrorDockerfile(flags: string[], healthcheck: boolean): Promise<string> {
  const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM scratch") + 1);
  const command = JSON.stringify(["/deno", "run", "--no-prompt", ...flags, "/app/main.js"]);
  const entrypoint = finalStage
    .replace("COPY --from=rootfs /rootfs/ /", "COPY rootfs/ /")
    .replace('ENTRYPOINT ["/socket-proxy"]', `ENTRYPOINT ${command}`);
  if (!healthcheck) {
    return entrypoint.replace(/^HEALTHCHECK[^\n]*\n(\s+CMD[^\n]*\n)?/m, "").replace(
      /^CMD .*$/m,
      "",
    );
  }
  const health = JSON.stringify([
    "/deno",
    "run",
    "--no-prompt",
    ...flags,
    "/app/main.js",
    "healthcheck",
  ]);
  const mirrored = entrypoint.replace('CMD ["/socket-proxy", "healthcheck"]', `CMD ${health}`);
  assert.notEqual(mirrored, finalStage, "the Dockerfile's final stage has the expected shape");
  assert.ok(mirrored.includes(`ENTRYPOINT ${command}`) && mirrored.includes(`CMD ${health}`));
  return mirrored;
}

/** Builds `image` on the test engine from the mirrored Dockerfile and the assembled root. */
export async function buildProxyImage(
  image: string,
  flags: string[],
  healthcheck: boolean,
): Promise<void> {
  const context = await Deno.makeTempDir({ prefix: "sp-image-" });
  try {
    const rootfs = `${context}/rootfs`;
    await Deno.mkdir(`${rootfs}/app`, { recursive: true });
    await Deno.copyFile(Deno.execPath(), `${rootfs}/deno`);
    for (const lib of (await run("ldd", [Deno.execPath()])).matchAll(/(\/[^ ]+) \(0x/g)) {
      const target = `${rootfs}${lib[1]}`;
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(await Deno.realPath(lib[1]), target);
    }
    await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      `${ROOT}main.ts`,
      "-o",
      `${rootfs}/app/main.js`,
    ]);
    await Deno.writeTextFile(`${context}/Dockerfile`, await mirrorDockerfile(flags, healthcheck));
    await run("docker", ["-H", `unix://${engineSocket()}`, "build", "-q", "-t", image, context], {
      env: { DOCKER_BUILDKIT: "0" },
    });
  } finally {
    await Deno.remove(context, { recursive: true });
  }
}
