// Longer than 300 lines: one short method per provider API call (reads through the adapters,
// mutations sent once), so the whole API svc uses reads in one place; HTTP and retries are in
// http.ts, log streams in log-stream.ts.
import { PlatformHttpError, ProviderLacks } from "../errors.js";
import {
  adaptCapabilities,
  adaptContainers,
  adaptMonitor,
  adaptNotices,
  adaptPod,
  adaptService,
} from "./adapt.js";
import { type ClientOptions, PlatformHttp } from "./http.js";
import { splitImage } from "./image.js";
import { logLines } from "./log-stream.js";
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

/**
 * What svc reads from a platform and the calls apply makes: the HTTP implementation below; an
 * in-memory fake in unit tests (src/test-support/fake-platform.ts). Mutations are sent once:
 * apply/guard.ts decides what a lost answer means.
 */
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
  /** The service's notices, newest first; only with notice-secret. */
  notices(page: number, pageSize: number): Promise<{ total: number; notices: Notice[] }>;

  deploy(first: boolean, body: WireDeploymentRequest, ifRevision?: number): Promise<MutationResult>;
  updateImages(
    items: { image: string; login: RegistryLogin; container?: string }[],
    ifRevision?: number,
  ): Promise<MutationResult>;
  updatePod(body: PodUpdate, ifRevision?: number): Promise<MutationResult>;
  setDescription(description: string, ifRevision?: number): Promise<MutationResult>;
  setLabels(labels: Record<string, string>, ifRevision?: number): Promise<MutationResult>;
  bindDomain(bind: DomainBind, ifRevision?: number): Promise<MutationResult>;
  unbindDomains(domains: string[], ifRevision?: number): Promise<MutationResult>;
  unbindAll(ifRevision?: number): Promise<MutationResult>;
  /** restart, stop (pause) or start (resume) the pod. */
  lifecycle(action: "restart" | "stop" | "start", ifRevision?: number): Promise<MutationResult>;
}

/** A mutation's answer: the new revision when the provider has the `revision` capability. */
export type MutationResult = { revision?: number };

/** Env per container, and config: one file's content (public) or path → content (config-path-map). */
export interface PodUpdate {
  config: Record<string, string | Record<string, string>>;
  environment: Record<string, Record<string, string>>;
}

export interface DomainBind {
  domain: string;
  containerPort: number;
  /** Only on a base domain's first bind: later binds inherit it. */
  isLetsencrypt?: boolean;
}

/** Capabilities are asked once per target per run. */
const capabilityCache = new Map<string, Promise<Capabilities>>();

export class HttpPlatformClient implements PlatformClient {
  readonly host: string;
  private readonly http: PlatformHttp;

  constructor(
    private readonly token: ServiceToken,
    options: ClientOptions = {},
  ) {
    this.host = token.host;
    this.http = new PlatformHttp(token, options);
  }

  // ---- reads ----

  capabilities(): Promise<Capabilities> {
    const key = `${this.host}\n${this.token.secret}`;
    let cached = capabilityCache.get(key);
    if (!cached) {
      cached = this.http
        .get<unknown>("/api/v1/svc/capabilities", "capabilities")
        .then(adaptCapabilities, (error) => {
          // 404 (real providers) or any other refusal means none; a platform that stays
          // unreachable or failing (after the usual retries) has not answered the question.
          if (error instanceof PlatformHttpError && !error.transient) return new Set() as Capabilities;
          capabilityCache.delete(key);
          throw error;
        });
      capabilityCache.set(key, cached);
    }
    return cached;
  }

  async has(capability: Parameters<Capabilities["has"]>[0]): Promise<boolean> {
    return (await this.capabilities()).has(capability);
  }

  async userService(): Promise<UserService> {
    const [raw, caps] = await Promise.all([
      this.http.get<UserService>("/api/v1/k8s/userService", "userService"),
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

  /**
   * The live state and the pod's runtime view, from one reading of each call. Every read is sent
   * with the capabilities question, not after it: one round trip instead of two (a plan's time is
   * mostly round trips). Only a provider with config-path-map and no deployment-info is asked for
   * the config files again, with their paths.
   */
  async observeWithPod(): Promise<{ state: ObservedState; pod: PodView }> {
    const capabilities = this.capabilities();
    const [caps, service, raw, info, plainConfig] = await Promise.all([
      capabilities,
      this.userService(),
      this.podStatus(),
      this.deploymentInfo(capabilities),
      this.configMaps(false),
    ]);
    const configMaps =
      caps.has("config-path-map") && !caps.has("deployment-info") ? await this.configMaps(true) : plainConfig;
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
      await this.http.request("GET", `/api/v1/k8s/images?${query}`, {
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
    const r = await this.http.request<{ status?: string }>("POST", "/api/v1/k8s/checkports", {
      body: { ...(region ? { region } : {}), ports: [port], userServiceID: serviceId },
      idempotent: true,
      auth: false,
      call: "checkports",
    });
    return r?.status !== undefined && r.status !== "NotOccupied";
  }

  async usage(): Promise<Usage> {
    return adaptMonitor(
      await this.http.get<WireMonitor>("/api/v1/monitor?allTypes=True&allContainers=True", "monitor"),
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
    return adaptNotices(await this.http.get<WireNoticePage>(`/api/v1/k8s/notice?${query}`, "notice"));
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
    yield* logLines(this.http, container, { ...options, plain: await this.has("logs-query") });
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

  updatePod(body: PodUpdate, ifRevision?: number): Promise<MutationResult> {
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
    const answer = await this.http.request<{ revision?: unknown } | undefined>(method, path, {
      body,
      headers: ifRevision !== undefined ? { "if-revision": String(ifRevision) } : {},
      idempotent: false,
      call: `${method} ${path.replace("/api/v1/k8s/", "")}`,
    });
    return typeof answer?.revision === "number" ? { revision: answer.revision } : {};
  }

  // ---- raw reads ----

  private podStatus(): Promise<WirePodStatus> {
    return this.http.get<WirePodStatus>("/api/v1/k8s/pod/status", "pod/status");
  }

  /** With deployment-info, 404 = never deployed; without, any error = unknown (fields unmanaged). */
  private async deploymentInfo(caps: Promise<Capabilities>): Promise<WireDeploymentInfo | undefined> {
    try {
      return (
        (await this.http.get<WireDeploymentInfo>("/api/v1/k8s/deployment/info", "deployment/info")) ??
        undefined
      );
    } catch (error) {
      if (!(error instanceof PlatformHttpError)) throw error;
      if ((await caps).has("deployment-info") && error.status !== 404) throw error;
      return undefined;
    }
  }

  /** Errors read as `{}`, as the market CLI does. */
  private async configMaps(paths: boolean): Promise<WireConfigMaps> {
    try {
      const r = await this.http.get<WireConfigMaps>(
        `/api/v1/k8s/pod/configmap${paths ? "?format=paths" : ""}`,
        "configmap",
      );
      return r && typeof r === "object" ? r : {};
    } catch (error) {
      if (error instanceof PlatformHttpError) return {};
      throw error;
    }
  }
}
