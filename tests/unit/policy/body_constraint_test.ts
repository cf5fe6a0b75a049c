import assert from "node:assert/strict";
import { type BodySpec, compileBodyConstraint } from "../../../lib/policy/body_constraint.ts";
import { BODY_KINDS, BodyError, readBodyFacts } from "../../../lib/policy/body_fields.ts";

const encoder = new TextEncoder();

/** Why `body` (JSON text, or any value to encode) fails `spec` for `operation`; `null` if it passes. */
function check(operation: string, spec: BodySpec, body: unknown): string | null {
  const constraint = compileBodyConstraint(spec, [operation], [BODY_KINDS[operation]]);
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return constraint.check(readBodyFacts(BODY_KINDS[operation], encoder.encode(text)));
}

type Case = [name: string, spec: BodySpec, body: unknown, failure: RegExp | null];

async function table(t: Deno.TestContext, operation: string, cases: Case[]) {
  for (const [name, spec, body, failure] of cases) {
    await t.step(name, () => {
      const why = check(operation, spec, body);
      if (failure === null) assert.equal(why, null);
      else assert.match(why ?? "passed", failure);
    });
  }
}

const DUMP = { Cmd: [["pg_dump", "**"], ["pg_dumpall", "--clean"]] };

Deno.test("An exec's Cmd is matched one glob per argument", async (t) => {
  await table(t, "ContainerExec", [
    ["the command with arguments passes", DUMP, { Cmd: ["pg_dump", "-U", "app"] }, null],
    ["the command alone passes a trailing **", DUMP, { Cmd: ["pg_dump"] }, null],
    ["an exact pattern passes", DUMP, { Cmd: ["pg_dumpall", "--clean"] }, null],
    [
      "an exact pattern refuses more arguments",
      DUMP,
      { Cmd: ["pg_dumpall", "--clean", "-x"] },
      /Cmd \["pg_dumpall","--clean","-x"\] matches none of/,
    ],
    ["a shell is refused", DUMP, { Cmd: ["sh"] }, /Cmd \["sh"\] matches none/],
    [
      "a shell wrapper is refused",
      DUMP,
      { Cmd: ["sh", "-c", "pg_dump; rm -rf /"] },
      /matches none/,
    ],
    ["a * matches exactly one argument", { Cmd: [["pg_dump", "*"]] }, {
      Cmd: ["pg_dump", "-U", "app"],
    }, /matches none/],
    ["a * matches one argument with spaces and slashes", { Cmd: [["pg_dump", "*"]] }, {
      Cmd: ["pg_dump", "-f /backup/x y"],
    }, null],
    ["a glob does not swallow across arguments", { Cmd: [["nginx", "-s", "re*"]] }, {
      Cmd: ["nginx", "-s", "reload", "stop"],
    }, /matches none/],
    ["a * in a shell script does not match a command list", { Cmd: [["sh", "-c", "pg_dump *"]] }, {
      Cmd: ["sh", "-c", "pg_dump x; rm -rf /"],
    }, /matches none/],
    ["a * does not match command substitution", { Cmd: [["sh", "-c", "pg_dump *"]] }, {
      Cmd: ["sh", "-c", "pg_dump $(id)"],
    }, /matches none/],
    [
      "a * does not match a backquote",
      { Cmd: [["pg_dump", "*"]] },
      { Cmd: ["pg_dump", "`id`"] },
      /matches none/,
    ],
    ["a * does not match a line break", { Cmd: [["sh", "-c", "pg_dump *"]] }, {
      Cmd: ["sh", "-c", "pg_dump x\nid"],
    }, /matches none/],
    ["** does not match shell syntax either", DUMP, { Cmd: ["pg_dump", "a|b"] }, /matches none/],
    ["shell syntax written literally passes", { Cmd: [["sh", "-c", "pg_dump | gzip"]] }, {
      Cmd: ["sh", "-c", "pg_dump | gzip"],
    }, null],
    ["a * matches no argument at all only with **", { Cmd: [["pg_dump", "*"]] }, {
      Cmd: ["pg_dump"],
    }, /matches none/],
    ["an absent Cmd is refused", DUMP, {}, /Cmd is not given/],
    ["an absent Cmd passes null", { Cmd: [null, ["x"]] }, {}, null],
    ["an empty body is an absent Cmd", DUMP, "", /Cmd is not given/],
    ["Cmd under another case is read as Go reads it", DUMP, { cmd: ["sh"] }, /Cmd \["sh"\]/],
  ]);
});

