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
