import { existsSync, readFileSync, rmSync } from "node:fs";
import { ExitCode, UserError } from "../../errors.js";
import type { LocalPaths, ServerInfo } from "../paths.js";

/** Reading and driving a local platform started by `svc local up`, from other processes. */

export function readServerInfo(paths: LocalPaths): ServerInfo | undefined {
  if (!existsSync(paths.server)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.server, "utf8")) as ServerInfo;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function healthy(info: ServerInfo | undefined): Promise<boolean> {
  if (!info || !processAlive(info.pid)) return false;
  try {
    const r = await fetch(`${info.apiUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** The running platform, or a user error saying how to start it. */
async function runningPlatform(paths: LocalPaths): Promise<ServerInfo> {
  const info = readServerInfo(paths);
  if (!(await healthy(info))) {
    throw new UserError("the local platform is not running", { hint: "start it with `svc local up`" });
  }
  return info as ServerInfo;
}

export async function adminCall<T>(
  paths: LocalPaths,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<T> {
  const info = await runningPlatform(paths);
  const token = readFileSync(paths.adminToken, "utf8").trim();
  const response = await fetch(`${info.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) {
    throw new UserError(`the local platform refused: ${json.error?.message ?? response.statusText}`, {
      exitCode: response.status === 400 ? ExitCode.invalidInput : ExitCode.error,
    });
  }
  return json;
}

export function removeServerFiles(paths: LocalPaths): void {
  for (const file of [paths.server, paths.pid]) if (existsSync(file)) rmSync(file);
}
