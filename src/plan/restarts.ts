import { crashed } from "../platform/adapt.js";
import type { PlatformClient } from "../platform/client.js";
import type { Capabilities, ContainerStatus, Notice, PodView, UserService } from "../platform/model.js";
import { countOf } from "../util/plural.js";
import type { LiveState } from "./model.js";

/** How far back a restart still counts: a container that restarted within it has not settled. */
export const RESTART_WINDOW_MS = 10 * 60_000;

/** Notices after which the pod is a new one: crashes before them were another deployment's. */
const NEW_POD = new Set([
  "Deployed",
  "Updated",
  "ImageUpdated",
  "ConfigUpdated",
  "Restarted",
  "Resumed",
  "Reconciled",
]);

type Failing = NonNullable<LiveState["failing"]>[number];

/**
 * The containers that do not run as the manifest says: not running (exited with an error, or
 * waiting in a crash back-off), or running but restarted within the window — a restart count
 * above zero on a run that started within it, or, where the provider shows notices, Crashed
 * notices within it since the pod was last replaced. A state is a snapshot; these look past it.
 */
export function notRunningAsSaid(pod: PodView, notices: Notice[] | undefined, now: number): Failing[] {
  const since = now - RESTART_WINDOW_MS;
  const replaced = Math.max(
    since,
    ...(notices ?? []).filter((n) => NEW_POD.has(n.type)).map((n) => Date.parse(n.time)),
  );
  const crashes = (name: string) =>
    (notices ?? []).filter(
      (n) => n.type === "Crashed" && Date.parse(n.time) >= replaced && crashedContainer(n) === name,
    ).length;
  return pod.containers.flatMap((s): Failing[] => {
    const base = { name: s.name, restarts: s.restartCount };
    if (crashed(s)) {
      const { terminated } = s.state;
      return [{ ...base, ...(terminated ? { exitCode: terminated.exitCode } : {}) }];
    }
    const started = startedAt(s);
    if (s.restartCount > 0 && started !== undefined && Date.parse(started) >= since)
      return [{ ...base, recently: { source: "restart count", startedAt: started } }];
    const seen = crashes(s.name);
    if (seen > 0) return [{ ...base, recently: { source: "notices", crashes: seen } }];
    return [];
  });
}

/**
 * The containers of a pod just read that do not run as the manifest says (none while the service
 * is paused: its containers are stopped on purpose). Notices are asked for only where the provider
 * shows them (notice-secret) and something can have restarted recently: one more round trip, only
 * for a pod that started within the window.
 */
export async function observeRestarts(
  client: PlatformClient,
  caps: Capabilities,
  service: UserService,
  pod: PodView,
  now = Date.now(),
): Promise<Failing[]> {
  if (service.status === "ServiceStop") return [];
  const notices =
    caps.has("notice-secret") && mayHaveRestarted(pod, now)
      ? (await client.notices(1, 100)).notices
      : undefined;
  return notRunningAsSaid(pod, notices, now);
}

/** Whether anything can have restarted within the window: a container not running, or started within it. */
function mayHaveRestarted(pod: PodView, now: number): boolean {
  return pod.containers.some((s) => {
    const started = startedAt(s);
    return started === undefined || Date.parse(started) >= now - RESTART_WINDOW_MS;
  });
}

/** Why a container does not run as the manifest says, after its name: "restarted recently: ...". */
export function notRunningWhy(f: Failing): string {
  const minutes = RESTART_WINDOW_MS / 60_000;
  if (f.recently?.source === "restart count")
    return `restarted recently: ${countOf(f.restarts, "restart")}, the current run started at ${f.recently.startedAt}, within the last ${minutes} minutes (seen in the pod's restart count)`;
  if (f.recently)
    return `restarted recently: ${countOf(f.recently.crashes, "crash", "crashes")} since it was deployed, within the last ${minutes} minutes (seen in the platform's Crashed notices)`;
  return `is not running: ${f.exitCode !== undefined ? `it exited with code ${f.exitCode}` : "it keeps crashing"} (restarted ${countOf(f.restarts, "time")})`;
}

const startedAt = (s: ContainerStatus): string | undefined =>
  (s.state.running as { startedAt?: string } | undefined)?.startedAt;

/** The container a Crashed notice names ("container web exited with code 1"); undefined if none. */
function crashedContainer(n: Notice): string | undefined {
  return /^container (\S+)/.exec(n.message ?? "")?.[1];
}
