import { existsSync } from "node:fs";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import { Listr } from "listr2";
import pLimit from "p-limit";
import pc from "picocolors";
import { type ApplyEvent, applyService, type ServiceOutcome } from "../apply/executor.js";
import { decide } from "../apply/gate.js";
import { Engine, runBuilds } from "../build/resolve.js";
import { SvcCommand } from "../cli/base.js";
import { ask } from "../cli/input.js";
import { interpolationVariables, manifestFlags, orphanScope } from "../cli/manifest-flags.js";
import { statusLine } from "../cli/status-line.js";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { hasErrors } from "../manifest/diagnostics.js";
import { loadServices } from "../manifest/load.js";
import { fingerprintOf } from "../plan/build.js";
import { DIGEST_PATTERN } from "../plan/digest.js";
import { fingerprintFor } from "../plan/fingerprint.js";
import type { Plan, ServicePlan } from "../plan/model.js";
import { makePlan } from "../plan/plan.js";
import { readPlan } from "../plan/saved.js";
import { restoreSensitiveFiles } from "../plan/sensitive.js";
import { HttpPlatformClient } from "../platform/client.js";
import { registryOf } from "../platform/image.js";
import type { RegistryLogin } from "../platform/model.js";
import { location, renderDiagnostics } from "../render/diagnostics.js";
import { renderPlanText } from "../render/plan-text.js";
import { countOf } from "../util/plural.js";

export interface ApplyResult {
  services: ServiceOutcome[];
  interrupted: boolean;
}

