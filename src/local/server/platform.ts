// Longer than 300 lines: every mutation of the API, each under the same protocol (serialize per
// service, check, record, engine, undo on failure); one class keeps that protocol in one place.
// The rules it checks are in deployment-rules.ts and domains.ts, the reads in views.ts, start-up
// in reconcile.ts.
import { randomBytes } from "node:crypto";
import type { RegistryLogin } from "../../platform/model.js";
import { sha256Hex } from "../../util/hash.js";
import { sortedRecord } from "../../util/sorted.js";
import type { ApiMode } from "../paths.js";
import {
  applyPodUpdate,
  type ContainerInput,
  checkPaths,
  imageTargets,
  portFree,
  validateDeployment,
} from "./deployment-rules.js";
import { domainsToUnbind, domainToBind, route } from "./domains.js";
import { PlatformError } from "./platform-error.js";
import { reconcile, watchCrashes } from "./reconcile.js";
import { type DockerRuntime, ImagePullError } from "./runtime.js";
import { type ContainerRecord, RevisionConflict, type ServiceRecord, type Store } from "./store.js";
import { PlatformViews } from "./views.js";

export interface PlatformOptions {
  hostPortRange: [number, number];
  region: string;
  /** real: only the evidenced API's fields and behaviours; extended: plus svc's capabilities. */
  mode: ApiMode;
  /** How long the pod's reads keep showing the previous pod after a change (views.ts); 0: at once. */
  visibilityDelayMs?: number;
}

/**
 * The V Kube provider API's behaviour on the local engine: records first (SQLite), then the engine,
 * so a crash between the two is repaired by reconcile. Calls on one service are serialized.
 */
export class Platform {
  private readonly locks = new Map<string, Promise<unknown>>();
  private stopWatching: (() => void) | undefined;
  /** What the API's reads answer. */
  readonly views: PlatformViews;

  constructor(
    readonly store: Store,
    readonly runtime: DockerRuntime,
    private readonly options: PlatformOptions,
  ) {
    this.views = new PlatformViews(
      store,
      runtime,
      options.mode === "extended",
      options.visibilityDelayMs ?? 0,
    );
  }

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

  /** What a mutation answers: `{}` (real providers' answers are unknown) or the new revision. */
  private answer(revision: number): { revision?: number } {
    return this.extended ? { revision } : {};
  }

  // ---- deployment ----

  deploy(
    serviceId: string,
    body: { containers: ContainerInput[]; pvtLogin?: RegistryLogin[] },
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
      await this.views.hold(service);
      const before = { revision: service.revision, status: service.status };
      const request = { containers: body.containers };
      // Host ports are chosen and recorded under one platform-wide lock: two services deploying
      // at once never get the same port.
      const { containers, revision } = await this.serialized(PORT_LOCK, async () => {
        const containers = await validateDeployment(
          { store: this.store, runtime: this.runtime, hostPortRange: this.options.hostPortRange },
          service,
          body.containers,
          current?.containers ?? [],
        );
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

  lifecycle(serviceId: string, action: "restart" | "stop" | "start", ifRevision?: number) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      if (!this.store.deployment(serviceId)) throw new PlatformError(409, "nothing deployed yet");
      const status = action === "stop" ? "ServiceStop" : "ServiceRunning";
      await this.views.hold(service);
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
    items: { image: string; login?: RegistryLogin; container?: string }[],
    ifRevision?: number,
  ) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const current = this.deployed(serviceId);
      const containers = structuredClone(current.containers);
      const targets = imageTargets(containers, items, this.extended);
      for (const [i, item] of items.entries()) {
        await this.pull(item.image, item.login?.username ? item.login : undefined);
        (targets[i] as ContainerRecord).imageName = item.image;
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
      applyPodUpdate(containers, body);
      return this.redeployApps(service, ifRevision, containers, "Updated");
    });
  }

  async logs(
    service: ServiceRecord,
    container: string,
    options: { tail?: number; follow?: boolean; since?: number },
  ) {
    this.views.containerOf(service, container);
    try {
      return await this.runtime.logs(service.id, container, options);
    } catch (error) {
      throw new PlatformError(404, `no logs for ${container} yet: ${(error as Error).message}`);
    }
  }

