import type { Engine } from "../build/resolve.js";
import { runBuilds } from "../build/resolve.js";
import type { Credentials } from "../credentials/credentials.js";
import { resolveCredentials } from "../credentials/resolve.js";
import { fingerprintFor } from "../plan/fingerprint.js";
import type { ServicePlan } from "../plan/model.js";
import { HttpPlatformClient } from "../platform/client.js";
import { applyAtomically } from "./atomic.js";
import { type ApplyEvent, applyService, type ServiceJob, type ServiceOutcome } from "./executor.js";

export interface ApplyResult {
  services: ServiceOutcome[];
  interrupted: boolean;
}

export interface ApplyOptions {
  credentials: Credentials;
  engines: Engine;
  wait: boolean;
  timeoutMs: number;
  /** How long the containers must stay up and ready after the rollout before "applied". */
  stableForMs: number;
  /** How long a change may take to show in the live state (guard.ts). */
  settleMs: number;
  /** True once the user asked to stop: the call in flight finishes, no new one starts. */
  stopping: () => boolean;
  /** Each line a build writes (shown with --debug). */
  buildLine?: (service: string, line: string) => void;
  /** Verify after the calls and restore the state from before when a check fails (atomic.ts). */
  atomic?: boolean;
  /** The saved plan applied, for verify commands (SVC_PLAN). */
  planPath?: string;
}

/**
 * One service, end to end: its credentials, its builds (pushed, then deployed by digest), its
 * calls in the plan's order. A failure before the first call is reported like any other.
 */
export async function applyOne(
  service: ServicePlan,
  options: ApplyOptions,
  emit: (event: ApplyEvent) => void,
): Promise<ServiceOutcome> {
  try {
    const job = await serviceJob(service, options.credentials);
    await build(service, job, options, emit);
    return options.atomic
      ? await applyAtomically(job, { ...options, emit })
      : await applyService(job, { ...options, emit });
  } catch (error) {
    const e = error as Error & { options?: { hint?: string } };
    const outcome: ServiceOutcome = {
      service: service.name,
      target: service.target,
      status: options.stopping() ? "interrupted" : "failed",
      applied: [],
      remaining: service.operations.map((o) => o.kind),
      message: e.message,
      ...(e.options?.hint ? { hint: e.options.hint } : {}),
    };
    emit({ type: "done", service: service.name, outcome: outcome.status, message: e.message });
    return outcome;
  }
}

async function serviceJob(service: ServicePlan, credentials: Credentials): Promise<ServiceJob> {
  const { token, secrets, loginFor } = await resolveCredentials(credentials, {
    target: service.target,
    containers: service.desired.containers,
  });
  const client = new HttpPlatformClient(token);
  return {
    plan: service,
    client,
    fingerprint: fingerprintFor(token.secret),
    capabilities: await client.capabilities(),
    secrets,
    loginFor,
  };
}

/**
 * Builds and pushes the service's images the plan says to build, before any platform call, and
 * deploys what was pushed by digest.
 */
async function build(
  service: ServicePlan,
  job: ServiceJob,
  options: ApplyOptions,
  emit: (event: ApplyEvent) => void,
): Promise<void> {
  if (!service.builds?.some((b) => b.build)) return;
  const { buildLine } = options;
  const images = await runBuilds(service.builds, job.loginFor, options.engines, {
    start: (b) =>
      emit({
        type: "note",
        service: service.name,
        message: `building ${b.container} (context ${b.hash.slice(0, 19)})`,
      }),
    ...(buildLine ? { line: (line: string) => buildLine(service.name, line) } : {}),
  });
  for (const c of service.desired.containers) {
    const image = images.get(c.name);
    if (image) c.image = image;
  }
  emit({ type: "note", service: service.name, message: `pushed ${[...images.values()].join(", ")}` });
}
