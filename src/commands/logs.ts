import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { OpsCommand } from "../cli/ops-command.js";
import { ExitCode, UserError } from "../errors.js";

export default class Logs extends OpsCommand {
  static override summary = "Print a container's logs; -f follows them until Ctrl-C.";
  static override description =
    "Without -f, svc stops reading once the log goes quiet for 2 seconds (providers that only stream logs never end them).";
  static override examples = [
    "<%= config.bin %> logs local web --tail 50",
    "<%= config.bin %> logs shop-prod api -f",
  ];
  static override enableJsonFlag = false;
  static override args = {
    target: Args.string({ description: "Target name.", required: true }),
    container: Args.string({ description: "Container (optional when the service has one)." }),
  };
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "Keep printing new lines." }),
    tail: Flags.integer({ description: "Only the last N lines.", min: 0 }),
    since: Flags.string({ description: "Only lines since this long ago (30s, 5m, 2h) or an ISO time." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const client = await this.client(args.target);
    const containers = ((await client.observe()).containers ?? []).map((c) => c.name);
    const container = args.container ?? (containers.length === 1 ? containers[0] : undefined);
    if (!container || !containers.includes(container)) {
      throw new UserError(
        args.container
          ? `no container ${args.container} on ${args.target}`
          : `${args.target} runs ${containers.length} containers: name one`,
        {
          hint: containers.length ? `containers: ${containers.join(", ")}` : "nothing is deployed yet",
          exitCode: ExitCode.invalidInput,
        },
      );
    }
    const since = flags.since ? sinceSeconds(flags.since) : undefined;
    if (since !== undefined && !(await client.has("logs-query"))) {
      // The public log stream's lines carry no time: filtering by it would be a guess.
      process.stderr.write(
        `${pc.yellow("Warning:")} the provider of ${args.target} cannot select logs by time and its lines carry no timestamps: --since is ignored\n`,
      );
    }
    const abort = new AbortController();
    process.once("SIGINT", () => abort.abort());
    for await (const line of client.logLines(container, {
      ...(flags.tail !== undefined ? { tail: flags.tail } : {}),
      ...(since !== undefined ? { since } : {}),
      follow: flags.follow,
      signal: abort.signal,
    })) {
      process.stdout.write(`${line}\n`);
    }
  }
}

/** `30s`, `5m`, `2h`, `1d` ago, or an ISO time, as unix seconds. */
export function sinceSeconds(text: string, now = Date.now()): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m)
    return Math.floor((now - Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s"] * 1000) / 1000);
  const t = Date.parse(text);
  if (Number.isNaN(t)) {
    throw new UserError(`--since ${text} is not a duration or a time`, {
      hint: "use 30s, 5m, 2h, 1d or an ISO time",
      exitCode: ExitCode.invalidInput,
    });
  }
  return Math.floor(t / 1000);
}
