import type { RawContainer, RawPort } from "../manifest/model.js";

/**
 * The fewest pods a compose project fits in under the platform's rules — each image once, each
 * container port once, at most 16 containers — keeping services that talk to each other by
 * hostname together where the rules allow. Greedy in the DSatur way: the most constrained service
 * first, each into the group it talks to most that can take it, else a new group. Groups keep the
 * compose file's order, within and between them.
 */
export const MAX_CONTAINERS = 16;

/** A port entry's container port as `port/protocol`: `8080:80` → `80/tcp`, `53/udp` → `53/udp`. */
export function containerPort(p: RawPort): string {
  if (typeof p === "object") return `${p.container}/${(p.protocol ?? "tcp").toLowerCase()}`;
  return String(p)
    .replace(/^.*:/, "")
    .replace(/^([^/]+)$/, "$1/tcp");
}

export interface GroupMember {
  name: string;
  image: string;
  /** Container ports as `port/protocol`. */
  ports: string[];
  /** Names of the other members it reaches by hostname or depends on. */
  talksTo: string[];
}

export function groupServices(members: readonly GroupMember[]): string[][] {
  const order = new Map(members.map((m, i) => [m.name, i]));
  const clash = (a: GroupMember, b: GroupMember) =>
    a.image === b.image || a.ports.some((p) => b.ports.includes(p));
  const talk = (a: GroupMember, b: GroupMember) => a.talksTo.includes(b.name) || b.talksTo.includes(a.name);
  const clashes = (m: GroupMember) => members.filter((o) => o !== m && clash(m, o)).length;
  const queue = [...members].sort(
    (a, b) => clashes(b) - clashes(a) || (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0),
  );
  const groups: GroupMember[][] = [];
  for (const m of queue) {
    const fits = groups.filter((g) => g.length < MAX_CONTAINERS && !g.some((o) => clash(m, o)));
    const score = (g: GroupMember[]) => g.filter((o) => talk(m, o)).length;
    const best = fits.sort((a, b) => score(b) - score(a))[0];
    if (best) best.push(m);
    else groups.push([m]);
  }
  const at = (name: string | undefined) => order.get(name ?? "") ?? 0;
  return groups
    .map((g) => g.map((m) => m.name).sort((a, b) => at(a) - at(b)))
    .sort((a, b) => at(a[0]) - at(b[0]));
}

/**
 * What keeps a compose project from being one svc service, said before validation fails on it:
 * the same image or container port in two services, more containers than a pod holds.
 */
export function onePodLimits(containers: RawContainer[]): string[] {
  const out: string[] = [];
  const shared = (keys: (c: RawContainer) => string[]) => {
    const by = new Map<string, string[]>();
    for (const c of containers) for (const k of new Set(keys(c))) by.set(k, [...(by.get(k) ?? []), c.name]);
    return [...by].filter(([, names]) => names.length > 1);
  };
  for (const [image, names] of shared((c) => [c.image]))
    out.push(
      `${names.join(" and ")} run the same image ${image}: a service runs each image once, so they go in manifests of their own (their own targets): svc convert -o DIR writes one per pod`,
    );
  for (const [port, names] of shared((c) => (c.ports ?? []).map(containerPort)))
    out.push(
      `${names.join(" and ")} both listen on container port ${port}: the containers of a service share one network, so they go in manifests of their own: svc convert -o DIR writes one per pod`,
    );
  if (containers.length > MAX_CONTAINERS)
    out.push(
      `${containers.length} services: a pod holds at most ${MAX_CONTAINERS} containers, so they go in several manifests (several targets): svc convert -o DIR writes one per pod`,
    );
  return out;
}
