import type { LiveContainer, LiveDomain, UserService } from "../platform/client.js";
import type { Diagnostic } from "../spec/diagnostics.js";

/** Version of the JSON plan (`--json`, `--out`); schemas/plan.schema.json describes it. */
export const PLAN_FORMAT_VERSION = 1;

/** What the platform says about one target, and the preflight facts asked of it. */
export interface LiveState {
  service: UserService;
  /** Undefined when nothing was ever deployed. */
  containers?: LiveContainer[];
  domains: LiveDomain[];
  /** Image reference → exists and is pullable with the resolved login (asked for changed images). */
  images: Record<string, boolean>;
  /** Specified host ports that another service holds. */
  takenPorts: number[];
}

/** Both sides of the comparison take this shape after normalization. */
export interface NormalService {
  description: string;
  labels: Record<string, string>;
  /** Sorted by name. */
  containers: NormalContainer[];
  /** Sorted by name. */
  domains: NormalDomain[];
}

export interface NormalContainer {
  name: string;
  image: string;
  units: number;
  /** Sorted by container port, protocol. `host` absent on the desired side means "assigned". */
  ports: NormalPort[];
  /** Keys sorted. Secrets carry a hash, never the value. */
  env: Record<string, NormalEnv>;
  /** "" for none. */
  storage: string;
  command: string[];
  args: string[];
  /** Target path → content, keys sorted. */
  files: Record<string, string>;
}

export interface NormalPort {
  container: number;
  protocol: "tcp" | "udp";
  host?: number;
}

export type NormalEnv = { value: string } | { secret: string; sha256: string };

export interface NormalDomain {
  name: string;
  port: number;
  https: boolean;
}

export type Action = "create" | "update" | "replace" | "noop";

/** One displayed difference. Values of sensitive changes are never recorded. */
export interface Change {
  path: string;
  kind: "add" | "remove" | "change";
  before?: unknown;
  after?: unknown;
  sensitive?: boolean;
  /** This change alone forces a redeploy (all containers restart). */
  forcesRedeploy?: boolean;
  destructive?: boolean;
  /** Unified diff of a config file's content. */
  diff?: string;
}

export type OperationKind =
  | "unbind-domains"
  | "deploy"
  | "redeploy"
  | "update-images"
  | "update-config"
  | "set-description"
  | "set-labels"
  | "bind-domain";

/** One API call, with why it is made. Apply acts on `kind` and the desired state alone. */
export interface Operation {
  kind: OperationKind;
  cause: string;
  restarts: boolean;
  destructive?: boolean;
  containers?: string[];
  domains?: string[];
}

export interface ServicePlan {
  name: string;
  target: string;
  files: string[];
  action: Action;
  restarts: boolean;
  destructive: boolean;
  /** Field paths that force a redeploy, for display. */
  redeployCauses: string[];
  changes: Change[];
  operations: Operation[];
  diagnostics: Diagnostic[];
  /** The desired state apply will send (secrets by name and hash only). */
  desired: NormalService;
  /** The observed state the plan was made against: its revision and a hash of the normalized state. */
  fingerprint: { revision: number; sha256: string };
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  createdAt: string;
  services: ServicePlan[];
  diagnostics: Diagnostic[];
  summary: Record<Action, number> & { errors: number; warnings: number };
}
