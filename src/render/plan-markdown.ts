import type { Plan } from "../plan/model.js";
import { location } from "./diagnostics.js";
import { actionText, changeLines, SYMBOL, summaryLine } from "./plan-lines.js";

/** The plan for a pull-request comment: a summary table, then one collapsible section per service. */
export function renderPlanMarkdown(plan: Plan): string {
  const out = ["### svc plan", "", summaryLine(plan.summary), ""];
  out.push("| service | target | action | restarts | destructive |", "| --- | --- | --- | --- | --- |");
  for (const s of plan.services) {
    out.push(
      `| ${s.name} | ${s.target} | \`${SYMBOL[s.action]}\` ${s.action} | ${s.restarts ? "yes" : "no"} | ${s.destructive ? "**yes**" : "no"} |`,
    );
  }
  out.push("");
  const orphans = (plan.orphans ?? []).filter((o) => !o.prune);
  if (orphans.length > 0) {
    out.push("**Orphaned** (manifest removed; `svc apply --prune` stops them)", "");
    for (const o of orphans)
      out.push(
        `- \`?\` **${o.name}** (target ${o.target})${o.stopped ? ", stopped" : ""}: its manifest is gone from ${o.repository}`,
      );
    out.push("");
  }
  const problems = [...plan.diagnostics, ...plan.services.flatMap((s) => s.diagnostics)];
  if (problems.length > 0) {
    out.push("**Problems**", "");
    for (const d of problems) {
      out.push(
        `- ${d.severity === "error" ? "❌" : "⚠️"} \`${location(d)}\` ${d.path ? `\`${d.path}\` ` : ""}${d.message}`,
      );
    }
    out.push("");
  }
  for (const s of plan.services.filter((x) => x.action !== "noop")) {
    out.push(
      `<details><summary><code>${SYMBOL[s.action]}</code> <b>${s.name}</b> (target ${s.target}) ${actionText(s)}</summary>`,
      "",
    );
    out.push("```diff");
    for (const c of s.changes) {
      const { head, diff } = changeLines(c);
      // diff highlighting keys on the first character: "-/+" and "~" read as changes.
      out.push(head.startsWith("~") ? `! ${head.slice(2)}` : head);
      for (const d of diff ?? []) out.push(`    ${d}`);
    }
    out.push("```", "");
    out.push(
      ...s.operations.map((o, i) => `${i + 1}. \`${o.kind}\` ${o.cause}${o.restarts ? " (restarts)" : ""}`),
    );
    if (s.losses?.length) out.push("", ...s.losses.map((loss) => `> ⚠️ **Destructive:** ${loss}`));
    out.push("", "</details>", "");
  }
  return out.join("\n").trimEnd();
}
