import { PlatformHttpError, PlatformUnreachable } from "../errors.js";
import type { DomainBind, MutationResult, PlatformClient, PodUpdate } from "../platform/client.js";
import { baseDomain } from "../platform/domain.js";
import type {
  Capabilities,
  Capability,
  LiveContainer,
  LiveDomain,
  Notice,
  ObservedState,
  PodView,
  RegistryLogin,
  UserService,
} from "../platform/model.js";
import type { WireDeploymentRequest } from "../platform/wire.js";

/** Every capability svc knows: a provider like `svc local up --api extended`. */
export const EXTENDED: Capability[] = [
  "config-path-map",
  "deployment-info",
  "image-container",
  "labels-map",
  "metadata",
  "revision",
];

type Kind =
  | "deploy"
  | "updateImages"
  | "updatePod"
  | "setDescription"
  | "setLabels"
  | "bindDomain"
  | "unbindDomains"
  | "unbindAll"
  | "lifecycle";

/**
 * A provider in memory, behind the client interface, for unit tests of planning and applying:
 * records, revisions (with the `revision` capability), what a real provider shows without
 * deployment-info, and faults — a call refused before it acts, or one whose answer is lost after.
 */
export class FakePlatform implements PlatformClient {
  readonly host = "https://fake.invalid";
  /** Every mutation asked, in order, with the revision it was made against. */
  readonly calls: { kind: Kind; ifRevision?: number }[] = [];
  readonly caps: Set<Capability>;
  private service: UserService;
  private containers: LiveContainer[] | undefined;
  private domains: LiveDomain[] = [];
  private revision = 0;
  private readonly faults: { kind: Kind; fault: "refuse" | "lose" | "fail-transient" }[] = [];
  private readonly restarts = new Map<string, { count: number; at: string }>();
  /** The notices the provider shows (with notice-secret), newest first. */
  readonly noticeList: Notice[] = [];

  constructor(caps: Capability[] = EXTENDED, options: { units?: number } = {}) {
    this.caps = new Set(caps);
    this.service = {
      id: "us-fake",
      status: "ServicePending",
      serviceOptions: {
        resourceUnit: `${options.units ?? 8}-Unit-Resource`,
        persistStorage: "Yes",
        region: "local",
        portSpecification: "User Specified Service Port",
      },
    };
  }

  /** The next call of this kind fails: refused (4xx, nothing done), transient (5xx, nothing done), or lost (done, no answer). */
  fault(kind: Kind, fault: "refuse" | "lose" | "fail-transient"): this {
    this.faults.push({ kind, fault });
    return this;
  }

  /** The container exits and the platform starts it again: its restart count and start move on. */
  restart(container: string, at = new Date()): void {
    this.restarts.set(container, {
      count: (this.restarts.get(container)?.count ?? 0) + 1,
      at: at.toISOString(),
    });
  }

  /** Another writer changes the service: an env variable of its first container, and its revision. */
  touch(name: string, value: string): void {
    const first = this.containers?.[0];
    if (first) first.envs = [...first.envs, { name, value }];
    this.revision++;
  }

  async capabilities(): Promise<Capabilities> {
    return this.caps;
  }

  async userService(): Promise<UserService> {
    return {
      ...this.service,
      ...(this.caps.has("revision") ? { revision: this.revision } : {}),
      ...(this.caps.has("metadata") ? {} : { description: undefined }),
      ...(this.caps.has("labels-map") ? {} : { labels: undefined }),
    };
  }

  async observe(): Promise<ObservedState> {
    return {
      service: await this.userService(),
      ...(this.containers ? { containers: this.containers.map((c) => this.shown(c)) } : {}),
      domains: structuredClone(this.domains),
    };
  }

  async observeWithPod(): Promise<{ state: ObservedState; pod: PodView }> {
    return { state: await this.observe(), pod: await this.pod() };
  }

  async pod(): Promise<PodView> {
    const running = this.service.status === "ServiceRunning";
    return {
      hostIP: "127.0.0.1",
      containers: (this.containers ?? []).map((c) => ({
        name: c.name,
        image: c.imageName,
        restartCount: this.restarts.get(c.name)?.count ?? 0,
        state: running
          ? { running: { startedAt: this.restarts.get(c.name)?.at ?? "2026-01-01T00:00:00Z" } }
          : { waiting: { reason: "Stopped" } },
        ready: running,
      })),
      domains: structuredClone(this.domains),
      phase: !this.containers ? "NotDeployed" : running ? "Running" : "Paused",
    };
  }

  async imageAvailable(_image: string, _login?: RegistryLogin): Promise<boolean> {
    return true;
  }

  async portTaken(): Promise<boolean> {
    return false;
  }

  async logTail(): Promise<string> {
    return "";
  }

  async notices(): Promise<{ total: number; notices: Notice[] }> {
    return { total: this.noticeList.length, notices: structuredClone(this.noticeList) };
  }

