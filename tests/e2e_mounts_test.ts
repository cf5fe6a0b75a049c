/**
 * The newer engines' mount options through admission (`HOST_ACCESS=0`): what
 * API 1.44 to 1.48 added to `Mounts` (recursive read-only, volume and image
 * subpaths, image mounts) is admitted where harmless and reaches the engine,
 * which applies it (or, when older, answers with its own error or ignores
 * it); what would loosen a read-only bind is refused. Run against every
 * engine of the matrix.
 */
import assert from "node:assert/strict";
import { engineSocket, startProxyProcess, testImage } from "./helpers/proxy_process.ts";
import { RawClient } from "./helpers/raw_client.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function call(
  socket: string | number,
  method: string,
  target: string,
  body?: unknown,
): Promise<{ status: number; json: Json; text: string }> {
  const client = typeof socket === "string"
    ? await RawClient.connectUnix(socket)
    : await RawClient.connect(socket);
  try {
    const bytes = body === undefined ? "" : JSON.stringify(body);
    await client.write(
      `${method} ${target} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n` +
        (body === undefined
          ? "\r\n"
          : `Content-Type: application/json\r\nContent-Length: ${
            new TextEncoder().encode(bytes).length
          }\r\n\r\n${bytes}`),
    );
    const response = await client.readResponse();
    if (response === null) throw new Error(`${method} ${target}: no answer`);
    const text = new TextDecoder().decode(response.body);
    let json: Json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON.
    }
    return { status: response.status, json, text };
  } finally {
    client.close();
  }
}

function minor(version: string): number {
  return Number(version.split(".")[1]);
}

Deno.test("newer mount options pass admission and reach the engine", async (t) => {
  const engine = engineSocket();
  const api = minor((await call(engine, "GET", "/version")).json.ApiVersion);
  const writable = await Deno.makeTempDir({ prefix: "sp-mounts-rw-" });
  const readOnly = await Deno.makeTempDir({ prefix: "sp-mounts-ro-" });
  const volume = `sp-mounts-${crypto.randomUUID().slice(0, 8)}`;
  const names: string[] = [];
  const proxy = await startProxyProcess({
    SOCKET_PATH: engine,
    CONTAINERS: "1",
    VOLUMES: "1",
    POST: "1",
    HOST_ACCESS: "0",
    ALLOW_BIND_MOUNTS: `${writable},${readOnly}:ro`,
  });
  const create = async (label: string, mounts: Json[]) => {
    const name = `sp-mounts-${label}-${crypto.randomUUID().slice(0, 6)}`;
    names.push(name);
    const answer = await call(proxy.port, "POST", `/containers/create?name=${name}`, {
      Image: testImage(),
      Cmd: ["true"],
      HostConfig: { NetworkMode: "none", Mounts: mounts },
    });
    const inspect = answer.status === 201
      ? (await call(engine, "GET", `/containers/${answer.json.Id}/json`)).json
      : null;
    return { answer, inspect };
  };
  try {
    await call(engine, "POST", "/volumes/create", { Name: volume });
    await t.step("a read-only bind forced recursive, under a read-only prefix", async () => {
      const { answer, inspect } = await create("rro", [{
        Type: "bind",
        Source: readOnly,
        Target: "/data",
        ReadOnly: true,
        BindOptions: { ReadOnlyForceRecursive: true },
      }]);
      assert.equal(answer.status, 201, answer.text);
      if (api >= 44) {
        assert.equal(inspect.HostConfig.Mounts[0].BindOptions.ReadOnlyForceRecursive, true);
      }
    });
    await t.step(
      "a read-only bind made non-recursive is refused under a read-only prefix",
      async () => {
        const { answer } = await create("ronr", [{
          Type: "bind",
          Source: readOnly,
          Target: "/data",
          ReadOnly: true,
          BindOptions: { ReadOnlyNonRecursive: true },
        }]);
        assert.equal(answer.status, 403, answer.text);
        assert.match(answer.json.message, /ALLOW_BIND_MOUNTS/);
      },
    );
    await t.step("a read-only bind made non-recursive under a writable prefix", async () => {
      const { answer } = await create("ronr-rw", [{
        Type: "bind",
        Source: writable,
        Target: "/data",
        ReadOnly: true,
        BindOptions: { ReadOnlyNonRecursive: true },
      }]);
      assert.equal(answer.status, 201, answer.text);
    });
    await t.step("a volume's subpath", async () => {
      const { answer, inspect } = await create("subpath", [{
        Type: "volume",
        Source: volume,
        Target: "/data",
        VolumeOptions: { Subpath: "sub" },
      }]);
      assert.equal(answer.status, 201, answer.text);
      if (api >= 45) assert.equal(inspect.HostConfig.Mounts[0].VolumeOptions.Subpath, "sub");
    });
    await t.step("an image mount with a subpath", async () => {
      const { answer, inspect } = await create("image", [{
        Type: "image",
        Source: testImage(),
        Target: "/image",
        ImageOptions: { Subpath: "bin" },
      }]);
      if (api >= 48) {
        assert.equal(answer.status, 201, answer.text);
        assert.equal(inspect.HostConfig.Mounts[0].Type, "image");
      } else {
        // The engine's own refusal of a type it does not know: admission let it through.
        assert.equal(answer.status, 400, answer.text);
        assert.doesNotMatch(answer.text, /socket-proxy/);
      }
    });
    await t.step(
      "a bind outside the allowed prefixes is refused whatever its options",
      async () => {
        const { answer } = await create("outside", [{
          Type: "bind",
          Source: "/etc",
          Target: "/etc2",
          ReadOnly: true,
          BindOptions: { ReadOnlyForceRecursive: true },
        }]);
        assert.equal(answer.status, 403, answer.text);
      },
    );
  } finally {
    await proxy.stop();
    for (const name of names) await call(engine, "DELETE", `/containers/${name}?force=1`);
    await call(engine, "DELETE", `/volumes/${volume}`);
    await Deno.remove(writable, { recursive: true });
    await Deno.remove(readOnly, { recursive: true });
  }
});
