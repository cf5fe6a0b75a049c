/**
 * The routes Podman's API service registers, read from one commit of
 * github.com/containers/podman: `pkg/api/server/server.go` lists the
 * `register*Handlers` functions in the order it calls them, and each registers
 * its routes in source order, most after a `// swagger:operation METHOD /path
 * tag OperationId` comment whose YAML lists the query parameters.
 *
 * A registration with several methods becomes one route per method; the
 * registrations repeated without the `/vX.Y.Z` prefix collapse into one (the
 * table's templates carry no prefix). Registrations without a method (the
 * "not supported" and "no swarm" catch-alls) are skipped: they answer errors.
 *
 * Podman splits `/libpod/manifests` by API version with two subrouters whose
 * prefixes (`/v0`…`/v3`, `/v4`…`/v9`) never match the same request, so their
 * order in the engine does not matter; the newer one comes first here, so that
 * matching without the version finds what current Podman serves.
 */
import { parse } from "yaml";
import type { ParamType, RouteSpec } from "../../lib/routes/route.ts";
import { parseRouteTemplate, templateShape } from "../../lib/routes/route_template.ts";
import type { GitSnapshot } from "./git_snapshot.ts";
import { swaggerQuery } from "./swagger_query.ts";

export interface PodmanRoutes {
  version: string;
  /** Compat routes moby lacks, then the libpod routes, in matching order. */
  routes: RouteSpec[];
  notes: string[];
}

interface Comment {
  method: string;
  template: string;
  operation: string;
  query: Record<string, ParamType>;
  trueByDefault: Set<string>;
  line: number;
}

interface Subrouter {
  /** The path prefix after the version. */
  prefix: string;
  since?: string;
  until?: string;
}

interface Registration {
  method: string;
  template: string;
  line: number;
  since?: string;
  until?: string;
}

const SERVER = "pkg/api/server/server.go";
const OPERATION = /^\s*\/\/ swagger:operation\s+(\w+)\s+(\S+)\s+\S+\s+(\w+)\s*$/;
const SUBROUTER =
  /^\s*(\w+) := r\.PathPrefix\("\/v\{version:([^}]*)\}([^"]*)"\)\.Subrouter\(\)\s*$/;
const HANDLE = /^\s*(\w+)\.(?:Handle|HandleFunc)\((VersionedPath\()?"([^"]*)"\)?,(.*)$/;
const CATCH_ALL = /^\s*r\.PathPrefix\("([^"]*)"\)\.(?:Handler|HandlerFunc)\(/;

async function podmanVersion(git: GitSnapshot): Promise<string> {
  for (const file of ["version/rawversion/version.go", "version/version.go"]) {
    if (!(await git.exists(file))) continue;
    const text = await git.show(file);
    const found = /RawVersion\s*=\s*"([^"]+)"/.exec(text) ??
      /\bVersion\s*=\s*semver\.MustParse\("([^"]+)"\)/.exec(text);
    if (found !== null) return found[1];
  }
  throw new Error("Cannot find Podman's version");
}

/**
 * The `parameters` of a comment whose YAML does not parse (stray tabs, bad
 * indentation elsewhere): each list item's own `in`, `name` and `type` keys.
 */
function scanParameters(lines: string[]): Record<string, string>[] {
  const start = lines.findIndex((line) => /^parameters:\s*$/.test(line));
  const items: Record<string, string>[] = [];
  if (start < 0) return items;
  let itemIndent = -1;
  for (const line of lines.slice(start + 1)) {
    const indent = line.search(/\S/);
    if (indent < 0) continue;
    if (indent === 0) break;
    const entry = /^(\s*)(- )?([\w$]+):\s*"?([^"]*?)"?\s*$/.exec(line);
    if (entry?.[2] !== undefined && (itemIndent < 0 || indent === itemIndent)) {
      itemIndent = indent;
      items.push({});
    }
    if (entry === null || items.length === 0) continue;
    const keyIndent = entry[1].length + (entry[2] ? 2 : 0);
    if (keyIndent === itemIndent + 2 && !(entry[3] in items[items.length - 1])) {
      items[items.length - 1][entry[3]] = entry[4];
    }
  }
  return items;
}