  deploy(first: boolean, body: WireDeploymentRequest, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("deploy", ifRevision, () => {
      if (first === Boolean(this.containers)) throw new PlatformHttpError(409, 409, "deploy: wrong call");
      this.containers = body.containers.map((c) => ({
        name: c.name,
        imageName: c.imageName,
        envs: (c.envs ?? []).map((e) => ({ name: e.name, value: e.value ?? "" })),
        resourceUnit: c.resourceUnit ?? 1,
        ports: (c.ports ?? []).map((p, i) => ({
          containerPort: p.containerPort,
          hostPort: p.hostPort || 30000 + i,
          protocol: p.protocol === "UDP" ? "UDP" : "TCP",
        })),
        mountPath: c.mountPath ?? "",
        command: Array.isArray(c.command) ? c.command : [],
        args: Array.isArray(c.args) ? c.args : [],
        configMap: { ...(c.configMap ?? {}) },
      }));
      this.service = { ...this.service, status: "ServiceRunning" };
    });
  }

  updateImages(
    items: { image: string; login: RegistryLogin; container?: string }[],
    ifRevision?: number,
  ): Promise<MutationResult> {
    return this.mutate("updateImages", ifRevision, () => {
      for (const item of items) {
        const c = item.container
          ? this.container(item.container)
          : (this.containers ?? []).length === 1
            ? this.containers?.[0]
            : undefined;
        if (!c) throw new PlatformHttpError(400, 400, "name the container");
        c.imageName = item.image;
      }
    });
  }

  updatePod(body: PodUpdate, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("updatePod", ifRevision, () => {
      for (const [name, env] of Object.entries(body.environment)) {
        this.container(name).envs = Object.entries(env).map(([k, value]) => ({ name: k, value }));
      }
      for (const [name, config] of Object.entries(body.config)) {
        const c = this.container(name);
        const first = Object.keys(c.configMap ?? {})[0];
        c.configMap = typeof config === "string" ? { [first ?? "/config"]: config } : { ...config };
      }
    });
  }

  setDescription(description: string, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("setDescription", ifRevision, () => {
      this.service = { ...this.service, description };
    });
  }

  setLabels(labels: Record<string, string>, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("setLabels", ifRevision, () => {
      this.service = { ...this.service, labels: { ...labels } };
    });
  }

  bindDomain(bind: DomainBind, ifRevision?: number): Promise<MutationResult> {
    return this.mutate("bindDomain", ifRevision, () => {
      const group = this.domains.find((d) => baseDomain(d.domain) === baseDomain(bind.domain));
      this.domains.push({
        domain: bind.domain,
        containerPort: bind.containerPort,
        isHttps: group?.isHttps ?? bind.isLetsencrypt ?? false,
      });
    });
  }

  unbindDomains(domains: string[], ifRevision?: number): Promise<MutationResult> {
    return this.mutate("unbindDomains", ifRevision, () => {
      this.domains = this.domains.filter((d) => !domains.includes(d.domain));
    });
  }

  unbindAll(ifRevision?: number): Promise<MutationResult> {
    return this.mutate("unbindAll", ifRevision, () => {
      this.domains = [];
    });
  }

  lifecycle(action: "restart" | "stop" | "start", ifRevision?: number): Promise<MutationResult> {
    return this.mutate("lifecycle", ifRevision, () => {
      if (action !== "restart")
        this.service = { ...this.service, status: action === "stop" ? "ServiceStop" : "ServiceRunning" };
    });
  }

  /** A container as this provider shows it: without deployment-info only what the public calls show. */
  private shown(c: LiveContainer): LiveContainer {
    const copy = structuredClone(c);
    if (this.caps.has("deployment-info")) return copy;
    const { configMap, resourceUnit: _u, mountPath: _m, command: _c, args: _a, ...rest } = copy;
    const first = Object.values(configMap ?? {})[0];
    return {
      ...rest,
      ports: (c.ports ?? []).map(({ containerPort, protocol }) => ({ containerPort, protocol })),
      ...(this.caps.has("config-path-map")
        ? { configMap: configMap ?? {} }
        : { configContents: first === undefined ? [] : [first] }),
    };
  }

  private container(name: string): LiveContainer {
    const c = this.containers?.find((x) => x.name === name);
    if (!c) throw new PlatformHttpError(400, 400, `no container named ${name}`);
    return c;
  }

  private async mutate(
    kind: Kind,
    ifRevision: number | undefined,
    change: () => void,
  ): Promise<MutationResult> {
    this.calls.push({ kind, ...(ifRevision !== undefined ? { ifRevision } : {}) });
    const i = this.faults.findIndex((f) => f.kind === kind);
    const fault = i >= 0 ? this.faults.splice(i, 1)[0]?.fault : undefined;
    if (fault === "refuse") throw new PlatformHttpError(400, 400, `${kind} refused`, kind);
    if (fault === "fail-transient") throw new PlatformHttpError(503, 503, `${kind} failed`, kind);
    if (this.caps.has("revision") && ifRevision !== undefined && ifRevision !== this.revision) {
      throw new PlatformHttpError(409, 409, `revision is ${this.revision}, not ${ifRevision}`, kind);
    }
    change();
    this.revision++;
    if (fault === "lose") throw new PlatformUnreachable(this.host, "connection reset");
    return this.caps.has("revision") ? { revision: this.revision } : {};
  }
}
