import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { Engine } from "../build/resolve.js";
import { interpolationVariables } from "../cli/manifest-flags.js";
import { OpsCommand, oneTargetArgs } from "../cli/ops-command.js";
import { type History as Releases, serviceHistory } from "../history/history.js";
import { table } from "../render/table.js";

export default class History extends OpsCommand {
  static override summary = "List a service's releases from git, newest first, and which one runs now.";
  static override description =
    "A release is a commit that changed the service's manifests or what they reference (config file sources, build contexts). Each is planned against the live state: the newest that plans as No changes is marked live; when none does, the service runs with drift (svc plan shows it). Nothing is stored on the platform. Run it in the repository that holds the manifests; outside one it exits 3.";
  static override examples = [
    "<%= config.bin %> history",
    "<%= config.bin %> history shop-prod -n 20 --json",
  ];
  static override args = oneTargetArgs;
  static override flags = {
    number: Flags.integer({ char: "n", description: "How many releases.", default: 10, min: 1, max: 500 }),
    var: Flags.string({
      multiple: true,
      description: "Set an interpolation variable for every release's manifests (KEY=VALUE).",
    }),
    parallelism: Flags.integer({ description: "Releases planned at once.", default: 8, min: 1, max: 64 }),
  };

  async run(): Promise<Releases> {
    const { args, flags } = await this.parse(History);
    const target = this.oneTarget(args.target);
    const history = await serviceHistory(target, {
      credentials: this.credentials,
      engines: new Engine(),
      vars: interpolationVariables(flags.var),
      limit: flags.number,
      parallelism: flags.parallelism,
    });
    if (!this.jsonEnabled()) this.log(render(history));
    return history;
  }
}

function render(h: Releases): string {
  const out = [`Releases of ${h.service} (target ${h.target}), newest first:`, ""];
  if (h.releases.length === 0) return `${out[0]} none: no commit changed its manifests.`;
  out.push(
    table(
      ["", "COMMIT", "DATE", "AUTHOR", "SUBJECT", "NOW"],
      h.releases.map((r) => [
        r.live ? pc.green("●") : " ",
        r.commit.slice(0, 12),
        r.date.replace("T", " ").slice(0, 16),
        r.author.slice(0, 20),
        r.subject.slice(0, 50),
        r.live
          ? pc.green("live")
          : r.problem
            ? pc.yellow(r.problem.slice(0, 60))
            : pc.dim(`apply would ${verb(r.action)}`),
      ]),
    ),
  );
  out.push("");
  if (h.live) out.push(`${h.target} runs ${h.live.slice(0, 12)}: its manifests plan as No changes.`);
  else
    out.push(
      pc.yellow(
        `${h.target}: live with drift — none of these ${h.releases.length} releases plans as No changes against what runs (a change made behind svc's back, or an older release); svc plan shows the difference.`,
      ),
    );
  for (const n of h.notices ?? [])
    out.push(
      pc.dim(
        `  platform: ${n.type} at ${n.time.replace("T", " ").slice(0, 19)}${n.message ? ` (${n.message})` : ""}`,
      ),
    );
  return out.join("\n");
}

/** What applying a release now would do; an older release the same as the live one changes nothing. */
function verb(action: string | undefined): string {
  switch (action) {
    case "create":
      return "create it";
    case "redeploy":
      return "redeploy";
    case "noop":
      return "change nothing (the same as live)";
    default:
      return "update";
  }
}