/** The query parameters in a swagger:operation comment's YAML (best effort). */
function commentQuery(
  lines: string[],
  where: string,
  notes: string[],
  trueByDefault: Set<string>,
): Record<string, ParamType> {
  const text = lines.map((line) => line.replace(/^\s*\/\/ ?/, ""));
  let parameters: unknown;
  try {
    parameters = (parse(text.join("\n")) as { parameters?: unknown } | null)?.parameters;
  } catch {
    notes.push(`The swagger comment of ${where} is not valid YAML: its parameters were scanned`);
    parameters = scanParameters(text);
  }
  return swaggerQuery(parameters, where, {}, trueByDefault);
}

/** The registration functions in `newServer`'s order, each with its source text. */
async function registerFunctions(git: GitSnapshot): Promise<[string, string][]> {
  const server = await git.show(SERVER);
  const list = /range \[\]func\(\*mux\.Router\) error\{\n([\s\S]*?)\n\s*\}/.exec(server)?.[1];
  if (list === undefined) throw new Error(`No list of register functions in ${SERVER}`);
  const sources = new Map<string, string>();
  for (const file of await git.list("pkg/api/server")) {
    if (/\/register_\w+\.go$/.test(file)) sources.set(file, await git.show(file));
  }
  return [...list.matchAll(/server\.(\w+),/g)].map(([, name]) => {
    const head = `\nfunc (s *APIServer) ${name}(r *mux.Router) error {\n`;
    for (const [file, text] of sources) {
      const start = text.indexOf(head);
      if (start < 0) continue;
      const end = text.indexOf("\n}\n", start);
      return [`${file} ${name}`, text.slice(start + head.length, end)];
    }
    throw new Error(`No function ${name} in pkg/api/server`);
  });
}

function parseFunction(where: string, body: string, notes: string[]) {
  const comments: Comment[] = [];
  const registrations: Registration[] = [];
  const subrouters = new Map<string, Subrouter>();
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const op = OPERATION.exec(line);
    if (op !== null) {
      let end = i + 1;
      while (end < lines.length && /^\s*\/\//.test(lines[end])) end++;
      const trueByDefault = new Set<string>();
      const query = commentQuery(
        lines.slice(i + 1, end),
        `${where} ${op[3]}`,
        notes,
        trueByDefault,
      );
      comments.push({
        method: op[1],
        template: op[2],
        operation: op[3],
        query,
        trueByDefault,
        line: i,
      });
      continue;
    }
    if (/^\s*\/\//.test(line)) continue;
    const sub = SUBROUTER.exec(line);
    if (sub !== null) {
      const range = /^\[(\d)-(\d)\]/.exec(sub[2]);
      const info: Subrouter = { prefix: sub[3] };
      if (range !== null && range[1] !== "0") info.since = range[1];
      if (range !== null && range[2] !== "9") info.until = range[2];
      subrouters.set(sub[1], info);
      continue;
    }
    const catchAll = CATCH_ALL.exec(line);
    if (catchAll !== null) {
      notes.push(`Skipped * ${catchAll[1]}… (a catch-all for every method)`);
      continue;
    }
    const handle = HANDLE.exec(line);
    if (handle === null) {
      if (/\.(Handle|HandleFunc|Path|PathPrefix|NewRoute)\(/.test(line)) {
        throw new Error(`Unrecognised route registration in ${where}: ${line.trim()}`);
      }
      continue;
    }
    const [, receiver, , path, rest] = handle;
    const router: Subrouter | undefined = receiver === "r"
      ? { prefix: "" }
      : subrouters.get(receiver);
    if (router === undefined) throw new Error(`Unknown router ${receiver} in ${where}`);
    const template = router.prefix + path;
    parseRouteTemplate(template);
    const methods = /\.Methods\(([^)]*)\)/.exec(rest)?.[1];
    if (methods === undefined) {
      notes.push(`Skipped * ${template} (a route for every method)`);
      continue;
    }
    const query = /\.Queries\("([^"]*)"/.exec(rest)?.[1];
    if (query !== undefined && template.startsWith("/libpod/")) {
      throw new Error(`Unsupported query-routed libpod route in ${where}: ${template}`);
    }
    if (query !== undefined) notes.push(`${template} has a route chosen by its ${query} query`);
    for (const m of methods.matchAll(/http\.Method(\w+)/g)) {
      const registration: Registration = { method: m[1].toUpperCase(), template, line: i };
      if (router.since) registration.since = router.since;
      if (router.until) registration.until = router.until;
      registrations.push(registration);
    }
  }
  // Routes of an older-versions subrouter go after the others (see the module doc).
  if (registrations.some((r) => r.until) && registrations.some((r) => !r.since && !r.until)) {
    throw new Error(`Version-split routes mixed with others in ${where}`);
  }
  registrations.sort((a, b) => (a.until ? 1 : 0) - (b.until ? 1 : 0));
  return { comments, registrations };
}

