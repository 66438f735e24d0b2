// Longer than 300 lines: the one adapter between the local platform and the Docker engine (pods as
// an infra container plus apps, images, logs, stats, crash events); nothing else talks to
// dockerode. The pause image is built in pause-image.ts.
import { cpus } from "node:os";
import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import tar from "tar-stream";
import { authConfig, engineMessage } from "../../platform/engine.js";
import type { RegistryLogin } from "../../platform/model.js";
import { localPauseImage } from "./pause-image.js";
import type { ContainerRecord } from "./store.js";

/** How resource units become engine limits: each unit is half a CPU and 512 MiB of memory. */
export const UNIT = { nanoCpus: 0.5e9, memoryBytes: 512 * 1024 * 1024 } as const;

const FALLBACK_PAUSE_IMAGE = "registry.k8s.io/pause:3.10";
const LABEL = {
  instance: "dev.svc.instance",
  service: "dev.svc.service",
  role: "dev.svc.role",
  container: "dev.svc.container",
  revision: "dev.svc.revision",
} as const;

export interface PodDefinition {
  serviceId: string;
  revision: number;
  containers: ContainerRecord[];
}

export interface ContainerState {
  name: string;
  image: string;
  ready: boolean;
  restartCount: number;
  state:
    | { running: { startedAt: string } }
    | { waiting: { reason: string } }
    | { terminated: { exitCode: number; reason: string } };
}

/** Per-container usage as the engine reports it; the API answers it metric first. */
export interface ContainerStats {
  /** Percent of one core. */
  cpu: number;
  memory: { value: number; limitValue: number };
  networkDownload: number;
  networkUpload: number;
  storage: number;
}

/** An image could not be pulled: the user's problem (wrong name, tag or login), not ours. */
export class ImagePullError extends Error {}

/**
 * The local platform's pods on a Docker engine. A pod is an infra container that owns the network
 * namespace and publishes the ports, and one container per app container joined to it, so the
 * containers share localhost like a Kubernetes pod. Everything carries labels naming this platform
 * instance, so several platforms can share one engine and strays can be found.
 */
export class DockerRuntime {
  readonly docker: Docker;
  private readonly hostCpus = cpus().length;
  /** Containers svc is stopping on purpose: their exit is not a crash. */
  readonly expectedStops = new Set<string>();

