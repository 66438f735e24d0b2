import { join, relative } from "node:path";
import pLimit from "p-limit";
import type { Engine } from "../build/resolve.js";
import type { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { hasErrors } from "../manifest/diagnostics.js";
import { serviceInputs } from "../manifest/inputs.js";
import type { Variables } from "../manifest/interpolate.js";
import { loadServices } from "../manifest/load.js";
import type { ServiceSpec } from "../manifest/model.js";
import type { ServicePlan } from "../plan/model.js";
import { makePlan } from "../plan/plan.js";
import { HttpPlatformClient, type PlatformClient } from "../platform/client.js";
import type { Notice } from "../platform/model.js";
import { type Commit, checkout, commitsTouching, repositoryTop } from "./git.js";

/** The client of a target's token: one, shared by every plan of the history. */
type ClientFor = (token: ConstructorParameters<typeof HttpPlatformClient>[0]) => PlatformClient;

/** One release of a service: a commit that changed its manifests or what they reference. */
export interface Release extends Commit {
  /** Its manifests plan as No changes against the live state: this is what runs. */
  live: boolean;
  /** What applying it now would do (its plan's action), or why it cannot be planned. */
  action?: ServicePlan["action"];
  problem?: string;
}

export interface History {
  target: string;
  service: string;
  /** Newest first. */
  releases: Release[];
  /** The live release's commit; absent when none of the releases matches (live with drift). */
  live?: string;
  /** The platform's Deployed, ImageUpdated, Updated and Restarted notices, newest first (providers with notice-secret). */
  notices?: Notice[];
}

export interface HistoryOptions {
  credentials: Credentials;
  engines: Engine;
  vars: Variables;
  limit: number;
  /** Commits planned at once. */
  parallelism: number;
}

/**
 * A service's releases from git, each planned against the live state, which is read once and
 * shared by every plan: the newest whose plan is No changes is the live one. Nothing is stored on
 * the platform; each commit's tree is read into a temporary directory and removed.
 */
export async function serviceHistory(target: string, options: HistoryOptions): Promise<History> {
  const top = await repositoryTop();
  const spec = serviceHere(target, options.vars);
  const commits = await commitsTouching(top, serviceInputs(spec, top), options.limit);
  const shared = new Map<string, PlatformClient>();
  const client: ClientFor = (token) => {
    const c = shared.get(token.secret) ?? sharedReads(new HttpPlatformClient(token));
    shared.set(token.secret, c);
    return c;
  };
  const limit = pLimit(Math.max(1, options.parallelism));
  const planned = await Promise.all(
    commits.map((c) =>
      limit(async () => ({ ...c, ...(await planRelease(top, c.commit, spec, client, options)) })),
    ),
  );
  const live = planned.find((r) => r.action === "noop");
  const releases = planned.map((r) => ({ ...r, live: r === live }));
  const notices = await recentNotices(client, spec, options.credentials);
  return {
    target,
    service: spec.name,
    releases,
    ...(live ? { live: live.commit } : {}),
    ...(notices ? { notices } : {}),
  };
}

/** The manifest below the current directory that deploys to `target` (exit 3 when none does). */
export function serviceHere(target: string, vars: Variables, cwd = process.cwd()): ServiceSpec {
  const loaded = loadServices({ paths: [cwd], vars });
  const spec = loaded.services.find((s) => s.target === target);
  if (!spec) {
    throw new UserError(`no valid manifest below ${cwd} deploys to ${target}`, {
      hint: hasErrors(loaded.diagnostics)
        ? "svc validate shows what is wrong with the manifests here"
        : `targets here: ${[...new Set(loaded.services.map((s) => s.target))].sort().join(", ") || "none"}`,
      exitCode: ExitCode.invalidInput,
    });
  }
  return spec;
}

/** One commit's manifests for the service, planned against the shared live state. */
async function planRelease(
  top: string,
  commit: string,
  today: ServiceSpec,
  client: ClientFor,
  options: HistoryOptions,
): Promise<Pick<Release, "action" | "problem">> {
  const tree = await checkout(top, commit);
  try {
    const spec = releaseSpec(tree.dir, top, today.target, options.vars);
    if ("problem" in spec) return spec;
    const plan = await makePlan([spec.spec], {
      credentials: options.credentials,
      engines: options.engines,
      parallelism: 1,
      client,
    });
    const service = plan.services[0];
    if (!service) return { problem: plan.diagnostics[0]?.message ?? "no plan could be made" };
    return { action: service.action };
  } finally {
    tree.done();
  }
}

/** The service's manifest in a checked-out commit, found where today's is (relative to the repository). */
export function releaseSpec(
  dir: string,
  top: string,
  target: string,
  vars: Variables,
): { spec: ServiceSpec } | { problem: string } {
  const here = join(dir, relative(top, process.cwd()));
  const loaded = loadServices({ paths: [here], vars, cwd: here });
  const spec = loaded.services.find((s) => s.target === target);
  if (spec) return { spec };
  const error = loaded.diagnostics.find((d) => d.severity === "error");
  return {
    problem: error ? `its manifests are invalid: ${error.message}` : `no manifest deploys to ${target}`,
  };
}

/** The notices that say a release started running: deployed, updated in place, restarted. */
const RELEASE_NOTICES = new Set(["Deployed", "ImageUpdated", "Updated", "Restarted"]);

/** Those notices where the provider shows them, newest first; undefined where it does not. */
async function recentNotices(
  client: ClientFor,
  spec: ServiceSpec,
  credentials: Credentials,
): Promise<Notice[] | undefined> {
  const { value } = await credentials.token(spec.target);
  const c = client(value);
  if (!(await c.capabilities()).has("notice-secret")) return undefined;
  const { notices } = await c.notices(1, 50);
  return notices.filter((n) => RELEASE_NOTICES.has(n.type)).slice(0, 10);
}

/** The reads every plan of a target makes, asked once and shared: one observation for all releases. */
const READS = new Set([
  "capabilities",
  "userService",
  "observe",
  "observeWithPod",
  "pod",
  "imageAvailable",
  "portTaken",
]);

function sharedReads(client: PlatformClient): PlatformClient {
  const cache = new Map<string, unknown>();
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof property !== "string" || !READS.has(property)) return method.bind(target);
      return (...args: unknown[]) => {
        const key = `${property}:${JSON.stringify(args)}`;
        if (!cache.has(key)) cache.set(key, method.apply(target, args));
        return cache.get(key);
      };
    },
  });
}
