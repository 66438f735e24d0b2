import { redactor } from "../credentials/redact.js";
import { PlatformHttpError, PlatformUnreachable, ProviderLacks } from "../errors.js";
import {
  adaptCapabilities,
  adaptContainers,
  adaptMonitor,
  adaptNotices,
  adaptPod,
  adaptService,
} from "./adapt.js";
import { splitImage } from "./image.js";
import type {
  Capabilities,
  Notice,
  ObservedState,
  PodView,
  RegistryLogin,
  Usage,
  UserService,
} from "./model.js";
import type { ServiceToken } from "./token.js";
import type {
  WireConfigMaps,
  WireDeploymentInfo,
  WireDeploymentRequest,
  WireMonitor,
  WireNoticePage,
  WirePodStatus,
} from "./wire.js";

export type { RegistryLogin };

/** What svc reads from a platform: the HTTP implementation below; fakes in unit tests. */
export interface PlatformClient {
  readonly host: string;
  capabilities(): Promise<Capabilities>;
  userService(): Promise<UserService>;
  /** Service, containers (undefined: never deployed) and domains, through the adapters. */
  observe(): Promise<ObservedState>;
  /** The live state and the pod's runtime view, from one reading of each call. */
  observeWithPod(): Promise<{ state: ObservedState; pod: PodView }>;
  pod(): Promise<PodView>;
  imageAvailable(image: string, login?: RegistryLogin): Promise<boolean>;
  /** Whether a specified host port is held by another service. */
  portTaken(port: number, region: string | undefined, serviceId: string): Promise<boolean>;
  /** The last lines a container wrote; "" when they cannot be read. Never throws. */
  logTail(container: string, lines: number): Promise<string>;
}

export interface ClientOptions {
  timeoutMs?: number;
  /** Attempts for idempotent calls (first try included); default 8. */
  attempts?: number;
  /** Base of the exponential backoff, in ms. */
  backoffMs?: number;
  /** Told before each retry, so a command can show what it is waiting on. */
  onRetry?: (retry: RetryInfo) => void;
}

export interface RetryInfo {
  host: string;
  call: string;
  /** The attempt that failed (1 = the first try) and how many there may be. */
  attempt: number;
  attempts: number;
  reason: string;
}

/** Network failures that mean nothing is there (refused, no such host, a port fetch refuses). */
const ABSENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "bad port"]);
const ABSENT_ATTEMPTS = 3;

/** A mutation's answer: the new revision when the provider has the `revision` capability. */
export type MutationResult = { revision?: number };

export interface DomainBind {
  domain: string;
  containerPort: number;
  /** Only on a base domain's first bind: later binds inherit it. */
  isLetsencrypt?: boolean;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** Capabilities are asked once per target per run. */
const capabilityCache = new Map<string, Promise<Capabilities>>();

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Reads and idempotent calls are retried on 5xx, resets and timeouts; mutations never here. */
  idempotent: boolean;
  /** Send the service secret (every call but images and checkports). */
  auth?: boolean;
  /** Name of the call, for messages. */
  call: string;
}

export class HttpPlatformClient implements PlatformClient {
  readonly host: string;

  constructor(
    private readonly token: ServiceToken,
    private readonly options: ClientOptions = {},
  ) {
    this.host = token.host;
  }

  // ---- reads ----

  capabilities(): Promise<Capabilities> {
    const key = `${this.host}\n${this.token.secret}`;
    let cached = capabilityCache.get(key);
    if (!cached) {
      cached = this.get<unknown>("/api/v1/svc/capabilities", "capabilities").then(
        adaptCapabilities,
        (error) => {
          // 404 (real providers) or any other refusal means none; a platform that stays
          // unreachable or failing (after the usual retries) has not answered the question.
          if (error instanceof PlatformHttpError && !error.transient) return new Set() as Capabilities;
          capabilityCache.delete(key);
          throw error;
        },
      );
      capabilityCache.set(key, cached);
    }
    return cached;
  }

