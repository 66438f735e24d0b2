import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every file below a directory, as bytes read as latin1: where a leaked secret would sit. */
export function filesBelow(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => statSync(p).size < 5_000_000)
    .map((path) => ({ path, text: readFileSync(path).toString("latin1") }));
}
