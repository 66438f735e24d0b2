import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where the local platform keeps its pid, log, database, admin token, CA and config files. */
export interface LocalPaths {
  root: string;
  db: string;
  log: string;
  pid: string;
  /** Written by the running server: its addresses (JSON). */
  server: string;
  adminToken: string;
  /** Identifies this platform's containers in a shared engine. */
  instanceId: string;
  ca: string;
  tokens: string;
}

/** `$SVC_HOME`, else the XDG state directory (`~/.local/state/svc`): what svc keeps between runs. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SVC_HOME ?? join(env.XDG_STATE_HOME ?? join(homedir(), ".local", "state"), "svc");
}

/** `$SVC_HOME/local`, else the XDG state directory (`~/.local/state/svc/local`). */
export function localPaths(env: NodeJS.ProcessEnv = process.env): LocalPaths {
  const root = join(stateDir(env), "local");
  return {
    root,
    db: join(root, "platform.db"),
    log: join(root, "platform.log"),
    pid: join(root, "platform.pid"),
    server: join(root, "server.json"),
    adminToken: join(root, "admin-token"),
    instanceId: join(root, "instance-id"),
    ca: join(root, "ca"),
    tokens: join(root, "tokens"),
  };
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}

/** Which API the local platform speaks: real (what real providers offer) or extended (plus svc's capabilities). */
export type ApiMode = "real" | "extended";

/** What `svc local status` reads: written by the running server into its state directory. */
export interface ServerInfo {
  pid: number;
  api: ApiMode;
  apiUrl: string;
  proxyHttp: string;
  proxyHttps: string;
  caCertificate: string;
  database: string;
  log: string;
  startedAt: string;
}
