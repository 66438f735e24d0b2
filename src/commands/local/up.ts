import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import pc from "picocolors";
import { SvcCommand } from "../../cli/base.js";
import { serveArgs, serveFlags } from "../../cli/local-flags.js";
import { UserError } from "../../errors.js";
import { adminCall, healthy, readServerInfo, removeServerFiles } from "../../local/control/running.js";
import { describeStorage, storeToken, type TokenStorage } from "../../local/control/tokens.js";
import { ensureDir, localPaths, type ServerInfo } from "../../local/paths.js";
import { pollUntil } from "../../util/poll.js";

export interface LocalUpResult {
  server: ServerInfo;
  alreadyRunning: boolean;
  service: { id: string; created: boolean; token?: TokenStorage };
}

const LOCAL_SERVICE = {
  name: "local",
  units: 8,
  persistStorage: true,
  specifiedPort: true,
  durationHours: 24 * 365,
};

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
    const paths = localPaths();
    ensureDir(paths.root);
    let server = readServerInfo(paths);
    const alreadyRunning = await healthy(server);
    const running = server?.api ?? "extended";
    if (alreadyRunning && flags.api && running !== flags.api) {
      throw new UserError(`the local platform is already running with --api ${running}`, {
        hint: `stop it with svc local down, then svc local up --api ${flags.api}`,
      });
    }
    if (!alreadyRunning) {
      await checkEngine();
      removeServerFiles(paths);
      server = await this.startDetached(paths, serveArgs(flags));
    }

    const { services } = await adminCall<{ services: { id: string }[] }>(paths, "GET", "/admin/v1/services");
    let created = false;
    let storage: TokenStorage | undefined;
    if (!services.some((s) => s.id === LOCAL_SERVICE.name)) {
      const { token } = await adminCall<{ token: string }>(
        paths,
        "POST",
        "/admin/v1/services",
        LOCAL_SERVICE,
      );
      storage = await storeToken(paths, LOCAL_SERVICE.name, token);
      created = true;
    }
    const result: LocalUpResult = {
      server: server as ServerInfo,
      alreadyRunning,
      service: { id: LOCAL_SERVICE.name, created, ...(storage ? { token: storage } : {}) },
    };
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

  private async startDetached(paths: ReturnType<typeof localPaths>, args: string[]): Promise<ServerInfo> {
    const bin = fileURLToPath(new URL("../../../bin/run.js", import.meta.url));
    const logFd = openSync(paths.log, "a");
    const child = spawn(process.execPath, [bin, "local", "serve", ...args], {
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: process.env,
    });
    closeSync(logFd);
    child.unref();
    writeFileSync(paths.pid, String(child.pid));
    let exited: number | null = null;
    child.once("exit", (code) => {
      exited = code ?? 1;
    });
    let started: ServerInfo | undefined;
    await pollUntil(
      async () => {
        const info = readServerInfo(paths);
        if (info && info.pid === child.pid && (await healthy(info))) started = info;
        return started !== undefined || exited !== null;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    if (started) return started;
    const tail = existsSync(paths.log)
      ? readFileSync(paths.log, "utf8").trim().split("\n").slice(-5).join("\n  ")
      : "";
    throw new UserError(
      `the local platform did not start${exited !== null ? ` (exit ${exited})` : ""}:\n  ${tail}`,
      {
        hint: `see ${paths.log}; a port in use can be changed with --port, --http-port and --https-port`,
      },
    );
  }
}

async function checkEngine(): Promise<void> {
  try {
    await new Docker().ping();
  } catch (error) {
    throw new UserError(`no Docker engine answers (${(error as Error).message})`, {
      hint: "start the engine (e.g. `dockerd &` or Docker Desktop), or set DOCKER_HOST",
    });
  }
}
