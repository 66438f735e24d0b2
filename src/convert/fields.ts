import { envVar, SECRET_NAME, variableName } from "../credentials/names.js";
import type { RawContainer, RawManifest } from "../manifest/model.js";
import { containerPort } from "./groups.js";

/** What both converters share: the result's shape, options, and the fields both formats have. */

/** A key of the source that the manifest cannot carry, and why. */
export interface Dropped {
  path: string;
  reason: string;
}

export interface Conversion {
  manifest: RawManifest;
  dropped: Dropped[];
  /** Things the user must do by hand (e.g. store a token with svc login). */
  notes: string[];
  /** Config files rewritten (sibling hosts → localhost), to write beside the manifest. */
  rewritten?: { container: string; target: string; from: string; content: string }[];
  /** compose: the services each container reaches by hostname or depends on (container names). */
  links?: Record<string, string[]>;
  /** compose: what keeps the project from one pod (same image, same port, too many); empty when it fits. */
  limits?: string[];
}

export interface ConvertOptions {
  name: string;
  target: string;
  /** compose profiles to include (services with other profiles are left out). */
  profiles?: string[];
  /** `--split`: convert only this compose service (by container name), as a service of its own. */
  only?: string;
  /**
   * One group of a project that needs several pods: its services (container names), and for each
   * service elsewhere (container name) the variable its address is given in and the svc service
   * it is part of.
   */
  group?: { members: string[]; elsewhere: ReadonlyMap<string, { variable: string; service: string }> };
  /** A text file beside the source (env_file:), or undefined when it cannot be read. */
  readText?: (path: string) => string | undefined;
  /** Secrets svc holds, by value: an env value equal to one becomes a reference to it. */
  held?: ReadonlyMap<string, string>;
}

export type Any = Record<string, unknown>;
export const isMap = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);

export function manifest(options: ConvertOptions, containers: RawContainer[]): RawManifest {
  return {
    apiVersion: "svc/v1",
    kind: "Service",
    metadata: { name: options.name },
    spec: { target: options.target, containers },
  };
}

/** At most this many ports from one range (`3000-3005`): more is a listed drop, not 1,000 ports. */
const MAX_RANGE = 16;

/**
 * One compose port string, `[ip:][host:]container[/protocol]` where host and container may be
 * ranges (`3000-3005`), ip IPv4 or [IPv6], host empty (`127.0.0.1::80`: any host port), as svc
 * ports; a form svc cannot carry is listed with why. A number may be a variable
 * (${WEB_PORT:-8080}): svc interpolates manifests as compose does.
 */
function portString(p: string, at: string, dropped: Dropped[]): string[] {
  const num = String.raw`(?:\d+(?:-\d+)?|\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[0-9]*)?\})`;
  const m = new RegExp(
    `^(?:(\\d+\\.\\d+\\.\\d+\\.\\d+|\\[[0-9a-fA-F:.]+\\]):)?(?:(${num})?:)?(${num})(?:/([a-zA-Z]+))?$`,
  ).exec(p);
  if (!m) {
    dropped.push({
      path: at,
      reason: `port ${p}: not a form compose documents ([ip:][host:]container[/protocol])`,
    });
    return [];
  }
  const [, ip, host, container = "", protocol = "tcp"] = m;
  if (ip?.startsWith("127.") || ip === "[::1]") {
    dropped.push({
      path: at,
      reason: `port ${p} is bound to ${ip} (this machine only); the platform publishes ports to everyone, so it is left out: add it to ports if it should be public`,
    });
    return [];
  }
  const proto = protocol.toLowerCase();
  if (proto !== "tcp" && proto !== "udp") {
    dropped.push({ path: at, reason: `port ${p}: the platform carries tcp and udp only` });
    return [];
  }
  const range = (text: string | undefined) => {
    const r = /^(\d+)-(\d+)$/.exec(text ?? "");
    return r ? { from: Number(r[1]), to: Number(r[2]) } : undefined;
  };
  const cr = range(container);
  const hr = range(host);
  const suffix = proto === "tcp" && !m[4] ? "" : `/${proto}`;
  if (!cr && !hr) return [`${host ? `${host}:` : ""}${container}${suffix}`];
  const count = cr ? cr.to - cr.from + 1 : 1;
  if (!cr || count < 1 || count > MAX_RANGE || (hr && hr.to - hr.from + 1 !== count)) {
    dropped.push({
      path: at,
      reason: `port ${p}: a range of container ports becomes one svc port each, at most ${MAX_RANGE}, with a host range of the same length`,
    });
    return [];
  }
  return Array.from({ length: count }, (_, k) => `${hr ? `${hr.from + k}:` : ""}${cr.from + k}${suffix}`);
}

