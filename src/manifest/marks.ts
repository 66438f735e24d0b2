import type { ServiceSpec } from "./model.js";

/**
 * The labels svc leaves on what it deploys (where the provider keeps labels: `labels-map`), so a
 * later plan knows which manifest, in which repository, a live service came from: a service
 * whose manifest is gone is an orphan, and a manifest aimed at a target another manifest runs is
 * reported before it replaces it. Manifests cannot set keys under this prefix.
 */
export const MARK_PREFIX = "svc.dev/";
const MANIFEST = `${MARK_PREFIX}manifest`;
const REPOSITORY = `${MARK_PREFIX}repository`;

export interface Mark {
  manifest: string;
  repository: string;
}

export function markLabels(spec: Pick<ServiceSpec, "name" | "repository">): Record<string, string> {
  return { [MANIFEST]: spec.name, [REPOSITORY]: spec.repository };
}

export function markOf(labels: Record<string, string> | undefined): Mark | undefined {
  const manifest = labels?.[MANIFEST];
  const repository = labels?.[REPOSITORY];
  return manifest !== undefined && repository !== undefined ? { manifest, repository } : undefined;
}

/**
 * Left by `svc rollback` (where the provider keeps labels): which commit the service was rolled
 * back to, and when. A plan that keeps it says nothing of it; a plan that changes the service
 * says it rolls the rollback forward, and removes it.
 */
export const ROLLED_BACK = `${MARK_PREFIX}rolled-back`;

export interface RollbackMark {
  commit: string;
  /** ISO time. */
  at: string;
}

export function rollbackLabel(mark: RollbackMark): Record<string, string> {
  return { [ROLLED_BACK]: `${mark.commit}@${mark.at}` };
}

export function rollbackMarkOf(labels: Record<string, string> | undefined): RollbackMark | undefined {
  const match = /^([0-9a-f]{7,64})@(\S+)$/.exec(labels?.[ROLLED_BACK] ?? "");
  return match ? { commit: match[1] as string, at: match[2] as string } : undefined;
}
