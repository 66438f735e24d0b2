import type { Diagnostic } from "../manifest/diagnostics.js";
import type { Dropped } from "./fields.js";

/**
 * The conversion report saved beside the manifest (`service.convert.md`): what was not carried
 * over, grouped by reason with counts; the notes (rewrites, secrets to store, variables to set);
 * and what validation still asks for.
 */
export function convertReport(input: {
  source: string;
  output: string;
  dropped: readonly Dropped[];
  notes: readonly string[];
  problems: readonly Diagnostic[];
}): string {
  const out = [`# svc convert: ${input.source} → ${input.output}`, ""];
  const errors = input.problems.filter((d) => d.severity === "error");
  out.push(
    errors.length === 0
      ? "The manifest validates."
      : `The manifest needs ${errors.length} fix${errors.length === 1 ? "" : "es"} before svc validate passes (below).`,
    "",
  );
  const byReason = new Map<string, string[]>();
  for (const d of input.dropped) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d.path]);
  out.push(`## Not converted (${input.dropped.length})`, "");
  if (byReason.size === 0) out.push("Everything was carried over.", "");
  for (const [reason, paths] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    out.push(`### ${reason} (${paths.length})`, "", ...paths.map((p) => `- \`${p}\``), "");
  }
  out.push(`## Notes (${input.notes.length})`, "", ...input.notes.map((n) => `- ${n}`), "");
  if (input.problems.length > 0) {
    out.push(`## To fix (${input.problems.length})`, "");
    for (const d of input.problems)
      out.push(`- ${d.severity}: line ${d.line}, \`${d.path}\`: ${d.message}${d.hint ? ` (${d.hint})` : ""}`);
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