  async has(capability: Parameters<Capabilities["has"]>[0]): Promise<boolean> {
    return (await this.capabilities()).has(capability);
  }

  async userService(): Promise<UserService> {
    const [raw, caps] = await Promise.all([
      this.get<UserService>("/api/v1/k8s/userService", "userService"),
      this.capabilities(),
    ]);
    return adaptService(raw, caps);
  }

  async pod(): Promise<PodView> {
    const [raw, service] = await Promise.all([this.podStatus(), this.userService()]);
    return adaptPod(raw, service.status);
  }

  async observe(): Promise<ObservedState> {
    return (await this.observeWithPod()).state;
  }

  /** The live state and the pod's runtime view, from one reading of each call. */
  async observeWithPod(): Promise<{ state: ObservedState; pod: PodView }> {
    const caps = await this.capabilities();
    const [service, raw, info, configMaps] = await Promise.all([
      this.userService(),
      this.podStatus(),
      this.deploymentInfo(caps),
      this.configMaps(caps),
    ]);
    const containers = adaptContainers({ caps, service, info, pod: raw, configMaps });
    const pod = adaptPod(raw, service.status);
    return { state: { service, ...(containers ? { containers } : {}), domains: pod.domains }, pod };
  }

  async imageAvailable(image: string, login?: RegistryLogin): Promise<boolean> {
    const { name, tag } = splitImage(image);
    const query = new URLSearchParams({ image: name, ...(tag ? { tag } : {}) });
    // Always sent, empty for public images, as the public clients do.
    const base64 = (s: string) => Buffer.from(s).toString("base64");
    const headers = { Username: base64(login?.username ?? ""), Password: base64(login?.password ?? "") };
    try {
      await this.request("GET", `/api/v1/k8s/images?${query}`, {
        headers,
        idempotent: true,
        auth: false,
        call: "images",
      });
      return true;
    } catch (error) {
      if (error instanceof PlatformHttpError && !error.transient) return false;
      throw error;
    }
  }

  async portTaken(port: number, region: string | undefined, serviceId: string): Promise<boolean> {
    // checkports only reads: safe to retry although it is a POST. One port per call.
    const r = await this.request<{ status?: string }>("POST", "/api/v1/k8s/checkports", {
      body: { ...(region ? { region } : {}), ports: [port], userServiceID: serviceId },
      idempotent: true,
      auth: false,
      call: "checkports",
    });
    return r?.status !== undefined && r.status !== "NotOccupied";
  }

  async usage(): Promise<Usage> {
    return adaptMonitor(
      await this.get<WireMonitor>("/api/v1/monitor?allTypes=True&allContainers=True", "monitor"),
    );
  }

  /** Notices of this service, newest first; needs notice-secret (the public call wants a wallet). */
  async notices(page: number, pageSize: number): Promise<{ total: number; notices: Notice[] }> {
    if (!(await this.has("notice-secret"))) {
      throw new ProviderLacks(
        "svc events",
        `the provider of ${this.host} shows notices only to the wallet that bought the service (no notice-secret capability)`,
      );
    }
    const service = await this.userService();
    const query = new URLSearchParams({
      current: String(page),
      pageSize: String(pageSize),
      serviceID: service.id,
    });
    return adaptNotices(await this.get<WireNoticePage>(`/api/v1/k8s/notice?${query}`, "notice"));
  }