Deno.test("Bodies are read as the engine reads them, ambiguity refused", async (t) => {
  const cases: [string, string, string, 400 | 403, RegExp][] = [
    ["duplicate keys", "ContainerExec", '{"Cmd":["pg_dump"],"Cmd":["sh"]}', 400, /sent twice/],
    [
      "keys colliding under folding",
      "ContainerExec",
      '{"Cmd":["pg_dump"],"cmd":["sh"]}',
      400,
      /collide/,
    ],
    [
      "a long s key colliding",
      "ContainerCreate",
      '{"Image":"x","Labels":{},"Labelſ":{}}',
      400,
      /collide/,
    ],
    [
      "an exec Cmd as a string (Docker's ExecConfig takes a list)",
      "ContainerExec",
      '{"Cmd":"pg_dump"}',
      400,
      /want an array/,
    ],
    [
      "an unknown field",
      "ContainerExec",
      '{"Cmd":["x"],"Bogus":1}',
      403,
      /field Bogus, which the proxy does not know/,
    ],
    ["invalid JSON", "ContainerExec", '{"Cmd":', 400, /./],
    [
      "a libpod command as a string",
      "LibpodContainerCreate",
      '{"image":"docker.io/library/x","command":"x"}',
      400,
      /want an array/,
    ],
  ];
  for (const [name, operation, body, status, message] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => readBodyFacts(BODY_KINDS[operation], encoder.encode(body)),
        (error: unknown) =>
          error instanceof BodyError && error.status === status && message.test(error.message),
      );
    });
  }
  await t.step(
    "a key folding to a field (KELVIN SIGN, long s) is refused as admission refuses it",
    () => {
      for (
        const body of ['{"Cmd":["x"],"Wor\u212AingDir":"/tmp"}', '{"Cmd":["x"],"Uſer":"root"}']
      ) {
        assert.throws(
          () => readBodyFacts("exec", encoder.encode(body)),
          (error: unknown) => error instanceof BodyError && error.status === 400,
        );
      }
    },
  );
  await t.step("a field under another ASCII case is that field", () => {
    const facts = readBodyFacts("exec", encoder.encode('{"cmd":["x"],"USER":"root"}'));
    assert.deepEqual([facts.cmd, facts.user], [["x"], "root"]);
  });
  await t.step("root-level HostConfig fields of old clients are read, not refused", () => {
    const facts = readBodyFacts("create", encoder.encode('{"Image":"x","Privileged":false}'));
    assert.equal(facts.image, "x");
  });
});

Deno.test("An exec's User, Privileged, Tty, Env names and WorkingDir are checked", async (t) => {
  await table(t, "ContainerExec", [
    [
      "an allowed user passes",
      { User: ["postgres", null] },
      { Cmd: ["x"], User: "postgres" },
      null,
    ],
    ["an absent user passes null", { User: ["postgres", null] }, { Cmd: ["x"] }, null],
    ["an empty user is absent", { User: ["postgres", null] }, { Cmd: ["x"], User: "" }, null],
    ["root is refused, naming the field", { User: ["postgres", null] }, {
      Cmd: ["x"],
      User: "root",
    }, /^User "root" is none of \[postgres, null\]/],
    ["a user with a group is another user", { User: "postgres" }, {
      Cmd: ["x"],
      User: "postgres:0",
    }, /User "postgres:0"/],
    ["an absent user is refused without null", { User: "postgres" }, { Cmd: ["x"] }, /User absent/],
    ["a user glob matches", { User: "10*" }, { Cmd: ["x"], User: "1000" }, null],
    ["Privileged false passes absent", { Privileged: false }, { Cmd: ["x"] }, null],
    [
      "Privileged false refuses true",
      { Privileged: false },
      { Cmd: ["x"], Privileged: true },
      /^Privileged is true$/,
    ],
    ["Privileged true refuses absent", { Privileged: true }, { Cmd: ["x"] }, /Privileged is false/],
    ["Tty false refuses a terminal", { Tty: false }, { Cmd: ["x"], Tty: true }, /^Tty is true$/],
    ["Tty true passes a terminal", { Tty: true }, { Cmd: ["x"], Tty: true }, null],
    ["allowed Env names pass", { Env: ["PG*"] }, {
      Cmd: ["x"],
      Env: ["PGPASSWORD=secret", "PGHOST"],
    }, null],
    ["other Env names are named, values never", { Env: ["PG*"] }, {
      Cmd: ["x"],
      Env: ["LD_PRELOAD=/x.so"],
    }, /^Env sets "LD_PRELOAD", not in \[PG\*\]$/],
    [
      "Env null refuses any variable",
      { Env: null },
      { Cmd: ["x"], Env: ["A=1"] },
      /rule allows no Env/,
    ],
    ["Env null passes none", { Env: null }, { Cmd: ["x"], Env: [] }, null],
    ["WorkingDir in the list passes", { WorkingDir: ["/backup", null] }, {
      Cmd: ["x"],
      WorkingDir: "/backup",
    }, null],
    [
      "another WorkingDir is refused",
      { WorkingDir: ["/backup"] },
      { Cmd: ["x"], WorkingDir: "/" },
      /^WorkingDir "\/" is none of/,
    ],
    ["every failing field is named", { User: "postgres", Privileged: false, ...DUMP }, {
      Cmd: ["sh"],
      User: "root",
      Privileged: true,
    }, /^User "root".*; Privileged is true; Cmd \["sh"\]/],
  ]);
});

