// Longer than 300 lines: the route table of the provider API as the local platform serves it, one
// short handler per route, plus fault injection for tests; the behaviour behind the routes is in
// platform.ts and views.ts.
import { Transform } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { RegistryLogin } from "../../platform/model.js";
import { KEY_RULE } from "../../platform/rules.js";
import { encodeToken } from "../../platform/token.js";
import { sleep } from "../../util/poll.js";
import type { ApiMode } from "../paths.js";
import type { ContainerInput } from "./deployment-rules.js";
import { apiDocument, routeSchemas } from "./openapi.js";
import type { Platform } from "./platform.js";
import { PlatformError } from "./platform-error.js";
import type { ServiceRecord } from "./store.js";

/** Faults injected into /api/v1 calls, only when the server is started with them (for tests). */
export interface FaultOptions {
  latencyMs?: number;
  jitterMs?: number;
  /** Share of calls answered 503 before anything happens. */
  errorRate?: number;
  /** Share of connections reset: half before the call, half after it took effect. */
  resetRate?: number;
  /** Share of calls answered HTTP 200 with `{error: {code: 500}}`, nothing applied. */
  errorBodyRate?: number;
  /** Share of mutations that take effect and then lose their answer (a reset or a 502). */
  lostAnswerRate?: number;
  /** PATCH pod/ingress answers 501, like providers older than the call. */
  ingressPatch501?: boolean;
  /**
   * A careless provider: this share of mutations fails with 500, and every error answer echoes
   * the request — headers, body verbatim, URL-encoded and in base64 — in its message.
   */
  echoRate?: number;
}