  /**
   * A container's log lines. With logs-query the provider tails, filters and ends; otherwise the
   * public SSE stream (always following) is read here: tail is applied to what arrives before the
   * stream goes quiet, and without `follow` reading stops after 2 s idle (10 s at most).
   */
  async *logLines(
    container: string,
    options: { tail?: number; follow?: boolean; since?: number; signal?: AbortSignal },
  ): AsyncGenerator<string> {
    const query = new URLSearchParams({ container });
    const plain = await this.has("logs-query");
    if (plain) {
      if (options.tail !== undefined) query.set("tail", String(options.tail));
      query.set("follow", String(Boolean(options.follow)));
      if (options.since !== undefined) query.set("since", String(options.since));
    }
    const stop = new AbortController();
    const abort = () => stop.abort();
    options.signal?.addEventListener("abort", abort);
    let response: Response;
    // The answer must start within the usual timeout; the stream itself may last.
    const noAnswer = setTimeout(abort, this.options.timeoutMs ?? 15_000);
    try {
      response = await fetch(`${this.host}/api/v1/k8s/pod/logs?${query}`, {
        headers: { secret: this.token.secret, Connection: "close" },
        signal: stop.signal,
      });
    } catch (error) {
      options.signal?.removeEventListener("abort", abort);
      if (options.signal?.aborted) return;
      throw new PlatformUnreachable(this.host, stop.signal.aborted ? "timed out" : networkReason(error));
    } finally {
      clearTimeout(noAnswer);
    }
    if (!response.ok || !response.body) {
      const err = errorOf(await response.json().catch(() => undefined));
      throw new PlatformHttpError(
        response.status,
        err?.code ?? response.status,
        err?.message ?? response.statusText,
        "logs",
      );
    }
    try {
      const chunks = textChunks(response.body);
      if (plain) {
        yield* splitLines(chunks);
        return;
      }
      yield* sseLines(chunks, {
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
        follow: Boolean(options.follow),
        stop: abort,
      });
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    } finally {
      options.signal?.removeEventListener("abort", abort);
      stop.abort();
    }
  }

  async logTail(container: string, lines: number): Promise<string> {
    const out: string[] = [];
    const signal = AbortSignal.timeout(3_000);
    try {
      for await (const line of this.logLines(container, { tail: lines, signal })) out.push(line);
    } catch {
      // Diagnostics only: whatever could be read.
    }
    return out.slice(-lines).join("\n");
  }

  // ---- mutations: sent once; apply/guard.ts decides what a lost answer means ----

  deploy(first: boolean, body: WireDeploymentRequest, ifRevision?: number): Promise<MutationResult> {
    return this.mutate(
      "POST",
      first ? "/api/v1/k8s/deployment" : "/api/v1/k8s/deployment/update",
      body,
      ifRevision,
    );
  }

  updateImages(
    items: { image: string; login: RegistryLogin; container?: string }[],
    ifRevision?: number,
  ): Promise<MutationResult> {
    return this.mutate("PATCH", "/api/v1/k8s/pod/images", items, ifRevision);
  }

  updatePod(
    body: {
      config: Record<string, string | Record<string, string>>;
      environment: Record<string, Record<string, string>>;
    },
    ifRevision?: number,
  ): Promise<MutationResult> {
    return this.mutate("PUT", "/api/v1/k8s/pod/update", body, ifRevision);
  }

  setDescription(description: string, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("POST", "/api/v1/k8s/deployment/metadata/annotation", { description }, ifRevision);
  }

  setLabels(labels: Record<string, string>, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("POST", "/api/v1/k8s/deployment/metadata/label", { labels }, ifRevision);
  }

  bindDomain(bind: DomainBind, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("POST", "/api/v1/k8s/pod/ingress", { ...bind, isEncryByself: false }, ifRevision);
  }

  unbindDomains(domains: string[], ifRevision?: number): Promise<MutationResult> {
    return this.mutate("PATCH", "/api/v1/k8s/pod/ingress", { action: "Del", domains }, ifRevision);
  }

  unbindAll(ifRevision?: number): Promise<MutationResult> {
    return this.mutate("DELETE", "/api/v1/k8s/pod/ingress", {}, ifRevision);
  }

  /** restart, stop (pause) or start (resume) the pod. */
  lifecycle(action: "restart" | "stop" | "start", ifRevision?: number): Promise<MutationResult> {
    return this.mutate("POST", `/api/v1/k8s/pod/${action}`, {}, ifRevision);
  }

