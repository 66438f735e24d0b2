import { createRequire } from "node:module";
import { SECRET_NAME } from "../credentials/names.js";
import { baseDomain } from "../manifest/semantic.js";
import type { Capabilities } from "../platform/model.js";
import type { Fingerprint } from "./fingerprint.js";
import type {
  Action,
  Change,
  LiveNormalContainer,
  LiveNormalService,
  NormalContainer,
  NormalDomain,
  NormalEnv,
  NormalService,
  Operation,
} from "./model.js";

export interface ServiceDiff {
  action: Action;
  changes: Change[];
  operations: Operation[];
  restarts: boolean;
  destructive: boolean;
  /** What a destructive diff leaves behind in storage, one sentence each. */
  losses: string[];
  redeployCauses: string[];
}

const SENSITIVE = "(sensitive)";

/** What the diff knows of secrets without their values leaving it. */
export interface SecretContext {
  /** Every secret value svc holds: a live value among them is never shown. */
  held: ReadonlySet<string>;
  /** The target's keyed fingerprint, which desired secrets carry. */
  fingerprint: Fingerprint;
}

/**
 * Compares desired with live (both normalized) and decides the minimal API calls, each with its
 * cause, in a fixed order: unbind domains, deploy or redeploy, images, config, description,
 * labels, bind domains. Fields the provider does not show are not compared; calls the provider
 * cannot make in place (by its capabilities) become a redeploy. Pure: no I/O.
 */
export function diffService(
  desired: NormalService,
  live: LiveNormalService | undefined,
  caps: Capabilities,
  secrets: SecretContext,
): ServiceDiff {
  if (!live) return create(desired, caps, secrets);

  const changes: Change[] = [];
  const redeployCauses: string[] = [];
  const imageChanged: string[] = [];
  const configChanged: string[] = [];
  const losses: string[] = [];

  const liveByName = new Map(live.containers.map((c) => [c.name, c]));
  const desiredNames = new Set(desired.containers.map((c) => c.name));
  for (const d of desired.containers) {
    const l = liveByName.get(d.name);
    const at = `containers.${d.name}`;
    if (!l) {
      changes.push(...containerAdded(d, secrets, true));
      redeployCauses.push(`${at} added`);
      continue;
    }
    const redeployField = (field: string, before: unknown, after: unknown, isDestructive = false) => {
      changes.push({
        path: `${at}.${field}`,
        kind: "change",
        before,
        after,
        forcesRedeploy: true,
        ...(isDestructive ? { destructive: true } : {}),
      });
      redeployCauses.push(`${at}.${field}`);
    };
    if (l.ports && !samePorts(d, l.ports))
      redeployField("ports", portList(l.ports, d.ports), portList(d.ports));
    if (l.units !== undefined && d.units !== l.units) redeployField("units", l.units, d.units);
    if (l.storage !== undefined && d.storage !== l.storage) {
      redeployField("storage", l.storage || "(none)", d.storage || "(none)", l.storage !== "");
      if (l.storage && d.storage)
        losses.push(
          `storage of container ${d.name} moves from ${l.storage} to ${d.storage}: what it wrote at ${l.storage} is no longer there`,
        );
      else if (l.storage) losses.push(`storage of container ${d.name} (${l.storage}) is no longer mounted`);
    }
    if (l.command && !sameList(d.command, l.command)) redeployField("command", l.command, d.command);
    if (l.args && !sameList(d.args, l.args)) redeployField("args", l.args, d.args);
    if (d.image !== l.image) {
      changes.push({ path: `${at}.image`, kind: "change", before: l.image, after: d.image });
      // Without image-container the image call names no container: in place only when there is one.
      if (caps.has("image-container") || desired.containers.length === 1) imageChanged.push(d.name);
      else
        redeployCauses.push(
          `${at}.image (this provider updates images in place only in one-container services)`,
        );
    }
    const envChanges = diffEnv(at, d.env, l.env, secrets);
    const fileChanges = l.files ? diffFiles(at, d, l.files) : diffContents(at, d, l.fileContents);
    changes.push(...envChanges, ...fileChanges);
    if (fileChanges.length > 0 && !caps.has("config-path-map") && !configInPlace(d, l)) {
      redeployCauses.push(`${at}.files (this provider changes a config file in place only where one exists)`);
    } else if (envChanges.length + fileChanges.length > 0) configChanged.push(d.name);
  }
  // A removed container is a redeploy (product.md §2). One that mounted storage leaves its data
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
    redeployCauses.push(`containers.${l.name} removed`);
    if (leavesData) {
      const renamed =
        added.length > 0 ? `; ${added.map((a) => a.name).join(", ")} starts with empty storage` : "";
      losses.push(
        `storage of container ${l.name} (${l.storage}) is no longer mounted: the container is removed${renamed}`,
      );
    }
  }
  const destructive = losses.length > 0;

  // An image call and a config call each restart the pod, and between them the new image would run
  // with the old config: together they are one redeploy, one restart.
  if (imageChanged.length > 0 && configChanged.length > 0 && redeployCauses.length === 0) {
    redeployCauses.push(
      `images (${imageChanged.join(", ")}) and env or files (${configChanged.join(", ")}) changed together (one restart instead of two)`,
    );
  }
  const operations: Operation[] = [];
  const domainOps = diffDomains(desired.domains, live.domains, changes);
  operations.push(...domainOps.unbind);
  if (redeployCauses.length > 0) {
    operations.push({
      kind: "redeploy",
      cause: `${redeployCauses.join(", ")} ${redeployCauses.length === 1 ? "forces" : "force"} a redeploy`,
      restarts: true,
      ...(destructive ? { destructive: true } : {}),
      containers: desired.containers.map((c) => c.name),
    });
  } else {
    if (imageChanged.length > 0) {
      operations.push({
        kind: "update-images",
        cause: `image changed: ${imageChanged.join(", ")}`,
        restarts: true,
        containers: imageChanged,
      });
    }
    if (configChanged.length > 0) {
      operations.push({
        kind: "update-config",
        cause: `env or files changed: ${configChanged.join(", ")}`,
        restarts: true,
        containers: configChanged,
      });
    }
  }
  // A manifest describes a running service: applying it to a paused one runs it again, after the
  // calls that change it (a redeploy or config update keeps a paused service paused).
  if (live.paused) {
    changes.push({ path: "state", kind: "change", before: "paused", after: "running" });
    operations.push({
      kind: "resume",
      cause: "the service is paused: applying the manifest runs it",
      restarts: true,
    });
  }
  if (live.description !== undefined && desired.description !== live.description) {
    changes.push({
      path: "metadata.description",
      kind: "change",
      before: live.description,
      after: desired.description,
    });
    operations.push({ kind: "set-description", cause: "description changed", restarts: false });
  }
  const labelChanges = live.labels ? diffMap("metadata.labels", desired.labels, live.labels) : [];
  if (labelChanges.length > 0) {
    changes.push(...labelChanges);
    operations.push({ kind: "set-labels", cause: "labels changed", restarts: false });
  }
  operations.push(...domainOps.bind);

  const restarts = operations.some((o) => o.restarts);
  const action: Action =
    operations.length === 0 ? "noop" : operations.some((o) => o.kind === "redeploy") ? "redeploy" : "update";
  return { action, changes: sortChanges(changes), operations, restarts, destructive, losses, redeployCauses };
}