Deno.test("A container create's Image is normalized as the engine does", async (t) => {
  const images = { Image: ["ghcr.io/acme/**", "postgres:16*", "nginx"] };
  await table(t, "ContainerCreate", [
    ["a registry glob passes", images, { Image: "ghcr.io/acme/app:1" }, null],
    ["a short name gets docker.io/library/", images, { Image: "postgres:16.2" }, null],
    ["the full name passes too", images, { Image: "docker.io/library/postgres:16" }, null],
    [
      "index.docker.io is docker.io",
      images,
      { Image: "index.docker.io/library/postgres:16" },
      null,
    ],
    ["no tag is :latest", images, { Image: "nginx" }, null],
    ["nginx:latest is nginx", images, { Image: "nginx:latest" }, null],
    [
      "another tag of an exact name is refused",
      images,
      { Image: "nginx:1.25" },
      /docker\.io\/library\/nginx:1\.25\) matches none/,
    ],
    [
      "another image is refused, naming the field",
      images,
      { Image: "alpine" },
      /^Image "alpine" \(docker\.io\/library\/alpine:latest\) matches none of/,
    ],
    [
      "a look-alike registry is refused",
      images,
      { Image: "ghcr.io.evil.com/acme/app" },
      /matches none/,
    ],
    [
      "a user's image is not an official one",
      images,
      { Image: "evil/postgres:16" },
      /docker\.io\/evil\/postgres:16/,
    ],
    ["a digest drops the tag: the engine runs the digest", { Image: "postgres:16*" }, {
      Image: "postgres:16@sha256:" + "a".repeat(64),
    }, /docker\.io\/library\/postgres@sha256/],
    ["a digest pattern passes", { Image: "postgres@sha256:*" }, {
      Image: "postgres:16@sha256:" + "a".repeat(64),
    }, null],
    ["an image ID is refused", images, { Image: "sha256:" + "a".repeat(64) }, /by its ID/],
    ["a short hex name may be an ID prefix", { Image: "**" }, { Image: "deadbeef" }, /by its ID/],
    [
      "upper case is no valid reference",
      { Image: "**" },
      { Image: "library/Nginx" },
      /no valid image reference/,
    ],
    ["an absent image is refused", images, {}, /Image is not given/],
    ["a registry with a port passes", { Image: "localhost:5000/*" }, {
      Image: "localhost:5000/app",
    }, null],
  ]);
});