  private async mutate(
    method: string,
    path: string,
    body: unknown,
    ifRevision?: number,
  ): Promise<MutationResult> {
    const answer = await this.request<{ revision?: unknown } | undefined>(method, path, {
      body,
      headers: ifRevision !== undefined ? { "if-revision": String(ifRevision) } : {},
      idempotent: false,
      call: `${method} ${path.replace("/api/v1/k8s/", "")}`,
    });
    return typeof answer?.revision === "number" ? { revision: answer.revision } : {};
  }

  // ---- raw reads ----

  private podStatus(): Promise<WirePodStatus> {
    return this.get<WirePodStatus>("/api/v1/k8s/pod/status", "pod/status");
  }

  /** With deployment-info, 404 = never deployed; without, any error = unknown (fields unmanaged). */
  private async deploymentInfo(caps: Capabilities): Promise<WireDeploymentInfo | undefined> {
    try {
      return (
        (await this.get<WireDeploymentInfo>("/api/v1/k8s/deployment/info", "deployment/info")) ?? undefined
      );
    } catch (error) {
      if (!(error instanceof PlatformHttpError)) throw error;
      if (caps.has("deployment-info") && error.status !== 404) throw error;
      return undefined;
    }
  }

  /** Errors read as `{}`, as the market CLI does. */
  private async configMaps(caps: Capabilities): Promise<WireConfigMaps> {
    const paths = caps.has("config-path-map") && !caps.has("deployment-info");
    try {
      const r = await this.get<WireConfigMaps>(
        `/api/v1/k8s/pod/configmap${paths ? "?format=paths" : ""}`,
        "configmap",
      );
      return r && typeof r === "object" ? r : {};
    } catch (error) {
      if (error instanceof PlatformHttpError) return {};
      throw error;
    }
  }

  protected get<T>(path: string, call: string, attempts?: number): Promise<T> {
    return this.request<T>("GET", path, { idempotent: true, call, ...(attempts ? { attempts } : {}) });
  }

  /**
   * One API call. A 2xx answer carrying `error` or a top-level `message` is an error. Idempotent
   * calls are retried with exponential backoff and jitter on 5xx, 429 (honouring Retry-After),
   * resets, timeouts and error bodies with a 5xx code; other calls are sent exactly once.
   */
  protected async request<T>(
    method: string,
    path: string,
    o: RequestOptions & { attempts?: number },
  ): Promise<T> {
    const attempts = o.idempotent ? (o.attempts ?? this.options.attempts ?? 8) : 1;
    const hasBody = method !== "GET";
    const retrying = (attempt: number, reason: string, of = attempts) =>
      this.options.onRetry?.({ host: this.host, call: o.call, attempt, attempts: of, reason });
    for (let attempt = 1; ; attempt++) {
      const retry = attempt < attempts;
      let response: Response;
      try {
        response = await fetch(`${this.host}${path}`, {
          method,
          // The secret travels only in this header: never in a URL, an argument or a log line.
          headers: {
            ...(o.auth === false ? {} : { secret: this.token.secret }),
            ...(hasBody ? { "content-type": "application/json" } : {}),
            ...o.headers,
          },
          ...(hasBody ? { body: JSON.stringify(o.body ?? {}) } : {}),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
        });
      } catch (error) {
        const reason = networkReason(error);
        // Nothing listens there, or the name does not resolve: a moment's retry covers a platform
        // restarting; eight would only keep the user waiting.
        const absent = ABSENT.has(reason);
        if (retry && !(absent && attempt >= ABSENT_ATTEMPTS)) {
          retrying(attempt, reason, absent ? Math.min(attempts, ABSENT_ATTEMPTS) : attempts);
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new PlatformUnreachable(this.host, reason);
      }
      if (RETRYABLE_STATUS.has(response.status) && retry) {
        retrying(attempt, `HTTP ${response.status}`);
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
      const err = errorOf(json);
      if (!response.ok || err) {
        const failure = new PlatformHttpError(
          response.status,
          err?.code ?? response.status,
          err?.message ?? response.statusText,
          o.call,
        );
        if (failure.transient && retry) {
          retrying(attempt, failure.message);
          await sleep(this.backoff(attempt));
          continue;
        }
        throw failure;
      }
      return json as T;
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min((this.options.backoffMs ?? 100) * 2 ** (attempt - 1), 2000);
    return base / 2 + Math.random() * base; // jitter: 0.5x to 1.5x
  }
}

/** `{error: {code, message}}`, or a top-level `message` (the market CLI's failure), in any answer. */
/** The platform's words enter svc masked (an error may echo the request: token, passwords) and bounded. */
function platformWords(text: string): string {
  const masked = redactor.redact(text);
  return masked.length <= MAX_ERROR_TEXT
    ? masked
    : `${masked.slice(0, MAX_ERROR_TEXT)}… (${masked.length - MAX_ERROR_TEXT} more characters)`;
}
const MAX_ERROR_TEXT = 2000;

function errorOf(json: unknown): { code?: number; message: string } | undefined {
  const error = rawErrorOf(json);
  return error && { ...error, message: platformWords(error.message) };
}

function rawErrorOf(json: unknown): { code?: number; message: string } | undefined {
  if (!json || typeof json !== "object" || Array.isArray(json)) return undefined;
  const { error, message } = json as { error?: unknown; message?: unknown };
  if (error && typeof error === "object") {
    const e = error as { code?: unknown; message?: unknown };
    return {
      code: typeof e.code === "number" ? e.code : 500,
      message: typeof e.message === "string" ? e.message : "error",
    };
  }
  if (typeof error === "string") return { code: 500, message: error };
  if (typeof message === "string") return { code: 400, message };
  return undefined;
}

async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
    yield decoder.decode(chunk, { stream: true });
}

async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of chunks) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    yield* lines;
  }
  if (rest) yield rest;
}

