import net from "node:net";
import { parseImage } from "../../platform/image.js";
import { pathProblem } from "../../platform/rules.js";
import type { WireContainer } from "../../platform/wire.js";
import { byText, sortedRecord } from "../../util/sorted.js";
import { PlatformError } from "./platform-error.js";
import type { DockerRuntime } from "./runtime.js";
import type { ContainerRecord, PortRecord, Protocol, ServiceRecord, Store } from "./store.js";

/** The Container shape of the API, as the public clients send it (vkube: lists; market CLI: strings). */
export type ContainerInput = WireContainer;

export interface RuleContext {
  store: Store;
  runtime: DockerRuntime;
  hostPortRange: [number, number];
}

/**
 * Checks a deployment body against the service it is for (units, ports, storage, names) and turns
 * it into container records, choosing host ports where none is given (an assigned port is kept
 * across updates). Run under the platform-wide port lock.
 */
export async function validateDeployment(
  context: RuleContext,
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

  const usedElsewhere = context.store.hostPortsInUse(service.id);
  const chosen = new Set<string>();
  for (const p of ports.filter((x) => x.hostPort)) {
    const key = `${p.hostPort}/${p.protocol}`;
    if (usedElsewhere.has(key)) throw new PlatformError(409, `host port ${key} is taken by another service`);
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
            : await assignPort(context.hostPortRange, protocol, chosen, usedElsewhere);
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
      ports: recordPorts.sort((a, b) => a.containerPort - b.containerPort || byText(a.protocol, b.protocol)),
      envs: (c.envs ?? [])
        .map((e) => ({ name: e.name, value: e.value ?? "" }))
        .sort((a, b) => byText(a.name, b.name)),
      mountPath: c.mountPath ?? "",
      // A container keeps its volume across deploys (records from before named volumes keep
      // the legacy name, so no data is lost); a new one gets the unambiguous name.
      ...(c.mountPath
        ? {
            volume:
              before?.volume ??
              (before?.mountPath
                ? context.runtime.legacyVolumeName(service.id, c.name)
                : context.runtime.volumeName(service.id, c.name)),
          }
        : {}),
      command: argv(c.command),
      args: argv(c.args),
      configMap: sortedRecord(configMap),
    });
  }
  return records;
}

/**
 * The container each image update is for. Without `container` (or in real mode) the public API
 * does not say which: the one running the same repository, else the only one.
 */
export function imageTargets(
  containers: ContainerRecord[],
  items: { image: string; container?: string }[],
  extended: boolean,
): ContainerRecord[] {
  return items.map((item) => {
    const named = extended ? item.container : undefined;
    const repository = parseImage(item.image).repository;
    const target = named
      ? containers.find((c) => c.name === named)
      : (containers.find((c) => parseImage(c.imageName).repository === repository) ??
        (containers.length === 1 ? containers[0] : undefined));
    if (!target) {
      throw new PlatformError(
        400,
        named
          ? `no container named ${named}`
          : `no container runs an image of ${repository}; name the container`,
      );
    }
    return target;
  });
}

/** A config or environment update, applied to copies of the records. */
export function applyPodUpdate(
  containers: ContainerRecord[],
  body: {
    config?: Record<string, string | Record<string, string>>;
    environment?: Record<string, Record<string, string>>;
  },
): void {
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
      .sort((a, b) => byText(a.name, b.name));
  }
}

async function assignPort(
  range: [number, number],
  protocol: Protocol,
  chosen: Set<string>,
  usedElsewhere: Map<string, string>,
): Promise<number> {
  const [low, high] = range;
  for (let port = low; port <= high; port++) {
    const key = `${port}/${protocol}`;
    if (chosen.has(key) || usedElsewhere.has(key)) continue;
    if (protocol === "UDP" || (await portFree(port))) return port;
  }
  throw new PlatformError(503, `no free host port left in ${low}-${high}`);
}

/**
 * vkube sends lists; the market CLI a string, "" for unset. How a real provider splits a string
 * is unknown: here like a POSIX shell without expansions (quotes and backslashes group words).
 */
function argv(value: string[] | string | undefined): string[] {
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

/** Mount paths and config paths: the provider's path rules (platform/rules.ts). */
export function checkPaths(c: ContainerInput): void {
  const paths: [string, string | undefined][] = [
    ["mountPath", c.mountPath || undefined],
    ["configMountPath", c.configMountPath],
    ...Object.keys(c.configMap ?? {}).map((p): [string, string] => ["configMap path", p]),
  ];
  for (const [what, path] of paths) {
    if (path === undefined) continue;
    const problem = pathProblem(path);
    if (problem) throw new PlatformError(400, `${what} ${JSON.stringify(path)} of ${c.name} ${problem}`);
  }
}

function protocolOf(p: string | undefined): Protocol {
  return (p ?? "TCP").toUpperCase() === "UDP" ? "UDP" : "TCP";
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
  });
}
