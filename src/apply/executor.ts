import { OutcomeUnknown, PlatformHttpError, SvcError } from "../errors.js";
import type { Fingerprint } from "../plan/fingerprint.js";
import type { Operation, ServicePlan } from "../plan/model.js";
import type { PlatformClient } from "../platform/client.js";
import { baseDomain } from "../platform/domain.js";
import type { Capabilities, LiveDomain, ObservedState, PodView, RegistryLogin } from "../platform/model.js";
import { doing } from "../util/activity.js";
import { Guard, type Mutation } from "./guard.js";
import { deployed, live, sameEnv, sameFiles } from "./landed.js";
import { deploymentBody, envBody, publicLogin } from "./payload.js";
import { waitForRollout } from "./rollout.js";

export type ApplyEvent =
  | { type: "call"; service: string; operation: Operation["kind"]; cause: string }
  | { type: "called"; service: string; operation: Operation["kind"]; revision?: number }
  | { type: "note"; service: string; message: string }
  /** What the rollout waits for and the last answer, each time it looks (views decide how often to show it). */
  | { type: "waiting"; service: string; detail?: string }
  | { type: "done"; service: string; outcome: ServiceOutcome["status"]; message?: string };

export interface ServiceOutcome {
  service: string;
  target: string;
  /** unknown: a call's answer was lost, the live state cannot tell whether it took effect. restored: atomic.ts. */
  status: "applied" | "unchanged" | "failed" | "unknown" | "interrupted" | "restored";
  /** Operations that took effect, in order. */
  applied: Operation["kind"][];
  /** The restore's calls that took effect, in order (`apply --atomic`, after a failed check). */
  restored?: Operation["kind"][];
  /** How many verify checks passed (`apply --atomic`). */
  verified?: number;
  /** Operations not made (failed or never reached). */
  remaining: Operation["kind"][];
  message?: string;
  hint?: string;
}

export interface ServiceJob {
  plan: ServicePlan;
  client: PlatformClient;
  /** The target's keyed fingerprint, the one its plan was made with. */
  fingerprint: Fingerprint;
  capabilities: Capabilities;
  secrets: ReadonlyMap<string, string>;
  loginFor: (image: string) => RegistryLogin | undefined;
}

export interface ExecuteOptions {
  wait: boolean;
  timeoutMs: number;
  /** How long the containers must stay up and ready after the rollout before "applied". */
  stableForMs: number;
  /** How long a change may take to show in the live state (guard.ts). */
  settleMs?: number;
  /** True once the user asked to stop: the call in flight finishes, no new one starts. */
  stopping: () => boolean;
  emit: (event: ApplyEvent) => void;
}

/** Makes one service's calls in the plan's order, each through the guard (see guard.ts). */
export async function applyService(job: ServiceJob, options: ExecuteOptions): Promise<ServiceOutcome> {
  const { plan } = job;
  const base = { service: plan.name, target: plan.target };
  if (plan.operations.length === 0) return { ...base, status: "unchanged", applied: [], remaining: [] };
  const guard = new Guard(
    job.client,
    job.capabilities.has("revision"),
    plan.fingerprint,
    job.fingerprint,
    (message) => options.emit({ type: "note", service: plan.name, message }),
    options.settleMs,
  );
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
  // The rollout is waited for from the last call that restarts containers: the calls after it
  // (labels, description, domains) leave the containers alone, so they run while it settles.
  const restarting = (o: Operation) => o.restarts || o.kind === "deploy";
  const lastRestart = plan.operations.findLastIndex(restarting);
  // The pod before the first call that replaces it: a provider that shows changes late still
  // shows it for a while, and the rollout must not judge it as the new one.
  let previous: PodView | undefined;
  const stopWaiting = new AbortController();
  let rollout: Promise<unknown> | undefined;
  let callsDone = false;
  try {
    for (const [i, op] of plan.operations.entries()) {
      const remaining = plan.operations.slice(i).map((o) => o.kind);
      const message = "stopped before this call";
      if (options.stopping()) return finish({ ...base, status: "interrupted", applied, remaining, message });
      options.emit({ type: "call", service: plan.name, operation: op.kind, cause: op.cause });
      doing(`${plan.name}: calling ${op.kind}`);
      if (options.wait && restarting(op) && previous === undefined)
        previous = await job.client
          .pod()
          .catch((): PodView => ({ containers: [], domains: [], phase: "Pending" }));
      try {
        await call(job, op, guard, (message) => options.emit({ type: "note", service: plan.name, message }));
      } catch (error) {
        return finish({ ...base, ...failure(error, `${op.kind}: `), applied, remaining });
      }
      applied.push(op.kind);
      const revision = guard.currentRevision;
      options.emit({
        type: "called",
        service: plan.name,
        operation: op.kind,
        ...(revision !== undefined ? { revision } : {}),
      });
      if (options.wait && i === lastRestart) {
        // Settled to its error (or undefined) at once: a rejection while calls go on is not unhandled.
        rollout = waitForRollout(job.client, plan.desired, {
          timeoutMs: options.timeoutMs,
          stableForMs: options.stableForMs,
          target: plan.target,
          ...(previous ? { previous } : {}),
          signal: stopWaiting.signal,
          progress: (detail) => {
            // Said by the view only once the calls are done ("waiting" comes after the last one).
            if (callsDone) options.emit({ type: "waiting", service: plan.name, detail });
            doing(`${plan.name}: ${detail}`);
          },
        }).then(
          () => undefined,
          (error: unknown) => error ?? new Error("rollout failed"),
        );
      }
    }
    callsDone = true;
    if (rollout) {
      options.emit({ type: "waiting", service: plan.name });
      const error = await rollout;
      if (error) return finish({ ...base, ...failure(error), applied, remaining: [] });
    }
    return finish({ ...base, status: "applied", applied, remaining: [] });
  } finally {
    // Done, or a call failed, or the user stopped: a rollout still being waited for is not any more.
    stopWaiting.abort(new Error("apply ended before the rollout"));
  }
}

