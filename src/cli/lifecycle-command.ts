import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import type { HttpApplyClient } from "../apply/client.js";
import { ExitCode, UserError } from "./errors.js";
import { ask } from "./input.js";
import { OpsCommand } from "./ops-command.js";

type Action = {
  verb: "restart" | "pause" | "resume";
  call: "restart" | "stop" | "start";
  phase: "Running" | "Paused";
};

/**
 * restart, pause and resume: confirm at a terminal (--yes otherwise), make the call, then wait
 * until the pod reaches the state asked for.
 */
export const lifecycleArgs = { target: Args.string({ description: "Target name.", required: true }) };
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
    const { args, flags } = await this.parse(this.constructor as typeof LifecycleCommand);
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
    const before = await client.podStatus();
    const restarts = (s: typeof before) =>
      s.podStatus.containerStatuses.reduce((n, c) => n + c.restartCount, 0);
    await client.lifecycle(call);
    const reached = await waitFor(
      client,
      flags.timeout * 1000,
      (s) => s.podStatus.phase === phase && (verb !== "restart" || restarts(s) > restarts(before)),
    );
    if (!reached) {
      throw new UserError(`${args.target} did not reach ${phase} within ${flags.timeout} s`, {
        hint: `see svc status ${args.target} and svc events ${args.target}`,
      });
    }
    if (!this.jsonEnabled()) this.log(`${pc.green("✔")} ${args.target}: ${verb} done (${phase})`);
    return { target: args.target, action: verb, phase };
  }
}

async function waitFor(
  client: HttpApplyClient,
  timeoutMs: number,
  done: (s: Awaited<ReturnType<HttpApplyClient["podStatus"]>>) => boolean,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done(await client.podStatus())) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
