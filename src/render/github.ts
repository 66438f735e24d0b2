import { appendFileSync } from "node:fs";
import type { Diagnostic } from "../manifest/diagnostics.js";
import type { Plan } from "../plan/model.js";
import { type MarkdownOptions, renderPlanMarkdown } from "./plan-markdown.js";
import { renderPlanText } from "./plan-text.js";

/**
 * GitHub Actions workflow commands: one `::error` or `::warning` annotation per problem, at its
 * file, line and column, so the pull request shows it on the line. Everything from a manifest or
 * the platform is escaped: a newline in a message cannot start a command of its own.
 */
export function githubAnnotations(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const where = [
        d.file ? `file=${property(d.file)}` : "",
        d.line > 0 ? `line=${d.line},col=${d.column}` : "",
        `title=${property(`svc${d.path ? `: ${d.path}` : ""}`)}`,
      ].filter(Boolean);
      const text = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
      return `::${d.severity} ${where.join(",")}::${data(text)}`;
    })
    .join("\n");
}

/**
 * `--format github`: an annotation per problem, then the plan as on a terminal; the Markdown plan
 * goes to the job summary, which holds up to 1 MiB — room for the whole plan where a comment has 64 KiB.
 */
export function renderPlanGithub(plan: Plan, options: MarkdownOptions, env = process.env): string {
  appendStepSummary(renderPlanMarkdown(plan, { ...options, limit: 900_000 }), env);
  const problems = [...plan.diagnostics, ...plan.services.flatMap((s) => s.diagnostics)];
  return [githubAnnotations(problems), renderPlanText(plan)].filter(Boolean).join("\n");
}

/** The job summary: GitHub shows what a step appends to the file $GITHUB_STEP_SUMMARY names. */
function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  appendFileSync(file, `${markdown}\n`);
  return true;
}

/** The link to the running workflow, where a plan cut for length can be read whole. */
export function workflowRunUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = env;
  return server && repository && run ? `${server}/${repository}/actions/runs/${run}` : undefined;
}

const data = (s: string) => s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
const property = (s: string) => data(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
