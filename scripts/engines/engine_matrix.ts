/**
 * The newer engines the e2e suites run against besides Debian 12's dockerd
 * 20.10 and podman 4.3: one dockerd and one podman per Debian suite, each pair
 * run as containers of the private Debian 12 dockerd (`engine_container.ts`)
 * from trees cached by `engine_tree.ts`.
 */
import { importBusybox, type PrivateEngine } from "../private_engine.ts";
import { type ContainerEngine, startContainerEngine } from "./engine_container.ts";
import {
  candidateVersions,
  type EnginePackage,
  type EngineTree,
  engineTree,
} from "./engine_tree.ts";

/** The suites whose engines the matrix runs, oldest first: trixie (26.1, 5.4), sid (28.5, 5.8). */
export const MATRIX_SUITES = ["trixie", "sid"] as const;

/** The e2e suites that talk to an engine the way users' clients do; run per engine pair. */
export const MATRIX_TESTS = [
  "tests/e2e_docker_cli_test.ts",
  "tests/e2e_clients_test.ts",
  "tests/e2e_admission_test.ts",
  "tests/e2e_scoping_test.ts",
  "tests/e2e_policy_test.ts",
  "tests/e2e_podman_remote_test.ts",
  "tests/e2e_mounts_test.ts",
  "tests/recipes/", // every *_replay_test.ts (and the combined policy over them)
];

/**
 * Run against the newest suite's dockerd with its minimum API version raised
 * as Docker 29 raises it (DOCKER_MIN_API_VERSION=1.44): the old clients behind
 * API_VERSION_FLOOR.
 */
export const RAISED_MINIMUM = { suite: "sid", minimum: "1.44" } as const;
export const RAISED_MINIMUM_TESTS = ["tests/engines/version_floor_e2e.ts"];

export interface EngineTrees {
  suite: string;
  docker: EngineTree;
  podman: EngineTree;
}

/**
 * The trees of `suites`, built in parallel where missing (`parallel` at once:
 * debootstrap is mostly download and dpkg, two per core is fine).
 */
export async function prepareTrees(
  suites: readonly string[],
  parallel = 4,
): Promise<EngineTrees[]> {
  const wanted: { suite: string; name: EnginePackage; version: string }[] = [];
  for (const suite of suites) {
    const versions = await candidateVersions(suite, ["docker.io", "podman"]);
    for (const name of ["docker.io", "podman"] as const) {
      wanted.push({ suite, name, version: versions.get(name)! });
    }
  }
  const built = new Map<string, EngineTree>();
  const queue = [...wanted];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      built.set(
        `${item.suite} ${item.name}`,
        await engineTree(item.suite, item.name, item.version),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, wanted.length) }, worker));
  return suites.map((suite) => ({
    suite,
    docker: built.get(`${suite} docker.io`)!,
    podman: built.get(`${suite} podman`)!,
  }));
}

export interface EnginePair {
  label: string;
  docker: ContainerEngine;
  podman: ContainerEngine;
  stop(): Promise<void>;
}

/** Starts a suite's dockerd and podman in `host`, with the test image in the dockerd. */
export async function startPair(
  host: PrivateEngine,
  trees: EngineTrees,
  image: string,
): Promise<EnginePair> {
  const docker = await startContainerEngine(host, trees.docker);
  let podman: ContainerEngine;
  try {
    podman = await startContainerEngine(host, trees.podman);
  } catch (error) {
    await docker.stop();
    throw error;
  }
  const pair: EnginePair = {
    label: `${docker.label} + ${podman.label} (Debian ${trees.suite})`,
    docker,
    podman,
    async stop() {
      await podman.stop();
      await docker.stop();
    },
  };
  try {
    await importBusybox(docker.socket, image, docker.root);
  } catch (error) {
    await pair.stop();
    throw error;
  }
  return pair;
}

/** The suite's dockerd alone, its minimum API version raised to `minimum`; the test image in it. */
export async function startRaisedMinimum(
  host: PrivateEngine,
  trees: EngineTrees,
  image: string,
  minimum: string,
): Promise<ContainerEngine> {
  const docker = await startContainerEngine(host, trees.docker, {
    env: { DOCKER_MIN_API_VERSION: minimum },
  });
  try {
    await importBusybox(docker.socket, image, docker.root);
  } catch (error) {
    await docker.stop();
    throw error;
  }
  return docker;
}