/** A failed outcome's status, message and hint, from what was thrown. */
function failure(error: unknown, prefix = ""): Pick<ServiceOutcome, "status" | "message" | "hint"> {
  const hint = error instanceof SvcError ? error.hint : undefined;
  return {
    status: error instanceof OutcomeUnknown ? "unknown" : "failed",
    message: `${prefix}${(error as Error).message}`,
    ...(hint ? { hint } : {}),
  };
}

async function call(
  job: ServiceJob,
  op: Operation,
  guard: Guard,
  note: (message: string) => void,
): Promise<void> {
  const { desired } = job.plan;
  const { client, secrets, capabilities: caps } = job;
  const container = (name: string) => {
    const c = desired.containers.find((x) => x.name === name);
    if (!c) throw new Error(`no container ${name} in the desired state`);
    return c;
  };
  const names = op.containers ?? [];
  const run = (name: string, send: Mutation["send"], landed?: Mutation["landed"]) =>
    guard.run({ name, send, ...(landed ? { landed } : {}) });
  switch (op.kind) {
    case "deploy":
    case "redeploy": {
      const body = deploymentBody(desired, secrets, job.loginFor);
      return run(
        op.kind,
        (rev) => client.deploy(op.kind === "deploy", body, rev),
        (s) => s.service.status !== "ServicePending" && deployed(s, desired, secrets),
      );
    }
    case "update-images": {
      const items = names.map((name) => {
        const image = container(name).image;
        const login = job.loginFor(image) ?? publicLogin;
        // The public call names no container: the provider picks (one-container services only, see diff).
        return { image, login, ...(caps.has("image-container") ? { container: name } : {}) };
      });
      return run(
        "update-images",
        (rev) => client.updateImages(items, rev),
        (s) => names.every((n) => live(s, n)?.imageName === container(n).image),
      );
    }
    case "update-config": {
      const environment = Object.fromEntries(
        names.map((n) => [
          n,
          Object.fromEntries(envBody(container(n), secrets).map((e) => [e.name, e.value])),
        ]),
      );
      const configFor = async (state: () => Promise<ObservedState>) => {
        const config: Record<string, string | Record<string, string>> = {};
        for (const n of names) {
          const files = container(n).files;
          if (caps.has("config-path-map")) config[n] = files;
          // The public config is one file's content, only for containers the provider lists with one.
          else if ((live(await state(), n)?.configContents?.length ?? 0) > 0) {
            const first = Object.values(files)[0];
            if (first !== undefined) config[n] = first;
          }
        }
        return config;
      };
      return run(
        "update-config",
        async (rev, state) => client.updatePod({ config: await configFor(state), environment }, rev),
        (s) => names.every((n) => sameEnv(s, container(n), secrets) && sameFiles(s, container(n))),
      );
    }
    case "stop":
      return run(
        "stop",
        (rev) => client.lifecycle("stop", rev),
        (s) => s.service.status === "ServiceStop",
      );
    case "resume":
      return run(
        "resume",
        (rev) => client.lifecycle("start", rev),
        (s) => s.service.status === "ServiceRunning",
      );
    case "set-description":
      return run(
        "set-description",
        (rev) => client.setDescription(desired.description, rev),
        (s) => s.service.description === desired.description,
      );
    case "set-labels":
      return run(
        "set-labels",
        (rev) => client.setLabels(desired.labels, rev),
        (s) => JSON.stringify(s.service.labels) === JSON.stringify(desired.labels),
      );
    case "unbind-domains": {
      const gone = op.domains ?? [];
      try {
        return await run(
          `unbind ${gone.join(", ")}`,
          (rev) => client.unbindDomains(gone, rev),
          (s) => s.domains.every((d) => !gone.includes(d.domain)),
        );
      } catch (error) {
        if (!(error instanceof PlatformHttpError && error.code === 501)) throw error;
      }
      // An older provider: unbind every domain, then bind again those that stay.
      const keep = (await client.observe()).domains.filter((d) => !gone.includes(d.domain));
      note(
        `the provider cannot unbind some domains (501): unbinding all of them${keep.length ? `, then binding ${keep.map((d) => d.domain).join(", ")} again` : ""}`,
      );
      await run(
        "unbind all domains",
        (rev) => client.unbindAll(rev),
        (s) => s.domains.length === 0,
      );
      for (const d of keep) await bind(run, client, d);
      return;
    }
    case "bind-domain": {
      const d = desired.domains.find((x) => x.name === op.domains?.[0]);
      if (!d) throw new Error(`no domain ${op.domains?.[0]} in the desired state`);
      return bind(run, client, { domain: d.name, containerPort: d.port, isHttps: d.https });
    }
  }
}

/** `isLetsencrypt` only on a base domain's first bind: the first bind fixes https for the others. */
function bind(
  run: (name: string, send: Mutation["send"], landed?: Mutation["landed"]) => Promise<void>,
  client: PlatformClient,
  d: LiveDomain,
): Promise<void> {
  return run(
    `bind-domain ${d.domain}`,
    async (rev, state) => {
      const first = !(await state()).domains.some((x) => baseDomain(x.domain) === baseDomain(d.domain));
      const body = {
        domain: d.domain,
        containerPort: d.containerPort,
        ...(first ? { isLetsencrypt: d.isHttps } : {}),
      };
      return client.bindDomain(body, rev);
    },
    (s) => s.domains.some((x) => x.domain === d.domain),
  );
}