export function portsFrom(value: unknown, at: string, dropped: Dropped[]): (string | number)[] {
  if (value === undefined) return [];
  const out: (string | number)[] = [];
  for (const [i, p] of (Array.isArray(value) ? value : []).entries()) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") {
      // A container port once: compose lets a range and a single port overlap; the platform does not.
      for (const port of portString(p, `${at}[${i}]`, dropped)) {
        if (out.some((o) => containerPort(o) === containerPort(port)))
          dropped.push({
            path: `${at}[${i}]`,
            reason: `container port ${containerPort(port)} is published by an earlier entry: the platform takes each container port once`,
          });
        else out.push(port);
      }
    } else if (isMap(p)) {
      const container = Number(p.containerPort ?? p.target ?? p.container);
      const host = Number(p.hostPort ?? p.published ?? p.host ?? 0);
      const proto = String(p.protocol ?? "tcp").toLowerCase();
      if (container) out.push(`${host ? `${host}:` : ""}${container}/${proto}`);
      else dropped.push({ path: `${at}[${i}]`, reason: "no container port" });
      if (p.path !== undefined || p.rewrite !== undefined)
        dropped.push({
          path: `${at}[${i}].path`,
          reason: `the route ${String(p.path ?? "")} → ${String(p.rewrite ?? "")} has no svc equivalent: svc binds whole domains to a port (spec.domains)`,
        });
    }
  }
  return out;
}

/**
 * A generated name (a secret, a target, a service of --split) from its parts: lower-case words
 * joined by `-`, a part left out when the name so far already ends with it (`compose-web` and
 * `web` → `compose-web`, never `compose-web-web`), at most 128 characters.
 */
export function joinedName(...parts: string[]): string {
  let name = "";
  for (const raw of parts) {
    const part = raw
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
    if (!part || name === part || name.endsWith(`-${part}`)) continue;
    name = name ? `${name}-${part}` : part;
  }
  return name.slice(0, 128);
}

/**
 * Secrets are never copied into the manifest: a value svc holds as a secret becomes a reference
 * to it, whatever the variable's name; a variable whose name looks secret becomes a
 * `{ secret: NAME }` reference, and a note says how to store the value.
 */
export function secretsOut(
  env: Record<string, string>,
  { name: service, held }: ConvertOptions,
  container: string,
  notes: string[],
): Record<string, string | { secret: string }> {
  const out: Record<string, string | { secret: string }> = {};
  for (const [k, v] of Object.entries(env)) {
    const existing = held?.get(v);
    if (existing) {
      out[k] = { secret: existing };
      notes.push(
        `${container}.${k} holds the value of secret ${existing}: it refers to it, the value was not copied`,
      );
      continue;
    }
    // `*_PASSWORD_FILE=/run/secrets/x` names where the secret is, not the secret.
    if (!SECRET_NAME.test(k) || (/_FILE$/i.test(k) && v.startsWith("/"))) {
      out[k] = v;
      continue;
    }
    const secret = joinedName(service, container, k);
    out[k] = { secret };
    notes.push(
      `${container}.${k} looks secret: its value was not copied; store it with \`svc secret set ${secret}\` (or ${envVar("secret", secret)} in CI)`,
    );
  }
  return out;
}

export function envFrom(
  value: unknown,
  at: string,
  dropped: Dropped[],
  /** compose: a name without a value passes the variable through from where compose runs. */
  passThrough?: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: unknown, path: string) => {
    if ((v === null || v === undefined) && passThrough && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      out[k] = `\${${k}}`;
      passThrough.push(k);
    } else if (v === null || v === undefined || v === "")
      dropped.push({ path, reason: "no value (svc needs non-empty values)" });
    else if (typeof v === "string" && /^\$\{[A-Za-z_][A-Za-z0-9_]*:?-\}$/.test(v))
      dropped.push({
        path,
        reason:
          "its default is empty, and svc env values are never empty: add it with a value if the container needs it",
      });
    else out[k] = String(v);
  };
  if (Array.isArray(value)) {
    value.forEach((e, i) => {
      if (typeof e === "string") {
        const eq = e.indexOf("=");
        put(eq > 0 ? e.slice(0, eq) : e, eq > 0 ? e.slice(eq + 1) : undefined, `${at}[${i}]`);
      } else if (isMap(e)) put(String(e.name), e.value, `${at}[${i}]`);
    });
  } else if (isMap(value)) for (const [k, v] of Object.entries(value)) put(k, v, `${at}.${k}`);
  return out;
}

/** compose command strings are split like a shell would, without running one. */
export function words(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== "string") return [];
  return [...value.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** `${WEB_IMAGE}`'s name: the variable a converted manifest asks for when it knows no image. */
export function imageVariable(container: string): string {
  return `${variableName(container)}_IMAGE`;
}