declare module "fastify" {
  interface FastifyRequest {
    service: ServiceRecord;
  }
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
/** How a route authenticates: the service `secret`, the admin token, a wallet `address` (notices), or not at all. */
type Auth = "secret" | "admin" | "notice" | "none";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Reads that the public clients make with POST: not mutations. */
const READ_ONLY_POSTS = new Set(["/api/v1/k8s/checkports"]);

/** The platform API over HTTP: routes, request validation from the OpenAPI file, auth, errors. */
export function buildApi(
  platform: Platform,
  options: { adminToken: string; hostUrl: () => string; faults?: FaultOptions; mode: ApiMode },
): FastifyInstance {
  const { adminToken, faults = {}, mode } = options;
  // Union types (command: a list or a string) are part of the public API.
  const app = Fastify({
    logger: false,
    bodyLimit: 8 * 1024 * 1024,
    ajv: { customOptions: { allowUnionTypes: true } },
  });
  const schemas = routeSchemas(mode);
  const capabilities = apiDocument(mode).capabilities;

  // vkube sends JSON bodies with no Content-Type, the market CLI `{}` on bodiless calls: every
  // body is parsed as JSON whatever its Content-Type, and an empty body is no body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, text, done) => {
    const body = String(text);
    if (body.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(body, refuseProtoKeys));
    } catch (error) {
      const message = error instanceof ProtoKey ? error.message : "the body is not JSON";
      done(Object.assign(new Error(message), { statusCode: 400 }), undefined);
    }
  });
  app.addHook("onRequest", async (req) => {
    if (MUTATING.has(req.method) && !req.headers["content-type"]) {
      req.headers["content-type"] = "application/json";
    }
  });

  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number }, _req, reply) => {
    if (error instanceof PlatformError) return sendError(reply, error.status, error.message);
    if (error.validation) return sendError(reply, 400, error.message);
    if (error.statusCode && error.statusCode < 500) return sendError(reply, error.statusCode, error.message);
    reply.log.error(error);
    return sendError(reply, 500, `internal error: ${error.message}`);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, `no route ${req.method} ${req.url.split("?")[0]}`),
  );

  installFaults(app, faults);

  const route = (
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    handler: Handler,
    auth: Auth = "secret",
  ) => {
    // Routes of capabilities this mode does not offer are simply absent: 404, as on real providers.
    const schema = schemas.get(`${method} ${path}`);
    if (!schema) return;
    app.route({
      method,
      url: path,
      schema,
      // Authentication first: an unauthenticated request learns nothing, not even why its body is wrong.
      onRequest: async (req, reply) => {
        if (auth === "none") return;
        if (auth === "admin") {
          if (req.headers.authorization !== `Bearer ${adminToken}`)
            return sendError(reply, 401, "admin token required");
          return;
        }
        const secret = header(req, "secret");
        const service = platform.authenticate(secret);
        if (auth === "notice") {
          // Public: the wallet `address`. notice-secret (extended): the service's own secret.
          if (service && platform.extended) req.service = service;
          else if (!header(req, "address")) return sendError(reply, 401, "the wallet address is required");
          return;
        }
        if (!service) return sendError(reply, 401, "missing or wrong secret");
        req.service = service;
      },
      handler,
    });
  };

  const ifRevision = (req: FastifyRequest) => {
    const value = header(req, "if-revision");
    return platform.extended && value !== undefined ? Number(value) : undefined;
  };
  const body = <T>(req: FastifyRequest) => req.body as T;
  const query = <T>(req: FastifyRequest) => req.query as T;

  route("GET", "/healthz", async () => ({ ok: true, api: mode }), "none");

  route(
    "POST",
    "/admin/v1/services",
    async (req, reply) => {
      const { service, secret } = platform.createService(
        body<{
          units: number;
          persistStorage?: boolean;
          specifiedPort?: boolean;
          durationHours?: number;
          name?: string;
        }>(req),
      );
      reply.code(201);
      return { id: service.id, token: encodeToken({ host: options.hostUrl(), secret }) };
    },
    "admin",
  );
  route(
    "GET",
    "/admin/v1/services",
    async (req) => {
      const { status } = query<{ status?: string }>(req);
      // The admin listing adds each service's domains (for `svc local status`'s curl lines).
      const all = platform.store.services().map((s) => ({
        ...platform.views.view(s),
        domains: platform.store.domains(s.id).map((d) => ({ domain: d.domain, https: d.isHttps })),
      }));
      return { services: status ? all.filter((s) => s.status === status) : all };
    },
    "admin",
  );

  route("GET", "/api/v1/svc/capabilities", async () => ({ capabilities }));
  route("GET", "/api/v1/k8s/userService", async (req) => platform.views.view(req.service));

  type DeployBody = { containers: ContainerInput[]; pvtLogin?: RegistryLogin[] };
  route("POST", "/api/v1/k8s/deployment", async (req) =>
    platform.deploy(req.service.id, body<DeployBody>(req), { first: true, ifRevision: ifRevision(req) }),
  );
  route("POST", "/api/v1/k8s/deployment/update", async (req) =>
    platform.deploy(req.service.id, body<DeployBody>(req), { first: false, ifRevision: ifRevision(req) }),
  );
  route("GET", "/api/v1/k8s/deployment/info", async (req) => platform.views.deploymentInfo(req.service));
  route("POST", "/api/v1/k8s/deployment/metadata/annotation", async (req) =>
    platform.setDescription(req.service.id, body<{ description: string }>(req).description, ifRevision(req)),
  );
  route("POST", "/api/v1/k8s/deployment/metadata/label", async (req) =>
    platform.setLabels(
      req.service.id,
      body<{ customizedLabel?: string; labels?: Record<string, string> }>(req),
      ifRevision(req),
    ),
  );

  route("GET", "/api/v1/k8s/pod/status", async (req) => platform.views.podStatus(req.service));
  for (const action of ["restart", "stop", "start"] as const) {
    route("POST", `/api/v1/k8s/pod/${action}`, async (req) =>
      platform.lifecycle(req.service.id, action, ifRevision(req)),
    );
  }
  route("PATCH", "/api/v1/k8s/pod/images", async (req) =>
    platform.updateImages(
      req.service.id,
      body<{ image: string; login?: RegistryLogin; container?: string }[]>(req),
      ifRevision(req),
    ),
  );
  route("PUT", "/api/v1/k8s/pod/update", async (req) =>
    platform.updatePod(
      req.service.id,
      body<{
        config?: Record<string, string | Record<string, string>>;
        environment?: Record<string, Record<string, string>>;
      }>(req) ?? {},
      ifRevision(req),
    ),
  );
  route("GET", "/api/v1/k8s/pod/configmap", async (req) =>
    platform.views.configMaps(req.service, query<{ format?: string }>(req).format === "paths"),
  );
  route("GET", "/api/v1/k8s/pod/logs", async (req, reply) => {
    const q = query<{ container: string; tail?: number; follow?: boolean; since?: number }>(req);
    // logs-query (extended, asked for with any of its parameters): plain text that ends unless
    // following. Otherwise the public shape: an SSE stream of the whole log that always follows.
    const plain =
      platform.extended && (q.tail !== undefined || q.follow !== undefined || q.since !== undefined);
    const stream = await platform.logs(
      req.service,
      q.container,
      plain
        ? {
            ...(q.tail !== undefined ? { tail: q.tail } : {}),
            ...(q.since !== undefined ? { since: q.since } : {}),
            follow: q.follow ?? false,
          }
        : { follow: true },
    );
    req.raw.on("close", () => stream.destroy());
    if (plain) return reply.type("text/plain; charset=utf-8").send(stream);
    reply.raw.on("close", () => stream.destroy());
    return reply.type("text/event-stream").header("cache-control", "no-cache").send(stream.pipe(sseLines()));
  });
  route("GET", "/api/v1/monitor", async (req) => {
    const { containers, allContainers } = query<{ containers?: string; allContainers?: string }>(req);
    const names = allContainers || !containers ? undefined : containers.split(",").filter(Boolean);
    return platform.views.monitor(req.service, names);
  });
  route(
    "GET",
    "/api/v1/k8s/notice",
    async (req) => {
      const q = query<{ current?: number; pageSize?: number; serviceID?: string }>(req);
      const serviceId = req.service?.id ?? q.serviceID ?? "";
      return platform.views.notices(serviceId, q.current ?? 1, q.pageSize ?? 20);
    },
    "notice",
  );

  route("POST", "/api/v1/k8s/pod/ingress", async (req) =>
    platform.bindDomain(
      req.service.id,
      body<{ domain: string; containerPort: number; isLetsencrypt?: boolean }>(req),
      ifRevision(req),
    ),
  );
  route("PATCH", "/api/v1/k8s/pod/ingress", async (req, reply) => {
    if (faults.ingressPatch501)
      return sendError(reply, 501, "injected fault: provider too old for this call");
    return platform.unbindDomains(req.service.id, body<{ domains: string[] }>(req).domains, ifRevision(req));
  });
  route("DELETE", "/api/v1/k8s/pod/ingress", async (req) =>
    platform.unbindDomains(req.service.id, undefined, ifRevision(req)),
  );

  route(
    "GET",
    "/api/v1/k8s/images",
    async (req, reply) => {
      const q = query<{ image: string; tag?: string }>(req);
      const ref = q.tag ? `${q.image}:${q.tag}` : q.image;
      const decode = (h: string | undefined) => (h ? Buffer.from(h, "base64").toString("utf8") : "");
      const login = { username: decode(header(req, "username")), password: decode(header(req, "password")) };
      if (await platform.imageAvailable(ref, login.username ? login : undefined))
        return { image: ref, available: true };
      return sendError(reply, 404, `image ${ref} does not exist or cannot be pulled with the given login`);
    },
    "none",
  );
  route(
    "POST",
    "/api/v1/k8s/checkports",
    async (req) => {
      const b = body<{ ports: number[]; userServiceID?: string }>(req);
      const occupied = await Promise.all(b.ports.map((p) => platform.portOccupied(b.userServiceID, p)));
      return { status: occupied.some(Boolean) ? "Occupied" : "NotOccupied" };
    },
    "none",
  );

  return app;
}

