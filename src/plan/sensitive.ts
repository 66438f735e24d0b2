import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { redactor } from "../credentials/redact.js";
import type { Fingerprint } from "./fingerprint.js";
import type { NormalContainer, Plan, ServicePlan } from "./model.js";
import { HIDDEN } from "./values.js";

/**
 * The plan as it may be written anywhere (`--json`, `--out`): config files marked sensitive keep
 * their source and keyed hash, never their content.
 */
export function publicPlan(plan: Plan): Plan {
  if (!plan.services.some(hasSensitiveFiles)) return plan;
  const hide = (c: NormalContainer): NormalContainer => {
    const sensitive = c.sensitiveFiles ?? {};
    const files = Object.entries(c.files).map(([path, content]) => [
      path,
      sensitive[path] ? HIDDEN : content,
    ]);
    return { ...c, files: Object.fromEntries(files) };
  };
  return {
    ...plan,
    services: plan.services.map((s) => ({
      ...s,
      desired: { ...s.desired, containers: s.desired.containers.map(hide) },
    })),
  };
}

/**
 * A saved plan's sensitive files, read again from their sources: each must still hash as it did
 * when planned. Fills in the content apply sends; returns what moved, one sentence each.
 */
export function restoreSensitiveFiles(service: ServicePlan, fingerprint: Fingerprint): string[] {
  const moved: string[] = [];
  for (const c of service.desired.containers) {
    for (const [path, { source, hmac }] of Object.entries(c.sensitiveFiles ?? {})) {
      let content: string | undefined;
      try {
        content = readFileSync(resolve(source), "utf8");
      } catch {
        content = undefined;
      }
      if (content === undefined || fingerprint(content) !== hmac) {
        moved.push(
          `${service.name}: sensitive file ${source} (${c.name}:${path}) ${content === undefined ? "cannot be read" : "changed since the plan"}`,
        );
      } else {
        c.files[path] = content;
        redactor.add(content);
      }
    }
  }
  return moved;
}

function hasSensitiveFiles(s: ServicePlan): boolean {
  return s.desired.containers.some((c) => c.sensitiveFiles !== undefined);
}
