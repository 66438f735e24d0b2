/** The desired state of one service: the manifest after interpolation, merge and normalization. */
export interface ServiceSpec {
  name: string;
  description?: string;
  /** Keys sorted. */
  labels: Record<string, string>;
  target: string;
  /** The repository the manifest lives in (repository.ts): part of the mark svc leaves. */
  repository: string;
  /** In manifest order (the order the platform is given them). */
  containers: ContainerSpec[];
  /** Sorted by name; names lower-cased. */
  domains: DomainSpec[];
  /** The manifest files merged into this service, in order. */
  files: string[];
}

export type Protocol = "tcp" | "udp";

export interface ContainerSpec {
  name: string;
  image: string;
  units: Units;
  /** Sorted by container port, then protocol. */
  ports: PortSpec[];
  /** Keys sorted. */
  env: Record<string, EnvValue>;
  storage?: string;
  /** Absent: every published tcp port answers. */
  ready?: Readiness;
  /** Checks `apply --atomic` makes once the service is ready and stable; absent when none. */
  verify?: VerifyCheck[];
  command?: string[];
  args?: string[];
  /** Sorted by target. */
  files: FileSpec[];
  /** Built from the repository and pushed to `image` (a repository); deployed by digest. */
  build?: BuildSpec;
}

export interface BuildSpec {
  /** Absolute path of the context directory. */
  context: string;
  /** Relative to the context, `/`-separated. */
  dockerfile: string;
  /** Keys sorted. */
  args: Record<string, string>;
  target?: string;
}

/** When apply counts a container ready, beyond running: an HTTP answer, a tcp port, or nothing more. */
export type Readiness = { http: string; port: number; failAfter?: number } | { tcp: number } | "none";

/**
 * A check after apply (`verify:`): a GET through a container's host port, or a command run where
 * svc runs, in `dir` (the manifest's directory, relative to the working directory, "" for it).
 */
export type VerifyCheck =
  | { http: string; port: number; expect: number; contains?: string; timeout: number }
  | { run: string; dir: string; timeout: number };

/** How long a verify check may take, unless it says. */
export const DEFAULT_VERIFY_TIMEOUT_S = 60;

export type Units = 1 | 2 | 4 | 8 | 16;

export interface PortSpec {
  container: number;
  /** Absent: the platform assigns one. */
  host?: number;
  protocol: Protocol;
}

export type EnvValue = { value: string } | { secret: string };

export interface FileSpec {
  /** Absolute path of the local file. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  content: string;
  /** Never shown: plans say "(sensitive, changed)", saved plans keep a keyed hash. */
  sensitive?: boolean;
}

export interface DomainSpec {
  name: string;
  port: number;
  https: boolean;
}

/** Raw, schema-valid manifest shapes (before normalization). */
export interface RawManifest {
  apiVersion: "svc/v1";
  kind: "Service";
  metadata: { name: string; description?: string; labels?: Record<string, string> };
  spec: { target: string; containers: RawContainer[]; domains?: RawDomain[] };
}

export interface RawContainer {
  name: string;
  image: string;
  units?: Units;
  ports?: RawPort[];
  env?: Record<string, string | { secret: string }>;
  storage?: string;
  ready?: "none" | { http: string; port?: number; failAfter?: number } | { tcp: number };
  verify?: (
    | { http: string; port?: number; expect?: number; contains?: string; timeout?: number }
    | { run: string; timeout?: number }
  )[];
  command?: string[];
  args?: string[];
  files?: { source: string; target: string; sensitive?: boolean }[];
  build?: string | { context: string; dockerfile?: string; args?: Record<string, string>; target?: string };
}

export type RawPort = number | string | { container: number; host?: number; protocol?: string };

export interface RawDomain {
  name: string;
  port: number;
  https?: boolean;
}

const SHORT_PORT = /^(?:([0-9]{1,5}):)?([0-9]{1,5})(?:\/([A-Za-z]+))?$/;

/** `80`, `"8080:80/udp"` or `{ container, host, protocol }` → one normalized shape. */
export function parsePort(raw: RawPort): PortSpec {
  if (typeof raw === "number") return { container: raw, protocol: "tcp" };
  if (typeof raw === "string") {
    const m = SHORT_PORT.exec(raw);
    if (!m) throw new Error(`not a short port: ${raw}`);
    const [, host, container, protocol] = m;
    return {
      container: Number(container),
      ...(host ? { host: Number(host) } : {}),
      protocol: (protocol?.toLowerCase() ?? "tcp") as Protocol,
    };
  }
  return {
    container: raw.container,
    ...(raw.host !== undefined ? { host: raw.host } : {}),
    protocol: (raw.protocol?.toLowerCase() ?? "tcp") as Protocol,
  };
}

/** Any text as a name svc accepts (service and container names): lower-case, dashes, ≤ 63. */
export function toName(text: string, fallback = "app"): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return cleaned || fallback;
}
