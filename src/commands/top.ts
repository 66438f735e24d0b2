import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import { OpsCommand } from "../cli/ops-command.js";
import type { Usage } from "../platform/model.js";
import { table } from "../render/table.js";
import { sleep } from "../util/poll.js";

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)}M`;
const rate = (bps: number) => `${(bps / 1024).toFixed(1)}K/s`;

export default class Top extends OpsCommand {
  static override summary = "CPU and memory (of its limit) per container; the pod's network and storage.";
  static override args = {
    target: Args.string({
      description: "Target name (default: the one the manifests below here deploy to).",
    }),
  };
  static override flags = { watch: Flags.boolean({ description: "Refresh every 2 seconds until Ctrl-C." }) };

  async run(): Promise<{ target: string } & Usage> {
    const { args: given, flags } = await this.parse(Top);
    const args = { target: this.oneTarget(given.target) };
    const client = await this.client(args.target);
    for (;;) {
      const usage = await client.usage();
      if (this.jsonEnabled()) return { target: args.target, ...usage };
      const rows = Object.entries(usage.containers).map(([name, s]) => [
        name,
        `${s.cpuPercent.toFixed(1)}%`,
        `${mib(s.memory.value)} / ${mib(s.memory.limitValue)} (${s.memory.limitValue ? ((100 * s.memory.value) / s.memory.limitValue).toFixed(0) : 0}%)`,
      ]);
      const { pod } = usage;
      const text = `${table(["CONTAINER", "CPU", "MEMORY"], rows)}\npod network in ${rate(pod.networkDownload)}, out ${rate(pod.networkUpload)}; storage ${mib(pod.storage)}`;
      if (!flags.watch) {
        this.log(text);
        return { target: args.target, ...usage };
      }
      process.stdout.write(`\x1b[2J\x1b[H${text}\n${new Date().toISOString()}  (Ctrl-C to stop)\n`);
      await sleep(2000);
    }
  }
}
