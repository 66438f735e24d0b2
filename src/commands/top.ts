import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import { OpsCommand } from "../cli/ops-command.js";
import type { ContainerStats } from "../platform/client.js";
import { table } from "../render/table.js";

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)}M`;

export default class Top extends OpsCommand {
  static override summary = "CPU, memory (of its limit), network and storage of a target's containers.";
  static override args = { target: Args.string({ description: "Target name.", required: true }) };
  static override flags = { watch: Flags.boolean({ description: "Refresh every 2 seconds until Ctrl-C." }) };

  async run(): Promise<{ target: string; containers: Record<string, ContainerStats> }> {
    const { args, flags } = await this.parse(Top);
    const client = await this.client(args.target);
    for (;;) {
      const containers = await client.monitor();
      if (this.jsonEnabled()) return { target: args.target, containers };
      const rows = Object.entries(containers)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, s]) => [
          name,
          `${s.cpu.toFixed(1)}%`,
          `${mib(s.memory.value)} / ${mib(s.memory.limitValue)} (${s.memory.limitValue ? ((100 * s.memory.value) / s.memory.limitValue).toFixed(0) : 0}%)`,
          mib(s.networkDownload),
          mib(s.networkUpload),
          mib(s.storage),
        ]);
      const text = table(["CONTAINER", "CPU", "MEMORY", "NET IN", "NET OUT", "STORAGE"], rows);
      if (!flags.watch) {
        this.log(text);
        return { target: args.target, containers };
      }
      process.stdout.write(`\x1b[2J\x1b[H${text}\n${new Date().toISOString()}  (Ctrl-C to stop)\n`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
