import { relative } from "node:path";
import pc from "picocolors";
import type { ConvertedManifest } from "../convert/run.js";
import { renderDiagnostics } from "./diagnostics.js";

/**
 * What svc convert says of one manifest: the manifest itself on standard output when it was not
 * written, and on standard error where it went, what was not converted (one line per reason),
 * notes, and what svc validate would refuse.
 */
export function showConverted(m: ConvertedManifest): void {
  if (!m.out) process.stdout.write(m.text);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const here = (path: string) => relative(process.cwd(), path) || path;
  if (m.out && m.report) say(`${pc.green("✔")} wrote ${here(m.out)} (report: ${here(m.report)})`);
  // One line per reason, with the keys it applies to: a large file gives a readable report.
  const byReason = new Map<string, string[]>();
  for (const d of m.conversion.dropped) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d.path]);
  for (const [reason, paths] of byReason) {
    const shown = paths.length > 6 ? [...paths.slice(0, 5), `and ${paths.length - 5} more`] : paths;
    say(`${pc.yellow(`not converted (${paths.length})`)}  ${reason}: ${shown.join(", ")}`);
  }
  for (const n of m.conversion.notes) say(`${pc.cyan("note")}  ${n}`);
  if (!m.valid)
    say(`${pc.red("the result needs fixes before svc validate passes:")}\n${renderDiagnostics(m.problems)}`);
}