function installFaults(app: FastifyInstance, faults: FaultOptions): void {
  const api = (req: FastifyRequest) => req.url.startsWith("/api/v1/");
  const mutation = (req: FastifyRequest) =>
    api(req) && MUTATING.has(req.method) && !READ_ONLY_POSTS.has(req.url.split("?")[0] ?? "");
  const chance = (rate: number | undefined) => Math.random() < (rate ?? 0);
  app.addHook("onRequest", async (req, reply) => {
    if (!api(req)) return;
    const delay = (faults.latencyMs ?? 0) + Math.random() * (faults.jitterMs ?? 0);
    if (delay > 0) await sleep(delay);
    if (chance((faults.resetRate ?? 0) / 2)) {
      req.raw.socket.destroy();
      return reply;
    }
    if (chance(faults.errorRate)) return sendError(reply, 503, "injected fault: service unavailable");
    if (chance(faults.errorBodyRate)) {
      return reply
        .code(200)
        .type("application/json")
        .send({ error: { code: 500, message: "injected fault: internal error" } });
    }
  });
  if (faults.echoRate) {
    const echoRate = faults.echoRate;
    app.addHook("preHandler", async (req, reply) => {
      if (mutation(req) && chance(echoRate)) return sendError(reply, 500, "injected fault: internal error");
    });
    app.addHook("onSend", async (req, reply, payload) => {
      if (!api(req) || reply.statusCode < 400 || typeof payload !== "string") return payload;
      return echoRequest(req, payload);
    });
  }
  // After the call took effect: the answer is lost (a reset, or a 502 from a gateway).
  app.addHook("onSend", async (req, reply, payload) => {
    if (!api(req) || reply.statusCode >= 400) return payload;
    if (chance((faults.resetRate ?? 0) / 2)) req.raw.socket.destroy();
    else if (mutation(req) && chance(faults.lostAnswerRate)) {
      if (Math.random() < 0.5) req.raw.socket.destroy();
      else {
        reply.code(502).type("application/json");
        return JSON.stringify({ error: { code: 502, message: "injected fault: bad gateway" } });
      }
    }
    return payload;
  });
}

