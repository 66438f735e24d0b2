import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import { readPlan } from "../apply/saved-plan.js";
import { SvcCommand } from "../cli/base.js";
import type { Plan } from "../plan/model.js";
import { PLAN_FORMATS, renderPlanAs } from "../render/plan-formats.js";

export default class Show extends SvcCommand {
  static override summary = "Print a saved plan (svc plan --out FILE) without contacting the platform.";
  static override description =
    "Reads the plan file only: nothing is observed or applied. Use it to read a plan a CI job saved, in any format plan prints. Exit codes: 0 shown, 3 not a saved plan.";
  static override examples = [
    "<%= config.bin %> show plan.json",
    "<%= config.bin %> show plan.json --format markdown > comment.md",
    "<%= config.bin %> show plan.json --format github",
  ];
  static override args = {
    file: Args.string({ description: "A plan saved with svc plan --out.", required: true }),
  };
  static override flags = {
    format: Flags.string({
      description: "Output format, as for svc plan.",
      options: [...PLAN_FORMATS, "json"],
      default: "human",
    }),
  };

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(Show);
    const plan = readPlan(args.file);
    if (this.jsonEnabled()) return plan;
    if (flags.format === "json") this.logJson(plan);
    else this.log(renderPlanAs(flags.format, plan));
    return plan;
  }
}
