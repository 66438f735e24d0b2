import { type Diagnostic, diagnostic } from "../manifest/diagnostics.js";
import {
  markLabels,
  ROLLED_BACK,
  type RollbackMark,
  rollbackLabel,
  rollbackMarkOf,
} from "../manifest/marks.js";
import type { ServiceSpec } from "../manifest/model.js";
import type { ObservedState } from "../platform/model.js";
import { byText, sortedRecord } from "../util/sorted.js";
import { diffService } from "./diff.js";
import { planDigest } from "./digest.js";
import type { Fingerprint } from "./fingerprint.js";
import type { LiveState, Orphan, Plan, ServicePlan } from "./model.js";
import { PLAN_FORMAT_VERSION } from "./model.js";
import { canonical, normalizeDesired, normalizeLive } from "./normalize.js";
import { planCalls } from "./operations.js";
import { preflight } from "./preflight.js";
import { asApplied, restoreOf } from "./restore.js";

export interface PlanInputs {
  /** The resolved value of every `{ secret: name }` the manifest names. */
  secrets: ReadonlyMap<string, string>;
  /** The target's keyed fingerprint (fingerprint.ts). */
  fingerprint: Fingerprint;
  now?: number;
  /** Other secret values svc holds (e.g. SVC_SECRET_* in CI), to hide wherever they appear live. */
  otherSecrets?: readonly string[];
}

/** One service's plan from its manifest and what was observed. Pure. */
export function planService(spec: ServiceSpec, live: LiveState, inputs: PlanInputs): ServicePlan {
  const { secrets, fingerprint, now = Date.now(), otherSecrets = [] } = inputs;
  const desired = normalizeDesired(spec, secrets, fingerprint);
  // Where the provider keeps labels, svc marks what it deploys (marks.ts).
  if (live.capabilities.includes("labels-map"))
    desired.labels = sortedRecord({ ...desired.labels, ...markLabels(spec) });
  const liveNormal = live.containers ? normalizeLive(live, live.containers) : undefined;
  const held = new Set([...secrets.values(), ...otherSecrets]);
  const caps = new Set(live.capabilities);
  const plan = () => {
    const delta = diffService(desired, liveNormal, caps, { held, fingerprint });
    return { delta, calls: planCalls(delta, caps) };
  };
  // svc rollback's mark stays while the service runs what it was rolled back to, and goes with
  // the first change after it: that change rolls the rollback forward.
  const rolledBack = rollbackMarkOf(live.service.labels);
  if (rolledBack) desired.labels = sortedRecord({ ...desired.labels, ...rollbackLabel(rolledBack) });
  let { delta, calls } = plan();
  if (rolledBack && calls.operations.length > 0) {
    delete desired.labels[ROLLED_BACK];
    ({ delta, calls } = plan());
  }
  const restore =
    calls.operations.length > 0
      ? restoreOf(live, { desired, delta }, asApplied(desired, secrets, liveNormal), caps, {
          held,
          fingerprint,
        })
      : undefined;
  return {
    name: spec.name,
    target: spec.target,
    files: spec.files,
    action: calls.action,
    restarts: calls.restarts,
    destructive: calls.destructive,
    ...(delta.losses.length > 0 ? { losses: delta.losses } : {}),
    ...(live.failing?.length ? { failing: live.failing.map((f) => f.name).sort() } : {}),
    redeployCauses: calls.redeployCauses,
    changes: delta.changes,
    operations: calls.operations,
    ...(restore ? { restore } : {}),
    diagnostics: [
      ...preflight(spec, desired, live, now),
      ...(rolledBack && calls.operations.length > 0 ? [rolledForward(spec, rolledBack)] : []),
    ],
    desired,
    fingerprint: fingerprintOf(live, fingerprint),
  };
}

/**
 * The observed state in two figures: a keyed hash of the normalized live state (the fields this provider
 * shows), and the revision where it has one. Apply compares it before every call.
 */
export function fingerprintOf(live: ObservedState, fingerprint: Fingerprint): ServicePlan["fingerprint"] {
  const state = live.containers ? normalizeLive(live, live.containers) : null;
  return {
    ...(live.service.revision !== undefined ? { revision: live.service.revision } : {}),
    hmac: fingerprint(canonical({ status: live.service.status, state })),
  };
}

/** The warning a plan gives when it changes a service svc rollback rolled back. */
function rolledForward(spec: ServiceSpec, mark: RollbackMark): Diagnostic {
  return diagnostic(
    { file: spec.files[0] ?? "", line: 0, column: 0, path: "spec.target" },
    `${spec.target} was rolled back to ${mark.commit.slice(0, 12)} by svc rollback at ${mark.at}; this plan rolls it forward`,
    "if this is the change that was rolled back, fix or revert it first (svc history shows the releases)",
    "warning",
  );
}

/** A plan that could not be made for a service (unreachable target, missing credential, ...). */
export function failedService(spec: ServiceSpec, message: string, hint?: string): Diagnostic {
  return diagnostic({ file: spec.files[0] ?? "", line: 0, column: 0, path: "spec.target" }, message, hint);
}

export function assemble(
  services: ServicePlan[],
  diagnostics: Diagnostic[],
  createdAt = new Date().toISOString(),
  orphans?: Orphan[],
): Plan {
  const all = [...diagnostics, ...services.flatMap((s) => s.diagnostics)];
  const count = (a: ServicePlan["action"]) => services.filter((s) => s.action === a).length;
  const sorted = [...services].sort((a, b) => byText(a.name, b.name) || byText(a.target, b.target));
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt,
    digest: planDigest(sorted),
    services: sorted,
    ...(orphans ? { orphans } : {}),
    diagnostics,
    summary: {
      create: count("create"),
      update: count("update"),
      redeploy: count("redeploy"),
      noop: count("noop"),
      errors: all.filter((d) => d.severity === "error").length,
      warnings: all.filter((d) => d.severity === "warning").length,
    },
  };
}
