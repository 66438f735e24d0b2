import { baseDomain } from "../platform/domain.js";
import type { Capabilities } from "../platform/model.js";
import { byText } from "../util/sorted.js";
import {
  configInPlace,
  diffContents,
  diffEnv,
  diffFiles,
  diffMap,
  type SecretContext,
} from "./diff-config.js";
import type { Change, LiveNormalService, NormalContainer, NormalDomain, NormalService } from "./model.js";
import { domainText, portList } from "./values.js";

/**
 * What differs between desired and live, as changes to show and as the facts the calls are chosen
 * from (operations.ts): which containers changed how, which domains move, what storage is left.
 */
export interface ServiceDelta {
  /** Never deployed. */
  created: boolean;
  /** Sorted by path. */
  changes: Change[];
  /** What a destructive change leaves behind in storage, one sentence each. */
  losses: string[];
  /** The desired containers' names: what a deploy or redeploy sends. */
  deployed: string[];
  /** Each desired container that changed, in the manifest's order. */
  containers: ContainerDelta[];
  /** Live containers the manifest no longer has. */
  removed: string[];
  domains: DomainDelta;
  paused: boolean;
  description: boolean;
  labels: boolean;
}

export interface ContainerDelta {
  name: string;
  /** New: the service is deployed again with it. */
  added: boolean;
  /** Fields no call changes in place: ports, units, storage, command, args. */
  fields: string[];
  image: boolean;
  /** Its env or config files changed. */
  config?: { files: boolean; publicConfig: boolean };
}

export interface DomainDelta {
  /** Unbound together, first; sorted. */
  unbind: string[];
  /** Bound one by one, last, each with why. */
  bind: { name: string; cause: string }[];
  /** Base domains whose https changed: every domain under them is rebound. */
  rebound: string[];
}

/**
 * Compares desired with live (both normalized). Fields the provider does not show are not
 * compared; description and labels are compared only where the provider shows them back. Pure.
 */
export function diffService(
  desired: NormalService,
  live: LiveNormalService | undefined,
  caps: Capabilities,
  secrets: SecretContext,
): ServiceDelta {
  if (!live) return created(desired, caps, secrets);

  const changes: Change[] = [];
  const containers: ContainerDelta[] = [];
  const removed: string[] = [];
  const losses: string[] = [];

  const liveByName = new Map(live.containers.map((c) => [c.name, c]));
  const desiredNames = new Set(desired.containers.map((c) => c.name));
  for (const d of desired.containers) {
    const l = liveByName.get(d.name);
    const at = `containers.${d.name}`;
    if (!l) {
      changes.push(...containerAdded(d, secrets, true));
      containers.push({ name: d.name, added: true, fields: [], image: false });
      continue;
    }
    const delta: ContainerDelta = { name: d.name, added: false, fields: [], image: false };
    const recreateField = (field: string, before: unknown, after: unknown, isDestructive = false) => {
      changes.push({
        path: `${at}.${field}`,
        kind: "change",
        before,
        after,
        forcesRedeploy: true,
        ...(isDestructive ? { destructive: true } : {}),
      });
      delta.fields.push(field);
    };
    if (l.ports && !samePorts(d, l.ports))
      recreateField("ports", portList(l.ports, d.ports), portList(d.ports));
    if (l.units !== undefined && d.units !== l.units) recreateField("units", l.units, d.units);
    if (l.storage !== undefined && d.storage !== l.storage) {
      recreateField("storage", l.storage || "(none)", d.storage || "(none)", l.storage !== "");
      if (l.storage && d.storage)
        losses.push(
          `storage of container ${d.name} moves from ${l.storage} to ${d.storage}: what it wrote at ${l.storage} is no longer there`,
        );
      else if (l.storage) losses.push(`storage of container ${d.name} (${l.storage}) is no longer mounted`);
    }
    if (l.command && !sameList(d.command, l.command)) recreateField("command", l.command, d.command);
    if (l.args && !sameList(d.args, l.args)) recreateField("args", l.args, d.args);
    if (d.image !== l.image) {
      changes.push({ path: `${at}.image`, kind: "change", before: l.image, after: d.image });
      delta.image = true;
    }
    const envChanges = diffEnv(at, d.env, l.env, secrets);
    const fileChanges = l.files ? diffFiles(at, d, l.files) : diffContents(at, d, l.fileContents);
    changes.push(...envChanges, ...fileChanges);
    if (envChanges.length + fileChanges.length > 0)
      delta.config = { files: fileChanges.length > 0, publicConfig: configInPlace(d, l) };
    if (delta.fields.length > 0 || delta.image || delta.config) containers.push(delta);
  }
  // A removed container is a redeploy. One that mounted storage leaves its data
  // behind: a rename is a removal and an addition, and the new name starts with empty storage.
  const added = desired.containers.filter((d) => !liveByName.has(d.name) && d.storage);
  for (const l of live.containers) {
    if (desiredNames.has(l.name)) continue;
    const leavesData = Boolean(l.storage);
    changes.push({
      path: `containers.${l.name}`,
      kind: "remove",
      before: l.image,
      forcesRedeploy: true,
      ...(leavesData ? { destructive: true } : {}),
    });
    removed.push(l.name);
    if (leavesData) {
      const renamed =
        added.length > 0 ? `; ${added.map((a) => a.name).join(", ")} starts with empty storage` : "";
      losses.push(
        `storage of container ${l.name} (${l.storage}) is no longer mounted: the container is removed${renamed}`,
      );
    }
  }
  const domains = diffDomains(desired.domains, live.domains, changes);
  // A manifest describes a running service: applying it to a paused one runs it again.
  if (live.paused) changes.push({ path: "state", kind: "change", before: "paused", after: "running" });
  const description = live.description !== undefined && desired.description !== live.description;
  if (description) {
    changes.push({
      path: "metadata.description",
      kind: "change",
      before: live.description,
      after: desired.description,
    });
  }
  const labelChanges = live.labels ? diffMap("metadata.labels", desired.labels, live.labels) : [];
  changes.push(...labelChanges);
  return {
    created: false,
    changes: sortChanges(changes),
    losses,
    deployed: desired.containers.map((c) => c.name),
    containers,
    removed,
    domains,
    paused: Boolean(live.paused),
    description,
    labels: labelChanges.length > 0,
  };
}

