import { SECRET_NAME } from "../credentials/names.js";
import type { Fingerprint } from "./fingerprint.js";
import type { Change, LiveNormalContainer, NormalContainer, NormalEnv } from "./model.js";
import { fileDiff, HIDDEN } from "./values.js";

/** The changes of env, config files and maps: what a reviewer sees, secrets never by value. */

/** What the diff knows of secrets without their values leaving it. */
export interface SecretContext {
  /** Every secret value svc holds: a live value among them is never shown. */
  held: ReadonlySet<string>;
  /** The target's keyed fingerprint, which desired secrets carry. */
  fingerprint: Fingerprint;
}

export function diffEnv(
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
      if (lv === undefined) out.push({ path, kind: "add", after: HIDDEN, sensitive: true });
      else if (secrets.fingerprint(lv) !== d.hmac)
        out.push({ path, kind: "change", before: HIDDEN, after: HIDDEN, sensitive: true });
    } else if (lv === undefined) out.push({ path, kind: "add", after: d.value });
    else if (lv !== d.value) {
      // A secret becoming a plain value: the old secret is never shown.
      const hidden = SECRET_NAME.test(k) || secrets.held.has(lv);
      out.push({ path, kind: "change", before: hidden ? HIDDEN : lv, after: d.value });
    }
  }
  // A variable that leaves the manifest may have held a secret: its value is never shown.
  for (const k of Object.keys(live)) {
    if (!(k in desired))
      out.push({ path: `${at}.env.${k}`, kind: "remove", before: HIDDEN, sensitive: true });
  }
  return out;
}

export function diffFiles(at: string, d: NormalContainer, live: Record<string, string>): Change[] {
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
export function diffContents(at: string, d: NormalContainer, live: string[] | undefined): Change[] {
  if (!live) return [];
  const [path, content] = Object.entries(d.files)[0] ?? [];
  const before = live[0];
  if (before === content) return [];
  return [
    fileChange(`${at}.files.${path ?? "(config file)"}`, before, content, path && d.sensitiveFiles?.[path]),
  ];
}

/** The public `config` call sends one file's content to a container that already has one. */
export function configInPlace(desired: NormalContainer, live: LiveNormalContainer): boolean {
  return Object.keys(desired.files).length === 1 && (live.fileContents?.length ?? 0) === 1;
}

export function diffMap(at: string, desired: Record<string, string>, live: Record<string, string>): Change[] {
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
