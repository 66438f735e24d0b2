import type { Operation, ServicePlan } from "../plan/model.js";
import type { PlatformClient, RegistryLogin } from "../platform/client.js";
import type { ApplyClient } from "./client.js";
import { deploymentBody, envBody } from "./payload.js";
import { waitForRollout } from "./rollout.js";

export type ApplyEvent =
  | { type: "call"; service: string; operation: Operation["kind"]; cause: string }
  | { type: "called"; service: string; operation: Operation["kind"]; revision: number }
  | { type: "waiting"; service: string }
  | { type: "done"; service: string; outcome: ServiceOutcome["status"]; message?: string };

export interface ServiceOutcome {
  service: string;
  target: string;
  status: "applied" | "unchanged" | "failed" | "interrupted";
  /** Operations that took effect, in order. */
  applied: Operation["kind"][];
  /** Operations not made (failed or never reached). */
  remaining: Operation["kind"][];
  message?: string;
  hint?: string;
}

export interface ServiceJob {
  plan: ServicePlan;
  client: ApplyClient & PlatformClient;
  secrets: ReadonlyMap<string, string>;
  loginFor: (image: string) => RegistryLogin | undefined;
}

export interface ExecuteOptions {
  wait: boolean;
  timeoutMs: number;
  /** True once the user asked to stop: the call in flight finishes, no new one starts. */
  stopping: () => boolean;
  emit: (event: ApplyEvent) => void;
}

/** Makes one service's calls in the plan's order, each guarded by the revision it expects. */
export async function applyService(job: ServiceJob, options: ExecuteOptions): Promise<ServiceOutcome> {
  const { plan } = job;
  const base = { service: plan.name, target: plan.target };
  if (plan.operations.length === 0) return { ...base, status: "unchanged", applied: [], remaining: [] };
  let revision = plan.fingerprint.revision;
  const applied: Operation["kind"][] = [];
  const finish = (outcome: ServiceOutcome): ServiceOutcome => {
    options.emit({
      type: "done",
      service: plan.name,
      outcome: outcome.status,
      ...(outcome.message ? { message: outcome.message } : {}),
    });
    return outcome;
  };
  for (const [i, op] of plan.operations.entries()) {
    const remaining = plan.operations.slice(i).map((o) => o.kind);
    if (options.stopping())
      return finish({
        ...base,
        status: "interrupted",
        applied,
        remaining,
        message: "stopped before this call",
      });
    options.emit({ type: "call", service: plan.name, operation: op.kind, cause: op.cause });
    try {
      revision = await call(job, op, revision);
    } catch (error) {
      return finish({ ...base, ...failure(error, `${op.kind}: `), applied, remaining });
    }
    applied.push(op.kind);
    options.emit({ type: "called", service: plan.name, operation: op.kind, revision });
  }
  const restarted = plan.operations.some((o) => o.restarts || o.kind === "deploy");
  if (options.wait && restarted) {
    options.emit({ type: "waiting", service: plan.name });
    try {
      await waitForRollout(job.client, plan.desired, { timeoutMs: options.timeoutMs });
    } catch (error) {
      return finish({ ...base, ...failure(error), applied, remaining: [] });
    }
  }
  return finish({ ...base, status: "applied", applied, remaining: [] });
}

/** A failed outcome's status, message and hint, from what was thrown. */
function failure(error: unknown, prefix = ""): Pick<ServiceOutcome, "status" | "message" | "hint"> {
  const e = error as Error & { hint?: string };
  return { status: "failed", message: `${prefix}${e.message}`, ...(e.hint ? { hint: e.hint } : {}) };
}

async function call(job: ServiceJob, op: Operation, revision: number): Promise<number> {
  const { desired } = job.plan;
  const { client, secrets } = job;
  const container = (name: string) => {
    const c = desired.containers.find((x) => x.name === name);
    if (!c) throw new Error(`no container ${name} in the desired state`);
    return c;
  };
  switch (op.kind) {
    case "deploy":
    case "redeploy":
      return client.deploy(op.kind === "deploy", deploymentBody(desired, secrets, job.loginFor), revision);
    case "update-images":
      return client.updateImages(
        (op.containers ?? []).map((name) => {
          const image = container(name).image;
          const login = job.loginFor(image);
          return { container: name, image, ...(login ? { login } : {}) };
        }),
        revision,
      );
    case "update-config": {
      const names = op.containers ?? [];
      const environment = Object.fromEntries(
        names.map((n) => [
          n,
          Object.fromEntries(envBody(container(n), secrets).map((e) => [e.name, e.value])),
        ]),
      );
      const config = Object.fromEntries(names.map((n) => [n, container(n).files]));
      return client.updatePod({ environment, config }, revision);
    }
    case "set-description":
      return client.setDescription(desired.description, revision);
    case "set-labels":
      return client.setLabels(desired.labels, revision);
    case "unbind-domains":
      return client.unbindDomains(op.domains ?? [], revision);
    case "bind-domain": {
      const d = desired.domains.find((x) => x.name === op.domains?.[0]);
      if (!d) throw new Error(`no domain ${op.domains?.[0]} in the desired state`);
      return client.bindDomain(d.name, d.port, d.https, revision);
    }
  }
}
