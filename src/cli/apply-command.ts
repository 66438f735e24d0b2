import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { type ApplyOptions, type ApplyResult, applyOne } from "../apply/apply.js";
import { decide } from "../apply/gate.js";
import { applyExitCode, notifyPayload, postNotification, writeReport } from "../apply/notify.js";
import { Engine } from "../build/resolve.js";
import type { Credentials } from "../credentials/credentials.js";
import { redactor } from "../credentials/redact.js";
import { ExitCode, UserError } from "../errors.js";
import type { ServiceSpec } from "../manifest/model.js";
import type { Plan } from "../plan/model.js";
import { makePlan, type PlanOptions } from "../plan/plan.js";
import { type ApplyView, applyView } from "../render/apply-view.js";
import { location } from "../render/diagnostics.js";
import { renderPlanText } from "../render/plan-text.js";
import { SvcCommand } from "./base.js";
import { ask } from "./input.js";
import { statusLine } from "./status-line.js";

/** The flags of every command that applies a plan (apply, rollback): its gates and its wait. */
export const applyFlags = {
  "auto-approve": Flags.boolean({ description: "Apply without asking (required without a terminal)." }),
  "allow-destructive": Flags.boolean({
    description: "Allow changes that leave storage behind (or stop orphans) without a terminal to confirm.",
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
  atomic: Flags.boolean({
    description:
      "Keep the live state before the first call; after the calls, once ready and stable (--stable-for, 30 s by default here), run the manifest's verify: checks. When any of these fails, restore the state from before with an exact plan, wait until it is ready, and exit 7. A change that loses data cannot be undone: refused unless --allow-destructive.",
    env: "SVC_ATOMIC",
  }),
  "stable-for": Flags.integer({
    description:
      "Seconds the containers must stay up and ready once ready, with no restart, before the service counts as applied (0: do not watch). Default 10, 30 with --atomic.",
    min: 0,
    max: 3600,
    env: "SVC_STABLE_FOR",
  }),
  notify: Flags.string({
    description:
      "Post one JSON summary of the apply to this URL when it made changes (schemas/notify-payload.schema.json; a Slack incoming webhook shows its text). A webhook that fails is a warning, never a failed apply.",
    helpValue: "URL",
    env: "SVC_NOTIFY_URL",
  }),
  report: Flags.string({
    description:
      "Write the same JSON summary --notify posts (schemas/notify-payload.schema.json) to this file once the apply has run, also when nothing changed: for a CI job's next step (the example workflows record GitHub Deployments from it). Not written when nothing was applied because of a problem, a stale digest or a refusal.",
    helpValue: "FILE",
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

/** The flags applyPlan reads. */
export interface ApplyFlags {
  "auto-approve": boolean;
  "allow-destructive": boolean;
  parallelism: number;
  wait: boolean;
  "expect-digest"?: string | undefined;
  timeout: number;
  "stable-for"?: number | undefined;
  "settle-timeout": number;
  atomic: boolean;
  notify?: string | undefined;
  report?: string | undefined;
}

/**
 * What apply and rollback share once a plan is made: showing it, the gates, applying it with the
 * live view, and the exit code its outcome calls for.
 */
export abstract class ApplyCommand extends SvcCommand {
  protected readonly engines = new Engine();

  /** The plan to apply, made with a status line (retries said while it waits) and apply's engines. */
  protected async planToApply(
    specs: ServiceSpec[],
    options: Omit<PlanOptions, "engines" | "onRetry">,
  ): Promise<Plan> {
    const status = statusLine(!this.jsonEnabled());
    return makePlan(specs, {
      ...(status.retry ? { onRetry: status.retry } : {}),
      ...options,
      engines: this.engines,
    }).finally(status.clear);
  }

  /**
   * Shows the plan, checks it against the gates (problems, the reviewed digest, --atomic's, the
   * prompt), applies it and exits with the code its outcome calls for.
   */
  protected async applyPlan(
    plan: Plan,
    flags: ApplyFlags,
    credentials: Credentials,
    savedPlan?: string,
  ): Promise<ApplyResult | undefined> {
    const json = this.jsonEnabled();
    const expected = flags["expect-digest"];
    if (flags.notify !== undefined) checkNotifyUrl(flags.notify);
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
    if (flags.atomic) refuseIrreversible(changing, flags);
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
    const context = { command: this.id === "rollback" ? "rollback" : "apply", plan } as const;
    if (gate.kind === "nothing-to-do") {
      const result = { services: [], interrupted: false };
      if (flags.report) writeReport(flags.report, notifyPayload(result, context));
      return this.finish(view, result);
    }
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
      stableForMs: (flags["stable-for"] ?? (flags.atomic ? 30 : 10)) * 1000,
      settleMs: flags["settle-timeout"] * 1000,
      stopping: interrupt.stopping,
      atomic: flags.atomic,
      ...(savedPlan ? { planPath: savedPlan } : {}),
      ...(debug ? { buildLine: (service, line) => process.stderr.write(`  ${service}: ${line}\n`) } : {}),
    };
    const outcomes = await view.progress(changing, flags.parallelism, (service, emit) =>
      applyOne(service, options, emit),
    );
    interrupt.off();
    const result = { services: outcomes, interrupted: interrupt.stopping() };
    await this.applied(result);
    // One summary, the same in the report and the notification (its time too).
    const payload = notifyPayload(result, context);
    if (flags.report) writeReport(flags.report, payload);
    if (flags.notify) {
      const problem = await postNotification(flags.notify, payload);
      if (problem)
        process.stderr.write(
          `${pc.yellow("Warning:")} the apply's notification was not delivered: ${problem}\n`,
        );
    }
    return this.finish(view, result);
  }

  /** Told the outcome before it is shown (rollback marks what it rolled back). */
  protected async applied(_result: ApplyResult): Promise<void> {}

  /** Shows the outcome, then exits with the code it calls for (see the description). */
  protected finish(view: ApplyView, result: ApplyResult): undefined {
    view.summary(result);
    const code = applyExitCode(result);
    if (code !== ExitCode.ok) this.exit(code);
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

/**
 * --atomic promises the state from before if a check fails; data a change loses cannot come back,
 * so such a change needs --allow-destructive, and the refusal says what would be lost. --atomic
 * also needs the wait: the checks come after it.
 */
function refuseIrreversible(
  changing: Plan["services"],
  flags: { wait: boolean; "allow-destructive": boolean },
): void {
  if (!flags.wait) {
    throw new UserError("--atomic verifies the service once it runs: it cannot be used with --no-wait", {
      hint: "drop --no-wait, or --atomic",
      exitCode: ExitCode.invalidInput,
    });
  }
  if (flags["allow-destructive"]) return;
  const lost = changing.flatMap((s) => (s.losses ?? []).map((loss) => `\n  ${s.name}: ${loss}`));
  if (lost.length === 0) return;
  throw new UserError(
    `nothing was applied: --atomic cannot undo this plan, which loses data a restore could not bring back:${lost.join("")}`,
    { hint: "add --allow-destructive to apply it anyway", exitCode: ExitCode.error },
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

/** A webhook URL (it may hold a token, as Slack's do: it is never printed) or exit 3 before anything is applied. */
function checkNotifyUrl(url: string): void {
  redactor.add(url);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // said below
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") {
    throw new UserError("--notify takes an http or https URL", {
      hint: "pass the webhook's URL, like https://hooks.slack.com/services/…",
      exitCode: ExitCode.invalidInput,
    });
  }
}
