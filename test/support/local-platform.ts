import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envVar } from "../../src/credentials/names.js";
import type { ApiMode } from "../../src/local/paths.js";
import { localPaths } from "../../src/local/paths.js";
import { type RunningPlatform, type ServeOptions, startLocalPlatform } from "../../src/local/server/start.js";
import { decodeToken } from "../../src/platform/token.js";

/** Every integration suite that talks to the platform API runs in both modes. */
export const API_MODES: ApiMode[] = ["real", "extended"];

/**
 * A host-port range of its own for each vitest worker, so suites running in parallel never
 * compete for the same ports.
 */
export function workerPortRange(): [number, number] {
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  const low = 31000 + (worker % 16) * 100;
  return [low, low + 99];
}

/** A local platform in this process, with its own state directory and ephemeral ports. */
export async function startTestPlatform(
  options: ServeOptions = {},
): Promise<RunningPlatform & { home: string }> {
  const home = mkdtempSync(join(tmpdir(), "svc-platform-"));
  const running = await startLocalPlatform({
    paths: localPaths({ SVC_HOME: home }),
    apiPort: 0,
    httpPort: 0,
    httpsPort: 0,
    hostPortRange: workerPortRange(),
    ...options,
  });
  return { ...running, home };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** A minimal client for one service's API, as any HTTP client would call it. */
export class ServiceApi {
  readonly url: string;
  readonly secret: string;

  constructor(token: string, url?: string) {
    const { host, secret } = decodeToken(token);
    this.url = url ?? host;
    this.secret = secret;
  }

  /** The same service's API at another address (a restarted platform listening elsewhere). */
  at(url: string, token: string): ServiceApi {
    return new ServiceApi(token, url);
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    // Reads are retried, so tests can inspect a platform that injects faults.
    let response: Response | undefined;
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await fetch(`${this.url}${path}`, {
          method,
          headers: {
            secret: this.secret,
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        if (method === "GET" && response.status === 503 && attempt < 10) response = undefined;
      } catch (error) {
        if (method !== "GET" || attempt >= 10) throw error;
      }
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // plain text (logs)
    }
    return { status: response.status, body: parsed as T };
  }
}

export async function createService(
  platform: RunningPlatform,
  input: { units: number; persistStorage?: boolean; specifiedPort?: boolean; name?: string },
): Promise<{ id: string; token: string; api: ServiceApi }> {
  const response = await fetch(`${platform.info.apiUrl}/admin/v1/services`, {
    method: "POST",
    headers: { authorization: `Bearer ${platform.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  if (response.status !== 201) throw new Error(`create service: ${response.status} ${await response.text()}`);
  const { id, token } = (await response.json()) as { id: string; token: string };
  return { id, token, api: new ServiceApi(token) };
}

/**
 * Until the platform's reads show every change made to the service (real mode shows a change
 * late, as a Kubernetes rollout): for tests that change it through the API, then read it with svc.
 */
export async function caughtUp(platform: RunningPlatform, serviceId: string): Promise<void> {
  await eventually(async () => (platform.platform.views.caughtUp(serviceId) ? true : undefined));
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out${last ? `: ${(last as Error).message}` : ""}`);
}

/**
 * GET a URL's body as text (undefined while it does not answer 200). node:http rather than fetch,
 * because fetch does not let a caller set the Host header the domain proxy routes by.
 */
export function page(url: string, headers: Record<string, string> = {}): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, timeout: 3000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve(res.statusCode === 200 ? text : undefined));
      res.on("error", () => resolve(undefined));
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
  });
}

/** A one-container manifest serving the hello page on 8080, with extra metadata and spec lines. */
export function helloManifest(
  name: string,
  target: string,
  extra: { metadata?: string; spec?: string } = {},
): string {
  return `apiVersion: svc/v1
kind: Service
metadata:
  name: ${name}
${extra.metadata ?? ""}spec:
  target: ${target}
  containers:
    - name: web
      image: svc-examples/hello:1.0
      ports: [8080]
      command: [/bin/httpd, -f, -p, "8080", -h, /www]
${extra.spec ?? ""}`;
}

/**
 * Writes N one-container manifests (service s<i> → target t<i>) into a fresh directory and
 * creates their user services; returns the directory and the env that carries their tokens.
 */
export async function manyServices(
  platform: RunningPlatform,
  count: number,
  extra = "",
): Promise<{ dir: string; env: Record<string, string>; apis: ServiceApi[] }> {
  const dir = mkdtempSync(join(tmpdir(), "svc-many-"));
  const env: Record<string, string> = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent" };
  const apis: ServiceApi[] = [];
  for (let i = 0; i < count; i++) {
    const {
      id: target,
      token,
      api,
    } = await createService(platform, { units: 1, name: `t${i}-${Date.now() % 100000}` });
    env[envVar("target", target)] = token;
    apis.push(api);
    mkdirSync(join(dir, `s${i}`));
    writeFileSync(
      join(dir, `s${i}`, "service.yaml"),
      helloManifest(`s${i}`, target, {
        metadata: `  description: service ${i}\n  labels: { index: "${i}" }\n`,
        spec: `  domains:\n    - { name: s${i}-${target}.many.test, port: 8080 }\n${extra}`,
      }),
    );
  }
  return { dir, env, apis };
}

/**
 * A platform with one user service shaped like `local` (8 units, storage, specified ports), and
 * the environment svc needs to deploy examples/shop to it as target `local`, with no keychain.
 */
export async function startShopTarget(
  dbPassword: string,
  api: ApiMode = "extended",
): Promise<{
  platform: RunningPlatform & { home: string };
  api: ServiceApi;
  id: string;
  env: Record<string, string>;
}> {
  const platform = await startTestPlatform({ api });
  const created = await createService(platform, { units: 8, persistStorage: true, specifiedPort: true });
  return {
    platform,
    api: created.api,
    id: created.id,
    env: {
      SVC_TOKEN_LOCAL: created.token,
      SVC_SECRET_SHOP_DB_PASSWORD: dbPassword,
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    },
  };
}

/**
 * What the platform holds for a service, read in-process: assigned host ports and the internal
 * revision exist in both modes, though only the extended API shows them.
 */
export function platformRecord(platform: RunningPlatform, serviceId: string) {
  const store = platform.platform.store;
  const deployment = store.deployment(serviceId);
  return {
    revision: store.service(serviceId)?.revision ?? 0,
    hostPort: (container: string, containerPort?: number) =>
      deployment?.containers
        .find((c) => c.name === container)
        ?.ports.find((p) => containerPort === undefined || p.containerPort === containerPort)?.hostPort,
    notices: store.notices(serviceId, 1, 500).notices.map((n) => n.type),
  };
}