function libpodName(operation: string): string {
  const bare = operation.replace(/Libpod$/, "");
  return bare.startsWith("Libpod") ? bare : "Libpod" + bare;
}

/**
 * Reads Podman's routes: the libpod ones, and the compat ones whose method and
 * path shape are not in `mobyShapes`. `names` names the routes no swagger
 * comment documents (or overrides the comment's name), by `METHOD /template`.
 */
export async function readPodmanRoutes(
  git: GitSnapshot,
  mobyShapes: ReadonlySet<string>,
  names: Readonly<Record<string, string>>,
): Promise<PodmanRoutes> {
  const notes: string[] = [];
  const compat: RouteSpec[] = [];
  const libpod: RouteSpec[] = [];
  const seen = new Map<string, RouteSpec>();
  const unnamed = new Set<string>();
  for (const [where, body] of await registerFunctions(git)) {
    const { comments, registrations } = parseFunction(where, body, notes);
    for (const reg of registrations) {
      const key = `${reg.method} ${reg.template}`;
      const isLibpod = reg.template.startsWith("/libpod/");
      if (!isLibpod && mobyShapes.has(`${reg.method} ${templateShape(reg.template)}`)) continue;
      const shape = templateShape(reg.template);
      const candidates = comments.filter((c) =>
        c.method === reg.method && templateShape(c.template) === shape
      );
      const comment = candidates.filter((c) => c.line < reg.line).pop() ?? candidates[0];
      let operation = names[key];
      if (operation === undefined && comment !== undefined) {
        operation = isLibpod ? libpodName(comment.operation) : comment.operation;
      }
      if (operation === undefined) {
        unnamed.add(key);
        continue;
      }
      const known = seen.get(key);
      if (known?.operation === operation) {
        // The same route again: without the version prefix, or for other versions.
        if (!reg.since) delete known.since;
        if (!reg.until) delete known.until;
        continue;
      }
      if (known !== undefined) {
        notes.push(`${key} (${operation}) is shadowed by ${known.operation}`);
      }
      const route: RouteSpec = {
        operation,
        method: reg.method,
        template: reg.template,
        api: isLibpod ? "libpod" : "docker",
        query: comment?.query ?? {},
        source: "podman",
      };
      if (comment !== undefined && comment.trueByDefault.size > 0) {
        route.trueByDefault = [...comment.trueByDefault].sort();
      }
      if (reg.since) route.since = reg.since;
      if (reg.until) route.until = reg.until;
      if (known === undefined) seen.set(key, route);
      (isLibpod ? libpod : compat).push(route);
    }
  }
  if (unnamed.size > 0) {
    throw new Error(`Name these Podman routes in PODMAN_NAMES: ${[...unnamed].join(", ")}`);
  }
  return { version: await podmanVersion(git), routes: [...compat, ...libpod], notes };
}
