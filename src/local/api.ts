import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { encodeToken } from "../platform/token.js";
import { routeSchemas } from "./openapi.js";
import { type ContainerInput, type Platform, PlatformError } from "./platform.js";
import type { Login } from "./runtime.js";
import type { ServiceRecord } from "./store.js";

/** Faults injected into /api/v1 calls, only when the server is started with them (for tests). */
export interface FaultOptions {
  latencyMs?: number;
  jitterMs?: number;
  errorRate?: number;
  resetRate?: number;
}

declare module "fastify" {
  interface FastifyRequest {
    service: ServiceRecord;
  }
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The platform API over HTTP: routes, request validation from the OpenAPI file, auth, errors. */
export function buildApi(
  platform: Platform,
  options: { adminToken: string; hostUrl: () => string; faults?: FaultOptions },
): FastifyInstance {
  const { adminToken, faults = {} } = options;
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  const schemas = routeSchemas();

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

  if (faults.latencyMs || faults.jitterMs || faults.errorRate || faults.resetRate) {
    app.addHook("onRequest", async (req, reply) => {
      if (!req.url.startsWith("/api/v1/")) return;
      const delay = (faults.latencyMs ?? 0) + Math.random() * (faults.jitterMs ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (Math.random() < (faults.resetRate ?? 0) / 2) {
        req.raw.socket.destroy();
        return reply;
      }
      if (Math.random() < (faults.errorRate ?? 0))
        return sendError(reply, 503, "injected fault: service unavailable");
    });
    // The other half of the resets happen after the call took effect: the response is lost.
    app.addHook("onSend", async (req, _reply, payload) => {
      if (req.url.startsWith("/api/v1/") && Math.random() < (faults.resetRate ?? 0) / 2)
        req.raw.socket.destroy();
      return payload;
    });
  }

  const route = (
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    handler: Handler,
    auth = true,
  ) => {
    const schema = schemas.get(`${method} ${path}`);
    if (!schema) throw new Error(`${method} ${path} is not in platform-api.openapi.yaml`);
    app.route({
      method,
      url: path,
      schema,
      preHandler: async (req, reply) => {
        if (!auth) return;
        if (path.startsWith("/admin/")) {
          if (req.headers.authorization !== `Bearer ${adminToken}`)
            return sendError(reply, 401, "admin token required");
          return;
        }
        const secret = req.headers.secret;
        const service = platform.authenticate(typeof secret === "string" ? secret : undefined);
        if (!service) return sendError(reply, 401, "missing or wrong secret");
        req.service = service;
      },
      handler,
    });
  };

  const ifRevision = (req: FastifyRequest) => {
    const value = req.headers["if-revision"];
    return typeof value === "string" ? Number(value) : undefined;
  };
  const body = <T>(req: FastifyRequest) => req.body as T;
  const query = <T>(req: FastifyRequest) => req.query as T;

  route("GET", "/healthz", async () => ({ ok: true }), false);

  route("POST", "/admin/v1/services", async (req, reply) => {
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
  });
  route("GET", "/admin/v1/services", async (req) => {
    const { status } = query<{ status?: string }>(req);
    const all = platform.store.services().map((s) => platform.view(s));
    return { services: status ? all.filter((s) => s.status === status) : all };
  });

  route("GET", "/api/v1/k8s/userService", async (req) => platform.view(req.service));

  type DeployBody = { containers: ContainerInput[]; pvtLogin?: Login[] };
  route("POST", "/api/v1/k8s/deployment", async (req) =>
    platform.deploy(req.service.id, body<DeployBody>(req), { first: true, ifRevision: ifRevision(req) }),
  );
  route("POST", "/api/v1/k8s/deployment/update", async (req) =>
    platform.deploy(req.service.id, body<DeployBody>(req), { first: false, ifRevision: ifRevision(req) }),
  );
  route("GET", "/api/v1/k8s/deployment/info", async (req) => platform.deploymentInfo(req.service));
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

  route("GET", "/api/v1/k8s/pod/status", async (req) => platform.podStatus(req.service));
  route("POST", "/api/v1/k8s/pod/restart", async (req) =>
    platform.lifecycle(req.service.id, "restart", ifRevision(req)),
  );
  route("POST", "/api/v1/k8s/pod/stop", async (req) =>
    platform.lifecycle(req.service.id, "stop", ifRevision(req)),
  );
  route("POST", "/api/v1/k8s/pod/start", async (req) =>
    platform.lifecycle(req.service.id, "start", ifRevision(req)),
  );
  route("PATCH", "/api/v1/k8s/pod/images", async (req) =>
    platform.updateImages(
      req.service.id,
      body<{ image: string; login?: Login; container?: string }[]>(req),
      ifRevision(req),
    ),
  );
  route("PUT", "/api/v1/k8s/pod/update", async (req) =>
    platform.updatePod(
      req.service.id,
      body<{
        config?: Record<string, string | Record<string, string>>;
        environment?: Record<string, Record<string, string>>;
      }>(req),
      ifRevision(req),
    ),
  );
  route("GET", "/api/v1/k8s/pod/configmap", async (req) => platform.configMaps(req.service));
  route("GET", "/api/v1/k8s/pod/logs", async (req, reply) => {
    const q = query<{ container: string; tail?: number; follow?: boolean; since?: number }>(req);
    const stream = await platform.logs(req.service, q.container, {
      ...(q.tail !== undefined ? { tail: q.tail } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      follow: q.follow ?? false,
    });
    req.raw.on("close", () => stream.destroy());
    return reply.type("text/plain; charset=utf-8").send(stream);
  });
  route("GET", "/api/v1/monitor", async (req) => {
    const { containers } = query<{ containers?: string }>(req);
    return platform.monitor(req.service, containers ? containers.split(",").filter(Boolean) : undefined);
  });
  route("GET", "/api/v1/k8s/notice", async (req) => {
    const q = query<{ current: number; pageSize: number }>(req);
    return platform.notices(req.service, q.current, q.pageSize);
  });

  route("POST", "/api/v1/k8s/pod/ingress", async (req) =>
    platform.bindDomain(
      req.service.id,
      body<{ domain: string; containerPort: number; isLetsencrypt?: boolean }>(req),
      ifRevision(req),
    ),
  );
  route("PATCH", "/api/v1/k8s/pod/ingress", async (req) =>
    platform.unbindDomains(req.service.id, body<{ domains: string[] }>(req).domains, ifRevision(req)),
  );
  route("DELETE", "/api/v1/k8s/pod/ingress", async (req) =>
    platform.unbindDomains(req.service.id, undefined, ifRevision(req)),
  );

  route("GET", "/api/v1/k8s/images", async (req, reply) => {
    const q = query<{ image: string; tag?: string }>(req);
    const ref = q.tag ? `${q.image}:${q.tag}` : q.image;
    const decode = (h: unknown) => (typeof h === "string" ? Buffer.from(h, "base64").toString("utf8") : "");
    const login = { username: decode(req.headers.username), password: decode(req.headers.password) };
    if (await platform.imageAvailable(ref, login.username ? login : undefined))
      return { image: ref, available: true };
    return sendError(reply, 404, `image ${ref} does not exist or cannot be pulled with the given login`);
  });
  route("POST", "/api/v1/k8s/checkports", async (req) => ({
    taken: await platform.checkPorts(req.service.id, body<{ ports: number[] }>(req).ports),
  }));

  return app;
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .type("application/json")
    .send({ error: { code: status, message } });
}
