import type { Diagnostic } from "../manifest/diagnostics.js";
import type { Plan, ServicePlan } from "../plan/model.js";
import { countOf } from "../util/plural.js";
import { location } from "./diagnostics.js";
import { actionText, buildLines, changeLines, restoreLines, SYMBOL, summaryLine } from "./plan-lines.js";

/** GitHub refuses comments over 65,536 characters; this leaves room for what a workflow adds. */
export const MARKDOWN_LIMIT = 60_000;

export interface MarkdownOptions {
  /** Which plan this is (the manifests' directories and targets): the sticky comment's key. */
  key?: string;
  /** Where the whole plan can be read when this one is cut (a workflow run's artifacts). */
  fullPlanAt?: string;
  limit?: number;
}

/**
 * The plan as a pull-request comment: a hidden marker a workflow finds its comment by, the
 * digest, destructive changes first, problems with their fixes, a summary table, then one
 * collapsible section per changing service. Kept under `limit` characters: when the whole plan
 * does not fit, file diffs go first, then whole sections, and a note says where the rest is.
 */
export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const limit = options.limit ?? MARKDOWN_LIMIT;
  // A plan with problems cannot be applied: there is no digest to approve.
  const approvable = plan.summary.errors === 0;
  const head = [
    planMarker(options.key ?? "dirs=. targets=*", approvable ? plan.digest : "none"),
    title(plan),
    "",
  ];
  const changing = plan.services.filter((s) => s.operations.length > 0);
  if (changing.length > 0 && approvable) {
    head.push(
      `**Digest** \`${plan.digest}\`: a merge applies exactly this plan or nothing (\`svc apply --expect-digest\`).`,
      "",
    );
  }
  const destructive = changing.filter((s) => s.destructive);
  if (destructive.length > 0) {
    head.push("> [!CAUTION]", "> **Destructive changes**", ">");
    for (const s of destructive) {
      for (const loss of s.losses ?? ["data in storage is left behind"])
        head.push(`> - **${cell(s.name)}** (target ${cell(s.target)}): ${cell(loss)}`);
    }
    head.push("");
  }

  // Pieces after the head, in order; each may be left out when the limit is near.
  const pieces: Piece[] = [];
  const problems = [...plan.diagnostics, ...plan.services.flatMap((s) => s.diagnostics)];
  if (problems.length > 0) {
    pieces.push({
      text: ["**Problems**", "", "| | where | problem | how to fix |", "| --- | --- | --- | --- |"],
    });
    for (const d of problems) pieces.push({ text: [problemRow(d)], problem: true });
    pieces.push({ text: [""] });
  }
  if (plan.services.length > 0) {
    pieces.push({
      text: ["| service | target | action | restarts | destructive |", "| --- | --- | --- | --- | --- |"],
    });
    for (const s of plan.services) {
      pieces.push({
        text: [
          `| ${cell(s.name)} | ${cell(s.target)} | \`${SYMBOL[s.action]}\` ${s.action} | ${s.restarts ? "yes" : "no"} | ${s.destructive ? "**yes**" : "no"} |`,
        ],
      });
    }
    pieces.push({ text: [""] });
  }
  const orphans = (plan.orphans ?? []).filter((o) => !o.prune);
  if (orphans.length > 0) {
    pieces.push({ text: ["**Orphaned** (manifest removed; `svc apply --prune` stops them)", ""] });
    for (const o of orphans)
      pieces.push({
        text: [
          `- \`?\` **${cell(o.name)}** (target ${cell(o.target)})${o.stopped ? ", stopped" : ""}: its manifest is gone from ${cell(o.repository)}`,
        ],
      });
    pieces.push({ text: [""] });
  }
  // Destructive services first, so the riskiest section is the one nobody scrolls past.
  for (const s of [...destructive, ...changing.filter((x) => !x.destructive)]) {
    pieces.push({ text: details(s, true), compact: details(s, false), service: true });
  }

  return withinLimit(head, pieces, {
    limit,
    changing: changing.length,
    problems: problems.length,
    ...options,
  });
}

/**
 * The hidden first line a workflow finds its own comment by: `<!-- svc-plan:KEY digest=… -->`,
 * `digest=none` when the plan has problems.
 */
function planMarker(key: string, digest: string): string {
  return `<!-- svc-plan:${key.replaceAll("--", "-\u2010").replaceAll(">", "%3E")} digest=${digest} -->`;
}

interface Piece {
  text: string[];
  /** The same without file diffs, tried when the whole does not fit. */
  compact?: string[];
  service?: boolean;
  problem?: boolean;
}

