import { readFileSync } from "node:fs";
import { ExitCode, UserError } from "../errors.js";
import { PLAN_FORMAT_VERSION, type Plan } from "./model.js";

/** A plan saved with `svc plan --out`, refused with a clear message if it is not one this svc reads. */
export function readPlan(file: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError(`${file} is not a saved plan: ${(error as Error).message}`, {
      exitCode: ExitCode.invalidInput,
    });
  }
  const version = (plan as { formatVersion?: unknown }).formatVersion;
  if (typeof version === "number" && version < PLAN_FORMAT_VERSION) {
    throw new UserError(
      `${file} was saved by an older svc (plan format ${version}; this svc reads format ${PLAN_FORMAT_VERSION})`,
      { hint: "make a new plan with svc plan --out FILE and review it", exitCode: ExitCode.stalePlan },
    );
  }
  if (version !== PLAN_FORMAT_VERSION || !Array.isArray(plan.services)) {
    throw new UserError(`${file} is not a saved plan of format ${PLAN_FORMAT_VERSION}`, {
      hint: "make one with svc plan --out FILE",
      exitCode: ExitCode.invalidInput,
    });
  }
  return plan;
}
