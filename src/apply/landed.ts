import type { NormalContainer, NormalService } from "../plan/model.js";
import { normalizeLive } from "../plan/normalize.js";
import type { LiveContainer, ObservedState } from "../platform/model.js";
import { byText } from "../util/sorted.js";
import { envBody } from "./payload.js";

/** How the live state shows that a call landed: what the guard reads after a lost answer. */

export const live = (s: ObservedState, name: string) => s.containers?.find((c) => c.name === name);

/**
 * A deploy landed: the pod runs exactly the desired containers, with their images and env, and
 * the units, ports, storage, command and args the provider shows (a redeploy may change only those).
 */
export function deployed(
  s: ObservedState,
  desired: NormalService,
  secrets: ReadonlyMap<string, string>,
): boolean {
  const names = (s.containers ?? []).map((c) => c.name).sort();
  if (JSON.stringify(names) !== JSON.stringify(desired.containers.map((c) => c.name).sort())) return false;
  return desired.containers.every(
    (c) => live(s, c.name)?.imageName === c.image && sameEnv(s, c, secrets) && sameShape(s, c),
  );
}

/** The fields only a deployment sets, where the provider shows them (unmanaged ones pass). */
function sameShape(s: ObservedState, c: NormalContainer): boolean {
  const [l] = normalizeLive(s, [live(s, c.name) as LiveContainer]).containers;
  if (!l) return false;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const ports = (list: NormalContainer["ports"]) => list.map((p) => `${p.container}/${p.protocol}`);
  return (
    (l.units === undefined || l.units === c.units) &&
    (l.ports === undefined || same(ports(l.ports), ports(c.ports))) &&
    (l.storage === undefined || l.storage === c.storage) &&
    (l.command === undefined || same(l.command, c.command)) &&
    (l.args === undefined || same(l.args, c.args))
  );
}

export function sameEnv(s: ObservedState, c: NormalContainer, secrets: ReadonlyMap<string, string>): boolean {
  const pairs = (list: { name: string; value: string }[]) =>
    JSON.stringify(list.map((e) => [e.name, e.value]).sort(([a], [b]) => byText(String(a), String(b))));
  return pairs(live(s, c.name)?.envs ?? []) === pairs(envBody(c, secrets));
}

export function sameFiles(s: ObservedState, c: NormalContainer): boolean {
  const l = live(s, c.name);
  if (l?.configMap) return JSON.stringify(l.configMap) === JSON.stringify(c.files);
  const first = Object.values(c.files)[0];
  return first === undefined ? true : l?.configContents?.[0] === first;
}
