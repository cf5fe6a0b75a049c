import assert from "node:assert/strict";
import { containerHints } from "../../../lib/engine/container_hints.ts";

const ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const NONE = { mountinfo: "", cgroup: "", containerenv: "", hostname: "" };

Deno.test("the proxy's own container is hinted at by its mounts, cgroup, .containerenv and hostname", async (t) => {
  const cases: [string, Partial<typeof NONE>, string[]][] = [
    ["nothing: no hint (not in a container)", {}, []],
    ["Docker's /etc/hostname bind mount", {
      mountinfo: `1021 1002 254:1 /var/lib/docker/containers/${ID}/hostname /etc/hostname ` +
        "rw,relatime - ext4 /dev/vda1 rw\n",
    }, [ID]],
    ["a private engine's data-root and /etc/resolv.conf", {
      mountinfo: `77 60 0:5 /tmp/spe-1/data/containers/${ID}/resolv.conf /etc/resolv.conf rw - x\n`,
    }, [ID]],
    ["Podman's overlay-containers userdata for /etc/hosts", {
      mountinfo: "5 1 0:4 /var/lib/containers/storage/overlay-containers/" +
        `${ID}/userdata/hosts /etc/hosts rw - tmpfs tmpfs rw\n`,
    }, [ID]],
    ["an ID in some other mount (a volume) is no hint", {
      mountinfo: `5 1 0:4 /var/lib/docker/volumes/${OTHER}/_data /data rw - ext4 x rw\n`,
    }, []],
    ["a short line is skipped", { mountinfo: `1 2 3 /${ID}\n` }, []],
    ["an ID longer than 64 hex digits is no ID", {
      mountinfo: `1 2 0:1 /containers/${ID}a/hostname /etc/hostname rw - x\n`,
    }, []],
    ["Podman's /run/.containerenv", {
      containerenv: `engine="podman-4.3.1"\nname="proxy"\nid="${ID}"\nimage="x"\n`,
    }, [ID]],
    ["cgroup v1 and v2 paths", {
      cgroup: `12:pids:/docker/${ID}\n0::/system.slice/docker-${OTHER}.scope\n`,
    }, [ID, OTHER]],
    ["a hostname that looks like a short ID", { hostname: "0123456789ab\n" }, ["0123456789ab"]],
    ["a hostname that is not an ID", { hostname: "proxy\n" }, []],
    ["an 11-character hostname is not an ID", { hostname: "0123456789a" }, []],
    ["the hostname of a full ID already hinted is not repeated", {
      mountinfo: `1 2 0:1 /containers/${ID}/hostname /etc/hostname rw - x\n`,
      hostname: "0123456789ab",
      containerenv: `id=${ID}\n`,
    }, [ID]],
    ["several sources, mounts first, no repeats", {
      mountinfo: `1 2 0:1 /containers/${ID}/hostname /etc/hostname rw - x\n` +
        `1 2 0:1 /containers/${ID}/hosts /etc/hosts rw - x\n`,
      cgroup: `0::/docker/${OTHER}\n`,
    }, [ID, OTHER]],
  ];
  for (const [name, files, hints] of cases) {
    await t.step(name, () => assert.deepEqual(containerHints({ ...NONE, ...files }), hints));
  }
});
