import pc from "picocolors";
import { SvcCommand } from "../../cli/base.js";
import { serveArgs, serveFlags } from "../../cli/local-flags.js";
import { describeStorage } from "../../local/control/tokens.js";
import type { LocalUpResult } from "../../local/control/up.js";

export default class LocalUp extends SvcCommand {
  static override summary = "Start the local platform (detached) and create the user service `local`.";
  static override description =
    "Runs the platform API on 127.0.0.1 with the Docker engine (DOCKER_HOST or the default socket). State — pid, log, SQLite database, CA — lives under $SVC_HOME/local (default ~/.local/state/svc/local). The `local` service has 8 units, persistent storage and specified ports; its API token goes to the OS keychain (target `local`), or, with no usable keychain, to a file only you can read.";
  static override examples = [
    "<%= config.bin %> local up",
    "<%= config.bin %> local up --api real   # only what real V Kube providers offer",
    "<%= config.bin %> local up --port 9480",
  ];
  static override flags = { ...serveFlags };

  async run(): Promise<LocalUpResult> {
    const { flags } = await this.parse(LocalUp);
    const { bringUp } = await import("../../local/control/up.js"); // Docker: loaded only here
    const result = await bringUp(flags.api, serveArgs(flags));
    const { alreadyRunning, service } = result;
    const created = service.created;
    const storage = service.token;
    if (!this.jsonEnabled()) {
      const s = result.server;
      this.log(
        `${pc.green("✔")} local platform ${alreadyRunning ? "already running" : "started"} (pid ${s.pid})`,
      );
      this.log(
        `  API          ${s.apiUrl} (${s.api === "real" ? "real V Kube API only" : "extended: svc capabilities advertised"})`,
      );
      this.log(`  domains      ${s.proxyHttp}  ${s.proxyHttps}`);
      this.log(`  CA           ${s.caCertificate}`);
      this.log(`  service      local${created ? " (created: 8 units, storage, specified ports)" : ""}`);
      for (const line of storage ? describeStorage(storage) : []) this.log(line);
      this.log(`Stop it with ${pc.bold("svc local down")}.`);
    }
    return result;
  }
}
