import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import { writePlan } from "../apply/saved-plan.js";
import { SvcCommand } from "../cli/base.js";
import { interpolationVariables, manifestFlags, orphanScope, planKey } from "../cli/manifest-flags.js";
import { statusLine } from "../cli/status-line.js";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { hasErrors } from "../manifest/diagnostics.js";
import { loadServices } from "../manifest/load.js";
import { assemble } from "../plan/build.js";
import type { Plan } from "../plan/model.js";
import { makePlan } from "../plan/plan.js";
import { publicPlan } from "../plan/sensitive.js";
import { PLAN_FORMATS, renderPlanAs } from "../render/plan-formats.js";

export default class PlanCommand extends SvcCommand {
  static override summary = "Show exactly what apply would change on the platform, and why.";
  static override description =
    "Reads the manifests, observes each target's live state, and compares them after normalizing both. Exit codes: 0 ok, 1 error, 3 invalid manifest; with --detailed-exitcode, 0 no changes and 2 changes present.";
  static override examples = [
    "<%= config.bin %> plan",
    "<%= config.bin %> plan services/ --detailed-exitcode",
    "<%= config.bin %> plan --format markdown > plan.md",
    "<%= config.bin %> plan --format github --detailed-exitcode",
    "<%= config.bin %> plan --out plan.json",
  ];
  static override strict = false;
  static override args = {
    path: Args.string({ description: "Directories to search for **/service.yaml (or manifest files)." }),
  };
  static override flags = {
    ...manifestFlags,
    target: Flags.string({ multiple: true, description: "Plan only the services deploying to this target." }),
    "detailed-exitcode": Flags.boolean({
      description: "Exit 2 when there are changes, 0 when there are none.",
    }),
    out: Flags.string({
      description: "Save the plan (with each service's live-state fingerprint) for `svc apply FILE`.",
      helpValue: "FILE",
    }),
    format: Flags.string({
      description:
        "Output format. markdown: a pull-request comment (a marker to update it by, the digest, under 60,000 characters). github: GitHub Actions annotations for every problem, the plan, and the Markdown plan appended to $GITHUB_STEP_SUMMARY.",
      options: [...PLAN_FORMATS, "json"],
      default: "human",
    }),
    parallelism: Flags.integer({ description: "Services observed at once.", default: 8, min: 1, max: 256 }),
    prune: Flags.boolean({
      description:
        "Plan stopping orphans: services deployed from this repository whose manifest is gone (providers with labels-map).",
    }),
  };

  async run(): Promise<Plan> {
    const { argv, flags } = await this.parse(PlanCommand);
    const loaded = loadServices({
      files: flags.file ?? [],
      paths: argv as string[],
      vars: interpolationVariables(flags.var),
      allowOutside: flags["allow-outside"],
    });
    const json = this.jsonEnabled() || flags.format === "json";
    const format = json ? "json" : flags.format;
    const key = planKey(flags, argv as string[]);
    if (hasErrors(loaded.diagnostics)) {
      // A pull request shows why no plan could be made, as it would show a plan.
      if (json) this.logJson({ error: { message: "invalid manifests", diagnostics: loaded.diagnostics } });
      else this.log(renderPlanAs(format, assemble([], loaded.diagnostics), key));
      this.exit(ExitCode.invalidInput);
    }
    const specs = flags.target
      ? loaded.services.filter((s) => flags.target?.includes(s.target))
      : loaded.services;
    if (specs.length === 0) {
      throw new UserError(`no service deploys to ${flags.target?.join(", ")}`, {
        hint: `targets in these manifests: ${[...new Set(loaded.services.map((s) => s.target))].join(", ")}`,
        exitCode: ExitCode.invalidInput,
      });
    }

    const orphans = orphanScope(flags, specs, argv as string[]);
    const status = statusLine(!json);
    const plan = await makePlan(specs, {
      ...(status.retry ? { onRetry: status.retry } : {}),
      credentials: new Credentials(),
      parallelism: flags.parallelism,
      // A whole repository is planned: what it deployed and no longer holds is an orphan.
      ...(orphans ? { orphans } : {}),
    }).finally(status.clear);
    plan.diagnostics.push(...loaded.diagnostics);
    plan.summary.warnings += loaded.diagnostics.length;

    if (flags.out) {
      writePlan(flags.out, plan);
    }
    // A crash-looping container is a live state that does not match, whatever the diff says.
    // So is an orphan that still runs.
    const changed =
      plan.services.some((s) => s.action !== "noop" || (s.failing?.length ?? 0) > 0) ||
      (plan.orphans ?? []).some((o) => !o.stopped);
    const exitCode =
      plan.summary.errors > 0
        ? ExitCode.error
        : flags["detailed-exitcode"] && changed
          ? ExitCode.changesPresent
          : ExitCode.ok;
    // With --json and exit 0, oclif prints the returned plan itself.
    if (json && (exitCode !== ExitCode.ok || !this.jsonEnabled())) this.logJson(publicPlan(plan));
    else if (!json) this.log(renderPlanAs(format, plan, key));
    if (flags.out && plan.summary.errors === 0) {
      // Beside a human plan; on stderr when stdout is JSON or Markdown for a machine or a comment.
      const destructive = plan.services.some((s) => s.destructive) ? " --allow-destructive" : "";
      const saved = `Saved this plan to ${flags.out}. Apply exactly it (refused if the live state has moved since) with:\n  svc apply ${flags.out}${destructive}\n`;
      (format === "human" ? process.stdout : process.stderr).write(saved);
    }
    if (exitCode !== ExitCode.ok) this.exit(exitCode);
    return publicPlan(plan);
  }
}
