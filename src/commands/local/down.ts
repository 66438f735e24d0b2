import { existsSync, readFileSync } from "node:fs";
import pc from "picocolors";
import { SvcCommand } from "../../cli/base.js";
import { UserError } from "../../errors.js";
import { processAlive, readServerInfo, removeServerFiles } from "../../local/control/running.js";
import { localPaths } from "../../local/paths.js";
import { pollUntil } from "../../util/poll.js";

export default class LocalDown extends SvcCommand {
  static override summary =
    "Stop the local platform and the containers it started (records and volumes stay).";

  async run(): Promise<{ stopped: boolean; pid?: number }> {
    await this.parse(LocalDown);
    const paths = localPaths();
    const pidText = existsSync(paths.pid) ? readFileSync(paths.pid, "utf8").trim() : "";
    const pid = Number(pidText) || readServerInfo(paths)?.pid;
    if (!pid || !processAlive(pid)) {
      removeServerFiles(paths);
      if (!this.jsonEnabled()) this.log("local platform: not running");
      return { stopped: false };
    }
    process.kill(pid, "SIGTERM");
    await pollUntil(() => !processAlive(pid), { timeoutMs: 60_000, intervalMs: 100 });
    if (processAlive(pid)) {
      throw new UserError(`the local platform (pid ${pid}) did not stop within 60 s`, {
        hint: `see ${paths.log}; force it with kill -9 ${pid} (svc local up reconciles containers next time)`,
      });
    }
    removeServerFiles(paths);
    if (!this.jsonEnabled()) this.log(`${pc.green("✔")} local platform stopped (pid ${pid})`);
    return { stopped: true, pid };
  }
}