  // ---- domains ----

  bindDomain(
    serviceId: string,
    body: { domain: string; containerPort: number; isLetsencrypt?: boolean },
    ifRevision?: number,
  ) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const record = domainToBind(this.store, serviceId, body);
      const revision = this.mutate(service, ifRevision, () => this.store.bindDomain(record));
      this.store.addNotice(serviceId, "DomainBound", record.domain);
      return this.answer(revision);
    });
  }

  unbindDomains(serviceId: string, domains: string[] | undefined, ifRevision?: number) {
    return this.serialized(serviceId, async () => {
      const service = this.live(serviceId);
      const names = domainsToUnbind(this.store, serviceId, domains);
      const revision = this.mutate(service, ifRevision, () => this.store.unbindDomains(serviceId, names));
      this.store.addNotice(serviceId, "DomainUnbound", names?.join(", ") ?? "all");
      return this.answer(revision);
    });
  }

  /** The proxy's routing table lookup. */
  route(domain: string): { hostPort: number; isHttps: boolean } | undefined {
    return route(this.store, domain);
  }

  // ---- preflight ----

  /**
   * A private image (one whose login was needed to pull it) exists for a caller only if its own
   * login may pull it. Any other image exists when the engine has it or its registry serves it,
   * to this login or to none: a login that fails for an image that needs none is ignored.
   */
  async imageAvailable(ref: string, login?: RegistryLogin): Promise<boolean> {
    if (this.store.isPrivateImage(ref)) return this.runtime.registryGrants(ref, login);
    return (
      (await this.runtime.imageAvailable(ref, login)) ||
      (login?.username !== undefined && login.username !== "" && (await this.runtime.registryGrants(ref)))
    );
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

  /**
   * Makes the engine match the records: recreates pods that are missing or at another revision,
   * starts stopped ones that should run, removes containers of ours that no record explains.
   */
  reconcile(log: (line: string) => void): Promise<void> {
    return reconcile(this.store, this.runtime, log);
  }

  async watch(): Promise<void> {
    this.stopWatching = await watchCrashes(this.store, this.runtime);
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
    await this.views.hold(service);
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

  /**
   * Makes an image available to one tenant. An image is private only when its login was needed
   * to pull it — an anonymous pull is refused and the login's succeeds: the engine keeps it, but
   * another tenant may use it only with a login its registry accepts, asked again each time, never
   * because someone else pulled it. An image the engine already has (built or loaded here, or
   * public) stays usable by every tenant, whatever logins are sent along: the public clients send
   * one whenever a registry is named, and a login never used makes nothing private.
   */
  private async pull(ref: string, login?: RegistryLogin): Promise<void> {
    const withLogin = login?.username ? login : undefined;
    if (this.store.isPrivateImage(ref)) {
      if (!(await this.runtime.registryGrants(ref, withLogin))) {
        throw new PlatformError(
          400,
          `image ${ref} is private: send a registry login that can pull it${withLogin ? " (this one cannot)" : ""}`,
        );
      }
      return this.ensure(ref, withLogin);
    }
    if (!withLogin || !(await this.runtime.needsPull(ref)) || (await this.runtime.registryGrants(ref))) {
      // Needs no login: pulled (if at all) as anyone would, the login ignored as a registry would.
      return this.ensure(ref, undefined);
    }
    await this.ensure(ref, withLogin);
    this.store.markPrivateImage(ref);
  }

  private async ensure(ref: string, login: RegistryLogin | undefined): Promise<void> {
    try {
      await this.runtime.ensureImage(ref, login);
    } catch (error) {
      if (error instanceof ImagePullError) throw new PlatformError(400, error.message);
      throw error;
    }
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
    const status = this.views.view(service).status;
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

  private serialized<T>(serviceId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(serviceId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(task);
    this.locks.set(serviceId, next);
    return next;
  }
}

/** Lock name for choosing and recording host ports across all services. */
const PORT_LOCK = "\u0000ports";
