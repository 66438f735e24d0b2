import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { OpsCommand, targetsHere } from "../cli/ops-command.js";
import { ExitCode, UserError } from "../errors.js";

export default class Logs extends OpsCommand {
  static override summary = "Print a container's logs; -f follows them until Ctrl-C.";
  static override description =
    "Without -f, svc stops reading once the log goes quiet for 2 seconds (providers that only stream logs never end them).";
  static override examples = [
    "<%= config.bin %> logs local web --tail 50",
    "<%= config.bin %> logs web    # the target of the manifests below here",
    "<%= config.bin %> logs shop-prod api -f",
  ];
  // Its own --json: a stream of JSON lines, not one document at the end.
  static override enableJsonFlag = false;
  static override args = {
    target: Args.string({
      description:
        "Target name (default: the one the manifests below here deploy to; a lone name that is no target but a container there means that container).",
    }),
    container: Args.string({ description: "Container (optional when the service has one)." }),
  };
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "Keep printing new lines." }),
    tail: Flags.integer({ description: "Only the last N lines.", min: 0 }),
    since: Flags.string({ description: "Only lines since this long ago (30s, 5m, 2h) or an ISO time." }),
    json: Flags.boolean({
      description:
        'One JSON object per line: {"target", "container", "line"} (schemas/logs-line.schema.json).',
    }),
  };

  async run(): Promise<void> {
    const { args: given, flags } = await this.parse(Logs);
    const args = await this.subject(given.target, given.container);
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
      process.stdout.write(
        flags.json ? `${JSON.stringify({ target: args.target, container, line })}\n` : `${line}\n`,
      );
    }
  }

  /** `svc logs [TARGET] [CONTAINER]`: a lone name is the target if svc has a token for it, else a container of the target here. */
  private async subject(
    target?: string,
    container?: string,
  ): Promise<{ target: string; container?: string }> {
    if (container !== undefined || target === undefined)
      return { target: this.oneTarget(target), ...(container ? { container } : {}) };
    if (await this.isTarget(target)) return { target };
    const here = targetsHere();
    return here.length === 1 ? { target: here[0] as string, container: target } : { target };
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
