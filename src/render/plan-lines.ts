import type { Action, Change, ServicePlan } from "../plan/model.js";
import { HIDDEN } from "../plan/values.js";

/** Shared wording of plans, for the terminal and for Markdown. */

export const SYMBOL: Record<Action, string> = { create: "+", update: "~", redeploy: "-/+", noop: "=" };
const CHANGE_SYMBOL: Record<Change["kind"], string> = { add: "+", remove: "-", change: "~" };

export function actionText(s: ServicePlan): string {
  switch (s.action) {
    case "create":
      return "will be created";
    case "update":
      return s.restarts
        ? "will be updated in place (restarts the pod)"
        : "will be updated in place (no restart)";
    case "redeploy":
      return "will be redeployed (all containers restart)";
    default:
      return s.diagnostics.length > 0 ? "no changes, but:" : "no changes";
  }
}

/** A value as JSON; the stand-in for a value never shown, as it is. */
const show = (v: unknown) => (v === HIDDEN ? HIDDEN : JSON.stringify(v));

/** `~ containers.web.image: "a:1" → "a:2"`, plus the file diff lines for a config file. */
export function changeLines(c: Change): { head: string; symbol: string; diff?: string[] } {
  const symbol = CHANGE_SYMBOL[c.kind];
  const value =
    // A sensitive change records no value (a config file marked sensitive), or hides both (a
    // rotated secret): only what happened, never "(sensitive) → (sensitive)", which reads as none.
    c.sensitive &&
    ((c.before === undefined && c.after === undefined) ||
      (c.kind === "change" && c.before === HIDDEN && c.after === HIDDEN))
      ? `: (sensitive, ${c.kind === "add" ? "added" : c.kind === "remove" ? "removed" : "changed"})`
      : c.kind === "add"
        ? c.after !== undefined
          ? `: ${show(c.after)}`
          : ""
        : c.kind === "remove"
          ? c.before !== undefined
            ? `: ${show(c.before)}`
            : ""
          : c.diff
            ? ""
            : `: ${show(c.before)} → ${show(c.after)}`;
  const notes = [c.forcesRedeploy ? "forces redeploy" : "", c.destructive ? "DESTRUCTIVE" : ""].filter(
    Boolean,
  );
  const head = `${symbol} ${c.path}${value}${notes.length ? `  (${notes.join(", ")})` : ""}`;
  return { head, symbol, ...(c.diff ? { diff: c.diff.split("\n") } : {}) };
}

/** `build web (context sha256:1a2b3c4d5e6f) → registry/team/web:svc-…`, for each container apply builds. */
export function buildLines(s: ServicePlan): string[] {
  return (s.builds ?? [])
    .filter((b) => b.build)
    .map((b) => `build ${b.container} (context ${b.hash.slice(0, 19)}) → ${b.tag}`);
}

export function summaryLine(counts: Record<Action, number>): string {
  return `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.redeploy} to redeploy, ${counts.noop} unchanged.`;
}

/**
 * What `apply --atomic` checks after the rollout, and what a failed check restores: the inverse
 * plan's calls, and what they cannot bring back. Empty for a service without calls.
 */
export function restoreLines(s: ServicePlan): { verify?: string; restore?: string; irreversible: string[] } {
  const checks = s.desired.containers.flatMap((c) =>
    (c.verify ?? []).map((v) =>
      "http" in v
        ? `${c.name}: GET ${v.http} → ${v.expect}${v.contains ? ` containing ${JSON.stringify(v.contains)}` : ""}`
        : `${c.name}: run ${JSON.stringify(v.run)}`,
    ),
  );
  const restore = s.restore;
  if (!restore) return { irreversible: [] };
  const calls = restore.operations.map(
    (o) =>
      `${o.kind}${o.containers?.length ? ` (${o.containers.join(", ")})` : o.domains?.length ? ` (${o.domains.join(", ")})` : ""}`,
  );
  return {
    ...(checks.length ? { verify: checks.join("; ") } : {}),
    restore: calls.length ? calls.join(", then ") : "nothing to call",
    irreversible: restore.irreversible,
  };
}
