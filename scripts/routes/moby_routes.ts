/**
 * The Docker Engine API routes moby serves, read from one commit of
 * github.com/moby/moby: every versioned swagger from v1.25 to the newest
 * (operation ids, versions, query parameters), and the daemon's routers
 * (templates and matching order).
 *
 * The routers are registered in the order `buildRouters` lists them, each
 * router's routes in the order it declares them, and the mux tries them in that
 * order. A router route takes the swagger operation with the same method and
 * path shape (`/containers/{name:.*}/json` is the swagger's
 * `/containers/{id}/json`); the others need a name in `routerNames`.
 */
import type { ParamType, RouteSpec } from "../../lib/routes/route.ts";
import { parseRouteTemplate, templateShape } from "../../lib/routes/route_template.ts";
import type { GitSnapshot } from "./git_snapshot.ts";
import { swaggerQuery } from "./swagger_query.ts";
import { parseSwagger } from "./swagger_yaml.ts";

export interface MobyRoutes {
  /** API versions covered, oldest first: `["1.25", …, "1.56"]`. */
  versions: string[];
  routes: RouteSpec[];
  /** What a reader of the generated table should know: renames, type changes. */
  notes: string[];
}

interface SwaggerOperation {
  operation: string;
  template: string;
  since: string;
  until: string;
  query: Record<string, ParamType>;
  /** Booleans true when absent, in any version. */
  trueByDefault: Set<string>;
  /** Every operation id it had, oldest first. */
  names: string[];
}

interface RouterRoute {
  method: string;
  template: string;
  minVersion?: string;
}

const FIRST_VERSION = 25;
const METHODS = ["get", "head", "post", "put", "delete", "options", "patch"];
const ROUTE_CALL = /\brouter\.New(Get|Head|Post|Put|Delete|Options)Route\(\s*"([^"]*)"([^\n]*)/g;

function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Versioned swagger files from v1.25 on, and the newest `api/swagger.yaml`, by version. */
async function swaggerFiles(git: GitSnapshot): Promise<Map<string, string>> {
  const dir = (await git.exists("api/docs")) ? "api/docs" : "docs/api";
  const files = new Map<string, string>();
  for (const path of await git.list(dir)) {
    const minor = /\/v1\.(\d+)\.yaml$/.exec(path)?.[1];
    if (minor !== undefined && Number(minor) >= FIRST_VERSION) files.set(`1.${minor}`, path);
  }
  const newest = parseSwagger(await git.show("api/swagger.yaml"), "api/swagger.yaml");
  const version = (newest.info as { version?: unknown })?.version;
  if (typeof version !== "string") throw new Error("api/swagger.yaml has no info.version");
  files.set(version, "api/swagger.yaml");
  const versions = [...files.keys()].sort(compareVersions);
  versions.forEach((v, i) => {
    if (v !== `1.${FIRST_VERSION + i}`) {
      throw new Error(`Swagger versions are not contiguous: ${v}`);
    }
  });
  return new Map(versions.map((v) => [v, files.get(v)!]));
}

async function swaggerOperations(
  git: GitSnapshot,
  files: Map<string, string>,
  notes: string[],
): Promise<Map<string, SwaggerOperation>> {
  const ops = new Map<string, SwaggerOperation>();
  for (const [version, path] of files) {
    const doc = parseSwagger(await git.show(path), path);
    const shared = (doc.parameters ?? {}) as Record<string, unknown>;
    for (const [template, item] of Object.entries(doc.paths as Record<string, unknown>)) {
      const common = (item as { parameters?: unknown[] }).parameters ?? [];
      for (const method of METHODS) {
        const op = (item as Record<string, { operationId?: string; parameters?: unknown[] }>)[
          method
        ];
        if (op === undefined) continue;
        const where = `v${version} ${method.toUpperCase()} ${template}`;
        if (typeof op.operationId !== "string") throw new Error(`No operationId: ${where}`);
        const trueByDefault = new Set<string>();
        const query = swaggerQuery(
          [...common, ...(op.parameters ?? [])],
          where,
          shared,
          trueByDefault,
        );
        const key = method.toUpperCase() + " " + templateShape(template);
        const known = ops.get(key);
        if (known === undefined) {
          ops.set(key, {
            operation: op.operationId,
            template,
            since: version,
            until: version,
            query,
            trueByDefault,
            names: [op.operationId],
          });
          continue;
        }
        for (const name of trueByDefault) known.trueByDefault.add(name);
        known.until = version;
        known.template = template;
        if (known.operation !== op.operationId) {
          notes.push(`${known.operation} is named ${op.operationId} from v${version} on`);
          known.operation = op.operationId;
          known.names.push(op.operationId);
        }
        for (const [name, type] of Object.entries(query)) {
          if (known.query[name] !== undefined && known.query[name] !== type) {
            notes.push(`${op.operationId} ?${name} is ${type} from v${version} on`);
          }
          known.query[name] = type;
        }
      }
    }
  }
  return ops;
}

