import * as Flags from "@oclif/core/flags";
import type { ApplyResult } from "../apply/apply.js";
import { writePlan } from "../apply/saved-plan.js";
import { ApplyCommand, applyFlags } from "../cli/apply-command.js";
import { interpolationVariables, manifestFlags } from "../cli/manifest-flags.js";
import { oneTargetArgs, oneTargetNamedOrHere } from "../cli/ops-command.js";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { checkout, repositoryTop, resolveCommit } from "../history/git.js";
import { releaseSpec, serviceHistory } from "../history/history.js";
import { rollbackLabel } from "../manifest/marks.js";
import { HttpPlatformClient } from "../platform/client.js";

export default class Rollback extends ApplyCommand {
  private readonly credentials = new Credentials();

  static override summary =
    "Apply an earlier release of a service: its commit's manifests, planned against the live state.";
  static override description =
    "Default: the release before the live one (svc history). The plan is shown and gated as svc apply's: a prompt at a terminal, --auto-approve elsewhere, --allow-destructive, --expect-digest, --atomic; --out saves it instead of applying. Images come from that commit: a build: context resolves to the image already built for it, and is built again only when the registry no longer has it. Secrets come from today's store by name. Exit codes as svc apply's.";
  static override examples = [
    "<%= config.bin %> rollback",
    "<%= config.bin %> rollback shop-prod --to 3f2a1c9 --auto-approve",
  ];
  static override args = oneTargetArgs;
  static override flags = {
    ...applyFlags,
    var: manifestFlags.var,
    to: Flags.string({
      description:
        "The commit to go back to (a hash, a tag, HEAD~2). Default: the release before the live one.",
      helpValue: "COMMIT",
    }),
    out: Flags.string({
      description: "Save the rollback's plan for `svc apply FILE` instead of applying it.",
      helpValue: "FILE",
    }),
  };

  override async run(): Promise<ApplyResult | undefined> {
    const { args, flags } = await this.parse(Rollback);
    const target = oneTargetNamedOrHere(args.target);
    const credentials = this.credentials;
    const vars = interpolationVariables(flags.var);
    const top = await repositoryTop();
    const commit = flags.to
      ? await resolveCommit(top, flags.to)
      : await this.releaseBeforeLive(target, credentials, vars, flags.parallelism);
    const tree = await checkout(top, commit);
    try {
      const release = releaseSpec(tree.dir, top, target, vars);
      if ("problem" in release) {
        throw new UserError(`cannot roll ${target} back to ${commit.slice(0, 12)}: ${release.problem}`, {
          hint: "svc history lists the releases that can be planned",
          exitCode: ExitCode.invalidInput,
        });
      }
      if (!this.jsonEnabled())
        this.log(
          `Rolling ${target} back to ${commit.slice(0, 12)}: its manifests, planned against the live state.\n`,
        );
      const plan = await this.planToApply([release.spec], { credentials, parallelism: 1 });
      if (flags.out) {
        writePlan(flags.out, plan);
        this.log(
          `Saved the rollback's plan to ${flags.out}. Apply exactly it with:\n  svc apply ${flags.out}`,
        );
        return undefined;
      }
      this.rollingBackTo = { target, commit };
      return await this.applyPlan(plan, flags, credentials);
    } finally {
      tree.done();
    }
  }

  private rollingBackTo: { target: string; commit: string } | undefined;

  /**
   * Once the rollback is applied, the service is marked (where the provider keeps labels) so the
   * next plan from a newer commit says it rolls the rollback forward.
   */
  protected override async applied(result: ApplyResult): Promise<void> {
    const to = this.rollingBackTo;
    if (!to || !result.services.some((s) => s.status === "applied")) return;
    try {
      const client = new HttpPlatformClient((await this.credentials.token(to.target)).value);
      if (!(await client.capabilities()).has("labels-map")) return;
      const { service } = await client.observe();
      const mark = rollbackLabel({ commit: to.commit, at: new Date().toISOString() });
      await client.setLabels({ ...service.labels, ...mark }, service.revision);
    } catch (error) {
      process.stderr.write(
        `Warning: ${to.target} was rolled back, but svc could not mark it so (${(error as Error).message}): the next plan will not say it rolls the rollback forward\n`,
      );
    }
  }

  /** The newest release older than the live one that can be planned (exit 3 when there is none). */
  private async releaseBeforeLive(
    target: string,
    credentials: Credentials,
    vars: ReturnType<typeof interpolationVariables>,
    parallelism: number,
  ): Promise<string> {
    const history = await serviceHistory(target, {
      credentials,
      engines: this.engines,
      vars,
      limit: 50,
      parallelism,
    });
    const live = history.releases.findIndex((r) => r.live);
    if (live < 0) {
      throw new UserError(
        `${target} runs with drift: none of its last ${history.releases.length} releases matches the live state, so there is no release before the live one`,
        { hint: "svc history lists them: name one with --to COMMIT", exitCode: ExitCode.invalidInput },
      );
    }
    const before = history.releases.slice(live + 1).find((r) => !r.problem);
    if (!before) {
      throw new UserError(`${target} runs its first release: there is none before it`, {
        hint: "svc history lists the releases; name one with --to COMMIT",
        exitCode: ExitCode.invalidInput,
      });
    }
    return before.commit;
  }
}