/** Description and labels are written only where the provider shows them back (metadata, labels-map). */
function create(desired: NormalService, caps: Capabilities, secrets: SecretContext): ServiceDiff {
  const changes: Change[] = desired.containers.flatMap((c) => containerAdded(c, secrets, false));
  const operations: Operation[] = [
    {
      kind: "deploy",
      cause: "never deployed",
      restarts: false,
      containers: desired.containers.map((c) => c.name),
    },
  ];
  if (desired.description && caps.has("metadata")) {
    changes.push({ path: "metadata.description", kind: "add", after: desired.description });
    operations.push({ kind: "set-description", cause: "description set", restarts: false });
  }
  const labels = caps.has("labels-map") ? diffMap("metadata.labels", desired.labels, {}) : [];
  if (labels.length > 0) {
    changes.push(...labels);
    operations.push({ kind: "set-labels", cause: "labels set", restarts: false });
  }
  for (const d of desired.domains) {
    changes.push({ path: `domains.${d.name}`, kind: "add", after: domainText(d) });
    operations.push({
      kind: "bind-domain",
      cause: `domain ${d.name} added`,
      restarts: false,
      domains: [d.name],
    });
  }
  return {
    action: "create",
    changes: sortChanges(changes),
    operations,
    restarts: false,
    destructive: false,
    losses: [],
    redeployCauses: [],
  };
}

/**
 * Domains are bound one by one and unbound in groups. https is fixed per base domain at its first
 * bind, so a changed https rebinds every domain of that base domain.
 */
