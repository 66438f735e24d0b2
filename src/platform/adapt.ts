import type {
  Capabilities,
  Capability,
  ContainerStatus,
  LiveContainer,
  LivePort,
  Notice,
  PodView,
  Usage,
  UserService,
} from "./model.js";
import type {
  WireConfigMaps,
  WireContainer,
  WireDeploymentInfo,
  WireMonitor,
  WireNoticePage,
  WirePodStatus,
} from "./wire.js";

/**
 * The one place that turns provider answers into svc's model: null or absent lists become [],
 * fields a provider does not show stay undefined (unmanaged), extension shapes are used only
 * with their capability.
 */

const KNOWN: Capability[] = [
  "revision",
  "labels-map",
  "logs-query",
  "config-path-map",
  "metadata",
  "image-container",
  "deployment-info",
  "notice-secret",
];

/** The capabilities answer: anything but `{capabilities: [...]}` means none; unknown names are ignored. */
export function adaptCapabilities(answer: unknown): Capabilities {
  const names = (answer as { capabilities?: unknown } | undefined)?.capabilities;
  if (!Array.isArray(names)) return new Set();
  return new Set(KNOWN.filter((c) => names.includes(c)));
}

const list = <T>(value: T[] | null | undefined): T[] => (Array.isArray(value) ? value : []);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** The user service, with extension fields kept only under their capability. */
export function adaptService(raw: UserService, caps: Capabilities): UserService {
  const { description, createdAt, expiresAt, duration, labels, revision, ...rest } = raw;
  return {
    ...rest,
    serviceOptions: { ...raw.serviceOptions },
    ...(caps.has("metadata")
      ? {
          ...(description !== undefined ? { description } : {}),
          ...(createdAt !== undefined ? { createdAt } : {}),
          ...(expiresAt !== undefined ? { expiresAt } : {}),
          ...(duration !== undefined ? { duration } : {}),
        }
      : {}),
    ...(caps.has("labels-map") && labels ? { labels } : {}),
    ...(caps.has("revision") && typeof revision === "number" ? { revision } : {}),
  };
}

/** Units bought: `"<N>-Unit-Resource"`. */
export function unitsOf(service: UserService): number {
  return Number(/^(\d+)-Unit-Resource$/.exec(service.serviceOptions.resourceUnit)?.[1] ?? 0);
}

/** Whether host ports may be chosen; undefined when the provider does not say. */
export function specifiedPorts(service: UserService): boolean | undefined {
  const spec = service.serviceOptions.portSpecification;
  return spec === undefined ? undefined : spec === "User Specified Service Port";
}

/** A container that does not run as a manifest says: crash-looping, or exited with an error. */
export function crashed({ state }: ContainerStatus): boolean {
  return (
    state.waiting?.reason === "CrashLoopBackOff" ||
    (state.terminated !== undefined && state.terminated.exitCode !== 0)
  );
}

export function adaptPod(raw: WirePodStatus, status: UserService["status"]): PodView {
  const statuses: ContainerStatus[] = list(raw.podStatus?.containerStatuses).map((s) => ({
    name: s.name,
    ...(s.image ? { image: s.image } : {}),
    restartCount: s.restartCount ?? 0,
    state: s.state ?? {},
    ready: Boolean(s.state?.running),
  }));
  const specs = list(raw.podSpec?.containers);
  const waiting = (s: ContainerStatus) => s.state.waiting?.reason;
  const phase: PodView["phase"] =
    status === "ServiceStop"
      ? "Paused"
      : status === "ServicePending" && specs.length === 0
        ? "NotDeployed"
        : statuses.length > 0 && statuses.every((s) => s.ready)
          ? "Running"
          : statuses.some((s) => s.state.terminated || waiting(s) === "CrashLoopBackOff")
            ? "Failed"
            : "Pending";
  return {
    ...(raw.podStatus?.hostIP ? { hostIP: raw.podStatus.hostIP } : {}),
    containers: statuses,
    domains: list(raw.domains).map((d) => ({
      domain: d.domain.toLowerCase(),
      containerPort: d.containerPort,
      isHttps: Boolean(d.isHttps),
    })),
    phase,
  };
}

function ports(raw: unknown): LivePort[] | undefined {
  if (raw === null) return [];
  if (!Array.isArray(raw)) return undefined;
  return raw.map((p: { containerPort: number; hostPort?: number; protocol?: string }) => ({
    containerPort: p.containerPort,
    ...(p.hostPort ? { hostPort: p.hostPort } : {}),
    protocol: String(p.protocol ?? "TCP").toUpperCase() === "UDP" ? "UDP" : "TCP",
  }));
}

