import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type ApiMode, ensureDir, type LocalPaths, localPaths, type ServerInfo } from "../paths.js";
import { buildApi, type FaultOptions } from "./api.js";
import { LocalCa } from "./certs.js";
import { Platform } from "./platform.js";
import { DomainProxy } from "./proxy.js";
import { DockerRuntime } from "./runtime.js";
import { Store } from "./store.js";

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  apiPort?: number;
  httpPort?: number;
  httpsPort?: number;
  hostPortRange?: [number, number];
  faults?: FaultOptions;
  /** Which API it speaks; default extended. */
  api?: ApiMode;
  /** Address pods publish their ports on; default 127.0.0.1. */
  publishAddress?: string;
  /**
   * Seconds a change takes to show in the pod's reads, as on a Kubernetes-backed provider
   * (views.ts); default 1 in real mode, 0 in extended.
   */
  visibilityDelay?: number;
  paths?: LocalPaths;
  log?: (line: string) => void;
}

export interface RunningPlatform {
  info: ServerInfo;
  platform: Platform;
  adminToken: string;
  /** Stops listening; with removeContainers, also removes this platform's containers. */
  close(removeContainers?: boolean): Promise<void>;
}

/** Starts the local platform in this process: API, proxy, reconcile, crash watch. */
export async function startLocalPlatform(options: ServeOptions = {}): Promise<RunningPlatform> {
  const paths = options.paths ?? localPaths();
  const log = options.log ?? (() => {});
  ensureDir(paths.root);
  const host = options.host ?? "127.0.0.1";
  const instanceId = readOrCreate(paths.instanceId, () => randomBytes(4).toString("hex"));
  const adminToken = readOrCreate(paths.adminToken, () => randomBytes(24).toString("hex"));

  const runtime = new DockerRuntime(instanceId, undefined, options.publishAddress);
  try {
    await runtime.ping();
  } catch (error) {
    throw new Error(
      `no Docker engine answers (${(error as Error).message}): start dockerd, or set DOCKER_HOST to an engine`,
    );
  }
  const store = new Store(paths.db);
  const mode = options.api ?? "extended";
  const platform = new Platform(store, runtime, {
    visibilityDelayMs: (options.visibilityDelay ?? (mode === "real" ? 1 : 0)) * 1000,
    hostPortRange: options.hostPortRange ?? [30000, 32767],
    region: "local",
    mode,
  });
  let apiUrl = "";
  const api = buildApi(platform, { adminToken, hostUrl: () => apiUrl, faults: options.faults ?? {}, mode });
  const ca = new LocalCa(paths.ca);
  const proxy = new DomainProxy((domain) => platform.route(domain), ca);

  await api.listen({ host, port: options.apiPort ?? 0 });
  apiUrl = `http://${host}:${(api.server.address() as AddressInfo).port}`;
  const proxyPorts = await proxy.listen(host, options.httpPort ?? 0, options.httpsPort ?? 0);
  await platform.reconcile(log);
  await platform.watch();

  const info: ServerInfo = {
    pid: process.pid,
    api: mode,
    apiUrl,
    proxyHttp: `http://${host}:${proxyPorts.http}`,
    proxyHttps: `https://${host}:${proxyPorts.https}`,
    caCertificate: ca.certFile,
    database: paths.db,
    log: paths.log,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(paths.server, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  ownerOnly(paths.root);
  log(`listening (${mode} API): api ${info.apiUrl}, proxy ${info.proxyHttp} and ${info.proxyHttps}`);

  return {
    info,
    platform,
    adminToken,
    async close(removeContainers = false) {
      await api.close();
      await proxy.close();
      await platform.shutdown(removeContainers);
      store.close();
      if (existsSync(paths.server)) rmSync(paths.server);
    },
  };
}

/**
 * Every file and directory of the state directory is its owner's alone, files written by an older
 * svc with the default mode too (config files are no longer kept here: runtime.ts copies them
 * into the containers).
 */
function ownerOnly(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      chmodSync(path, 0o700);
      ownerOnly(path);
    } else if (entry.isFile()) chmodSync(path, 0o600);
  }
}

function readOrCreate(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const value = make();
  writeFileSync(file, value, { mode: 0o600 });
  return value;
}
