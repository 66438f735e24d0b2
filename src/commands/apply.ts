import { existsSync } from "node:fs";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { type ApplyOptions, type ApplyResult, applyOne } from "../apply/apply.js";
import { decide } from "../apply/gate.js";
import { checkStale, readPlan } from "../apply/saved-plan.js";
import { Engine } from "../build/resolve.js";
import { SvcCommand } from "../cli/base.js";
import { ask } from "../cli/input.js";
import { interpolationVariables, manifestFlags, orphanScope } from "../cli/manifest-flags.js";
import { statusLine } from "../cli/status-line.js";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { hasErrors } from "../manifest/diagnostics.js";
import { loadServices } from "../manifest/load.js";
import { DIGEST_PATTERN } from "../plan/digest.js";
import type { Plan } from "../plan/model.js";
import { makePlan } from "../plan/plan.js";
import { type ApplyView, applyView } from "../render/apply-view.js";
import { location, renderDiagnostics } from "../render/diagnostics.js";
import { renderPlanText } from "../render/plan-text.js";

export default class Apply extends SvcCommand {
  static override summary =
    "Make the platform match the manifests (or a saved plan), then wait until it runs.";
  static override description =
    "Shows the plan and asks for confirmation at a terminal; elsewhere --auto-approve is required, and destructive changes also need --allow-destructive. A saved plan (svc plan --out FILE) is the approval: no prompt (destructive changes still need --allow-destructive, or a yes at a terminal), applied only while every service's live state still matches it. Against a provider without revisions, the live state is read again before every call and a call whose answer was lost is never sent again blindly. After the calls it waits until the containers run and are ready (--timeout), then watches them stay up for --stable-for seconds: a container that restarts, or a check that stops answering, fails the service. Exit codes: 0 applied or nothing to do, 1 error, 3 invalid input, 4 stale plan or digest mismatch, 5 partially applied, 6 outcome unknown (run svc plan), 130 interrupted.";
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
    "auto-approve": Flags.boolean({ description: "Apply without asking (required without a terminal)." }),
    "allow-destructive": Flags.boolean({
      description: "Allow changes that leave storage behind (or stop orphans) without a terminal to confirm.",
    }),
    prune: Flags.boolean({
      description:
        "Also stop orphans: services deployed from this repository whose manifest is gone (providers with labels-map).",
    }),
    parallelism: Flags.integer({ description: "Services applied at once.", default: 8, min: 1, max: 256 }),
    wait: Flags.boolean({
      description: "Wait until containers run and their ports answer.",
      default: true,
      allowNo: true,
    }),
    "expect-digest": Flags.string({
      description:
        "Apply only if the fresh plan has this digest (the one reviewed, e.g. in a pull request): otherwise nothing is applied and the exit code is 4. The digest is the approval: no prompt.",
      helpValue: "sha256:…",
    }),
    timeout: Flags.integer({
      description: "Seconds each service's containers may take to run and be ready.",
      default: 300,
      min: 1,
    }),
    "stable-for": Flags.integer({
      description:
        "Seconds the containers must stay up and ready once ready, with no restart, before the service counts as applied (0: do not watch).",
      default: 10,
      min: 0,
      max: 3600,
      env: "SVC_STABLE_FOR",
    }),
    "settle-timeout": Flags.integer({
      description:
        "Seconds a change may take to show in the live state (a Kubernetes rollout shows the new pod late); after a lost answer, svc decides that nothing changed only after this long.",
      default: 30,
      min: 1,
      max: 600,
      env: "SVC_SETTLE_TIMEOUT",
    }),
  };

  async run(): Promise<ApplyResult | undefined> {
    const { argv, flags } = await this.parse(Apply);
    const json = this.jsonEnabled();
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
    if (!json) this.log(renderPlanText(plan));
    refuseProblems(plan, json);
    if (expected !== undefined && plan.digest !== expected) {
      throw new UserError(
        `nothing was applied: this is not the plan that was reviewed (its digest is ${plan.digest}, the reviewed one ${expected})${json ? "" : "; what apply would do now is shown above"}`,
        {
          hint: "the manifests or the live state moved since the review: plan again (push to the pull request, or svc plan) and review what it shows",
          exitCode: ExitCode.stalePlan,
        },
      );
    }

    const changing = plan.services.filter((s) => s.action !== "noop");
    const view = applyView(json ? "json" : process.stdout.isTTY ? "live" : "plain", (line) => this.log(line));
    const gate = decide({
      changes: changing.length > 0,
      destructive: changing.some((s) => s.destructive),
      interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !json,
      // A saved plan is the approval, as in Terraform: it was reviewed when it was made.
      // So is a digest: the plan that was reviewed, re-made and found identical.
      autoApprove: flags["auto-approve"] || savedPlan !== undefined || expected !== undefined,
      allowDestructive: flags["allow-destructive"],
    });
    if (gate.kind === "nothing-to-do") return this.finish(view, { services: [], interrupted: false });
    if (gate.kind === "refuse") {
      throw new UserError(`nothing was applied: ${gate.message}`, {
        hint: `add ${gate.flag}`,
        exitCode: ExitCode.error,
      });
    }
    if (gate.kind === "prompt" && !(await confirm(gate.destructive))) {
      this.log("Nothing applied.");
      return this.finish(view, { services: [], interrupted: false });
    }

    const interrupt = onInterrupt();
    const debug = this.argv.includes("--debug");
    const options: ApplyOptions = {
      credentials,
      engines: this.engines,
      wait: flags.wait,
      timeoutMs: flags.timeout * 1000,
      stableForMs: flags["stable-for"] * 1000,
      settleMs: flags["settle-timeout"] * 1000,
      stopping: interrupt.stopping,
      ...(debug ? { buildLine: (service, line) => process.stderr.write(`  ${service}: ${line}\n`) } : {}),
    };
    const outcomes = await view.progress(changing, flags.parallelism, (service, emit) =>
      applyOne(service, options, emit),
    );
    interrupt.off();
    return this.finish(view, { services: outcomes, interrupted: interrupt.stopping() });
  }

  private readonly engines = new Engine();

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
    const status = statusLine(!this.jsonEnabled());
    return makePlan(specs, {
      ...(status.retry ? { onRetry: status.retry } : {}),
      credentials,
      engines: this.engines,
      parallelism: flags.parallelism,
      ...(flags.prune ? { orphans: orphanScope(flags, specs, paths) } : {}),
    }).finally(status.clear);
  }

  /** Shows the outcome, then exits with the code it calls for (see the description). */
  private finish(view: ApplyView, result: ApplyResult): undefined {
    view.summary(result);
    const failed = result.services.filter((s) => s.status === "failed");
    const done = result.services.filter((s) => s.status === "applied");
    if (result.interrupted) this.exit(ExitCode.interrupted);
    if (result.services.some((s) => s.status === "unknown")) this.exit(ExitCode.outcomeUnknown);
    if (failed.length > 0) this.exit(done.length > 0 ? ExitCode.partiallyApplied : ExitCode.error);
    return undefined;
  }
}

/** A plan with problems is not applied; with --json, the error itself says what they are. */
function refuseProblems(plan: Plan, json: boolean): void {
  if (plan.summary.errors === 0) return;
  const problems = [...plan.diagnostics, ...plan.services.flatMap((s) => s.diagnostics)]
    .filter((d) => d.severity === "error")
    .map((d) => `\n  ${location(d)}  ${d.message}`);
  throw new UserError(
    `nothing was applied: the plan has problems to fix first${json ? `:${problems.join("")}` : ""}`,
    { exitCode: ExitCode.error },
  );
}

async function confirm(destructive: boolean): Promise<boolean> {
  const warning = destructive
    ? pc.red("This plan is DESTRUCTIVE: data in storage is left behind, or a service stops. ")
    : "";
  return (await ask(`${warning}Apply these changes? Only "yes" is accepted: `)) === "yes";
}

/** Ctrl-C (or SIGTERM) once: finish the call in flight and start no new one; twice: quit now. */
function onInterrupt(): { stopping: () => boolean; off: () => void } {
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(ExitCode.interrupted);
    stopping = true;
    process.stderr.write(
      "\nStopping: finishing the call in flight, starting no new one (Ctrl-C again to quit now).\n",
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    stopping: () => stopping,
    off: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
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
