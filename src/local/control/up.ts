import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import Docker from "dockerode";
import { UserError } from "../../errors.js";
import { packageFile } from "../../util/package-root.js";
import { pollUntil } from "../../util/poll.js";
import { ensureDir, type LocalPaths, localPaths, type ServerInfo } from "../paths.js";
import { adminCall, healthy, readServerInfo, removeServerFiles } from "./running.js";
import { storeToken, type TokenStorage } from "./tokens.js";

export interface LocalUpResult {
  server: ServerInfo;
  alreadyRunning: boolean;
  service: { id: string; created: boolean; token?: TokenStorage };
}

/** The user service `svc local up` creates: what the examples need (storage, specified ports). */
const LOCAL_SERVICE = {
  name: "local",
  units: 8,
  persistStorage: true,
  specifiedPort: true,
  durationHours: 24 * 365,
};

/**
 * svc local up: the local platform started detached (`svc local serve` with `args`) unless it
 * already runs, and the user service `local` created with its token stored, once.
 */
export async function bringUp(api: string | undefined, args: string[]): Promise<LocalUpResult> {
  const paths = localPaths();
  ensureDir(paths.root);
  let server = readServerInfo(paths);
  const alreadyRunning = await healthy(server);
  const running = server?.api ?? "extended";
  if (alreadyRunning && api && running !== api) {
    throw new UserError(`the local platform is already running with --api ${running}`, {
      hint: `stop it with svc local down, then svc local up --api ${api}`,
    });
  }
  if (!alreadyRunning) {
    await checkEngine();
    removeServerFiles(paths);
    server = await startDetached(paths, args);
  }

  const { services } = await adminCall<{ services: { id: string }[] }>(paths, "GET", "/admin/v1/services");
  let created = false;
  let storage: TokenStorage | undefined;
  if (!services.some((s) => s.id === LOCAL_SERVICE.name)) {
    const { token } = await adminCall<{ token: string }>(paths, "POST", "/admin/v1/services", LOCAL_SERVICE);
    storage = await storeToken(paths, LOCAL_SERVICE.name, token);
    created = true;
  }
  return {
    server: server as ServerInfo,
    alreadyRunning,
    service: { id: LOCAL_SERVICE.name, created, ...(storage ? { token: storage } : {}) },
  };
}

async function startDetached(paths: LocalPaths, args: string[]): Promise<ServerInfo> {
  const bin = packageFile("bin/run.js");
  const logFd = openSync(paths.log, "a", 0o600);
  const child = spawn(process.execPath, [bin, "local", "serve", ...args], {
    detached: true,
    stdio: ["ignore", logFd, logFd],
    env: process.env,
  });
  closeSync(logFd);
  child.unref();
  writeFileSync(paths.pid, String(child.pid), { mode: 0o600 });
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

async function checkEngine(): Promise<void> {
  try {
    await new Docker().ping();
  } catch (error) {
    throw new UserError(`no Docker engine answers (${(error as Error).message})`, {
      hint: "start the engine (e.g. `dockerd &` or Docker Desktop), or set DOCKER_HOST",
    });
  }
}
