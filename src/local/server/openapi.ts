import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { packageFile } from "../../util/package-root.js";
import type { ApiMode } from "../paths.js";

const openApiPath = packageFile("schemas/platform-api.openapi.yaml");

/** `real`: only the evidenced API; `extended`: plus svc's capabilities, advertised. */

interface Parameter {
  name: string;
  in: "query" | "header" | "path";
  required?: boolean;
  schema: object;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: { "application/json": { schema: object } } };
}

export interface RouteSchema {
  body?: object;
  querystring?: object;
  headers?: object;
}

const CAPABILITY = "x-svc-capability";

/**
 * The OpenAPI document as a provider in `mode` serves it: with `$ref`s inlined and, in real mode,
 * every item tagged `x-svc-capability` removed (a property, a parameter, an alternative of an
 * anyOf, a whole route). Vendor keys are dropped so the result is plain JSON Schema.
 */
export function apiDocument(mode: ApiMode): {
  paths: Record<string, Record<string, Operation>>;
  capabilities: string[];
} {
  const doc = parse(readFileSync(openApiPath, "utf8"));
  const capabilities = new Set<string>();
  const keep = (node: unknown) => {
    const tag = (node as Record<string, unknown> | null)?.[CAPABILITY];
    const extended = (node as Record<string, unknown> | null)?.["x-svc-extends"];
    if (typeof extended === "string") capabilities.add(extended);
    if (typeof tag === "string" && tag !== "capabilities") capabilities.add(tag);
    return mode === "extended" || tag === undefined;
  };
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node))
      return node
        .filter(keep)
        .map(resolve)
        .filter((x) => x !== undefined);
    if (typeof node !== "object" || node === null) return node;
    const ref = (node as { $ref?: string }).$ref;
    if (ref) {
      const target = ref
        .replace(/^#\//, "")
        .split("/")
        .reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, doc);
      return keep(target) ? resolve(target) : undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith("x-")) continue;
      if (k === "properties" && v && typeof v === "object") {
        out[k] = Object.fromEntries(
          Object.entries(v)
            .filter(([, p]) => keep(p))
            .map(([name, p]) => [name, resolve(p)]),
        );
      } else if (!(v && typeof v === "object" && !Array.isArray(v)) || keep(v)) {
        const resolved = resolve(v);
        if (resolved !== undefined) out[k] = resolved;
      }
    }
    return out;
  };
  const paths: Record<string, Record<string, Operation>> = {};
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const [method, raw] of Object.entries(methods)) {
      if (!keep(raw)) continue;
      paths[path] ??= {};
      (paths[path] as Record<string, Operation>)[method] = resolve(raw) as Operation;
    }
  }
  return { paths, capabilities: mode === "extended" ? [...capabilities].sort() : [] };
}

/**
 * Request schemas for each `METHOD path` a provider in `mode` serves, in the form fastify
 * validates. The server takes them from the same file that documents the API, so the two cannot
 * drift apart; a route missing here answers 404.
 */
export function routeSchemas(mode: ApiMode): Map<string, RouteSchema> {
  const out = new Map<string, RouteSchema>();
  for (const [path, methods] of Object.entries(apiDocument(mode).paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const schema: RouteSchema = {};
      const body = op.requestBody?.content["application/json"].schema;
      if (body) schema.body = body;
      for (const where of ["query", "header"] as const) {
        const params = (op.parameters ?? []).filter((p) => p.in === where);
        if (params.length === 0) continue;
        // HTTP header names arrive lower-cased; query names keep their case.
        const key = (p: Parameter) => (where === "header" ? p.name.toLowerCase() : p.name);
        const object = {
          type: "object",
          properties: Object.fromEntries(params.map((p) => [key(p), p.schema])),
          required: params.filter((p) => p.required).map(key),
        };
        if (where === "query") schema.querystring = object;
        else schema.headers = object;
      }
      out.set(`${method.toUpperCase()} ${path}`, schema);
    }
  }
  return out;
}