/**
 * The deployed containers. With deployment-info, its answer is the truth (404: never deployed).
 * Without, the pod's spec (evidenced) gives names, images and env; the deployment answer, whose
 * shape is unknown, fills in units, ports, storage, command and args field by field where it has
 * them in a known shape; config files come from the configmap call (contents, or paths with
 * config-path-map).
 */
export function adaptContainers(input: {
  caps: Capabilities;
  service: UserService;
  info: WireDeploymentInfo | undefined;
  pod: WirePodStatus;
  configMaps: WireConfigMaps;
}): LiveContainer[] | undefined {
  const { caps, info, pod, configMaps } = input;
  const echoed = list(info?.containers);
  if (caps.has("deployment-info")) {
    if (!info) return undefined;
    return echoed.map((c) => ({ ...fromDeployment(c, true), ...configOf(c.name, configMaps, caps, c) }));
  }
  const specs = list(pod.podSpec?.containers);
  if (input.service.status === "ServicePending" && specs.length === 0) return undefined;
  const names = specs.length > 0 ? specs.map((c) => c.name) : echoed.map((c) => c.name);
  return names.map((name) => {
    const spec = specs.find((c) => c.name === name);
    const echo = echoed.find((c) => c.name === name);
    const base = echo ? fromDeployment(echo, false) : { name, imageName: "", envs: [] };
    return {
      ...base,
      imageName: spec?.image ?? base.imageName,
      envs: spec ? list(spec.env).map((e) => ({ name: e.name, value: e.value ?? "" })) : base.envs,
      ...configOf(name, configMaps, caps, echo),
    };
  });
}

function fromDeployment(c: WireContainer, full: boolean): LiveContainer {
  const known = <K extends string, V>(key: K, value: V | undefined) =>
    value !== undefined ? ({ [key]: value } as Record<K, V>) : {};
  return {
    name: c.name,
    imageName: c.imageName,
    envs: list(c.envs).map((e) => ({ name: e.name, value: e.value ?? "" })),
    ...known("resourceUnit", typeof c.resourceUnit === "number" ? c.resourceUnit : full ? 1 : undefined),
    ...known("ports", ports(c.ports) ?? (full ? [] : undefined)),
    ...known("mountPath", typeof c.mountPath === "string" ? c.mountPath : full ? "" : undefined),
    ...known("command", isStrings(c.command) ? c.command : full ? [] : undefined),
    ...known("args", isStrings(c.args) ? c.args : full ? [] : undefined),
    ...(full && c.configMap ? { configMap: c.configMap } : {}),
  };
}

function configOf(
  name: string,
  maps: WireConfigMaps,
  caps: Capabilities,
  echo: WireContainer | undefined,
): Pick<LiveContainer, "configMap" | "configContents" | "configPaths"> {
  const entry = maps[name];
  if (caps.has("deployment-info") && echo?.configMap) return { configMap: echo.configMap };
  if (caps.has("config-path-map") && entry && typeof entry === "object") return { configMap: entry };
  const paths = echo?.configMap ? Object.keys(echo.configMap) : [];
  return {
    configContents: typeof entry === "string" ? [entry] : [],
    ...(paths.length ? { configPaths: paths } : {}),
  };
}

/** Metric first → per container: CPU as percent of a core; network and storage per pod. */
export function adaptMonitor(raw: WireMonitor): Usage {
  const names = [...new Set([...Object.keys(raw.cpu ?? {}), ...Object.keys(raw.memory ?? {})])].sort();
  return {
    containers: Object.fromEntries(
      names.map((n) => [
        n,
        {
          cpuPercent: Number((num(raw.cpu?.[n]?.value) * 100).toFixed(2)),
          memory: { value: num(raw.memory?.[n]?.value), limitValue: num(raw.memory?.[n]?.limitValue) },
        },
      ]),
    ),
    pod: {
      networkDownload: num(raw.networkDownload?.value),
      networkUpload: num(raw.networkUpload?.value),
      storage: num(raw.storage?.value),
    },
  };
}

export function adaptNotices(raw: WireNoticePage): { total: number; notices: Notice[] } {
  const notices = list(raw.list).map((n) => ({
    time: new Date(num(n.timestamp) * 1000).toISOString(),
    serviceID: n.serviceID,
    type: n.noticeType,
    ...(n.message ? { message: n.message } : {}),
  }));
  return { total: num(raw.pagination?.total) || notices.length, notices };
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
