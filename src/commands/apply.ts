import { existsSync } from "node:fs";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import type { ApplyResult } from "../apply/apply.js";
import { checkStale, readPlan } from "../apply/saved-plan.js";
import { ApplyCommand, applyFlags } from "../cli/apply-command.js";
import { interpolationVariables, manifestFlags, orphanScope } from "../cli/manifest-flags.js";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { hasErrors } from "../manifest/diagnostics.js";
import { loadServices } from "../manifest/load.js";
import { DIGEST_PATTERN } from "../plan/digest.js";
import type { Plan } from "../plan/model.js";
import { renderDiagnostics } from "../render/diagnostics.js";

export default class Apply extends ApplyCommand {
  static override summary =
    "Make the platform match the manifests (or a saved plan), then wait until it runs.";
  static override description =
    "Shows the plan and asks for confirmation at a terminal; elsewhere --auto-approve is required, and destructive changes also need --allow-destructive. A saved plan (svc plan --out FILE) is the approval: no prompt (destructive changes still need --allow-destructive, or a yes at a terminal), applied only while every service's live state still matches it. Against a provider without revisions, the live state is read again before every call and a call whose answer was lost is never sent again blindly. After the calls it waits until the containers run and are ready (--timeout), then watches them stay up for --stable-for seconds: a container that restarts, or a check that stops answering, fails the service. With --atomic, a failed check after the calls restores the state from before (exit 7). Exit codes: 0 applied or nothing to do, 1 error, 3 invalid input, 4 stale plan or digest mismatch, 5 partially applied, 6 outcome unknown (run svc plan), 7 applied, a check failed, and the state from before was restored, 130 interrupted.";
  static override examples = [
    "<%= config.bin %> apply",
    "<%= config.bin %> apply --auto-approve -f examples/shop/service.yaml",
    "<%= config.bin %> plan --out plan.json && <%= config.bin %> apply plan.json",
  ];
  static override strict = false;
  static override args = {
    path: Args.string({ description: "Directories or manifest files, or one saved plan (.json)." }),
  };
  static override flags = {
    ...manifestFlags,
    target: Flags.string({
      multiple: true,
      description: "Apply only the services deploying to this target.",
    }),
    prune: Flags.boolean({
      description:
        "Also stop orphans: services deployed from this repository whose manifest is gone (providers with labels-map).",
    }),
    ...applyFlags,
  };

  async run(): Promise<ApplyResult | undefined> {
    const { argv, flags } = await this.parse(Apply);
    const credentials = new Credentials();
    const paths = argv as string[];
    const savedPlan =
      paths.length === 1 && paths[0]?.endsWith(".json") && existsSync(paths[0]) ? paths[0] : undefined;

    const expected = flags["expect-digest"];
    if (expected !== undefined) checkDigestFlag(expected, savedPlan);
    let plan: Plan;
    if (savedPlan) {
      plan = readPlan(savedPlan);
      await checkStale(plan, credentials);
    } else plan = await this.freshPlan(flags, paths, credentials);
    return this.applyPlan(plan, flags, credentials, savedPlan);
  }

  private async freshPlan(
    flags: {
      file?: string[];
      var?: string[];
      target?: string[];
      parallelism: number;
      "allow-outside"?: boolean;
      prune?: boolean;
    },
    paths: string[],
    credentials: Credentials,
  ): Promise<Plan> {
    const loaded = loadServices({
      files: flags.file ?? [],
      paths,
      vars: interpolationVariables(flags.var),
      allowOutside: flags["allow-outside"],
    });
    if (hasErrors(loaded.diagnostics)) {
      if (!this.jsonEnabled()) this.log(renderDiagnostics(loaded.diagnostics));
      throw new UserError("nothing was applied: the manifests are invalid", {
        exitCode: ExitCode.invalidInput,
      });
    }
    const specs = flags.target
      ? loaded.services.filter((s) => flags.target?.includes(s.target))
      : loaded.services;
    if (specs.length === 0) throw new UserError("no service to apply", { exitCode: ExitCode.invalidInput });
    return this.planToApply(specs, {
      credentials,
      parallelism: flags.parallelism,
      ...(flags.prune ? { orphans: orphanScope(flags, specs, paths) } : {}),
    });
  }
}

function checkDigestFlag(expected: string, savedPlan: string | undefined): void {
  if (savedPlan !== undefined) {
    throw new UserError("--expect-digest re-plans from manifests; a saved plan is already exact", {
      hint: `run svc apply ${savedPlan} alone, or svc apply --expect-digest ${expected} with the manifests`,
      exitCode: ExitCode.invalidInput,
    });
  }
  if (!DIGEST_PATTERN.test(expected)) {
    throw new UserError(`--expect-digest ${JSON.stringify(expected.slice(0, 80))} is not a plan digest`, {
      hint: "pass the digest a plan printed: sha256: then 64 hexadecimal digits",
      exitCode: ExitCode.invalidInput,
    });
  }
}