/** An error answer that repeats the request it failed, every way a careless provider might. */
function echoRequest(req: FastifyRequest, payload: string): string {
  let error: { code?: number; message?: string } = {};
  try {
    error = (JSON.parse(payload) as { error?: typeof error }).error ?? {};
  } catch {
    // not JSON: echo anyway
  }
  const body = req.body === undefined ? "" : JSON.stringify(req.body);
  const request = {
    method: req.method,
    url: req.url,
    headers: req.headers,
    body,
    bodyUrlEncoded: encodeURIComponent(body),
    bodyBase64: Buffer.from(body).toString("base64"),
  };
  return JSON.stringify({
    error: { ...error, message: `${error.message ?? "error"}; request was ${JSON.stringify(request)}` },
    request,
  });
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Log text → SSE events as the public API sends them: `event:message`, `data:<JSON string>`. */
function sseLines(): Transform {
  let rest = "";
  const sse = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      done(null, lines.map((l) => `event:message\ndata:${JSON.stringify(l)}\n\n`).join(""));
    },
    flush(done) {
      done(null, rest ? `event:message\ndata:${JSON.stringify(rest)}\n\n` : "");
    },
  });
  // A comment first, so the answer starts (headers included) even while the log is empty.
  sse.push(": connected\n\n");
  return sse;
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .type("application/json")
    .send({ error: { code: status, message } });
}

class ProtoKey extends Error {}

/**
 * No body has a use for keys that name an object's prototype, and code that copies or merges a
 * body could be led to change every object: a body with one, at any depth, is refused (400). The
 * rule is in platform/rules.ts, which svc validate checks too.
 */
export function refuseProtoKeys(key: string, value: unknown): unknown {
  if (KEY_RULE.breaks(key)) throw new ProtoKey(`the body has a key "${key}", which no request may carry`);
  return value;
}
