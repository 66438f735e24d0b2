import { fingerprintOf } from "../plan/build.js";
import type { ServicePlan } from "../plan/model.js";
import { normalizeLive } from "../plan/normalize.js";
import { inverseCalls, restoreTarget } from "../plan/restore.js";
import type { ObservedState } from "../platform/model.js";
import { doing } from "../util/activity.js";
import {
  type ApplyEvent,
  applyService,
  type ExecuteOptions,
  type ServiceJob,
  type ServiceOutcome,
} from "./executor.js";
import { lastLines } from "./rollout.js";
import { VerifyFailed, verifyService } from "./verify.js";

/**
 * `apply --atomic`: the live state is kept (in memory) before the first call; after the calls,
 * the rollout and the stability window, the manifest's verify checks run. When any of them fails,
 * the kept state is restored by an exact plan made against the live state then, applied the same
 * way (the guard: no double effect, unknown when an answer is lost), and waited for.
 */
export async function applyAtomically(
  job: ServiceJob,
  options: ExecuteOptions & { planPath?: string },
): Promise<ServiceOutcome> {
  const { emit } = options;
  const name = job.plan.name;
  const kept = await job.client.observe();
  // The forward apply's own "done" is held: the service is done only once verified or restored.
  let held: Extract<ApplyEvent, { type: "done" }> | undefined;
  const forward = await applyService(job, {
    ...options,
    emit: (event) => {
      if (event.type === "done") held = event;
      else emit(event);
    },
  });
  const done = (outcome: ServiceOutcome): ServiceOutcome => {
    emit({
      type: "done",
      service: name,
      outcome: outcome.status,
      ...(outcome.message ? { message: outcome.message } : {}),
    });
    return outcome;
  };
  // Nothing changed, or no telling what did: nothing to restore from.
  if (forward.applied.length === 0 || forward.status === "unknown" || forward.status === "interrupted") {
    if (held) emit(held);
    return forward;
  }
  let failure = forward.status === "failed" ? (forward.message ?? "the apply failed") : undefined;
  if (!failure) {
    try {
      doing(`${name}: verifying`);
      const live = await job.client.observeWithPod();
      const checks = await verifyService(
        job.plan.desired,
        live,
        {
          target: job.plan.target,
          service: name,
          ...(options.planPath ? { planPath: options.planPath } : {}),
        },
        (detail) => emit({ type: "waiting", service: name, detail }),
      );
      return done(checks > 0 ? { ...forward, verified: checks } : forward);
    } catch (error) {
      if (!(error instanceof VerifyFailed)) throw error;
      failure = `${error.message}${await lastLines(job.client, error.container)}`;
    }
  }
  // A call the platform refused leaves the service half-changed: restored as a failed check is.
  const what = forward.remaining.length > 0 ? "a call failed" : "verification failed";
  emit({ type: "note", service: name, message: `${what}: restoring the state from before the apply` });
  return done(await restore(job, kept, forward, failure, options));
}

/** Restores `kept`: planned against the live state now, applied through the guard, waited for. */
async function restore(
  job: ServiceJob,
  kept: ObservedState,
  forward: ServiceOutcome,
  failure: string,
  options: ExecuteOptions,
): Promise<ServiceOutcome> {
  const base = {
    service: forward.service,
    target: forward.target,
    applied: forward.applied,
    remaining: forward.remaining,
  };
  doing(`${job.plan.name}: restoring`);
  const plan = restorePlan(job, kept, await job.client.observe());
  const restored = await applyService(
    { ...job, plan },
    {
      ...options,
      // The state from before ran; ready again is enough to say it runs again.
      stableForMs: 0,
      emit: (event) => {
        if (event.type !== "done") options.emit(event);
      },
    },
  );
  const restoredCalls = { restored: restored.applied };
  if (restored.status === "applied" || restored.status === "unchanged")
    return {
      ...base,
      ...restoredCalls,
      status: "restored",
      message: failure,
      hint: "the state from before the apply runs again; fix the change, plan and apply again",
    };
  if (restored.status === "unknown")
    return {
      ...base,
      ...restoredCalls,
      status: "unknown",
      message: `${failure}\n    the restore's outcome is unknown: ${restored.message ?? ""}`,
      hint: "a call's answer was lost: run svc plan to see what is live, then apply again",
    };
  return {
    ...base,
    ...restoredCalls,
    status: restored.status === "interrupted" ? "interrupted" : "failed",
    message: `${failure}\n    the restore did not finish: ${restored.message ?? ""}\n    live now: ${await liveNow(job)}`,
    hint: "the service runs neither the change nor the state from before: run svc plan, then apply a known good commit (svc rollback)",
  };
}

/**
 * The plan that takes the service from `now` back to `kept`: its calls (restore.ts), the state
 * they send (the kept one, values in memory only), and `now`'s fingerprint for the guard.
 */
export function restorePlan(job: ServiceJob, kept: ObservedState, now: ObservedState): ServicePlan {
  const after = now.containers ? normalizeLive(now, now.containers) : undefined;
  const secrets = { held: new Set(job.secrets.values()), fingerprint: job.fingerprint };
  const { restore: _restore, builds: _builds, ...forward } = job.plan;
  return {
    ...forward,
    desired: kept.containers ? restoreTarget(kept, job.plan.desired) : job.plan.desired,
    operations: after ? inverseCalls(kept, job.plan.desired, after, job.capabilities, secrets) : [],
    fingerprint: fingerprintOf(now, job.fingerprint),
  };
}

/** The live state in a line: each container's image and state, or that nothing answers. */
async function liveNow(job: ServiceJob): Promise<string> {
  try {
    const { state, pod } = await job.client.observeWithPod();
    const containers = (state.containers ?? []).map((c) => {
      const s = pod.containers.find((x) => x.name === c.name);
      const what = s ? Object.keys(s.state)[0] : "not shown";
      return `${c.name} runs ${c.imageName} (${what}${s?.restartCount ? `, ${s.restartCount} restarts` : ""})`;
    });
    return `${state.service.status}; ${containers.join("; ") || "no containers"}`;
  } catch (error) {
    return `not known (${(error as Error).message})`;
  }
}
