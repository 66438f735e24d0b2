import type { ServiceToken } from "./token.js";

/** The user service as GET /api/v1/k8s/userService returns it. */
export interface UserService {
  id: string;
  status: "ServicePending" | "ServiceRunning" | "ServiceStop" | "ServiceDone" | "ServiceAbort";
  serviceOptions: {
    resourceUnit: string;
    persistStorage: "Yes" | "No";
    region: string;
    specifiedPort?: boolean;
  };
  createdAt: string;
  expiresAt: string;
  duration: number;
  description: string;
  labels: Record<string, string>;
  revision: number;
}

export interface LivePort {
  containerPort: number;
  hostPort: number;
  protocol: "TCP" | "UDP";
}

/** A deployed container as GET /api/v1/k8s/deployment/info returns it (secrets included). */
export interface LiveContainer {
  name: string;
  imageName: string;
  resourceUnit: number;
  ports: LivePort[];
  envs: { name: string; value: string }[];
  mountPath: string;
  command: string[];
  args: string[];
  configMap?: Record<string, string>;
}

export interface LiveDomain {
  domain: string;
  containerPort: number;
  isHttps: boolean;
}

export interface PodStatus {
  podStatus: {
    phase: string;
    hostIP?: string;
    containerStatuses: {
      name: string;
      image: string;
      ready: boolean;
      restartCount: number;
      state: Record<string, Record<string, unknown>>;
    }[];
  };
  domains: LiveDomain[];
}

export interface ContainerStats {
  cpu: number;
  memory: { value: number; limitValue: number };
  networkDownload: number;
  networkUpload: number;
  storage: number;
}

export interface Notice {
  time: string;
  serviceID: string;
  type: string;
  message?: string;
}

export interface RegistryLogin {
  username: string;
  password: string;
}

/** The platform answered with an error: `{ error: { code, message } }` and its HTTP status. */
export class PlatformHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The platform could not be reached (DNS, refused, reset, timeout), after any retries. */
export class PlatformUnreachable extends Error {}

/** What svc needs from a platform: the HTTP implementation below; fakes in unit tests. */
export interface PlatformClient {
  readonly host: string;
  userService(): Promise<UserService>;
  /** Undefined when nothing was ever deployed. */
  deploymentInfo(): Promise<LiveContainer[] | undefined>;
  podStatus(): Promise<PodStatus>;
  configMaps(): Promise<Record<string, Record<string, string> | string>>;
  imageAvailable(image: string, login?: RegistryLogin): Promise<boolean>;
  takenPorts(ports: number[], region: string, serviceId: string): Promise<number[]>;
  /** The last lines a container wrote. */
  logTail(container: string, lines: number): Promise<string>;
}

export interface ClientOptions {
  timeoutMs?: number;
  /** Attempts for idempotent calls (first try included); default 8. */
  attempts?: number;
  /** Base of the exponential backoff, in ms. */
  backoffMs?: number;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

export class HttpPlatformClient implements PlatformClient {
  readonly host: string;

  constructor(
    private readonly token: ServiceToken,
    private readonly options: ClientOptions = {},
  ) {
    this.host = token.host;
  }

  userService(): Promise<UserService> {
    return this.get<UserService>("/api/v1/k8s/userService");
  }

  async deploymentInfo(): Promise<LiveContainer[] | undefined> {
    try {
      return (await this.get<{ containers: LiveContainer[] }>("/api/v1/k8s/deployment/info")).containers;
    } catch (error) {
      if (error instanceof PlatformHttpError && error.status === 404) return undefined;
      throw error;
    }
  }

  podStatus(): Promise<PodStatus> {
    return this.get<PodStatus>("/api/v1/k8s/pod/status");
  }

  configMaps(): Promise<Record<string, Record<string, string> | string>> {
    return this.get("/api/v1/k8s/pod/configmap");
  }

  async imageAvailable(image: string, login?: RegistryLogin): Promise<boolean> {
    const { name, tag } = splitImage(image);
    const query = new URLSearchParams({ image: name, ...(tag ? { tag } : {}) });
    const headers: Record<string, string> = login
      ? {
          username: Buffer.from(login.username).toString("base64"),
          password: Buffer.from(login.password).toString("base64"),
        }
      : {};
    try {
      await this.request("GET", `/api/v1/k8s/images?${query}`, undefined, headers, true);
      return true;
    } catch (error) {
      if (error instanceof PlatformHttpError && error.status === 404) return false;
      throw error;
    }
  }