/** Description and labels are written only where the provider shows them back (metadata, labels-map). */
function created(desired: NormalService, caps: Capabilities, secrets: SecretContext): ServiceDelta {
  const changes: Change[] = desired.containers.flatMap((c) => containerAdded(c, secrets, false));
  const description = Boolean(desired.description) && caps.has("metadata");
  if (description) changes.push({ path: "metadata.description", kind: "add", after: desired.description });
  const labels = caps.has("labels-map") ? diffMap("metadata.labels", desired.labels, {}) : [];
  changes.push(...labels);
  for (const d of desired.domains)
    changes.push({ path: `domains.${d.name}`, kind: "add", after: domainText(d) });
  return {
    created: true,
    changes: sortChanges(changes),
    losses: [],
    deployed: desired.containers.map((c) => c.name),
    containers: [],
    removed: [],
    domains: {
      unbind: [],
      bind: desired.domains.map((d) => ({ name: d.name, cause: `domain ${d.name} added` })),
      rebound: [],
    },
    paused: false,
    description,
    labels: labels.length > 0,
  };
}

/**
 * Domains are bound one by one and unbound in groups. https is fixed per base domain at its first
 * bind, so a changed https rebinds every domain of that base domain.
 */
function diffDomains(desired: NormalDomain[], live: NormalDomain[], changes: Change[]): DomainDelta {
  const liveByName = new Map(live.map((d) => [d.name, d]));
  const desiredByName = new Map(desired.map((d) => [d.name, d]));
  const rebindGroups = new Set<string>();
  for (const d of desired) {
    const group = baseDomain(d.name);
    const liveGroup = live.filter((l) => baseDomain(l.name) === group);
    if (liveGroup.length > 0 && liveGroup.some((l) => l.https !== d.https)) rebindGroups.add(group);
  }
  const unbind: string[] = [];
  const bind: NormalDomain[] = [];
  const causes = new Map<string, string>();
  for (const group of [...rebindGroups].sort()) {
    for (const l of live.filter((x) => baseDomain(x.name) === group)) unbind.push(l.name);
    for (const d of desired.filter((x) => baseDomain(x.name) === group)) {
      bind.push(d);
      causes.set(d.name, `https of ${group} changed: every domain under it is rebound`);
    }
  }
  for (const l of live) {
    if (rebindGroups.has(baseDomain(l.name))) continue;
    const d = desiredByName.get(l.name);
    if (!d) unbind.push(l.name);
    else if (d.port !== l.port) {
      unbind.push(l.name);
      bind.push(d);
      causes.set(d.name, `domain ${d.name} moves to port ${d.port}`);
    }
  }
  for (const d of desired) {
    if (!rebindGroups.has(baseDomain(d.name)) && !liveByName.has(d.name)) {
      bind.push(d);
      causes.set(d.name, `domain ${d.name} added`);
    }
  }
  for (const name of unbind) {
    const l = liveByName.get(name) as NormalDomain;
    const d = desiredByName.get(name);
    if (!d) changes.push({ path: `domains.${name}`, kind: "remove", before: domainText(l) });
  }
  for (const d of bind) {
    const l = liveByName.get(d.name);
    changes.push(
      l
        ? { path: `domains.${d.name}`, kind: "change", before: domainText(l), after: domainText(d) }
        : { path: `domains.${d.name}`, kind: "add", after: domainText(d) },
    );
  }
  return {
    unbind: unbind.sort(),
    bind: bind
      .sort((a, b) => byText(a.name, b.name))
      .map((d) => ({ name: d.name, cause: causes.get(d.name) ?? "" })),
    rebound: [...rebindGroups].sort(),
  };
}

/**
 * A new container, every field as an addition, so a reviewer sees all it exposes and runs:
 * image, units, ports, env (secrets as sensitive), storage, command, args, config files.
 */
function containerAdded(d: NormalContainer, secrets: SecretContext, forcesRedeploy: boolean): Change[] {
  const at = `containers.${d.name}`;
  const add = (path: string, after: unknown): Change => ({ path, kind: "add", after });
  return [
    { ...add(at, d.image), ...(forcesRedeploy ? { forcesRedeploy: true } : {}) },
    add(`${at}.units`, d.units),
    ...(d.ports.length > 0 ? [add(`${at}.ports`, portList(d.ports))] : []),
    ...diffEnv(at, d.env, {}, secrets),
    ...(d.storage ? [add(`${at}.storage`, d.storage)] : []),
    ...(d.command.length > 0 ? [add(`${at}.command`, d.command)] : []),
    ...(d.args.length > 0 ? [add(`${at}.args`, d.args)] : []),
    ...diffFiles(at, d, {}),
  ];
}

/** Desired ports without `host` match whatever host the platform assigned. */
function samePorts(desired: NormalContainer, live: NormalContainer["ports"]): boolean {
  if (desired.ports.length !== live.length) return false;
  return desired.ports.every((d, i) => {
    const l = live[i];
    return (
      l !== undefined &&
      d.container === l.container &&
      d.protocol === l.protocol &&
      (d.host === undefined || d.host === l.host)
    );
  });
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sortChanges(changes: Change[]): Change[] {
  return [...changes].sort((a, b) => byText(a.path, b.path));
}
