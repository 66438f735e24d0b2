import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { OpsCommand } from "../cli/ops-command.js";
import { ProviderLacks } from "../errors.js";
import type { Notice } from "../platform/model.js";
import { table } from "../render/table.js";
import { byText } from "../util/sorted.js";

export default class Events extends OpsCommand {
  static override summary =
    "Show the platform's notices for a target, newest first (deployed, restarted, crashed, ...).";
  static override description =
    "Needs a provider that shows notices to the service's own token (the notice-secret capability); real V Kube providers show them only to the buyer's wallet, and svc says so.";
  static override args = {
    target: Args.string({ description: "Target name (default: the manifests' targets)." }),
  };
  static override flags = {
    limit: Flags.integer({ description: "How many.", default: 20, min: 1, max: 500 }),
  };

  async run(): Promise<{ events: (Notice & { target: string })[]; unavailable: string[] }> {
    const { args, flags } = await this.parse(Events);
    const events: (Notice & { target: string })[] = [];
    const targets = this.targets(args.target);
    const unavailable: string[] = [];
    for (const target of targets) {
      try {
        const { notices } = await (await this.client(target)).notices(1, flags.limit);
        events.push(...notices.map((n) => ({ ...n, target })));
      } catch (error) {
        // One target's provider lacking notices does not hide the others'.
        if (!(error instanceof ProviderLacks) || targets.length === 1) throw error;
        unavailable.push(target);
        if (!this.jsonEnabled())
          process.stderr.write(`${pc.yellow("Warning:")} ${target}: ${error.message}\n`);
      }
    }
    events.sort((a, b) => byText(b.time, a.time));
    if (!this.jsonEnabled()) {
      this.log(
        table(
          ["TIME", "TARGET", "EVENT", "DETAIL"],
          events.map((e) => [
            e.time.replace("T", " ").slice(0, 19),
            e.target,
            e.type,
            (e.message ?? "").slice(0, 40),
          ]),
        ),
      );
    }
    return { events, unavailable };
  }
}
