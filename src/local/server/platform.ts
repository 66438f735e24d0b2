import { randomBytes } from "node:crypto";
import net from "node:net";
import type { Readable } from "node:stream";
import { baseDomain } from "../../manifest/semantic.js";
import type {
  WireConfigMaps,
  WireContainer,
  WireDeploymentInfo,
  WireMonitor,
  WireNoticePage,
  WirePodStatus,
  WireUserService,
} from "../../platform/wire.js";
import { sha256Hex } from "../../util/hash.js";
import { sortedRecord } from "../../util/sorted.js";
import type { ApiMode } from "../paths.js";
import { type ContainerState, type DockerRuntime, ImagePullError, type Login } from "./runtime.js";
import {
  type ContainerRecord,
  type DomainRecord,
  type PortRecord,
  type Protocol,
  RevisionConflict,
  type ServiceRecord,
  type Store,
} from "./store.js";

/** An API error: the HTTP status and the message returned as `{ error: { code, message } }`. */
export class PlatformError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Container shape of the API, as the public clients send it (vkube: lists; market CLI: strings). */
export type ContainerInput = WireContainer;

/** Per-container usage as the engine reports it; the API answers it metric first. */
export interface ContainerStats {
  /** Percent of one core. */
  cpu: number;
  memory: { value: number; limitValue: number };
  networkDownload: number;
  networkUpload: number;
  storage: number;
}

export interface PlatformOptions {
  hostPortRange: [number, number];
  region: string;
  /** real: only the evidenced API's fields and behaviours; extended: plus svc's capabilities. */
  mode: ApiMode;
}

const SPECIFIED = "User Specified Service Port";
const ASSIGNED = "Platform Assigned Service Port";

/**
 * The V Kube provider API's behaviour on the local engine: records first (SQLite), then the engine,
 * so a crash between the two is repaired by reconcile. Calls on one service are serialized.
 */
export class Platform {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** The previous network counters of each pod, for rates. */
  private readonly networkSamples = new Map<string, { at: number; rx: number; tx: number }>();
  private stopWatching: (() => void) | undefined;

  constructor(
    readonly store: Store,
    readonly runtime: DockerRuntime,
    private readonly options: PlatformOptions,
  ) {}

  // ---- services (admin) ----

