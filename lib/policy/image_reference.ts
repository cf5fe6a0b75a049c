/**
 * Image references as the engine reads them (distribution's reference
 * grammar, `ParseNormalizedNamed` then `ParseDockerRef`): `nginx` is
 * `docker.io/library/nginx:latest`, `acme/app:1` is `docker.io/acme/app:1`,
 * `index.docker.io/x` is `docker.io/library/x:latest`; a reference with a
 * digest drops its tag (the engine runs the digest), one with neither gets
 * `:latest`. Used by body constraints on `Image` (`body_constraint.ts`).
 */
import { compileGlob, type Glob } from "./glob.ts";

export type NormalizedImage = { name: string } | { error: string };

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const PATH = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
/** What the engine may take as an image ID or a prefix of one. */
const IMAGE_ID = /^(?:sha256:.*|[0-9a-f]+)$/;

/** Whether the first component of a name is a registry, as distribution decides. */
function isDomain(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost" ||
    first.toLowerCase() !== first;
}

/**
 * The reference the engine uses for `reference`, or why it refuses it (or why
 * the proxy cannot tell what it names). `shortNames: false`: the engine
 * resolves a name without a registry through its search registries (podman's
 * libpod API), so only fully qualified names are accepted.
 */
export function normalizeImage(reference: string, shortNames = true): NormalizedImage {
  const shown = JSON.stringify(reference);
  if (IMAGE_ID.test(reference)) {
    return {
      error: `${shown} may name an image by its ID (or a prefix of one), which no name ` +
        "pattern can vouch for: name the image",
    };
  }
  let rest = reference;
  let digest = "";
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { error: `${shown} has an invalid digest` };
  }
  let tag = "";
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { error: `${shown} has an invalid tag` };
  }
  const slash = rest.indexOf("/");
  let domain = "docker.io";
  let path = rest;
  if (slash >= 0 && isDomain(rest.slice(0, slash))) {
    domain = rest.slice(0, slash);
    path = rest.slice(slash + 1);
  } else if (!shortNames) {
    return {
      error: `${shown} names no registry, and podman resolves such a name through its search ` +
        "registries and local images: give the full name (docker.io/library/...)",
    };
  }
  if (domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && !path.includes("/")) path = `library/${path}`;
  if (!DOMAIN.test(domain) || !PATH.test(path)) {
    return { error: `${shown} is no valid image reference (names are lower case)` };
  }
  const name = `${domain}/${path}`;
  if (name.length > 255) return { error: `${shown} is longer than 255 characters` };
  return { name: digest !== "" ? `${name}@${digest}` : `${name}:${tag === "" ? "latest" : tag}` };
}

/**
 * A pattern for normalized references: written as a user would (`postgres:16*`,
 * `ghcr.io/acme/**`), its registry is filled in the same way (`postgres:16*` is
 * `docker.io/library/postgres:16*`), and a pattern without a wildcard, tag or
 * digest means `:latest`. `*` matches within a path component, `**` across.
 */
export function compileImagePattern(pattern: string): Glob {
  let text = pattern;
  if (!text.startsWith("*")) {
    const slash = text.indexOf("/");
    if (slash < 0) text = `docker.io/library/${text}`;
    else if (text.startsWith("index.docker.io/")) text = `docker.io/${text.slice(16)}`;
    else if (!isDomain(text.slice(0, slash))) text = `docker.io/${text}`;
    if (text.startsWith("docker.io/") && !text.slice(10).includes("/")) {
      text = `docker.io/library/${text.slice(10)}`;
    }
    const last = text.slice(text.lastIndexOf("/") + 1);
    if (!text.includes("*") && !last.includes(":") && !text.includes("@")) text += ":latest";
  }
  const glob = compileGlob(text);
  return { text: pattern, test: glob.test };
}