export default class Apply extends SvcCommand {
  static override summary =
    "Make the platform match the manifests (or a saved plan), then wait until it runs.";
  static override description =
    "Shows the plan and asks for confirmation at a terminal; elsewhere --auto-approve is required, and destructive changes also need --allow-destructive. A saved plan (svc plan --out FILE) is the approval: no prompt (destructive changes still need --allow-destructive, or a yes at a terminal), applied only while every service's live state still matches it. Against a provider without revisions, the live state is read again before every call and a call whose answer was lost is never sent again blindly. Exit codes: 0 applied or nothing to do, 1 error, 3 invalid input, 4 stale plan or digest mismatch, 5 partially applied, 6 outcome unknown (run svc plan), 130 interrupted.";
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
      description: "Seconds to wait for each service's rollout.",
      default: 300,
      min: 1,
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
    const plan = savedPlan
      ? await this.staleCheck(readPlan(savedPlan), credentials)
      : await this.freshPlan(flags, paths, credentials);
    if (!json) this.log(renderPlanText(plan));
    if (plan.summary.errors > 0) {
      // Shown with the plan above; with --json, the error itself says what they are.
      const problems = [...plan.diagnostics, ...plan.services.flatMap((s) => s.diagnostics)]
        .filter((d) => d.severity === "error")
        .map((d) => `\n  ${location(d)}  ${d.message}`);
      throw new UserError(
        `nothing was applied: the plan has problems to fix first${json ? `:${problems.join("")}` : ""}`,
        {
          exitCode: ExitCode.error,
        },
      );
    }
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
    const gate = decide({
      changes: changing.length > 0,
      destructive: changing.some((s) => s.destructive),
      interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !json,
      // A saved plan is the approval, as in Terraform: it was reviewed when it was made.
      // So is a digest: the plan that was reviewed, re-made and found identical.
      autoApprove: flags["auto-approve"] || savedPlan !== undefined || expected !== undefined,
      allowDestructive: flags["allow-destructive"],
    });
    if (gate.kind === "nothing-to-do") return this.finish({ services: [], interrupted: false });
    if (gate.kind === "refuse") {
      throw new UserError(`nothing was applied: ${gate.message}`, {
        hint: `add ${gate.flag}`,
        exitCode: ExitCode.error,
      });
    }
    if (gate.kind === "prompt" && !(await this.confirm(gate.destructive))) {
      this.log("Nothing applied.");
      return this.finish({ services: [], interrupted: false });
    }

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
    const run = (service: ServicePlan, emit: (event: ApplyEvent) => void) =>
      this.applyOne(service, credentials, {
        wait: flags.wait,
        timeoutMs: flags.timeout * 1000,
        stopping: () => stopping,
        emit,
      });
    const live = Boolean(process.stdout.isTTY) && !json;
    const limit = pLimit(flags.parallelism);
    const outcomes = live
      ? await this.taskList(changing, flags.parallelism, run)
      : await Promise.all(
          changing.map((service) => limit(() => run(service, (e) => this.progress(e, json)))),
        );
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    return this.finish({ services: outcomes, interrupted: stopping });
  }

  /** One service, end to end; a failure before its first call is reported like any other. */
  private async applyOne(
    service: ServicePlan,
    credentials: Credentials,
    options: Omit<Parameters<typeof applyService>[1], "emit"> & { emit: (event: ApplyEvent) => void },
  ): Promise<ServiceOutcome> {
    try {
      await this.build(service, credentials, options.emit);
      return await applyService(await this.job(service, credentials), options);
    } catch (error) {
      const e = error as Error & { options?: { hint?: string } };
      const outcome: ServiceOutcome = {
        service: service.name,
        target: service.target,
        status: options.stopping() ? "interrupted" : "failed",
        applied: [],
        remaining: service.operations.map((o) => o.kind),
        message: e.message,
        ...(e.options?.hint ? { hint: e.options.hint } : {}),
      };
      options.emit({ type: "done", service: service.name, outcome: outcome.status, message: e.message });
      return outcome;
    }
  }

  /** On a terminal: a live task list, one line per service showing its current call. */
  private async taskList(
    services: ServicePlan[],
    parallelism: number,
    run: (service: ServicePlan, emit: (event: ApplyEvent) => void) => Promise<ServiceOutcome>,
  ): Promise<ServiceOutcome[]> {
    const outcomes = new Map<string, ServiceOutcome>();
    const list = new Listr(
      services.map((service) => ({
        title: `${service.name} (target ${service.target})`,
        task: async (_: unknown, task: { output: string; title: string }) => {
          const outcome = await run(service, (event) => {
            if (event.type === "call") task.output = `${event.operation}: ${event.cause}`;
            if (event.type === "waiting") task.output = "waiting for containers to run and ports to answer";
            if (event.type === "note") task.output = event.message;
          });
          outcomes.set(service.name, outcome);
          if (outcome.status !== "applied")
            throw new Error(
              `${service.name}: ${outcome.status}${outcome.message ? `: ${outcome.message}` : ""}`,
            );
          task.title = `${service.name} (target ${service.target}): ${outcome.applied.join(", ")}`;
        },
      })),
      { concurrent: parallelism, exitOnError: false, rendererOptions: { collapseErrors: false } },
    );
    await list.run().catch(() => undefined);
    return services.map((s) => outcomes.get(s.name) as ServiceOutcome);
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
    const status = statusLine(!this.jsonEnabled());
    return makePlan(specs, {
      ...(status.retry ? { onRetry: status.retry } : {}),
      credentials,
      engines: this.engines,
      parallelism: flags.parallelism,
      ...(flags.prune ? { orphans: orphanScope(flags, specs, paths) } : {}),
    }).finally(status.clear);
  }

  /** A saved plan applies only if every service's live state and secrets are as when it was made. */
  private async staleCheck(plan: Plan, credentials: Credentials): Promise<Plan> {
    const stale: string[] = [];
    await Promise.all(
      plan.services.map(async (s) => {
        const { value: token } = await credentials.token(s.target);
        const fingerprint = fingerprintFor(token.secret);
        const now = fingerprintOf(await new HttpPlatformClient(token).observe(), fingerprint);
        if (now.revision !== s.fingerprint.revision || now.hmac !== s.fingerprint.hmac) {
          const moved =
            now.revision !== undefined ? ` (revision ${s.fingerprint.revision} → ${now.revision})` : "";
          stale.push(`${s.name}: target ${s.target} changed since the plan${moved}`);
        }
        stale.push(...restoreSensitiveFiles(s, fingerprint));
        for (const c of s.desired.containers) {
          for (const v of Object.values(c.env)) {
            if ("secret" in v && fingerprint((await credentials.secret(v.secret)).value) !== v.hmac) {
              stale.push(`${s.name}: secret ${v.secret} changed since the plan`);
            }
          }
        }
      }),
    );
    if (stale.length > 0) {
      throw new UserError(`the saved plan is stale; nothing was applied:\n  ${stale.sort().join("\n  ")}`, {
        hint: "make a new plan with svc plan --out FILE and review it",
        exitCode: ExitCode.stalePlan,
      });
    }
    return plan;
  }

  /**
   * Builds and pushes the service's images the plan says to build, before any platform call, and
   * deploys what was pushed by digest. Build output is shown with --debug, and on failure.
   */
  private async build(service: ServicePlan, credentials: Credentials, emit: (event: ApplyEvent) => void) {
    if (!service.builds?.some((b) => b.build)) return;
    const debug = this.argv.includes("--debug");
    const images = await runBuilds(service.builds, credentials, this.engines, {
      start: (b) =>
        emit({
          type: "note",
          service: service.name,
          message: `building ${b.container} (context ${b.hash.slice(0, 19)})`,
        }),
      ...(debug ? { line: (line: string) => process.stderr.write(`  ${service.name}: ${line}\n`) } : {}),
    });
    for (const c of service.desired.containers) {
      const image = images.get(c.name);
      if (image) c.image = image;
    }
    emit({ type: "note", service: service.name, message: `pushed ${[...images.values()].join(", ")}` });
  }

  private readonly engines = new Engine();

  private async job(service: ServicePlan, credentials: Credentials) {
    const { value: token } = await credentials.token(service.target);
    const secrets = new Map<string, string>();
    const logins = new Map<string, RegistryLogin | undefined>();
    for (const c of service.desired.containers) {
      for (const v of Object.values(c.env))
        if ("secret" in v) secrets.set(v.secret, (await credentials.secret(v.secret)).value);
      const host = registryOf(c.image);
      if (!logins.has(host)) logins.set(host, (await credentials.registry(host))?.value);
    }
    const client = new HttpPlatformClient(token);
    return {
      plan: service,
      client,
      fingerprint: fingerprintFor(token.secret),
      capabilities: await client.capabilities(),
      secrets,
      loginFor: (image: string) => logins.get(registryOf(image)),
    };
  }

  private async confirm(destructive: boolean): Promise<boolean> {
    const warning = destructive
      ? pc.red("This plan is DESTRUCTIVE: data in storage is left behind, or a service stops. ")
      : "";
    return (await ask(`${warning}Apply these changes? Only "yes" is accepted: `)) === "yes";
  }

  private progress(event: ApplyEvent, json: boolean): void {
    if (json) {
      process.stdout.write(`${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`);
      return;
    }
    switch (event.type) {
      case "call":
        this.log(`${pc.dim("→")} ${event.service}: ${event.operation} (${event.cause})`);
        break;
      case "called":
        this.log(
          `${pc.green("✔")} ${event.service}: ${event.operation} done${event.revision !== undefined ? ` (revision ${event.revision})` : ""}`,
        );
        break;
      case "note":
        this.log(`${pc.yellow("!")} ${event.service}: ${event.message}`);
        break;
      case "waiting":
        this.log(`${pc.dim("…")} ${event.service}: waiting for containers to run and ports to answer`);
        break;
      case "done":
        if (event.outcome !== "applied")
          this.log(
            `${pc.red("✖")} ${event.service}: ${event.outcome}${event.message ? `: ${event.message}` : ""}`,
          );
        break;
    }
  }

  private finish(result: ApplyResult): ApplyResult | undefined {
    const failed = result.services.filter((s) => s.status === "failed");
    const done = result.services.filter((s) => s.status === "applied");
    const json = this.jsonEnabled();
    if (json) process.stdout.write(`${JSON.stringify({ type: "summary", ...result })}\n`);
    else if (result.services.length > 0) {
      this.log("");
      for (const s of result.services) {
        const mark =
          s.status === "applied" ? pc.green("✔") : s.status === "unchanged" ? pc.dim("=") : pc.red("✖");
        this.log(
          `${mark} ${s.service} (target ${s.target}): ${s.status}${s.applied.length ? ` — ${s.applied.join(", ")}` : ""}`,
        );
        if (s.remaining.length && s.status !== "applied")
          this.log(`    not applied: ${s.remaining.join(", ")}`);
        if (s.message && s.status !== "applied") this.log(`    ${s.message}`);
        if (s.hint) this.log(`    ${pc.dim(`hint: ${s.hint}`)}`);
      }
    }
    if (result.interrupted) this.exit(ExitCode.interrupted);
    if (result.services.some((s) => s.status === "unknown")) this.exit(ExitCode.outcomeUnknown);
    if (failed.length > 0) this.exit(done.length > 0 ? ExitCode.partiallyApplied : ExitCode.error);
    if (!json && done.length > 0) this.log(pc.green(`Applied ${countOf(done.length, "service")}.`));
    return undefined;
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