Deno.test("A container create's Cmd, Entrypoint, User, Labels and healthcheck are checked", async (t) => {
  await table(t, "ContainerCreate", [
    ["an allowed Cmd passes", DUMP, { Image: "x", Cmd: ["pg_dump", "-U", "app"] }, null],
    ["a Cmd string is one argument, as the engine's StrSlice reads it", DUMP, {
      Image: "x",
      Cmd: "pg_dump -U app",
    }, /Cmd \["pg_dump -U app"\] matches none/],
    ["a one-word Cmd string is that command", DUMP, { Image: "x", Cmd: "pg_dump" }, null],
    ["an Entrypoint turns an allowed Cmd into another command", DUMP, {
      Image: "x",
      Entrypoint: ["sh", "-c"],
      Cmd: ["pg_dump"],
    }, /Entrypoint \["sh","-c"\] is set/],
    ["an empty Entrypoint is refused too (it replaces the image's)", DUMP, {
      Image: "x",
      Entrypoint: [],
      Cmd: ["pg_dump"],
    }, /Entrypoint \[\] is set/],
    ["a null Entrypoint is absent", DUMP, { Image: "x", Entrypoint: null, Cmd: ["pg_dump"] }, null],
    ["an Entrypoint the rule names passes", { Entrypoint: [["/entry.sh"]] }, {
      Image: "x",
      Entrypoint: "/entry.sh",
    }, null],
    ["both constrained: both checked", { Entrypoint: [[]], ...DUMP }, {
      Image: "x",
      Entrypoint: [],
      Cmd: ["pg_dump"],
    }, null],
    ["a healthcheck that runs a command is refused", DUMP, {
      Image: "x",
      Cmd: ["pg_dump"],
      Healthcheck: { Test: ["CMD-SHELL", "rm -rf /"] },
    }, /healthcheck runs \["CMD-SHELL","rm -rf \/"\]/],
    ["a disabled healthcheck passes", DUMP, {
      Image: "x",
      Cmd: ["pg_dump"],
      Healthcheck: { Test: ["NONE"] },
    }, null],
    [
      "a user is checked",
      { User: ["1000:1000"] },
      { Image: "x", User: "0" },
      /^User "0" is none of \[1000:1000\]$/,
    ],
    ["labels must be carried", { Labels: { job: "backup-*" } }, {
      Image: "x",
      Labels: { job: "backup-db" },
    }, null],
    [
      "a missing label is named",
      { Labels: { job: "backup-*" } },
      { Image: "x" },
      /^Labels job is absent, not backup-\*$/,
    ],
    ["a label that must be absent", { Labels: { evil: null } }, {
      Image: "x",
      Labels: { evil: "1" },
    }, /^Labels has evil$/],
    [
      "Env names are checked",
      { Env: ["TZ"] },
      { Image: "x", Env: ["TZ=UTC", "PATH=/x"] },
      /Env sets "PATH"/,
    ],
    ["Tty is checked", { Tty: false }, { Image: "x", Tty: true }, /Tty is true/],
  ]);
});

Deno.test("libpod's create is read under podman's names and needs full image names", async (t) => {
  await table(t, "LibpodContainerCreate", [
    [
      "command is Cmd",
      DUMP,
      { image: "docker.io/library/postgres:16", command: ["pg_dump"] },
      null,
    ],
    [
      "command is refused as Cmd",
      DUMP,
      { image: "docker.io/library/postgres:16", command: ["sh"] },
      /^Cmd \["sh"\]/,
    ],
    [
      "names are read case-insensitively",
      DUMP,
      { image: "docker.io/library/x", Command: ["sh"] },
      /^Cmd \["sh"\]/,
    ],
    ["a full image name passes", { Image: "postgres:16*" }, {
      image: "docker.io/library/postgres:16",
    }, null],
    ["a short name is refused: podman resolves it", { Image: "postgres:16*" }, {
      image: "postgres:16",
    }, /names no registry/],
    [
      "a rootfs runs no image",
      { Image: "**" },
      { image: "docker.io/library/x", rootfs: "/" },
      /rootfs "\/"/,
    ],
    [
      "user is User",
      { User: "postgres" },
      { image: "docker.io/library/x", user: "root" },
      /^User "root"/,
    ],
    ["entrypoint is Entrypoint", DUMP, {
      image: "docker.io/library/x",
      entrypoint: ["sh"],
      command: ["pg_dump"],
    }, /Entrypoint \["sh"\] is set/],
    ["env keys are Env names", { Env: ["TZ"] }, {
      image: "docker.io/library/x",
      env: { LD_PRELOAD: "x" },
    }, /Env sets "LD_PRELOAD"/],
    ["work_dir is WorkingDir", { WorkingDir: "/app" }, {
      image: "docker.io/library/x",
      work_dir: "/",
    }, /WorkingDir "\/"/],
    [
      "terminal is Tty",
      { Tty: false },
      { image: "docker.io/library/x", terminal: true },
      /Tty is true/,
    ],
    ["labels are Labels", { Labels: { job: "*" } }, {
      image: "docker.io/library/x",
      labels: { job: "a" },
    }, null],
    ["healthconfig runs a command", DUMP, {
      image: "docker.io/library/x",
      command: ["pg_dump"],
      healthconfig: { Test: ["CMD", "id"] },
    }, /healthcheck runs/],
  ]);
});

