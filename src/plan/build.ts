import { type Diagnostic, diagnostic } from "../manifest/diagnostics.js";
import { markLabels } from "../manifest/marks.js";
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
  const delta = diffService(desired, liveNormal, caps, { held, fingerprint });
  const calls = planCalls(delta, caps);
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
    diagnostics: preflight(spec, desired, live, now),
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
