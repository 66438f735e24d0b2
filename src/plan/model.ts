import type { PlannedBuild } from "../build/model.js";
import type { Diagnostic } from "../manifest/diagnostics.js";
import type { Readiness, VerifyCheck } from "../manifest/model.js";
import type { Capability, ObservedState } from "../platform/model.js";

/** Version of the JSON plan (`--json`, `--out`); schemas/plan.schema.json describes it. */
export const PLAN_FORMAT_VERSION = 3;

/** What the platform says about one target (through the adapters), and the preflight facts asked of it. */
export interface LiveState extends ObservedState {
  /** What the provider advertised, sorted; decides which fields are managed and which calls fit. */
  capabilities: Capability[];
  /** Image reference → exists and is pullable with the resolved login (asked for changed images). */
  images: Record<string, boolean>;
  /** Specified host ports that another service holds. */
  takenPorts: number[];
  /**
   * Containers that do not run as the manifest says: crash-looping, exited with an error, or
   * running but restarted recently (plan/restarts.ts); absent when not read.
   */
  failing?: {
    name: string;
    restarts: number;
    exitCode?: number;
    /** Runs now, but restarted within the window: seen in its restart count, or in Crashed notices. */
    recently?: { source: "restart count"; startedAt: string } | { source: "notices"; crashes: number };
  }[];
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
  /** svc's own, never sent nor compared: when apply counts the container ready. Absent: its tcp ports answer. */
  ready?: Readiness;
  /** svc's own, never sent: what `apply --atomic` checks after the rollout (in the digest). */
  verify?: VerifyCheck[];
  command: string[];
  args: string[];
  /** Target path → content, keys sorted. A sensitive file's content is never written out (public.ts). */
  files: Record<string, string>;
  /**
   * Files the manifest marks `sensitive: true`: where the content comes from (relative to the
   * working directory) and its keyed fingerprint, so a saved plan can be applied without holding it.
   */
  sensitiveFiles?: Record<string, { source: string; hmac: string }>;
}

export interface NormalPort {
  container: number;
  protocol: "tcp" | "udp";
  host?: number;
}

/** A secret carries its keyed fingerprint (fingerprint.ts), never the value. */
export type NormalEnv = { value: string } | { secret: string; hmac: string };

/**
 * The live side after normalization. A field the provider does not show is undefined: unmanaged,
 * never compared.
 */
export interface LiveNormalService {
  /** The provider shows the service stopped (`svc pause`, or paused behind svc's back). */
  paused?: boolean;
  description?: string;
  labels?: Record<string, string>;
  containers: LiveNormalContainer[];
  domains: NormalDomain[];
}

export interface LiveNormalContainer
  extends Pick<NormalContainer, "name" | "image" | "env">,
    Partial<Pick<NormalContainer, "units" | "ports" | "storage" | "command" | "args" | "files">> {
  /** Config file contents whose paths the provider does not show (one per container at most). */
  fileContents?: string[];
}

export interface NormalDomain {
  name: string;
  port: number;
  https: boolean;
}

export type Action = "create" | "update" | "redeploy" | "noop";

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
  | "resume"
  | "stop"
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

/**
 * What a failed verification would bring back (`apply --atomic`, restore.ts): the calls of the
 * inverse plan, from the state after the apply to the state the plan was made against, and what
 * those calls cannot bring back. Shown in every plan, so a reviewer sees it before merge.
 */
export interface Restore {
  operations: Operation[];
  /** What the restore cannot undo, one sentence each (data, a domain another service may take). */
  irreversible: string[];
}

export interface ServicePlan {
  name: string;
  target: string;
  files: string[];
  /** Containers built from the repository; absent when none is. */
  builds?: PlannedBuild[];
  action: Action;
  restarts: boolean;
  destructive: boolean;
  /** What a destructive plan leaves behind, one sentence each. */
  losses?: string[];
  /** Containers that do not run as the manifest says (crash-looping, exited): not converged. */
  failing?: string[];
  /** Field paths that force a redeploy, for display. */
  redeployCauses: string[];
  changes: Change[];
  operations: Operation[];
  /** What a failed verification would restore (`apply --atomic`); only where there are calls. */
  restore?: Restore;
  diagnostics: Diagnostic[];
  /** The desired state apply will send (secrets by name and hash only). */
  desired: NormalService;
  /**
   * The observed state the plan was made against: a hash of the normalized state (managed fields
   * only), and the revision where the provider has one.
   */
  fingerprint: { revision?: number; hmac: string };
}

/** A service svc deployed from this repository whose manifest is no longer in it (marks.ts). */
export interface Orphan {
  /** The manifest name it was deployed from. */
  name: string;
  target: string;
  repository: string;
  /** Already stopped: nothing runs. */
  stopped: boolean;
  /** `--prune`: the plan stops it (a service entry with a stop call). */
  prune: boolean;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  createdAt: string;
  /** What the plan would change, hashed (digest.ts): equal for two plans of the same intent. */
  digest: string;
  services: ServicePlan[];
  /** Present when the plan looked for them: a whole repository was planned. */
  orphans?: Orphan[];
  diagnostics: Diagnostic[];
  summary: Record<Action, number> & { errors: number; warnings: number };
}