  createService(input: {
    units: number;
    persistStorage?: boolean;
    specifiedPort?: boolean;
    durationHours?: number;
    name?: string;
  }): { service: ServiceRecord; secret: string } {
    const id = input.name ?? `us-${randomBytes(4).toString("hex")}`;
    if (this.store.service(id)) throw new PlatformError(409, `a user service named ${id} already exists`);
    const secret = randomBytes(24).toString("hex");
    const now = new Date();
    const hours = input.durationHours ?? 720;
    const service = this.store.createService(
      {
        id,
        units: input.units,
        persistStorage: input.persistStorage ?? false,
        specifiedPort: input.specifiedPort ?? false,
        region: this.options.region,
        status: "ServicePending",
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + hours * 3600_000).toISOString(),
        duration: hours,
        description: "",
        labels: {},
      },
      sha256Hex(secret),
    );
    this.store.addNotice(id, "Created", `user service with ${input.units} units`);
    return { service, secret };
  }

  authenticate(secret: string | undefined): ServiceRecord | undefined {
    return secret ? this.store.serviceBySecretHash(sha256Hex(secret)) : undefined;
  }

  get extended(): boolean {
    return this.options.mode === "extended";
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

  /** What a mutation answers: `{}` (real providers' answers are unknown) or the new revision. */
  private answer(revision: number): { revision?: number } {
    return this.extended ? { revision } : {};
  }

  // ---- deployment ----

  deploy(
    serviceId: string,
    body: { containers: ContainerInput[]; pvtLogin?: Login[] },
    options: { first: boolean; ifRevision?: number },
  ) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const current = this.store.deployment(serviceId);
      if (options.first && current) {
        throw new PlatformError(409, "already deployed: replace it with POST /api/v1/k8s/deployment/update");
      }
      if (!options.first && !current) {
        throw new PlatformError(409, "not deployed yet: create it with POST /api/v1/k8s/deployment");
      }
      for (const c of body.containers) checkPaths(c);
      const logins = body.pvtLogin ?? [];
      for (const [i, c] of body.containers.entries()) await this.pull(c.imageName, logins[i]);
      const before = { revision: service.revision, status: service.status };
      const request = { containers: body.containers };
      // Host ports are chosen and recorded under one platform-wide lock: two services deploying
      // at once never get the same port.
      const { containers, revision } = await this.serialized(PORT_LOCK, async () => {
        const containers = await this.validateDeployment(service, body.containers, current?.containers ?? []);
        const revision = this.mutate(service, options.ifRevision, (next) => {
          this.store.saveDeployment(serviceId, next, containers, request);
          this.store.setStatus(serviceId, "ServiceRunning");
        });
        return { containers, revision };
      });
      await this.together(serviceId, before, current, () =>
        this.runtime.deployPod({ serviceId, revision, containers }),
      );
      this.store.addNotice(
        serviceId,
        "Deployed",
        `revision ${revision}: ${containers.map((c) => c.name).join(", ")}`,
      );
      return this.answer(revision);
    });
  }

  /**
   * Extended: the containers with assigned host ports. Real: the last deployment body as it was
   * sent (the real answer's shape is unknown; an echo is the least a client may assume).
   */
  deploymentInfo(service: ServiceRecord): WireDeploymentInfo {
    const current = this.store.deployment(service.id);
    if (!current) throw new PlatformError(404, "nothing deployed yet");
    if (!this.extended) return (current.request as WireDeploymentInfo | undefined) ?? { containers: [] };
    // The engine's volume names are the platform's business, not the API's.
    return { containers: current.containers.map(({ volume: _, ...c }) => c), revision: service.revision };
  }

  setDescription(serviceId: string, description: string, ifRevision?: number) {
    return this.serialized(serviceId, async () => {
      const revision = this.mutate(this.live(serviceId), ifRevision, () =>
        this.store.setDescription(serviceId, description),
      );
      return this.answer(revision);
    });
  }

  setLabels(
    serviceId: string,
    body: { customizedLabel?: string; labels?: Record<string, string> },
    ifRevision?: number,
  ) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      let labels: Record<string, string>;
      if (body.labels && this.extended) labels = body.labels;
      else if (body.customizedLabel?.includes("=")) {
        const eq = body.customizedLabel.indexOf("=");
        labels = {
          ...service.labels,
          [body.customizedLabel.slice(0, eq)]: body.customizedLabel.slice(eq + 1),
        };
      } else if (body.customizedLabel !== undefined)
        labels = { ...service.labels, label: body.customizedLabel };
      else throw new PlatformError(400, "send customizedLabel");
      const revision = this.mutate(service, ifRevision, () =>
        this.store.setLabels(serviceId, sortedRecord(labels)),
      );
      return this.answer(revision);
    });
  }

  // ---- pod ----

  /** Kubernetes-like, as the public clients read it: podSpec, podStatus, domains (null when none). */
  async podStatus(service: ServiceRecord): Promise<WirePodStatus> {
    const current = this.store.deployment(service.id);
    const containers = current?.containers ?? [];
    const states: ContainerState[] = current
      ? await this.runtime.podState({ serviceId: service.id, revision: current.revision, containers })
      : [];
    const domains = this.store.domains(service.id).map((d) => ({
      domain: d.domain,
      containerPort: d.containerPort,
      isHttps: d.isHttps,
    }));
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
      domains: domains.length ? domains : null,
    };
  }

  lifecycle(serviceId: string, action: "restart" | "stop" | "start", ifRevision?: number) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      if (!this.store.deployment(serviceId)) throw new PlatformError(409, "nothing deployed yet");
      const status = action === "stop" ? "ServiceStop" : "ServiceRunning";
      const revision = this.mutate(service, ifRevision, () => this.store.setStatus(serviceId, status));
      const notice = { restart: "Restarted", stop: "Paused", start: "Resumed" }[action];
      this.store.addNotice(serviceId, notice);
      await this.engine(() =>
        action === "restart"
          ? this.runtime.restartPod(serviceId)
          : action === "stop"
            ? this.runtime.stopPod(serviceId)
            : this.runtime.startPod(serviceId),
      );
      return this.answer(revision);
    });
  }

  updateImages(
    serviceId: string,
    items: { image: string; login?: Login; container?: string }[],
    ifRevision?: number,
  ) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const current = this.deployed(serviceId);
      const containers = structuredClone(current.containers);
      for (const item of items) {
        // Without `container` the public API does not say which container: the one running the
        // same repository, else the only one.
        const named = this.extended ? item.container : undefined;
        const target = named
          ? containers.find((c) => c.name === named)
          : (containers.find((c) => repository(c.imageName) === repository(item.image)) ??
            (containers.length === 1 ? containers[0] : undefined));
        if (!target) {
          throw new PlatformError(
            400,
            named
              ? `no container named ${named}`
              : `no container runs an image of ${repository(item.image)}; name the container`,
          );
        }
        await this.pull(item.image, item.login?.username ? item.login : undefined);
        target.imageName = item.image;
      }
      const images = containers.map((c) => c.imageName);
      if (new Set(images).size !== images.length)
        throw new PlatformError(400, "containers must use distinct images");
      return this.redeployApps(service, ifRevision, containers, "ImageUpdated");
    });
  }

  updatePod(
    serviceId: string,
    body: {
      config?: Record<string, string | Record<string, string>>;
      environment?: Record<string, Record<string, string>>;
    },
    ifRevision?: number,
  ) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const containers = structuredClone(this.deployed(serviceId).containers);
      const byName = (name: string) => {
        const c = containers.find((x) => x.name === name);
        if (!c) throw new PlatformError(400, `no container named ${name}`);
        return c;
      };
      for (const [name, config] of Object.entries(body.config ?? {})) {
        const c = byName(name);
        if (typeof config === "string") {
          // The public API's config is one file's content: the container's (first) config file.
          const path = Object.keys(c.configMap)[0];
          if (path === undefined) throw new PlatformError(400, `container ${name} has no config file`);
          c.configMap = { ...c.configMap, [path]: config };
        } else c.configMap = sortedRecord(config);
      }
      for (const [name, env] of Object.entries(body.environment ?? {})) {
        byName(name).envs = Object.entries(env)
          .map(([k, v]) => ({ name: k, value: v }))
          .sort((a, b) => a.name.localeCompare(b.name));
      }
      return this.redeployApps(service, ifRevision, containers, "Updated");
    });
  }

  /**
   * Public shape: container -> its (first) config file's content, only containers that have one.
   * With `paths` (config-path-map): container -> path -> content, every container.
   */
  configMaps(service: ServiceRecord, paths: boolean): WireConfigMaps {
    const containers = this.store.deployment(service.id)?.containers ?? [];
    if (paths && this.extended) return Object.fromEntries(containers.map((c) => [c.name, c.configMap]));
    return Object.fromEntries(
      containers.flatMap((c) => {
        const first = Object.values(c.configMap)[0];
        return first === undefined ? [] : [[c.name, first]];
      }),
    );
  }

  async logs(
    service: ServiceRecord,
    container: string,
    options: { tail?: number; follow?: boolean; since?: number },
  ) {
    this.containerOf(service, container);
    try {
      return await this.runtime.logs(service.id, container, options);
    } catch (error) {
      throw new PlatformError(404, `no logs for ${container} yet: ${(error as Error).message}`);
    }
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

  // ---- domains ----

  bindDomain(
    serviceId: string,
    body: { domain: string; containerPort: number; isLetsencrypt?: boolean },
    ifRevision?: number,
  ) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const domain = body.domain.toLowerCase();
      const ports = (this.store.deployment(serviceId)?.containers ?? []).flatMap((c) => c.ports);
      if (!ports.some((p) => p.containerPort === body.containerPort && p.protocol === "TCP")) {
        throw new PlatformError(400, `no container exposes tcp port ${body.containerPort}`);
      }
      const owner = this.store.domains().find((d) => d.domain === domain);
      if (owner) {
        throw new PlatformError(
          409,
          owner.serviceId === serviceId
            ? `${domain} is already bound`
            : `${domain} is bound by another service`,
        );
      }
      const group = this.store.domains(serviceId).filter((d) => baseDomain(d.domain) === baseDomain(domain));
      const fixed = group[0]?.isHttps;
      if (fixed !== undefined && body.isLetsencrypt !== undefined && body.isLetsencrypt !== fixed) {
        throw new PlatformError(
          409,
          `https for domains under ${baseDomain(domain)} was fixed to ${fixed} at first bind: unbind all of them first (${group.map((d) => d.domain).join(", ")})`,
        );
      }
      const record: DomainRecord = {
        serviceId,
        domain,
        containerPort: body.containerPort,
        isHttps: fixed ?? body.isLetsencrypt ?? false,
      };
      const revision = this.mutate(service, ifRevision, () => this.store.bindDomain(record));
      this.store.addNotice(serviceId, "DomainBound", domain);
      return this.answer(revision);
    });
  }

  unbindDomains(serviceId: string, domains: string[] | undefined, ifRevision?: number) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const names = domains?.map((d) => d.toLowerCase());
      const bound = new Set(this.store.domains(serviceId).map((d) => d.domain));
      const missing = names?.filter((d) => !bound.has(d)) ?? [];
      if (missing.length > 0) throw new PlatformError(404, `not bound: ${missing.join(", ")}`);
      const revision = this.mutate(service, ifRevision, () => this.store.unbindDomains(serviceId, names));
      this.store.addNotice(serviceId, "DomainUnbound", names?.join(", ") ?? "all");
      return this.answer(revision);
    });
  }

  /** The proxy's routing table lookup. */
  route(domain: string): { hostPort: number; isHttps: boolean } | undefined {
    const d = this.store.domains().find((x) => x.domain === domain);
    if (!d) return undefined;
    const port = (this.store.deployment(d.serviceId)?.containers ?? [])
      .flatMap((c) => c.ports)
      .find((p) => p.containerPort === d.containerPort && p.protocol === "TCP");
    return port && { hostPort: port.hostPort, isHttps: d.isHttps };
  }

  // ---- preflight ----

  /** A private image (once pulled with a login) exists for a caller only if its own login may pull it. */
  async imageAvailable(ref: string, login?: Login): Promise<boolean> {
    if (this.store.isPrivateImage(ref)) return this.runtime.registryGrants(ref, login);
    return this.runtime.imageAvailable(ref, login);
  }

  /** Whether a host port is free for a service (its own ports count as free). Privileged ports are never probed. */
  async portOccupied(serviceId: string | undefined, port: number): Promise<boolean> {
    if (port < 1024) return true;
    const used = this.store.hostPortsInUse(serviceId);
    const own = serviceId
      ? (this.store.deployment(serviceId)?.containers ?? []).some((c) =>
          c.ports.some((p) => p.hostPort === port),
        )
      : false;
    if (own) return false;
    return used.has(`${port}/TCP`) || used.has(`${port}/UDP`) || !(await portFree(port));
  }

  // ---- start-up and shut-down ----

  /**
   * Makes the engine match the records: recreates pods that are missing or at another revision,
   * starts stopped ones that should run, removes containers of ours that no record explains.
   */
  async reconcile(log: (line: string) => void): Promise<void> {
    const wanted = new Set<string>();
    for (const service of this.store.services()) {
      const current = this.store.deployment(service.id);
      if (!current) continue;
      wanted.add(service.id);
      const pod = { serviceId: service.id, revision: current.revision, containers: current.containers };
      try {
        if (!(await this.runtime.podMatches(pod))) {
          log(`reconcile: recreating ${service.id} at revision ${current.revision}`);
          for (const c of current.containers) await this.runtime.ensureImage(c.imageName);
          await this.runtime.deployPod(pod);
          this.store.addNotice(service.id, "Reconciled", `recreated at revision ${current.revision}`);
        }
        if (service.status === "ServiceStop") await this.runtime.stopPod(service.id);
        else await this.runtime.startPod(service.id);
      } catch (error) {
        log(`reconcile: ${service.id} failed: ${(error as Error).message}`);
        this.store.addNotice(service.id, "ReconcileFailed", (error as Error).message);
      }
    }
    for (const c of await this.runtime.list()) {
      const serviceId = c.Labels["dev.svc.service"] ?? "";
      if (!wanted.has(serviceId)) {
        log(`reconcile: removing stray container ${c.Names[0]}`);
        await this.runtime.remove(c.Id);
      }
    }
  }

  async watch(): Promise<void> {
    this.stopWatching = await this.runtime.watchCrashes((serviceId, container, exitCode) => {
      if (this.store.service(serviceId)) {
        this.store.addNotice(serviceId, "Crashed", `container ${container} exited with code ${exitCode}`);
      }
    });
  }

  /** Stops watching and removes this platform's containers; records and volumes stay. */
  async shutdown(removeContainers: boolean): Promise<void> {
    this.stopWatching?.();
    await Promise.allSettled([...this.locks.values()]);
    if (removeContainers) for (const c of await this.runtime.list()) await this.runtime.remove(c.Id);
  }

  // ---- internals ----

  private async redeployApps(
    service: ServiceRecord,
    ifRevision: number | undefined,
    containers: ContainerRecord[],
    notice: string,
  ) {
    const current = this.store.deployment(service.id);
    const before = { revision: service.revision, status: service.status };
    const revision = this.mutate(service, ifRevision, (next) =>
      this.store.saveDeployment(service.id, next, containers, current?.request),
    );
    await this.together(service.id, before, current, () =>
      this.runtime.recreateApps({ serviceId: service.id, revision, containers }),
    );
    this.store.addNotice(service.id, notice, `revision ${revision}`);
    if (service.status === "ServiceStop") await this.runtime.stopPod(service.id);
    return this.answer(revision);
  }

  private async validateDeployment(
    service: ServiceRecord,
    input: ContainerInput[],
    previous: ContainerRecord[],
  ): Promise<ContainerRecord[]> {
    const unique = (values: string[], what: string) => {
      const dup = values.find((v, i) => values.indexOf(v) !== i);
      if (dup) throw new PlatformError(400, `${what} ${dup} is used twice: containers share one network`);
    };
    unique(
      input.map((c) => c.name),
      "container name",
    );
    unique(
      input.map((c) => c.imageName),
      "image",
    );
    const ports = input.flatMap((c) =>
      (c.ports ?? []).map((p) => ({ ...p, protocol: protocolOf(p.protocol) })),
    );
    for (const c of input) {
      if (c.configMountPath && c.config !== undefined && !c.configMountPath.startsWith("/"))
        throw new PlatformError(400, `configMountPath of ${c.name} must be an absolute path`);
    }
    unique(
      ports.map((p) => `${p.containerPort}/${p.protocol}`),
      "container port",
    );
    const units = input.reduce((n, c) => n + (c.resourceUnit ?? 1), 0);
    if (units > service.units) {
      throw new PlatformError(422, `the containers need ${units} units; the service has ${service.units}`);
    }
    if (ports.length > service.units) {
      throw new PlatformError(
        422,
        `${ports.length} ports exceed the service's ${service.units} (one port per unit)`,
      );
    }
    const mounts = input.filter((c) => c.mountPath);
    if (mounts.length > 0 && !service.persistStorage) {
      throw new PlatformError(422, "the service was bought without persistent storage: remove mountPath");
    }
    if (service.persistStorage && mounts.length === 0) {
      throw new PlatformError(
        400,
        "the service has persistent storage: at least one container must set mountPath",
      );
    }
    if (!service.specifiedPort && ports.some((p) => p.hostPort)) {
      throw new PlatformError(
        422,
        "the service was bought without specified ports: leave hostPort 0 or absent",
      );
    }

    const usedElsewhere = this.store.hostPortsInUse(service.id);
    const chosen = new Set<string>();
    for (const p of ports.filter((x) => x.hostPort)) {
      const key = `${p.hostPort}/${p.protocol}`;
      if (usedElsewhere.has(key))
        throw new PlatformError(409, `host port ${key} is taken by another service`);
      if (chosen.has(key)) throw new PlatformError(400, `host port ${key} is used twice`);
      chosen.add(key);
    }
    const records: ContainerRecord[] = [];
    for (const c of input) {
      const before = previous.find((x) => x.name === c.name);
      const recordPorts: PortRecord[] = [];
      for (const p of c.ports ?? []) {
        const protocol = protocolOf(p.protocol);
        let hostPort = p.hostPort ?? 0;
        if (!hostPort) {
          // Keep an assigned port across updates, so addresses do not move on every deploy.
          const kept = before?.ports.find(
            (x) => x.containerPort === p.containerPort && x.protocol === protocol,
          )?.hostPort;
          hostPort =
            kept && !chosen.has(`${kept}/${protocol}`) && !usedElsewhere.has(`${kept}/${protocol}`)
              ? kept
              : await this.assignPort(protocol, chosen, usedElsewhere);
          chosen.add(`${hostPort}/${protocol}`);
        }
        recordPorts.push({ containerPort: p.containerPort, hostPort, protocol });
      }
      const configMap = { ...(c.configMap ?? {}) };
      if (c.configMountPath && c.config !== undefined) configMap[c.configMountPath] = c.config;
      records.push({
        name: c.name,
        imageName: c.imageName,
        resourceUnit: c.resourceUnit ?? 1,
        ports: recordPorts.sort(
          (a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol),
        ),
        envs: (c.envs ?? [])
          .map((e) => ({ name: e.name, value: e.value ?? "" }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        mountPath: c.mountPath ?? "",
        // A container keeps its volume across deploys (records from before named volumes keep
        // the legacy name, so no data is lost); a new one gets the unambiguous name.
        ...(c.mountPath
          ? {
              volume:
                before?.volume ??
                (before?.mountPath
                  ? this.runtime.legacyVolumeName(service.id, c.name)
                  : this.runtime.volumeName(service.id, c.name)),
            }
          : {}),
        command: argv(c.command),
        args: argv(c.args),
        configMap: sortedRecord(configMap),
      });
    }
    return records;
  }

  private async assignPort(
    protocol: Protocol,
    chosen: Set<string>,
    usedElsewhere: Map<string, string>,
  ): Promise<number> {
    const [low, high] = this.options.hostPortRange;
    for (let port = low; port <= high; port++) {
      const key = `${port}/${protocol}`;
      if (chosen.has(key) || usedElsewhere.has(key)) continue;
      if (protocol === "UDP" || (await portFree(port))) return port;
    }
    throw new PlatformError(503, `no free host port left in ${low}-${high}`);
  }

  /**
   * Makes an image available to one tenant. An image pulled with a login is private: the engine
   * keeps it, but another tenant may use it only with a login its registry accepts, asked again
   * each time — never because someone else pulled it.
   */
  private async pull(ref: string, login?: Login): Promise<void> {
    const withLogin = login?.username ? login : undefined;
    if (this.store.isPrivateImage(ref) && !(await this.runtime.registryGrants(ref, withLogin))) {
      throw new PlatformError(
        400,
        `image ${ref} is private: send a registry login that can pull it${withLogin ? " (this one cannot)" : ""}`,
      );
    }
    try {
      await this.runtime.ensureImage(ref, withLogin);
    } catch (error) {
      if (error instanceof ImagePullError) throw new PlatformError(400, error.message);
      throw error;
    }
    if (withLogin) this.store.markPrivateImage(ref);
  }

  private mutate(
    service: ServiceRecord,
    ifRevision: number | undefined,
    change: (next: number) => void,
  ): number {
    try {
      return this.store.mutate(service.id, ifRevision, change);
    } catch (error) {
      if (error instanceof RevisionConflict) throw new PlatformError(409, error.message);
      throw error;
    }
  }

  /**
   * The record and the engine change together or not at all: when the engine refuses, the
   * record is put back as it was (and the previous pod restored, best effort), and the call
   * fails — never "done" for a pod that never ran.
   */
  private async together(
    serviceId: string,
    before: { revision: number; status: ServiceRecord["status"] },
    previous: { revision: number; containers: ContainerRecord[] } | undefined,
    action: () => Promise<void>,
  ): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.store.undo(serviceId, before);
      this.store.addNotice(serviceId, "DeployFailed", (error as Error).message);
      if (previous) {
        await this.runtime
          .deployPod({ serviceId, revision: previous.revision, containers: previous.containers })
          .catch(() => undefined);
      } else await this.runtime.removePod(serviceId).catch(() => undefined);
      if (error instanceof PlatformError) throw error;
      throw new PlatformError(
        502,
        `the container engine refused the deployment: ${(error as Error).message}`,
      );
    }
  }

  private async engine(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (error instanceof PlatformError) throw error;
      throw new PlatformError(502, `the container engine failed: ${(error as Error).message}`);
    }
  }

  /** The service, refusing changes to one that has ended. */
  private live(serviceId: string): ServiceRecord {
    const service = this.store.service(serviceId);
    if (!service) throw new PlatformError(404, "no such service");
    const status = this.view(service).status;
    if (status === "ServiceDone" || status === "ServiceAbort") {
      throw new PlatformError(409, `the service has ended (${status}); buy or renew one`);
    }
    return service;
  }

  private deployed(serviceId: string) {
    const current = this.store.deployment(serviceId);
    if (!current) throw new PlatformError(409, "nothing deployed yet");
    return current;
  }

  private containerOf(service: ServiceRecord, name: string): ContainerRecord {
    const c = this.store.deployment(service.id)?.containers.find((x) => x.name === name);
    if (!c) throw new PlatformError(404, `no container named ${name}`);
    return c;
  }

  private serialized<T>(serviceId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(serviceId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(task);
    this.locks.set(serviceId, next);
    return next;
  }
}

