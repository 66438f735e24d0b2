import pLimit from "p-limit";
import { Engine, resolveBuilds } from "../build/resolve.js";
import type { Credentials } from "../credentials/credentials.js";
import { resolveCredentials } from "../credentials/resolve.js";
import { SvcError } from "../errors.js";
import type { Diagnostic } from "../manifest/diagnostics.js";
import type { ServiceSpec } from "../manifest/model.js";
import { HttpPlatformClient, type PlatformClient } from "../platform/client.js";
import type { RetryInfo } from "../platform/http.js";
import type { ServiceToken } from "../platform/token.js";
import { assemble, failedService, planService } from "./build.js";
import { fingerprintFor } from "./fingerprint.js";
import type { Plan, ServicePlan } from "./model.js";
import { observe } from "./observe.js";
import { findOrphans } from "./orphans.js";

export interface PlanOptions {
  credentials: Credentials;
  /** Services observed at once. */
  parallelism: number;
  client?: (token: ServiceToken) => PlatformClient;
  /** Told before each retry of a platform call (for a status line). */
  onRetry?: (retry: RetryInfo) => void;
  now?: number;
  /** The Docker engine for built containers (shared with apply's builds). */
  engines?: Engine;
  /** Look for services this run's repositories deployed whose manifest is gone; `prune` stops them. */
  orphans?: { prune: boolean };
}

/**
 * Observes every service's target concurrently (p-limit), then diffs each. Problems reaching a
 * target or resolving a credential become diagnostics of that service; the others still plan.
 */
export async function makePlan(specs: ServiceSpec[], options: PlanOptions): Promise<Plan> {
  const diagnostics: Diagnostic[] = [];
  const byTarget = new Map<string, ServiceSpec[]>();
  for (const spec of specs) byTarget.set(spec.target, [...(byTarget.get(spec.target) ?? []), spec]);
  const planned: ServiceSpec[] = [];
  for (const [target, group] of byTarget) {
    if (group.length === 1) planned.push(group[0] as ServiceSpec);
    else {
      for (const spec of group) {
        diagnostics.push(
          failedService(
            spec,
            `target ${target} is also used by ${group
              .filter((s) => s !== spec)
              .map((s) => s.name)
              .join(", ")}`,
            "a user service holds one deployment: give each service its own target",
          ),
        );
      }
    }
  }

  const client =
    options.client ??
    ((token: ServiceToken) =>
      new HttpPlatformClient(token, options.onRetry ? { onRetry: options.onRetry } : {}));
  const environmentSecrets = Object.entries(process.env)
    .filter(([name, value]) => value && /^SVC_SECRET_/i.test(name))
    .map(([, value]) => value as string);
  const limit = pLimit(Math.max(1, options.parallelism));
  const engines = options.engines ?? new Engine();
  // Orphans are looked for while the services are planned. A target that does not answer is
  // skipped, so it is asked once, not retried: a stale token must not slow every plan down.
  const orphans = options.orphans
    ? findOrphans(planned, {
        credentials: options.credentials,
        client: (token) => options.client?.(token) ?? new HttpPlatformClient(token, { attempts: 1 }),
        prune: options.orphans.prune,
        limit,
      })
    : undefined;
  // Its failure is this plan's, reported where it is awaited (below), not as an unhandled one.
  orphans?.catch(() => undefined);
  const results = await Promise.all(
    planned.map((spec) =>
      limit(async (): Promise<ServicePlan | Diagnostic> => {
        try {
          const { token, secrets, loginFor } = await resolveCredentials(options.credentials, spec);
          // Built containers' images are decided once the live state is known: by digest when
          // the registry has the build (or the service runs the one svc remembers), else built.
          const built = new Set(spec.containers.filter((c) => c.build).map((c) => c.image));
          const live = await observe(client(token), spec, loginFor, built);
          const running = new Map((live.containers ?? []).map((c) => [c.name, c.imageName]));
          const { spec: resolved, builds } = await resolveBuilds(spec, loginFor, engines, running);
          const plan = planService(resolved, live, {
            secrets,
            fingerprint: fingerprintFor(token.secret),
            ...(options.now !== undefined ? { now: options.now } : {}),
            otherSecrets: environmentSecrets,
          });
          return builds.length > 0 ? { ...plan, builds } : plan;
        } catch (error) {
          // Any error svc knows (credentials, unreachable, refused) is this service's problem;
          // the others still plan.
          if (error instanceof SvcError)
            return failedService(spec, `target ${spec.target}: ${error.message}`, error.hint);
          throw error;
        }
      }),
    ),
  );
  const services = results.filter((r): r is ServicePlan => "action" in r);
  diagnostics.push(...results.filter((r): r is Diagnostic => !("action" in r)));
  const found = await orphans;
  return assemble(
    [...services, ...(found?.stops ?? [])],
    diagnostics,
    new Date(options.now ?? Date.now()).toISOString(),
    found?.orphans,
  );
}