function withinLimit(
  head: string[],
  pieces: Piece[],
  context: MarkdownOptions & { limit: number; changing: number; problems: number },
): string {
  const out = [...head];
  let size = out.join("\n").length;
  // Room for the note that says what was left out.
  const budget = context.limit - 600;
  let services = 0;
  let problems = 0;
  let diffsLeftOut = false;
  let cut = false;
  for (const piece of pieces) {
    const whole = piece.text.join("\n").length + 1;
    const compact = piece.compact ? piece.compact.join("\n").length + 1 : Number.POSITIVE_INFINITY;
    let text: string[] | undefined;
    if (!cut && size + whole <= budget) text = piece.text;
    else if (!cut && size + compact <= budget) {
      text = piece.compact;
      diffsLeftOut = true;
    } else if (piece.service || piece.problem) cut = true;
    else if (!cut) text = piece.text;
    if (!text) continue;
    out.push(...text);
    size += text.join("\n").length + 1;
    if (piece.service) services++;
    if (piece.problem) problems++;
  }
  if (cut || diffsLeftOut) {
    const left = [
      services < context.changing
        ? `${context.changing - services} of ${context.changing} services' changes`
        : "",
      problems < context.problems ? `${context.problems - problems} of ${context.problems} problems` : "",
      diffsLeftOut ? "some config file diffs" : "",
    ].filter(Boolean);
    out.push(
      "",
      `> [!NOTE]`,
      `> This plan is longer than a comment can hold. Not shown here: ${left.join("; ")}. The digest covers the whole plan. ${
        context.fullPlanAt
          ? `Read it whole in the job summary of [this workflow run](${context.fullPlanAt}) (\`svc show plan.json\` on the run's \`svc-plan\` artifact prints it too).`
          : "Read it whole with `svc plan`, or `svc show` on a plan saved with `--out`."
      }`,
    );
  }
  return out.join("\n").trimEnd();
}

function title(plan: Plan): string {
  const errors = plan.summary.errors;
  const changing = plan.services.some((s) => s.operations.length > 0);
  const what = changing
    ? summaryLine(plan.summary).replace(/^Plan: /, "")
    : plan.services.length > 0
      ? "No changes."
      : errors > 0
        ? "No plan could be made."
        : "No services.";
  return `### svc plan: ${what}${errors > 0 ? ` ❌ ${countOf(errors, "problem")} to fix before apply.` : ""}`;
}

function problemRow(d: Diagnostic): string {
  const where = `\`${cell(location(d))}\`${d.path ? `<br>\`${cell(d.path)}\`` : ""}`;
  return `| ${d.severity === "error" ? "❌ error" : "⚠️ warning"} | ${where} | ${cell(d.message)} | ${d.hint ? cell(d.hint) : ""} |`;
}

/** One service's collapsible section; with `diffs`, each config file's diff in its own block. */
function details(s: ServicePlan, diffs: boolean): string[] {
  const out = [
    `<details><summary><code>${SYMBOL[s.action]}</code> <b>${cell(s.name)}</b> (target ${cell(s.target)}) ${actionText(s)}</summary>`,
    "",
    ...buildLines(s).flatMap((line) => [`- \`${line}\``, ""]),
    "```diff",
  ];
  const files: string[] = [];
  for (const c of s.changes) {
    const { head, diff } = changeLines(c);
    // GitHub colours a diff block by each line's first character: "~" is shown as "!" (changed).
    out.push(head.startsWith("~") ? `! ${head.slice(2)}` : head);
    if (!diff) continue;
    if (!diffs) {
      files.push(`\`${c.path}\`: diff left out for length`, "");
      continue;
    }
    files.push(`\`${c.path}\``, "", "```diff", ...diff.map(fence), "```", "");
  }
  out.push("```", "", ...files);
  out.push(
    ...s.operations.map(
      (o, i) => `${i + 1}. \`${o.kind}\` ${cell(o.cause)}${o.restarts ? " (restarts)" : ""}`,
    ),
  );
  if (s.losses?.length) out.push("", ...s.losses.map((loss) => `> ⚠️ **Destructive:** ${cell(loss)}`));
  const { verify, restore, irreversible } = restoreLines(s);
  if (verify) out.push("", `**Verified after apply:** ${cell(verify)}`);
  if (restore) {
    out.push(
      "",
      `**If verification fails** (\`svc apply --atomic\`), svc restores the state from before: ${cell(restore)}.`,
    );
    for (const what of irreversible) out.push(`- Cannot be undone: ${cell(what)}`);
  }
  out.push("", "</details>", "");
  return out;
}

/** Text from manifests and the platform, safe inside a table cell and in HTML. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("<", "&lt;").replaceAll("\n", " ");
}

/** A line of a file that would close the code block early. */
function fence(line: string): string {
  return line.replace(/^([-+ ]?)```/, "$1`\u200b``");
}