/**
 * vkube sends lists; the market CLI a string, "" for unset. How a real provider splits a string
 * is unknown: here like a POSIX shell without expansions (quotes and backslashes group words).
 */
export function argv(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < value.length) word = (word ?? "") + value[++i];
      else word = (word ?? "") + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= "";
    } else if (ch === "\\" && i + 1 < value.length) word = (word ?? "") + value[++i];
    else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + ch;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Lock name for choosing and recording host ports across all services. */
const PORT_LOCK = "\u0000ports";

/** Mount paths and config paths: absolute, plain, and not over the system's own directories. */
function checkPaths(c: ContainerInput): void {
  const paths: [string, string | undefined][] = [
    ["mountPath", c.mountPath || undefined],
    ["configMountPath", c.configMountPath],
    ...Object.keys(c.configMap ?? {}).map((p): [string, string] => ["configMap path", p]),
  ];
  for (const [what, path] of paths) {
    if (path === undefined) continue;
    const problem = !path.startsWith("/")
      ? "must be absolute"
      : path.includes("\0") || path.includes(":")
        ? "may not contain NUL or ':'"
        : path.split("/").some((s) => s === ".." || s === ".")
          ? "may not contain . or .. segments"
          : path === "/" || /^\/(proc|sys|dev)(\/|$)/.test(path)
            ? "may not be / or under /proc, /sys or /dev"
            : undefined;
    if (problem) throw new PlatformError(400, `${what} ${JSON.stringify(path)} of ${c.name} ${problem}`);
  }
}

function protocolOf(p: string | undefined): Protocol {
  return (p ?? "TCP").toUpperCase() === "UDP" ? "UDP" : "TCP";
}

/** Image reference without tag or digest. */
function repository(ref: string): string {
  const at = ref.indexOf("@");
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.indexOf(":", slash + 1);
  return colon >= 0 ? noDigest.slice(0, colon) : noDigest;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
  });
}

export type { Readable };
