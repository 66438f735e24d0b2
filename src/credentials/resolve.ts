import { registryOf } from "../platform/image.js";
import type { RegistryLogin } from "../platform/model.js";
import type { ServiceToken } from "../platform/token.js";
import type { Credentials } from "./credentials.js";

/** Everything one service's plan, apply or stale check needs from the environment or keychain. */
export interface ServiceCredentials {
  token: ServiceToken;
  /** The values of the secrets its env names, by name. */
  secrets: ReadonlyMap<string, string>;
  /** The login for an image's registry; undefined when svc holds none (a public image). */
  loginFor(image: string): RegistryLogin | undefined;
}

/** What resolution reads of a service: its target, and per container its image and env. */
interface Needs {
  target: string;
  containers: readonly { image: string; env: Readonly<Record<string, object>> }[];
}

/**
 * Resolves a service's credentials once, before anything is observed or sent: its secrets first
 * (a missing one is named before a missing token), then the target's token, then a login per
 * registry its images come from.
 */
export async function resolveCredentials(
  credentials: Credentials,
  service: Needs,
): Promise<ServiceCredentials> {
  const secrets = new Map<string, string>();
  for (const c of service.containers) {
    for (const v of Object.values(c.env)) {
      if ("secret" in v && typeof v.secret === "string" && !secrets.has(v.secret)) {
        secrets.set(v.secret, (await credentials.secret(v.secret)).value);
      }
    }
  }
  const { value: token } = await credentials.token(service.target);
  const loginFor = await resolveLogins(
    credentials,
    service.containers.map((c) => c.image),
  );
  return { token, secrets, loginFor };
}

/** A login per registry the images come from, each read once. */
export async function resolveLogins(
  credentials: Credentials,
  images: readonly string[],
): Promise<ServiceCredentials["loginFor"]> {
  const logins = new Map<string, RegistryLogin | undefined>();
  for (const host of new Set(images.map(registryOf))) {
    logins.set(host, (await credentials.registry(host))?.value);
  }
  return (image) => logins.get(registryOf(image));
}
