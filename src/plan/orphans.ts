import type { Credentials } from "../credentials/credentials.js";
import { markOf } from "../manifest/marks.js";
import type { ServiceSpec } from "../manifest/model.js";
import type { PlatformClient } from "../platform/client.js";
import type { ServiceToken } from "../platform/token.js";
import { byText } from "../util/sorted.js";
import { fingerprintOf } from "./build.js";
import { fingerprintFor } from "./fingerprint.js";
import type { Orphan, ServicePlan } from "./model.js";

/**
 * Among the targets svc has a token for (environment and keychain) and this run does not plan,
 * the services svc deployed from one of this run's repositories whose manifest is gone. Only
 * providers with `labels-map` keep svc's marks; a target that cannot be read is skipped (svc
 * targets shows which). With `prune`, each running orphan also gets a plan: one stop call,
 * destructive (gated like any data-affecting change), its storage left with the service.
 */
export async function findOrphans(
  specs: ServiceSpec[],
  options: {
    credentials: Credentials;
    client: (token: ServiceToken) => PlatformClient;
    prune: boolean;
    limit: <T>(task: () => Promise<T>) => Promise<T>;
  },
): Promise<{ orphans: Orphan[]; stops: ServicePlan[] }> {
  const repositories = new Set(specs.map((s) => s.repository));
  const planned = new Set(specs.map((s) => s.target));
  const names = new Set(specs.map((s) => `${s.repository}\n${s.name}`));
  const { entries } = await options.credentials.list("target");
  const found = await Promise.all(
    entries
      .filter((e) => !planned.has(e.name))
      .map((e) =>
        options.limit(async () => {
          try {
            const token = (await options.credentials.token(e.name)).value;
            const client = options.client(token);
            if (!(await client.capabilities()).has("labels-map")) return undefined;
            const state = await client.observe();
            const mark = markOf(state.service.labels);
            if (!mark || !repositories.has(mark.repository) || !state.containers) return undefined;
            if (names.has(`${mark.repository}\n${mark.manifest}`)) return undefined;
            const stopped = state.service.status === "ServiceStop";
            const orphan: Orphan = {
              name: mark.manifest,
              target: e.name,
              repository: mark.repository,
              stopped,
              prune: options.prune && !stopped,
            };
            return {
              orphan,
              stop: orphan.prune
                ? stopPlan(orphan, fingerprintOf(state, fingerprintFor(token.secret)))
                : undefined,
            };
          } catch {
            return undefined; // unreachable or refused: not this plan's business
          }
        }),
      ),
  );
  const present = found.filter((f) => f !== undefined);
  return {
    orphans: present.map((f) => f.orphan).sort((a, b) => byText(a.target, b.target)),
    stops: present.flatMap((f) => (f.stop ? [f.stop] : [])),
  };
}

function stopPlan(orphan: Orphan, fingerprint: ServicePlan["fingerprint"]): ServicePlan {
  const cause = `its manifest is gone from ${orphan.repository} (svc plan --prune)`;
  return {
    name: orphan.name,
    target: orphan.target,
    files: [],
    action: "update",
    restarts: false,
    destructive: true,
    losses: [`${orphan.name} stops on target ${orphan.target}: ${cause}; its storage stays with the service`],
    redeployCauses: [],
    changes: [{ path: "state", kind: "change", before: "running", after: "stopped" }],
    operations: [{ kind: "stop", cause, restarts: false, destructive: true }],
    diagnostics: [],
    // Nothing is deployed from it: apply only stops it.
    desired: { description: "", labels: {}, containers: [], domains: [] },
    fingerprint,
  };
}
