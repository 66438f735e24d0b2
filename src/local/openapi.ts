import { readFileSync } from "node:fs";
import { parse } from "yaml";

export const openApiUrl = new URL("../../schemas/platform-api.openapi.yaml", import.meta.url);

interface Parameter {
  name: string;
  in: "query" | "header" | "path";
  required?: boolean;
  schema: object;
  $ref?: string;
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

/**
 * Request schemas for each `METHOD path` of schemas/platform-api.openapi.yaml, with `$ref`s
 * inlined, in the form fastify validates. The server takes them from the same file that documents
 * the API, so the two cannot drift apart.
 */
export function routeSchemas(): Map<string, RouteSchema> {
  const doc = parse(readFileSync(openApiUrl, "utf8"));
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (typeof node !== "object" || node === null) return node;
    const ref = (node as { $ref?: string }).$ref;
    if (ref) {
      const target = ref
        .replace(/^#\//, "")
        .split("/")
        .reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, doc);
      return resolve(target);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
  };
  const out = new Map<string, RouteSchema>();
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = resolve(raw) as Operation;
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
