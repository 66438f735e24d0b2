import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Credentials } from "../credentials/credentials.js";
import { envVar } from "../credentials/names.js";
import { redactor } from "../credentials/redact.js";
import { ExitCode, UserError } from "../errors.js";
import { ensureDir, type LocalPaths } from "./paths.js";
import type { ServerInfo } from "./server.js";

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
export async function runningPlatform(paths: LocalPaths): Promise<ServerInfo> {
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

export type TokenStorage =
  | { keychain: true; target: string }
  | { keychain: false; file: string; reason: string };

/**
 * Keeps a new service's API token as target `serviceId`: in the OS keychain when one is usable;
 * otherwise in a file only its owner can read (never printed), with the reason. svc reads that
 * file as the target's token (after the environment and the keychain), like a kubeconfig.
 */
export async function storeToken(paths: LocalPaths, serviceId: string, token: string): Promise<TokenStorage> {
  redactor.add(token);
  try {
    await new Credentials().save("target", serviceId, token);
    return { keychain: true, target: serviceId };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const file = join(ensureDir(paths.tokens), serviceId);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return { keychain: false, file, reason: error.message };
  }
}

/** Human lines describing where a token went. */
export function describeStorage(storage: TokenStorage): string[] {
  if (storage.keychain) return [`  token        in the OS keychain as target ${storage.target}`];
  const variable = envVar("target", basename(storage.file));
  return [
    `  token        in ${storage.file}, readable by you only (${storage.reason});`,
    `               svc uses it as target ${basename(storage.file)}; elsewhere: export ${variable}="$(cat ${storage.file})"`,
  ];
}

export function removeServerFiles(paths: LocalPaths): void {
  for (const file of [paths.server, paths.pid]) if (existsSync(file)) rmSync(file);
}