  constructor(
    private readonly instanceId: string,
    docker?: Docker,
    /** Where pods publish their ports: loopback unless asked (`--publish-address`). */
    readonly publishAddress = "127.0.0.1",
  ) {
    this.docker = docker ?? new Docker();
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  /**
   * Engine names joined by ".", which neither service ids nor container names may contain, so
   * service `x` with container `prod-db` and service `x-prod` with container `db` never meet.
   */
  name(serviceId: string, container?: string): string {
    return `svc-${this.instanceId}.${serviceId}${container ? `.${container}` : ""}`;
  }

  volumeName(serviceId: string, container: string): string {
    return `svc-${this.instanceId}.${serviceId}.${container}.data`;
  }

  /** The name volumes had before (joined by "-"): kept for existing data, never given to new ones. */
  legacyVolumeName(serviceId: string, container: string): string {
    return `svc-${this.instanceId}-${serviceId}-${container}-data`;
  }

  /** Uses an image already in the engine as it is; pulls only when missing or tagged latest. */
  async ensureImage(ref: string, login?: RegistryLogin): Promise<void> {
    if (await this.needsPull(ref)) await this.pull(ref, login);
  }

  /** Whether ensureImage would pull: the image is missing, or tagged latest (or not tagged). */
  async needsPull(ref: string): Promise<boolean> {
    const latest = !ref.includes("@") && (/:latest$/.test(ref) || !/:[^/]+$/.test(ref));
    return latest || !(await this.hasImage(ref));
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch {
      return false;
    }
  }

  /** True when the image is in the engine or its registry serves it to this login (no pull). */
  async imageAvailable(ref: string, login?: RegistryLogin): Promise<boolean> {
    return (await this.hasImage(ref)) || (await this.registryGrants(ref, login));
  }

  /** Whether the image's registry lets this login (or no login) pull it: asked of the registry, not the engine's cache. */
  async registryGrants(ref: string, login?: RegistryLogin): Promise<boolean> {
    try {
      const image = this.docker.getImage(ref) as Docker.Image & {
        distribution(opts: object): Promise<unknown>;
      };
      await image.distribution({ authconfig: authConfig(ref, login) });
      return true;
    } catch {
      return false;
    }
  }

  private async pull(ref: string, login?: RegistryLogin): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref, login?.username ? { authconfig: authConfig(ref, login) } : {});
    } catch (error) {
      throw new ImagePullError(`cannot pull ${ref}: ${engineMessage(error)}`);
    }
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
        const failed = error?.message ?? events?.find((e) => e.error)?.error;
        if (failed) reject(new ImagePullError(`cannot pull ${ref}: ${failed}`));
        else resolve();
      });
    });
  }

  /** Replaces the whole pod: infra container (ports) and every app container. */
  async deployPod(pod: PodDefinition): Promise<void> {
    await this.removePod(pod.serviceId);
    const infra = await this.createInfra(pod);
    // An app container joins the infra container's network when it starts, not when it is created.
    const [apps] = await Promise.all([this.createApps(pod, infra.id), infra.start()]);
    await Promise.all(apps.map((app) => app.start()));
  }

  /** Recreates the app containers only (image, env or config changed); ports stay as they are. */
  async recreateApps(pod: PodDefinition): Promise<void> {
    const infra = await this.find(this.name(pod.serviceId));
    if (infra?.State !== "running") return this.deployPod(pod);
    for (const c of await this.list({ service: pod.serviceId, role: "app" })) await this.remove(c.Id);
    await this.startApps(pod, infra.Id);
  }

  /** The app containers are independent once the infra container holds the network: started at once. */
  private async startApps(pod: PodDefinition, infraId: string): Promise<void> {
    await Promise.all((await this.createApps(pod, infraId)).map((app) => app.start()));
  }

  private createApps(pod: PodDefinition, infraId: string): Promise<Docker.Container[]> {
    return Promise.all(
      pod.containers.map(async (c) => {
        const app = await this.docker.createContainer(this.appSpec(pod, c, infraId));
        await copyConfigFiles(app, c.configMap);
        return app;
      }),
    );
  }

  private async createInfra(pod: PodDefinition): Promise<Docker.Container> {
    const image = await this.pauseImage();
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const c of pod.containers) {
      for (const p of c.ports) {
        const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
        exposed[key] = {};
        bindings[key] = [{ HostIp: this.publishAddress, HostPort: String(p.hostPort) }];
      }
    }
    return this.docker.createContainer({
      name: this.name(pod.serviceId),
      Image: image.ref,
      ...(image.cmd ? { Entrypoint: image.cmd, Cmd: [] } : {}),
      ExposedPorts: exposed,
      Labels: this.labels(pod, "pod"),
      HostConfig: { PortBindings: bindings, RestartPolicy: { Name: "unless-stopped" }, Init: false },
    });
  }

  private appSpec(pod: PodDefinition, c: ContainerRecord, infraId: string): Docker.ContainerCreateOptions {
    const mounts: Docker.MountSettings[] = c.mountPath
      ? [
          {
            Type: "volume",
            Source: c.volume ?? this.legacyVolumeName(pod.serviceId, c.name),
            Target: c.mountPath,
          },
        ]
      : [];
    return {
      name: this.name(pod.serviceId, c.name),
      Image: c.imageName,
      Env: c.envs.map((e) => `${e.name}=${e.value}`),
      // Kubernetes semantics: command replaces the entrypoint and, with it, the image's CMD.
      ...(c.command.length > 0
        ? { Entrypoint: c.command, Cmd: c.args }
        : c.args.length > 0
          ? { Cmd: c.args }
          : {}),
      Labels: { ...this.labels(pod, "app"), [LABEL.container]: c.name },
      HostConfig: {
        NetworkMode: `container:${infraId}`,
        Mounts: mounts,
        Memory: c.resourceUnit * UNIT.memoryBytes,
        NanoCpus: Math.min(c.resourceUnit * UNIT.nanoCpus, this.hostCpus * 1e9),
        RestartPolicy: { Name: "unless-stopped" },
        // An init process as PID 1 forwards signals, so stop and restart do not wait out a timeout.
        Init: true,
      },
    };
  }

  private labels(pod: PodDefinition, role: "pod" | "app"): Record<string, string> {
    return {
      [LABEL.instance]: this.instanceId,
      [LABEL.service]: pod.serviceId,
      [LABEL.role]: role,
      [LABEL.revision]: String(pod.revision),
    };
  }

  /** The infra container's image: the local pause image, or the Kubernetes one pulled from its registry. */
  private async pauseImage(): Promise<{ ref: string; cmd?: string[] }> {
    const local = await localPauseImage(this.docker, (ref) => this.hasImage(ref));
    if (local) return local;
    try {
      await this.ensureImage(FALLBACK_PAUSE_IMAGE);
    } catch (error) {
      throw new ImagePullError(
        `no pause image: install busybox-static (apt-get install -y busybox-static) or allow pulling ${FALLBACK_PAUSE_IMAGE} (${(error as Error).message})`,
      );
    }
    return { ref: FALLBACK_PAUSE_IMAGE };
  }

  async stopPod(serviceId: string): Promise<void> {
    const containers = await this.list({ service: serviceId });
    // Apps first, the infra container (which holds their network) last.
    for (const c of containers.sort((a, b) => roleOrder(a) - roleOrder(b))) {
      if (c.State !== "running" && c.State !== "restarting") continue;
      this.expectedStops.add(c.Id);
      await this.docker.getContainer(c.Id).stop({ t: 5 }).catch(ignoreNotModified);
    }
  }

  async startPod(serviceId: string): Promise<void> {
    const containers = await this.list({ service: serviceId });
    for (const c of containers.sort((a, b) => roleOrder(b) - roleOrder(a))) {
      if (c.State !== "running") await this.docker.getContainer(c.Id).start().catch(ignoreNotModified);
    }
  }

  /**
   * A restart asked through the API is a Kubernetes rollout restart: a new start, and a restart
   * count that stays as it was (the engine counts only its own restarts, after a container exits).
   * Restart counts are crashes, so a client can tell a crash loop from a restart it asked for.
   */
  async restartPod(serviceId: string): Promise<void> {
    for (const c of await this.list({ service: serviceId, role: "app" })) {
      this.expectedStops.add(c.Id);
      await this.docker.getContainer(c.Id).restart({ t: 5 });
    }
  }

  async removePod(serviceId: string): Promise<void> {
    const containers = await this.list({ service: serviceId });
    for (const c of containers.sort((a, b) => roleOrder(a) - roleOrder(b))) await this.remove(c.Id);
  }

  async remove(id: string): Promise<void> {
    this.expectedStops.add(id);
    await this.docker
      .getContainer(id)
      .remove({ force: true, v: false })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }

  /** This platform's containers, optionally of one service and role. */
  async list(filter: { service?: string; role?: "pod" | "app" } = {}): Promise<Docker.ContainerInfo[]> {
    const label = [`${LABEL.instance}=${this.instanceId}`];
    if (filter.service) label.push(`${LABEL.service}=${filter.service}`);
    if (filter.role) label.push(`${LABEL.role}=${filter.role}`);
    return this.docker.listContainers({ all: true, filters: { label } });
  }

  private async find(name: string): Promise<Docker.ContainerInfo | undefined> {
    const found = await this.docker.listContainers({ all: true, filters: { name: [`^/${name}$`] } });
    return found[0];
  }

  /** Per app container: state as the pod status API reports it. */
  async podState(pod: PodDefinition): Promise<ContainerState[]> {
    const states: ContainerState[] = [];
    for (const c of pod.containers) {
      let info: Docker.ContainerInspectInfo | undefined;
      try {
        info = await this.docker.getContainer(this.name(pod.serviceId, c.name)).inspect();
      } catch {
        info = undefined;
      }
      states.push(containerState(c, info));
    }
    return states;
  }

  /** Whether the pod's containers exist at this revision (reconcile uses it). */
  async podMatches(pod: PodDefinition): Promise<boolean> {
    const containers = await this.list({ service: pod.serviceId });
    const revisionOk = containers.every((c) => c.Labels[LABEL.revision] === String(pod.revision));
    // Containers from before the unambiguous names are recreated under them.
    const namesOk = containers.every((c) => {
      const app = c.Labels[LABEL.container];
      return c.Names[0] === `/${this.name(pod.serviceId, c.Labels[LABEL.role] === "app" ? app : undefined)}`;
    });
    const apps = containers
      .filter((c) => c.Labels[LABEL.role] === "app")
      .map((c) => c.Labels[LABEL.container]);
    const hasInfra = containers.some((c) => c.Labels[LABEL.role] === "pod");
    const expected = pod.containers.map((c) => c.name).sort();
    return revisionOk && namesOk && hasInfra && JSON.stringify(apps.sort()) === JSON.stringify(expected);
  }

  /** The container's logs as plain text (stdout and stderr interleaved). */
  async logs(
    serviceId: string,
    container: string,
    options: { tail?: number; follow?: boolean; since?: number },
  ): Promise<Readable> {
    const target = this.docker.getContainer(this.name(serviceId, container));
    const info = await target.inspect();
    const common = {
      stdout: true,
      stderr: true,
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.since !== undefined ? { since: options.since } : {}),
    };
    const out = new PassThrough();
    if (options.follow) {
      const raw = (await target.logs({ ...common, follow: true })) as unknown as Readable;
      if (info.Config.Tty) raw.pipe(out);
      else this.docker.modem.demuxStream(raw, out, out);
      raw.on("end", () => out.end());
      out.on("close", () => raw.destroy());
      return out;
    }
    const buffer = (await target.logs({ ...common, follow: false })) as unknown as Buffer;
    out.end(info.Config.Tty ? buffer : demuxBuffer(buffer));
    return out;
  }

  async stats(serviceId: string, container: string): Promise<ContainerStats> {
    const target = this.docker.getContainer(this.name(serviceId, container));
    const [s, info, infra] = await Promise.all([
      target.stats({ stream: false }) as Promise<Docker.ContainerStats>,
      (target.inspect as (o: object) => Promise<Docker.ContainerInspectInfo & { SizeRw?: number }>).call(
        target,
        {
          size: true,
        },
      ),
      // The pod's network is the infra container's: its counters are the pod's traffic.
      this.docker
        .getContainer(this.name(serviceId))
        .stats({ stream: false }) as Promise<Docker.ContainerStats>,
    ]);
    const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats.cpu_usage?.total_usage ?? 0);
    const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
    const onlineCpus = s.cpu_stats.online_cpus ?? this.hostCpus;
    const networks = Object.values(infra.networks ?? {});
    return {
      cpu: systemDelta > 0 ? Number(((cpuDelta / systemDelta) * onlineCpus * 100).toFixed(2)) : 0,
      memory: { value: s.memory_stats.usage ?? 0, limitValue: s.memory_stats.limit ?? 0 },
      networkDownload: networks.reduce((n, x) => n + x.rx_bytes, 0),
      networkUpload: networks.reduce((n, x) => n + x.tx_bytes, 0),
      storage: info.SizeRw ?? 0,
    };
  }

  /** Calls back for each of this platform's app containers that dies while svc did not stop it. */
  async watchCrashes(
    onCrash: (serviceId: string, container: string, exitCode: number, revision: number) => void,
  ): Promise<() => void> {
    const stream = (await this.docker.getEvents({
      filters: { type: ["container"], event: ["die"], label: [`${LABEL.instance}=${this.instanceId}`] },
    })) as unknown as Readable;
    let buffered = "";
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
        try {
          const event = JSON.parse(line) as { id: string; Actor: { Attributes: Record<string, string> } };
          const attrs = event.Actor.Attributes;
          if (this.expectedStops.delete(event.id) || attrs[LABEL.role] !== "app") continue;
          onCrash(
            attrs[LABEL.service] ?? "",
            attrs[LABEL.container] ?? "",
            Number(attrs.exitCode ?? -1),
            Number(attrs[LABEL.revision] ?? -1),
          );
        } catch {
          // a partial or foreign event line: nothing to report
        }
      }
    });
    stream.on("error", () => {});
    return () => stream.destroy();
  }
}

