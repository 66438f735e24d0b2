import type {
  WireConfigMaps,
  WireDeploymentInfo,
  WireMonitor,
  WireNoticePage,
  WirePodStatus,
  WireUserService,
} from "../../platform/wire.js";
import { PlatformError } from "./platform-error.js";
import type { ContainerState, ContainerStats, DockerRuntime } from "./runtime.js";
import type { ContainerRecord, ServiceRecord, Store } from "./store.js";

const SPECIFIED = "User Specified Service Port";

/** The pod's reads as they were before a change, and until when they show (see PlatformViews.hold). */
interface Held {
  until: number;
  /** Then the new pod shows starting until this time. */
  starting: number;
  pod: WirePodStatus;
  info: WireDeploymentInfo | PlatformError;
  configs: { plain: WireConfigMaps; paths: WireConfigMaps };
}
const ASSIGNED = "Platform Assigned Service Port";

/**
 * What the API's reads answer: records (and the engine's state and usage) in the shapes the public
 * clients read. Real mode shows only the evidenced fields; extended adds svc's.
 */
export class PlatformViews {
  /** The previous network counters of each pod, for rates. */
  private readonly networkSamples = new Map<string, { at: number; rx: number; tx: number }>();
  /** Per service, the pod its reads still show after a change (see hold). */
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly store: Store,
    private readonly runtime: DockerRuntime,
    private readonly extended: boolean,
    /** How long a change takes to show in the pod's reads; 0: at once. */
    private readonly visibilityDelayMs = 0,
  ) {}

  /**
   * Eventual consistency, as a Kubernetes-backed provider shows a change: the Deployment changes
   * at once, but pod/status, deployment/info and the configmap show the new pod only when it
   * exists. Called before a change: for the delay those reads keep answering what they answer
   * now (a later change within it extends it), then the new pod shows starting for half the delay,
   * then as it is. Domains and the service record are not the pod's: they show at once.
   */
  async hold(service: ServiceRecord): Promise<void> {
    if (this.visibilityDelayMs <= 0) return;
    const now = Date.now();
    const held = this.held.get(service.id);
    const until = now + this.visibilityDelayMs;
    const starting = until + this.visibilityDelayMs / 2;
    if (held && held.until > now) {
      Object.assign(held, { until, starting });
      return;
    }
    // What a reader sees now (the pod of a change before, perhaps still starting) is what it
    // keeps seeing.
    let info: WireDeploymentInfo | PlatformError;
    try {
      info = this.deploymentInfo(service);
    } catch (error) {
      info = error as PlatformError;
    }
    const pod = await this.podStatus(service);
    const configs = { plain: this.configMaps(service, false), paths: this.configMaps(service, true) };
    this.held.set(service.id, { until, starting, pod, info, configs });
  }

  /** Whether every change to the service shows in its reads (none is held back any more). */
  caughtUp(serviceId: string): boolean {
    const held = this.held.get(serviceId);
    return held === undefined || Date.now() >= held.starting;
  }

  /** The held reads while the delay runs; "starting" just after; undefined once the pod shows as it is. */
  private lag(service: ServiceRecord): { held: Held; phase: "previous" | "starting" } | undefined {
    const held = this.held.get(service.id);
    if (!held) return undefined;
    const now = Date.now();
    if (now < held.until) return { held, phase: "previous" };
    if (now < held.starting) return { held, phase: "starting" };
    this.held.delete(service.id);
    return undefined;
  }

  /** The service as the API shows it; an expired service reads as ServiceDone. */
  view(service: ServiceRecord): WireUserService {
    const status = Date.parse(service.expiresAt) < Date.now() ? "ServiceDone" : service.status;
    return {
      id: service.id,
      status,
      serviceOptions: {
        resourceUnit: `${service.units}-Unit-Resource`,
        persistStorage: service.persistStorage ? "Yes" : "No",
        region: service.region,
        portSpecification: service.specifiedPort ? SPECIFIED : ASSIGNED,
      },
      ...(this.extended
        ? {
            createdAt: service.createdAt,
            expiresAt: service.expiresAt,
            duration: service.duration,
            description: service.description,
            labels: service.labels,
            revision: service.revision,
          }
        : {}),
    };
  }

  /**
   * Extended: the containers with assigned host ports. Real: the last deployment body as it was
   * sent (the real answer's shape is unknown; an echo is the least a client may assume).
   */
  deploymentInfo(service: ServiceRecord): WireDeploymentInfo {
    const lag = this.lag(service);
    if (lag?.phase === "previous") {
      if (lag.held.info instanceof PlatformError) throw lag.held.info;
      return structuredClone(lag.held.info);
    }
    return this.deploymentInfoNow(service);
  }

  private deploymentInfoNow(service: ServiceRecord): WireDeploymentInfo {
    const current = this.store.deployment(service.id);
    if (!current) throw new PlatformError(404, "nothing deployed yet");
    if (!this.extended) return (current.request as WireDeploymentInfo | undefined) ?? { containers: [] };
    // The engine's volume names are the platform's business, not the API's.
    return { containers: current.containers.map(({ volume: _, ...c }) => c), revision: service.revision };
  }

  /** Kubernetes-like, as the public clients read it: podSpec, podStatus, domains (null when none). */
  async podStatus(service: ServiceRecord): Promise<WirePodStatus> {
    const lag = this.lag(service);
    if (lag?.phase === "previous")
      return { ...structuredClone(lag.held.pod), domains: this.domainsOf(service) };
    const now = await this.podStatusNow(service);
    if (lag?.phase !== "starting" || !now.podStatus.containerStatuses) return now;
    const creating = { waiting: { reason: "ContainerCreating" } };
    return {
      ...now,
      podStatus: {
        ...now.podStatus,
        containerStatuses: now.podStatus.containerStatuses.map((s) => ({ ...s, state: creating })),
      },
    };
  }

  private domainsOf(service: ServiceRecord): WirePodStatus["domains"] {
    const domains = this.store.domains(service.id).map((d) => ({
      domain: d.domain,
      containerPort: d.containerPort,
      isHttps: d.isHttps,
    }));
    return domains.length ? domains : null;
  }

  private async podStatusNow(service: ServiceRecord): Promise<WirePodStatus> {
    const current = this.store.deployment(service.id);
    const containers = current?.containers ?? [];
    const states: ContainerState[] = current
      ? await this.runtime.podState({ serviceId: service.id, revision: current.revision, containers })
      : [];
    return {
      podSpec: {
        containers: containers.map((c) => ({
          name: c.name,
          image: c.imageName,
          ...(c.ports.length
            ? { ports: c.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol })) }
            : {}),
          ...(c.envs.length ? { env: c.envs } : {}),
          resources: { limits: { memory: `${c.resourceUnit * 512}Mi` } },
        })),
      },
      podStatus: {
        hostIP: this.runtime.publishAddress === "0.0.0.0" ? "127.0.0.1" : this.runtime.publishAddress,
        ...(states.length
          ? {
              containerStatuses: states.map((s) => ({
                name: s.name,
                image: s.image,
                restartCount: s.restartCount,
                state: s.state,
              })),
            }
          : {}),
      },
      domains: this.domainsOf(service),
    };
  }

  /**
   * Public shape: container -> its (first) config file's content, only containers that have one.
   * With `paths` (config-path-map): container -> path -> content, every container.
   */
  configMaps(service: ServiceRecord, paths: boolean): WireConfigMaps {
    const lag = this.lag(service);
    if (lag?.phase === "previous") return structuredClone(lag.held.configs[paths ? "paths" : "plain"]);
    return this.configMapsNow(service, paths);
  }

  private configMapsNow(service: ServiceRecord, paths: boolean): WireConfigMaps {
    const containers = this.store.deployment(service.id)?.containers ?? [];
    if (paths && this.extended) return Object.fromEntries(containers.map((c) => [c.name, c.configMap]));
    return Object.fromEntries(
      containers.flatMap((c) => {
        const first = Object.values(c.configMap)[0];
        return first === undefined ? [] : [[c.name, first]];
      }),
    );
  }

  /**
   * Metric first, as the public API answers: per-container CPU (a fraction of a core) and memory;
   * the pod's network in bytes per second since the previous sample, and its storage.
   */
  async monitor(service: ServiceRecord, names?: string[]): Promise<WireMonitor> {
    const stats = await this.containerStats(service, names);
    const entries = Object.entries(stats);
    const sum = (f: (s: ContainerStats) => number) => entries.reduce((n, [, s]) => n + f(s), 0);
    // The pod's network is shared: every container reports the same counters.
    const now = {
      at: Date.now(),
      rx: entries[0]?.[1].networkDownload ?? 0,
      tx: entries[0]?.[1].networkUpload ?? 0,
    };
    const last = this.networkSamples.get(service.id);
    this.networkSamples.set(service.id, now);
    const seconds = last ? (now.at - last.at) / 1000 : 0;
    const rate = (a: number, b: number) => (seconds > 0 && a >= b ? Math.round((a - b) / seconds) : 0);
    return {
      cpu: Object.fromEntries(entries.map(([n, s]) => [n, { value: s.cpu / 100 }])),
      memory: Object.fromEntries(entries.map(([n, s]) => [n, s.memory])),
      networkDownload: { value: last ? rate(now.rx, last.rx) : 0 },
      networkUpload: { value: last ? rate(now.tx, last.tx) : 0 },
      storage: { value: sum((s) => s.storage) },
    };
  }

  private async containerStats(
    service: ServiceRecord,
    names?: string[],
  ): Promise<Record<string, ContainerStats>> {
    const containers = this.store.deployment(service.id)?.containers ?? [];
    const wanted = names?.length
      ? names.map((n) => this.containerOf(service, n).name)
      : containers.map((c) => c.name);
    // The engine samples for about a second per container: sample them all at once.
    const idle: ContainerStats = {
      cpu: 0,
      memory: { value: 0, limitValue: 0 },
      networkDownload: 0,
      networkUpload: 0,
      storage: 0,
    };
    const stats = await Promise.all(
      wanted.map((name) => this.runtime.stats(service.id, name).catch(() => idle)),
    );
    return Object.fromEntries(wanted.map((name, i) => [name, stats[i] as ContainerStats]));
  }

  /** `{list, pagination}`; svc's `message` only with notice-secret (extended). */
  notices(serviceId: string, page: number, pageSize: number): WireNoticePage {
    const { total, notices } = this.store.notices(serviceId, page, pageSize);
    return {
      list: notices.map((n) => ({
        timestamp: Math.floor(Date.parse(n.time) / 1000),
        serviceID: n.serviceID,
        noticeType: n.type,
        ...(this.extended && n.message ? { message: n.message } : {}),
      })),
      pagination: { total },
    };
  }

  containerOf(service: ServiceRecord, name: string): ContainerRecord {
    const c = this.store.deployment(service.id)?.containers.find((x) => x.name === name);
    if (!c) throw new PlatformError(404, `no container named ${name}`);
    return c;
  }
}
