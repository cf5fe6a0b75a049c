/**
 * Host paths podman reads where the Docker engine would not: a bind's overlay
 * directories, read with `strings.HasPrefix(o, "upperdir")` (or "workdir") and
 * all after the first `=` (libpod getOverlayUpperAndWorkDir); each key of a
 * compat create's `Volumes`, read as a `-v` spec; and bind sources starting
 * with `.`, resolved against podman's working directory. Found by mutation
 * testing; each was allowed before.
 */
import assert from "node:assert/strict";
import { admit } from "../../../lib/admission/admit.ts";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";

function bind(raw: string) {
  const settings = parseAdmissionSettings({ ALLOW_BIND_MOUNTS: "/srv/media" }, {
    hostAccess: false,
  });
  return admit({
    operation: "ContainerCreate",
    query: new Map(),
    body: new TextEncoder().encode(JSON.stringify({ Image: "x", HostConfig: { Binds: [raw] } })),
    contentType: "application/json",
  }, settings);
}

Deno.test("an overlay upper directory with a second '=' is checked whole", () => {
  // podman: upperdir "/srv/media=/../../etc", i.e. /etc; the proxy checks "/srv/media".
  const verdict = bind(
    "/srv/media:/m:O,upperdir=/srv/media=/../../etc,workdir=/srv/media=/../../tmp/w",
  );
  assert.equal(verdict.allowed, false);
  if (!verdict.allowed) assert.equal(verdict.status, 400);
});

Deno.test("an overlay directory option podman reads by prefix is checked", () => {
  // podman: HasPrefix("upperdirX=/etc", "upperdir") -> upperdir /etc; the proxy skips the key.
  assert.deepEqual(bind("/srv/media:/m:O,upperdirX=/etc,workdirX=/tmp/w"), {
    allowed: false,
    status: 403,
    reason:
      'HostConfig.Binds[0] "/srv/media:/m:O,upperdirX=/etc,workdirX=/tmp/w" needs ALLOW_BIND_MOUNTS to cover /etc',
    field: "HostConfig.Binds[0]",
    needs: "ALLOW_BIND_MOUNTS",
  });
});

function create(body: Record<string, unknown>) {
  const settings = parseAdmissionSettings({}, { hostAccess: false });
  return admit({
    operation: "ContainerCreate",
    query: new Map(),
    body: new TextEncoder().encode(JSON.stringify(body)),
    contentType: "application/json",
  }, settings);
}

Deno.test("Config.Volumes keys are checked as binds (podman's compat create reads them as -v)", () => {
  // podman pkg/api/handlers/compat/containers_create.go: `for vol := range cc.Volumes
  // { cliOpts.Volume = append(cliOpts.Volume, vol) }`, then specgen.GenVolumeMounts.
  assert.deepEqual(create({ Image: "x", Volumes: { "/etc:/host": {} } }), {
    allowed: false,
    status: 403,
    reason: 'Volumes["/etc:/host"] "/etc:/host" needs ALLOW_BIND_MOUNTS to cover /etc',
    field: 'Volumes["/etc:/host"]',
    needs: "ALLOW_BIND_MOUNTS",
  });
});

Deno.test("a bind source starting with . is a host path for podman, refused as not absolute", () => {
  // specgen.GenVolumeMounts: "./x" is resolved against the service's working directory
  // (EvalSymlinks + Abs), and any source starting with "." is a bind, not a named volume.
  for (const raw of ["./etc:/host", "../../etc:/host", ".:/host"]) {
    const verdict = create({ Image: "x", HostConfig: { Binds: [raw] } });
    assert.equal(verdict.allowed, false, raw);
    if (!verdict.allowed) assert.equal(verdict.status, 400, raw);
  }
});

Deno.test("a Volumes key sent twice is refused, named", () => {
  const settings = parseAdmissionSettings({}, { hostAccess: false });
  const verdict = admit({
    operation: "ContainerCreate",
    query: new Map(),
    body: new TextEncoder().encode('{"Image":"x","Volumes":{"/a":{},"/a":{}}}'),
    contentType: "application/json",
  }, settings);
  assert.deepEqual(verdict, {
    allowed: false,
    status: 400,
    reason: 'Key "/a" is sent twice in Volumes',
    field: "Volumes",
  });
});