/** The router packages in `buildRouters` order, as folders of the repository. */
async function routerPackages(git: GitSnapshot): Promise<string[]> {
  const module = /^module\s+(\S+)/m.exec(await git.show("go.mod"))?.[1];
  if (module === undefined) throw new Error("go.mod names no module");
  const file = "daemon/command/daemon.go";
  const text = await git.show(file);
  const block = /\nimport \(\n([\s\S]*?)\n\)/.exec(text)?.[1] ?? "";
  const imports = new Map<string, string>();
  for (const m of block.matchAll(/^\s*(\w+\s+)?"([^"]+)"\s*(\/\/.*)?$/gm)) {
    const path = m[2];
    imports.set(m[1]?.trim() ?? path.slice(path.lastIndexOf("/") + 1), path);
  }
  const body = /\nfunc buildRouters\([^)]*\)[^{]*\{\n([\s\S]*?)\n\}\n/.exec(text)?.[1];
  if (body === undefined) throw new Error(`No buildRouters function in ${file}`);
  return [...body.matchAll(/\b(\w+)\.NewRouter\(/g)].map((m) => {
    const path = imports.get(m[1]);
    if (path === undefined || !path.startsWith(module + "/")) {
      throw new Error(`Router package ${m[1]} is not imported from ${module} in ${file}`);
    }
    return path.slice(module.length + 1);
  });
}

async function routerRoutes(git: GitSnapshot, dir: string): Promise<RouterRoute[]> {
  let found: RouterRoute[] | undefined;
  for (const file of await git.list(dir)) {
    if (!file.endsWith(".go") || file.endsWith("_test.go")) continue;
    const text = await git.show(file);
    if (/\brouter\.NewRoute\(/.test(text)) throw new Error(`Unsupported route call in ${file}`);
    const calls = [...text.matchAll(ROUTE_CALL)];
    if (calls.length === 0) continue;
    if (found !== undefined) throw new Error(`Routes declared in several files of ${dir}`);
    found = calls.map((m) => {
      const minVersion = /WithMinimumAPIVersion\("([^"]+)"\)/.exec(m[3])?.[1];
      parseRouteTemplate(m[2]);
      const route: RouterRoute = { method: m[1].toUpperCase(), template: m[2] };
      if (minVersion !== undefined) route.minVersion = minVersion;
      return route;
    });
  }
  if (found === undefined) throw new Error(`No routes in ${dir}`);
  return found;
}

/** Reads moby's routes; `routerNames` names the routes no swagger documents. */
export async function readMobyRoutes(
  git: GitSnapshot,
  routerNames: Readonly<Record<string, string>>,
): Promise<MobyRoutes> {
  const notes: string[] = [];
  const files = await swaggerFiles(git);
  const versions = [...files.keys()];
  const newest = versions[versions.length - 1];
  const ops = await swaggerOperations(git, files, notes);
  const routes: RouteSpec[] = [];
  const used = new Set<string>();
  const unnamed: string[] = [];
  for (const dir of await routerPackages(git)) {
    for (const { method, template, minVersion } of await routerRoutes(git, dir)) {
      const key = method + " " + templateShape(template);
      const op = ops.get(key);
      if (op === undefined) {
        const operation = routerNames[`${method} ${template}`];
        if (operation === undefined) unnamed.push(`${method} ${template}`);
        const route: RouteSpec = {
          operation: operation ?? "",
          method,
          template,
          api: "docker",
          query: {},
          source: "router",
        };
        if (minVersion !== undefined) route.since = minVersion;
        routes.push(route);
        continue;
      }
      if (used.has(key)) notes.push(`${method} ${template} is registered twice`);
      used.add(key);
      const route: RouteSpec = {
        operation: op.operation,
        method,
        template,
        api: "docker",
        since: op.since,
        query: op.query,
        source: "swagger",
      };
      if (op.trueByDefault.size > 0) route.trueByDefault = [...op.trueByDefault].sort();
      if (op.until !== newest) route.until = op.until;
      routes.push(route);
    }
  }
  if (unnamed.length > 0) {
    throw new Error(`Name these router-only routes in ROUTER_NAMES: ${unnamed.join(", ")}`);
  }
  // Documented, but no router serves them any more: kept with their versions.
  for (const [key, op] of ops) {
    if (used.has(key)) continue;
    const method = key.slice(0, key.indexOf(" "));
    notes.push(`${method} ${op.template} (${op.operation}) is documented but not routed`);
    routes.push({
      operation: op.operation,
      method,
      template: op.template,
      api: "docker",
      since: op.since,
      until: op.until,
      query: op.query,
      source: "swagger",
    });
  }
  return { versions, routes, notes };
}
