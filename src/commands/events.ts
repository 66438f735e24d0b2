import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import { OpsCommand } from "../cli/ops-command.js";
import type { Notice } from "../platform/client.js";
import { table } from "../render/table.js";

export default class Events extends OpsCommand {
  static override summary =
    "Show the platform's notices for a target, newest first (deployed, restarted, crashed, ...).";
  static override args = {
    target: Args.string({ description: "Target name (default: the manifests' targets)." }),
  };
  static override flags = {
    limit: Flags.integer({ description: "How many.", default: 20, min: 1, max: 500 }),
  };

  async run(): Promise<{ events: (Notice & { target: string })[] }> {
    const { args, flags } = await this.parse(Events);
    const events: (Notice & { target: string })[] = [];
    for (const target of this.targets(args.target)) {
      const { notices } = await (await this.client(target)).notices(1, flags.limit);
      events.push(...notices.map((n) => ({ ...n, target })));
    }
    events.sort((a, b) => b.time.localeCompare(a.time));
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
    return { events };
  }
}