const DISCONNECTED = "logger - Client disconnected.";

/**
 * The public SSE log stream: `data:` payloads (a JSON string, or raw text), the platform's own
 * "client disconnected" line skipped. It never ends by itself: with a tail, what arrives before
 * it goes quiet for 1 s is cut to the last lines; without follow, reading stops after 2 s quiet
 * or 10 s in all.
 */
export async function* sseLines(
  chunks: AsyncIterable<string>,
  options: { tail?: number; follow: boolean; stop: () => void },
): AsyncGenerator<string> {
  const pending: string[] = [];
  let waiting: (() => void) | undefined;
  let ended = false;
  const wake = () => {
    waiting?.();
    waiting = undefined;
  };
  void (async () => {
    try {
      for await (const line of splitLines(chunks)) {
        if (!line.startsWith("data:")) continue;
        const payload = line.slice(5).replace(/^ /, "");
        let text = payload;
        try {
          const parsed = JSON.parse(payload);
          if (typeof parsed === "string") text = parsed;
        } catch {
          // raw text payload
        }
        if (text === DISCONNECTED) continue;
        pending.push(text);
        wake();
      }
    } catch {
      // aborted or cut: the end
    }
    ended = true;
    wake();
  })();
  const next = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (pending.length || ended) return resolve(true);
      const timer = setTimeout(() => resolve(false), ms);
      waiting = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  const started = Date.now();
  // The backlog: what arrives until the stream first goes quiet (10 s at most). Following with no
  // tail, there is nothing to cut: lines pass straight through.
  if (!options.follow || options.tail !== undefined) {
    const quiet = options.follow ? 1000 : 2000;
    let backlog: string[] = [];
    for (;;) {
      const more = await next(quiet);
      backlog.push(...pending.splice(0));
      if (!more || ended || Date.now() - started >= 10_000) break;
    }
    if (options.tail !== undefined) backlog = options.tail === 0 ? [] : backlog.slice(-options.tail);
    yield* backlog;
    if (!options.follow) {
      options.stop();
      return;
    }
  }
  for (;;) {
    await next(60_000);
    if (pending.length) yield* pending.splice(0);
    else if (ended) return;
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
