import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { SETTLE_TIMEOUT_MS } from "../apply/guard.js";
import { ExitCode, OutcomeUnknown, transient, UserError } from "../errors.js";
import type { HttpPlatformClient } from "../platform/client.js";
import type { PodView } from "../platform/model.js";
import { pollUntil } from "../util/poll.js";
import { ask } from "./input.js";
import { OpsCommand, oneTargetArgs } from "./ops-command.js";

type Action = {
  verb: "restart" | "pause" | "resume";
  call: "restart" | "stop" | "start";
  phase: "Running" | "Paused";
};

/**
 * restart, pause and resume: confirm at a terminal (--yes otherwise), make the call, then wait
 * until the pod reaches the state asked for.
 */
export const lifecycleArgs = oneTargetArgs;
export const lifecycleFlags = {
  yes: Flags.boolean({ char: "y", description: "Do not ask (required without a terminal)." }),
  timeout: Flags.integer({ description: "Seconds to wait for the new state.", default: 120, min: 1 }),
};

// oclif reads each command's own static args and flags, so the concrete commands declare them.
export abstract class LifecycleCommand extends OpsCommand {
  static override args = lifecycleArgs;
  static override flags = lifecycleFlags;

  protected abstract readonly action: Action;

  async run(): Promise<{ target: string; action: string; phase: string }> {
    const { args: given, flags } = await this.parse(this.constructor as typeof LifecycleCommand);
    const args = { target: this.oneTarget(given.target) };
    const { verb, call, phase } = this.action;
    if (!flags.yes) {
      if (!(process.stdin.isTTY && process.stdout.isTTY) || this.jsonEnabled()) {
        throw new UserError(`${verb} needs confirmation and there is no terminal to ask`, {
          hint: "add --yes",
          exitCode: ExitCode.error,
        });
      }
      const answer = await ask(
        `${verb} ${args.target}? Its containers ${verb === "pause" ? "stop" : "restart"}. [y/N] `,
      );
      if (!/^y(es)?$/i.test(answer)) {
        this.log("Nothing done.");
        return { target: args.target, action: "none", phase: "" };
      }
    }
    const client = await this.client(args.target);
    const before = await client.pod();
    const moved = (p: PodView) => restarts(p) > restarts(before) || starts(p) !== starts(before);
    const reachedOn = (p: PodView) => p.phase === phase && (verb !== "restart" || moved(p));
    try {
      await client.lifecycle(call);
    } catch (error) {
      if (!transient(error)) throw error;
      // The answer was lost: whether it took effect shows in the live state, perhaps late (a
      // Kubernetes rollout shows the new pod seconds later). Never sent twice.
      const landed = await waitFor(client, SETTLE_TIMEOUT_MS, (now) =>
        verb === "restart" ? moved(now) : now.phase === phase,
      );
      if (!landed) {
        throw new OutcomeUnknown(
          `${verb} ${args.target}`,
          `its answer was lost (${(error as Error).message})`,
        );
      }
    }
    const reached = await waitFor(client, flags.timeout * 1000, reachedOn);
    if (!reached) {
      throw new UserError(`${args.target} did not reach ${phase} within ${flags.timeout} s`, {
        hint: `see svc status ${args.target} and svc events ${args.target}`,
      });
    }
    if (!this.jsonEnabled()) this.log(`${pc.green("✔")} ${args.target}: ${verb} done (${phase})`);
    return { target: args.target, action: verb, phase };
  }
}

const restarts = (p: PodView) => p.containers.reduce((n, c) => n + c.restartCount, 0);
const starts = (p: PodView) => p.containers.map((c) => c.state.running?.startedAt ?? "").join(",");

async function waitFor(
  client: HttpPlatformClient,
  timeoutMs: number,
  done: (p: PodView) => boolean,
): Promise<boolean> {
  return pollUntil(async () => done(await client.pod()), { timeoutMs, intervalMs: 250 });
}