  async takenPorts(ports: number[], region: string, serviceId: string): Promise<number[]> {
    if (ports.length === 0) return [];
    // checkports only reads: safe to retry although it is a POST.
    const r = await this.request<{ taken: number[] }>(
      "POST",
      "/api/v1/k8s/checkports",
      { region, ports, userServiceID: serviceId },
      {},
      true,
    );
    return r.taken;
  }

  async logTail(container: string, lines: number): Promise<string> {
    const query = new URLSearchParams({ container, tail: String(lines) });
    const response = await fetch(`${this.host}/api/v1/k8s/pod/logs?${query}`, {
      headers: { secret: this.token.secret },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    return response.ok ? await response.text() : "";
  }

  monitor(): Promise<Record<string, ContainerStats>> {
    return this.get("/api/v1/monitor");
  }

  notices(page: number, pageSize: number): Promise<{ total: number; notices: Notice[] }> {
    return this.get(`/api/v1/k8s/notice?current=${page}&pageSize=${pageSize}`);
  }

  /** restart, stop (pause) or start (resume) the pod; not retried (not idempotent for restart). */
  lifecycle(action: "restart" | "stop" | "start"): Promise<{ revision: number }> {
    return this.request("POST", `/api/v1/k8s/pod/${action}`, undefined, {}, action !== "restart");
  }

  /** The log stream of a container; with follow it ends only when the signal aborts it. */
  async logStream(
    container: string,
    options: { tail?: number; follow?: boolean; since?: number; signal?: AbortSignal },
  ): Promise<ReadableStream<Uint8Array>> {
    const query = new URLSearchParams({ container });
    if (options.tail !== undefined) query.set("tail", String(options.tail));
    if (options.follow) query.set("follow", "true");
    if (options.since !== undefined) query.set("since", String(options.since));
    const response = await fetch(`${this.host}/api/v1/k8s/pod/logs?${query}`, {
      headers: { secret: this.token.secret },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok || !response.body) {
      const err = (
        (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined
      )?.error;
      throw new PlatformHttpError(response.status, response.status, err?.message ?? response.statusText);
    }
    return response.body;
  }

  protected get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path, undefined, {}, true);
  }

  /**
   * One API call. Idempotent calls are retried with exponential backoff and jitter on 5xx, 429
   * (honouring Retry-After), resets and timeouts; other calls are never retried blindly.
   */
  protected async request<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    idempotent: boolean,
  ): Promise<T> {
    const attempts = idempotent ? (this.options.attempts ?? 8) : 1;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${this.host}${path}`, {
          method,
          // The secret travels only in this header: never in a URL, an argument or a log line.
          headers: {
            secret: this.token.secret,
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
        });
      } catch (error) {
        if (attempt < attempts) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new PlatformUnreachable(`cannot reach ${this.host}: ${networkReason(error)}`);
      }
      if (RETRYABLE_STATUS.has(response.status) && attempt < attempts) {
        await response.body?.cancel();
        await sleep(retryAfterMs(response.headers.get("retry-after")) ?? this.backoff(attempt));
        continue;
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const err = (json as { error?: { code?: number; message?: string } } | undefined)?.error;
        throw new PlatformHttpError(
          response.status,
          err?.code ?? response.status,
          err?.message ?? response.statusText,
        );
      }
      return json as T;
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min((this.options.backoffMs ?? 100) * 2 ** (attempt - 1), 2000);
    return base / 2 + Math.random() * base; // jitter: 0.5x to 1.5x
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, 30_000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, Math.min(date - Date.now(), 30_000)) : undefined;
}

function networkReason(error: unknown): string {
  if ((error as Error).name === "TimeoutError") return "timed out";
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** `ghcr.io/acme/web:1.2` → name `ghcr.io/acme/web`, tag `1.2`; digests stay in the name. */
export function splitImage(image: string): { name: string; tag?: string } {
  if (image.includes("@")) return { name: image };
  const slash = image.lastIndexOf("/");
  const colon = image.indexOf(":", slash + 1);
  return colon >= 0 ? { name: image.slice(0, colon), tag: image.slice(colon + 1) } : { name: image };
}
