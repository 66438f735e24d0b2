import { isAbsolute, relative } from "node:path";
import { byText } from "../util/sorted.js";
import type { ServiceSpec } from "./model.js";

/**
 * What a service is made of in its repository — its manifests, the config files its containers
 * take, its build contexts (directories) — relative to `from` (paths outside it stay absolute),
 * sorted. A change to none of them changes nothing svc would plan for it: `svc history` follows
 * these paths, and `svc validate --json` lists them for CI to tell whether a push concerns svc.
 */
export function serviceInputs(spec: ServiceSpec, from: string): string[] {
  const shown = (path: string) => {
    const rel = relative(from, path);
    return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  };
  const paths = new Set<string>(spec.files.map(shown));
  for (const c of spec.containers) {
    for (const f of c.files) paths.add(shown(f.source));
    if (c.build) paths.add(shown(c.build.context));
  }
  return [...paths].sort(byText);
}
