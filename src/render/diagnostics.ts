import pc from "picocolors";
import type { Diagnostic } from "../manifest/diagnostics.js";

export function location(d: Diagnostic): string {
  return d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
}

/** `file:line:col  path  message`, then the hint indented beneath: one block per problem. */
export function renderDiagnostics(list: readonly Diagnostic[]): string {
  return list
    .map((d) => {
      const message = d.severity === "error" ? pc.red(d.message) : pc.yellow(`warning: ${d.message}`);
      const head = [pc.bold(location(d)), d.path && pc.cyan(d.path), message].filter(Boolean).join("  ");
      return d.hint ? `${head}\n    ${pc.dim(`hint: ${d.hint}`)}` : head;
    })
    .join("\n");
}
