import type Docker from "dockerode";
import { registryOf } from "./image.js";
import type { RegistryLogin } from "./model.js";

/** What the Docker engine needs to pull or push with a registry login; none for public images. */
export function authConfig(ref: string, login?: RegistryLogin): Docker.AuthConfig | undefined {
  if (!login?.username) return undefined;
  return { username: login.username, password: login.password, serveraddress: registryOf(ref) };
}

/** The engine's own words: docker-modem puts them after " - " in the message when json is empty. */
export function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: string } | null; reason?: string; message?: string };
  const detail = /^\(HTTP code \d+\) [^-]*- ([\s\S]+)$/.exec(e.message ?? "")?.[1];
  return (e.json?.message ?? detail ?? e.reason ?? e.message ?? String(error)).trim();
}