function diffDomains(
  desired: NormalDomain[],
  live: NormalDomain[],
  changes: Change[],
): { unbind: Operation[]; bind: Operation[] } {
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
  const unbindOps: Operation[] =
    unbind.length > 0
      ? [
          {
            kind: "unbind-domains",
            cause:
              rebindGroups.size > 0
                ? `rebind of ${[...rebindGroups].sort().join(", ")}`
                : "domains removed or moved",
            restarts: false,
            domains: unbind.sort(),
          },
        ]
      : [];
  const bindOps: Operation[] = bind
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((d) => ({
      kind: "bind-domain",
      cause: causes.get(d.name) ?? "",
      restarts: false,
      domains: [d.name],
    }));
  return { unbind: unbindOps, bind: bindOps };
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

function diffEnv(
  at: string,
  desired: Record<string, NormalEnv>,
  live: Record<string, NormalEnv>,
  secrets: SecretContext,
): Change[] {
  const out: Change[] = [];
  const liveValue = (k: string) =>
    live[k] && "value" in (live[k] as NormalEnv) ? (live[k] as { value: string }).value : undefined;
  for (const [k, d] of Object.entries(desired)) {
    const path = `${at}.env.${k}`;
    const lv = liveValue(k);
    if ("secret" in d) {
      if (lv === undefined) out.push({ path, kind: "add", after: SENSITIVE, sensitive: true });
      else if (secrets.fingerprint(lv) !== d.hmac)
        out.push({ path, kind: "change", before: SENSITIVE, after: SENSITIVE, sensitive: true });
    } else if (lv === undefined) out.push({ path, kind: "add", after: d.value });
    else if (lv !== d.value) {
      // A secret becoming a plain value: the old secret is never shown.
      const hidden = SECRET_NAME.test(k) || secrets.held.has(lv);
      out.push({ path, kind: "change", before: hidden ? SENSITIVE : lv, after: d.value });
    }
  }
  // A variable that leaves the manifest may have held a secret: its value is never shown.
  for (const k of Object.keys(live)) {
    if (!(k in desired))
      out.push({ path: `${at}.env.${k}`, kind: "remove", before: SENSITIVE, sensitive: true });
  }
  return out;
}

function diffFiles(at: string, d: NormalContainer, live: Record<string, string>): Change[] {
  const out: Change[] = [];
  for (const path of [...new Set([...Object.keys(d.files), ...Object.keys(live)])].sort()) {
    const before = live[path];
    const after = d.files[path];
    if (before !== after)
      out.push(fileChange(`${at}.files.${path}`, before, after, d.sensitiveFiles?.[path]));
  }
  return out;
}

/** A config file's change: its line diff, or for a file marked sensitive, only that it changed. */
function fileChange(path: string, before?: string, after?: string, sensitive?: unknown): Change {
  const kind = before === undefined ? "add" : after === undefined ? "remove" : "change";
  if (sensitive) return { path, kind, sensitive: true };
  return { path, kind, diff: fileDiff(before ?? "", after ?? "") };
}

/**
 * Without paths (the public configmap call shows one file's content per container): the desired
 * container's first file, by path, against that content.
 */
function diffContents(at: string, d: NormalContainer, live: string[] | undefined): Change[] {
  if (!live) return [];
  const [path, content] = Object.entries(d.files)[0] ?? [];
  const before = live[0];
  if (before === content) return [];
  return [
    fileChange(`${at}.files.${path ?? "(config file)"}`, before, content, path && d.sensitiveFiles?.[path]),
  ];
}

/** The public `config` call sends one file's content to a container that already has one. */
function configInPlace(desired: NormalContainer, live: LiveNormalContainer): boolean {
  return Object.keys(desired.files).length === 1 && (live.fileContents?.length ?? 0) === 1;
}

function diffMap(at: string, desired: Record<string, string>, live: Record<string, string>): Change[] {
  const out: Change[] = [];
  for (const k of [...new Set([...Object.keys(desired), ...Object.keys(live)])].sort()) {
    const [before, after] = [live[k], desired[k]];
    if (before === after) continue;
    out.push({
      path: `${at}.${k}`,
      kind: before === undefined ? "add" : after === undefined ? "remove" : "change",
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
    });
  }
  return out;
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

function portList(ports: NormalContainer["ports"], hostsFrom?: NormalContainer["ports"]): string[] {
  return ports.map((p) => {
    // Show an assigned host port only where the other side names one.
    const showHost =
      p.host !== undefined &&
      (!hostsFrom || hostsFrom.some((x) => x.container === p.container && x.host !== undefined));
    return `${showHost ? `${p.host}:` : ""}${p.container}/${p.protocol}`;
  });
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function domainText(d: NormalDomain): string {
  return `port ${d.port}${d.https ? ", https" : ""}`;
}

function sortChanges(changes: Change[]): Change[] {
  return [...changes].sort((a, b) => a.path.localeCompare(b.path));
}

/** The hunks of a unified diff, live → desired (the path is already on the change). */
function fileDiff(before: string, after: string): string {
  // Loaded only when a config file changed: most plans never need it.
  const { structuredPatch } = createRequire(import.meta.url)("diff") as typeof import("diff");
  const patch = structuredPatch("live", "desired", before, after, "", "", { context: 3 });
  return patch.hunks
    .flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines])
    .join("\n");
}