function containerState(c: ContainerRecord, info: Docker.ContainerInspectInfo | undefined): ContainerState {
  const base = { name: c.name, image: c.imageName, restartCount: info?.RestartCount ?? 0 };
  if (!info) return { ...base, ready: false, state: { waiting: { reason: "ContainerCreating" } } };
  const s = info.State;
  if (s.Restarting) return { ...base, ready: false, state: { waiting: { reason: "CrashLoopBackOff" } } };
  if (s.Running) return { ...base, ready: true, state: { running: { startedAt: s.StartedAt } } };
  if (s.Status === "created")
    return { ...base, ready: false, state: { waiting: { reason: "ContainerCreating" } } };
  return {
    ...base,
    ready: false,
    state: {
      terminated: {
        exitCode: s.ExitCode,
        reason: s.ExitCode === 0 ? "Completed" : s.OOMKilled ? "OOMKilled" : "Error",
      },
    },
  };
}

function roleOrder(c: Docker.ContainerInfo): number {
  return c.Labels[LABEL.role] === "app" ? 0 : 1;
}

function ignoreNotModified(error: { statusCode?: number }): void {
  if (error.statusCode !== 304) throw error;
}

/** The engine multiplexes stdout and stderr in frames of [stream, 0, 0, 0, size(4)] + payload. */
function demuxBuffer(buffer: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts);
}

/**
 * Config files are copied into a container before it starts — read-only to every user in it
 * (0444, owned by root), so the image's own user (postgres, uid 999, ...) reads them, as from a
 * Kubernetes configmap — and never left on this machine's disk: they may hold secrets, and the
 * records keep them owner-only. A missing parent directory is created by the engine.
 */
async function copyConfigFiles(app: Docker.Container, configMap: Record<string, string>): Promise<void> {
  const files = Object.entries(configMap);
  if (files.length === 0) return;
  const pack = tar.pack();
  for (const [path, content] of files)
    pack.entry({ name: path.replace(/^\/+/, ""), mode: 0o444, uid: 0, gid: 0 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  await app.putArchive(Buffer.concat(chunks), { path: "/" });
}
