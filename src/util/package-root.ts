import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/**
 * The directory of svc's package.json: the checkout, or where npm installed svc. Found by walking
 * up from this code, wherever it runs from — the sources (tests), tsc's dist/, or the bundle
 * (dist/bundle/, whose chunks sit at other depths) — so files shipped beside the code (schemas/,
 * bin/, precompiled validators) are found the same way from all three.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "schemas"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`svc's package root is not above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  root = dir;
  return dir;
}

/** A file of svc's package, by its path from the package root: `schemas/plan.schema.json`. */
export function packageFile(path: string): string {
  return join(packageRoot(), path);
}
