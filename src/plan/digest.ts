import { sha256Hex } from "../util/hash.js";
import type { Operation, ServicePlan } from "./model.js";
import { canonical } from "./normalize.js";

/**
 * The digest of a plan's intent: what apply would change, and how. It covers each changing
 * service's builds (context hashes), changes (before and after, file diffs), its calls in order, its
 * verify checks and what a failed verification would restore; it leaves out what moves
 * without the intent moving — revisions, live-state fingerprints, times, the wording of causes, and
 * problems. Values of sensitive changes are never recorded, so a digest says nothing of them, and it
 * can be posted in a pull request.
 */
export function planDigest(services: readonly ServicePlan[]): string {
  const intent = services
    .filter((s) => s.operations.length > 0)
    .map((s) => ({
      service: s.name,
      target: s.target,
      action: s.action,
      builds: s.builds
        ?.filter((b) => b.build)
        .map((b) => ({ container: b.container, hash: b.hash, tag: b.tag })),
      changes: s.changes.map(
        ({ path, kind, before, after, sensitive, forcesRedeploy, destructive, diff }) => ({
          path,
          kind,
          before,
          after,
          sensitive,
          forcesRedeploy,
          destructive,
          diff,
        }),
      ),
      calls: s.operations.map(calls),
      verify: s.desired.containers.flatMap((c) =>
        c.verify ? [{ container: c.name, checks: c.verify }] : [],
      ),
      restore: s.restore && { calls: s.restore.operations.map(calls), irreversible: s.restore.irreversible },
    }));
  return `sha256:${sha256Hex(canonical({ digest: 1, intent }))}`;
}

const calls = ({ kind, restarts, destructive, containers, domains }: Operation) => ({
  kind,
  restarts,
  destructive,
  containers,
  domains,
});

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
