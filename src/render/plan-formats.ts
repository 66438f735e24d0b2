import type { Plan } from "../plan/model.js";
import { renderPlanGithub, workflowRunUrl } from "./github.js";
import { renderPlanMarkdown } from "./plan-markdown.js";
import { renderPlanText } from "./plan-text.js";

/** The formats a plan is read in besides JSON: human (a terminal), markdown (a comment), github. */
export const PLAN_FORMATS = ["human", "markdown", "github"] as const;

/** The plan in a non-JSON format; `github` also appends the Markdown plan to the job summary. */
export function renderPlanAs(format: string, plan: Plan, key?: string): string {
  const fullPlanAt = workflowRunUrl();
  const options = { ...(key ? { key } : {}), ...(fullPlanAt ? { fullPlanAt } : {}) };
  if (format === "markdown") return renderPlanMarkdown(plan, options);
  if (format === "github") return renderPlanGithub(plan, options);
  return renderPlanText(plan);
}
