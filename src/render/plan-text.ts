import pc from "picocolors";
import type { Plan, ServicePlan } from "../plan/model.js";
import { countOf } from "../util/plural.js";
import { renderDiagnostics } from "./diagnostics.js";
import { actionText, buildLines, changeLines, restoreLines, SYMBOL, summaryLine } from "./plan-lines.js";

const colour = { "+": pc.green, "-": pc.red, "~": pc.yellow, "-/+": pc.magenta, "=": pc.dim } as const;
type Sym = keyof typeof colour;

/** The plan for a terminal: per service its changes, the calls that make them, then a summary. */
export function renderPlanText(plan: Plan): string {
  const out: string[] = [];
  const changed = plan.services.filter((s) => s.action !== "noop");
  // A service without changes still shows its preflight problems.
  for (const s of plan.services.filter((x) => x.action !== "noop" || x.diagnostics.length > 0))
    out.push(service(s), "");
  if (plan.diagnostics.length > 0) out.push(renderDiagnostics(plan.diagnostics), "");
  for (const o of plan.orphans ?? []) {
    if (o.prune) continue; // shown above as a service with its stop call
    out.push(
      `${pc.yellow("?")} ${o.name} (target ${o.target}) orphaned: its manifest is gone from ${o.repository}${o.stopped ? " (stopped)" : ""}`,
      o.stopped ? "" : pc.dim("    svc plan --prune plans stopping it; svc apply --prune stops it"),
    );
  }
  const failing = plan.services.filter((s) => (s.failing?.length ?? 0) > 0);
  const orphaned = (plan.orphans ?? []).filter((o) => !o.prune && !o.stopped);
  const quiet = changed.length === 0 && plan.summary.errors === 0;
  if (quiet && failing.length > 0) {
    out.push(
      pc.yellow(
        `No changes to make, but ${failing.length} service${failing.length === 1 ? " does" : "s do"} not run as ${failing.length === 1 ? "its manifest says" : "their manifests say"}: ${failing.map((s) => `${s.name} (${(s.failing ?? []).join(", ")})`).join(", ")}.`,
      ),
    );
  } else if (quiet && orphaned.length > 0) {
    out.push(
      pc.yellow(
        `No changes to the manifests' services, but ${orphaned.length} orphaned service${orphaned.length === 1 ? " still runs" : "s still run"}: ${orphaned.map((o) => `${o.name} (target ${o.target})`).join(", ")}.`,
      ),
    );
  } else if (quiet) {
    out.push(
      pc.green(
        `No changes. The live state matches the manifests (${countOf(plan.services.length, "service")}).`,
      ),
    );
  } else if (plan.services.length > 0 || plan.summary.errors === 0) {
    out.push(pc.bold(summaryLine(plan.summary)));
    if (changed.length > 0 && plan.summary.errors === 0)
      out.push(pc.dim(`Digest: ${plan.digest} (svc apply --expect-digest applies exactly this plan)`));
  }
  if (plan.summary.errors > 0) {
    out.push(pc.red(`${countOf(plan.summary.errors, "problem")} must be fixed before apply.`));
  }
  return out.join("\n");
}

function service(s: ServicePlan): string {
  const sym = SYMBOL[s.action] as Sym;
  const lines = [
    `${colour[sym](pc.bold(`${sym} ${s.name}`))} ${pc.dim(`(target ${s.target})`)} ${actionText(s)}`,
  ];
  for (const line of buildLines(s)) lines.push(`    ${pc.cyan(line)}`);
  for (const c of s.changes) {
    const { head, symbol, diff } = changeLines(c);
    lines.push(`    ${colour[symbol as Sym](head)}`);
    for (const d of diff ?? []) {
      const paint = d.startsWith("+")
        ? pc.green
        : d.startsWith("-")
          ? pc.red
          : d.startsWith("@@")
            ? pc.cyan
            : pc.dim;
      lines.push(`        ${paint(d)}`);
    }
  }
  if (s.operations.length > 0) {
    lines.push(pc.dim("  calls, in order:"));
    s.operations.forEach((o, i) => {
      const tags = [o.restarts ? "restarts" : "", o.destructive ? "DESTRUCTIVE" : ""]
        .filter(Boolean)
        .join(", ");
      lines.push(pc.dim(`    ${i + 1}. ${o.kind}: ${o.cause}${tags ? ` [${tags}]` : ""}`));
    });
  }
  for (const loss of s.losses ?? []) lines.push(pc.red(pc.bold(`  destructive: ${loss}`)));
  const { verify, restore, irreversible } = restoreLines(s);
  if (verify) lines.push(pc.dim(`  verified after apply: ${verify}`));
  if (restore) lines.push(pc.dim(`  a failed verification (apply --atomic) restores: ${restore}`));
  for (const what of irreversible) lines.push(pc.yellow(`    cannot be undone: ${what}`));
  if (s.diagnostics.length > 0) lines.push(renderDiagnostics(s.diagnostics).replace(/^/gm, "  "));
  return lines.join("\n");
}