Deno.test("libpod's exec is Docker's ExecConfig", async (t) => {
  await table(t, "LibpodContainerExec", [
    ["an allowed Cmd passes", DUMP, { Cmd: ["pg_dump"] }, null],
    [
      "a privileged exec is refused",
      { Privileged: false },
      { Cmd: ["x"], privileged: true },
      /Privileged is true/,
    ],
  ]);
});

Deno.test("A service's task image is checked", async (t) => {
  const spec = { Image: "ghcr.io/acme/**" };
  const task = (image: string) => ({
    Name: "s",
    TaskTemplate: { ContainerSpec: { Image: image } },
  });
  await table(t, "ServiceCreate", [
    ["an allowed image passes", spec, task("ghcr.io/acme/app:1"), null],
    [
      "another image is refused",
      spec,
      task("alpine"),
      /^Image "alpine" \(docker\.io\/library\/alpine:latest\)/,
    ],
    [
      "a plugin task is refused",
      spec,
      { TaskTemplate: { PluginSpec: {}, Runtime: "plugin" } },
      /runs a plugin/,
    ],
    ["no container spec is no image", spec, { Name: "s" }, /Image is not given/],
  ]);
  await table(t, "ServiceUpdate", [
    ["an update is checked the same way", spec, task("busybox"), /Image "busybox"/],
  ]);
});

Deno.test("compileBodyConstraint() refuses what it cannot check, naming what would be valid", async (t) => {
  const cases: [string, BodySpec, string, RegExp, string | null][] = [
    [
      "an unknown field",
      { Commnd: [] },
      "ContainerExec",
      /Unknown body field "Commnd" \(did you mean Cmd\?\)/,
      "Commnd",
    ],
    [
      "podman's name",
      { command: [["x"]] },
      "LibpodContainerCreate",
      /Unknown body field "command" \(did you mean Cmd\?\)/,
      "command",
    ],
    [
      "a field of another body",
      { Image: "x" },
      "ContainerExec",
      /body\.Image is not a field of ContainerExec's body \(it has: Cmd, User/,
      "Image",
    ],
    [
      "an operation without a body rule",
      { Cmd: [["x"]] },
      "ContainerList",
      /body: applies to ContainerExec/,
      null,
    ],
    [
      "a Cmd given as one argv",
      { Cmd: ["nginx", "-s"] },
      "ContainerExec",
      /body\.Cmd must be a list of argv patterns/,
      "Cmd",
    ],
    [
      "a Cmd given as a string",
      { Cmd: "nginx -s reload" },
      "ContainerExec",
      /body\.Cmd must be a list of argv patterns/,
      "Cmd",
    ],
    [
      "** not last",
      { Cmd: [["**", "x"]] },
      "ContainerExec",
      /may only be the last argument/,
      "Cmd",
    ],
    ["an empty user list", { User: [] }, "ContainerExec", /empty list/, "User"],
    [
      "a boolean that is not",
      { Privileged: "no" },
      "ContainerExec",
      /must be true or false/,
      "Privileged",
    ],
    ["an empty image", { Image: [] }, "ContainerCreate", /must be an image pattern/, "Image"],
    ["Env not a list", { Env: "A" }, "ContainerExec", /list of variable names/, "Env"],
    ["Labels not a map", { Labels: ["a"] }, "ContainerCreate", /map of labels/, "Labels"],
    ["an empty body", {}, "ContainerExec", /body is empty/, null],
  ];
  for (const [name, spec, operation, message, field] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => compileBodyConstraint(spec, [operation], [BODY_KINDS[operation]]),
        (error: Error & { field?: string | null }) =>
          message.test(error.message) && error.field === field,
      );
    });
  }
});

Deno.test("A body constraint describes itself for messages", () => {
  const constraint = compileBodyConstraint(
    { ...DUMP, User: ["postgres", null], Privileged: false },
    ["ContainerExec"],
    ["exec"],
  );
  assert.equal(
    constraint.text,
    "Cmd in [[pg_dump, **], [pg_dumpall, --clean]], User in [postgres, null], Privileged=false",
  );
});
