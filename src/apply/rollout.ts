import { SvcError } from "../errors.js";
import type { NormalService } from "../plan/model.js";
import { crashed } from "../platform/adapt.js";
import type { PlatformClient } from "../platform/client.js";
import type { ContainerStatus, LiveContainer, PodView } from "../platform/model.js";
import { sleep } from "../util/poll.js";
import { type Check, checkKey, readinessChecks, SETTLE_MS, type Unready, unreadyChecks } from "./probe.js";

class RolloutFailed extends SvcError {
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

export interface RolloutOptions {
  /** How long the containers may take to run and be ready. */
  timeoutMs: number;
  /** Then how long they must stay up and ready, with no restart, before the rollout counts. */
  stableForMs: number;
  pollMs?: number;
  target: string;
  /** The pod before the calls that replace it: while a look still shows it, nothing is judged. */
  previous?: PodView;
  signal?: AbortSignal;
  /** What is being waited for and the last answer, each time the containers are looked at. */
  progress?: (what: string) => void;
}

/**
 * Waits until every container runs and is ready, then watches them stay so for the stability
 * window. A container that exits, restarts repeatedly, or restarts during the window fails the
 * rollout at once with its last log lines; so does a readiness answer that waiting cannot change
 * (a client error, repeated for the container's failAfter). Every wait is bounded by timers that
 * keep the process alive. An abort ends the wait, rejecting with the signal's reason.
 */
export async function waitForRollout(
  client: PlatformClient,
  desired: NormalService,
  options: RolloutOptions,
): Promise<void> {
  const ready = await untilReady(client, desired, options);
  if (options.stableForMs > 0) await staysUp(client, desired, options, ready);
}

interface Ready {
  /** When the containers were first all ready. */
  at: number;
  /** Each container's start, as the pod showed it then. */
  starts: Map<string, string>;
  checks: Check[];
  hostIP: string;
}

async function untilReady(
  client: PlatformClient,
  desired: NormalService,
  options: RolloutOptions,
): Promise<Ready> {
  const { signal, progress } = options;
  const begun = Date.now();
  const deadline = begun + options.timeoutMs;
  const seconds = () => Math.round((Date.now() - begun) / 1000);
  let firstRestarts: Map<string, number> | undefined;
  let waitingFor = "";
  let unready: Unready[] = [];
  // Since when each check has given the same client error (fail fast after its failAfter).
  const refusing = new Map<string, { answer: string; since: number }>();
  // Host ports are fixed once deployed: read them once, when the containers first run.
  let published: LiveContainer[] | undefined;
  // Quick at first (most containers start in well under a second), then backing off.
  let pause = options.pollMs ?? 100;
  // The first look reads the host ports with the pod: most pods run by then, so no second round trip.
  let looks = 0;
  const look = async () =>
    looks++ === 0 ? client.observeWithPod() : { pod: await client.pod(), state: undefined };
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    const { pod, state } = await look();
    if (isPrevious(pod, options.previous)) {
      // A provider that shows changes late (a Kubernetes rollout) still shows the pod from
      // before: its states say nothing of the new one.
      waitingFor = "the new pod to show";
      progress?.(`waiting for ${waitingFor} (${seconds()} s)`);
      await sleep(pause, undefined, { signal });
      pause = Math.min(pause * 1.5, 1000);
      continue;
    }
    const statuses = pod.containers;
    firstRestarts ??= new Map(statuses.map((s) => [s.name, s.restartCount]));
    for (const s of statuses) {
      const restarts = s.restartCount - (firstRestarts.get(s.name) ?? s.restartCount);
      if (crashed(s) || restarts >= 2) {
        const how = s.state.terminated
          ? `exited with code ${s.state.terminated.exitCode}`
          : "keeps restarting";
        throw await containerFailed(client, options.target, s.name, how);
      }
    }
    const running = desired.containers.every((c) => statuses.find((s) => s.name === c.name)?.ready);
    if (running) {
      published ??= (state ?? (await client.observe())).containers ?? [];
      const hostIP = pod.hostIP ?? "127.0.0.1";
      const checks = readinessChecks(published, desired);
      const started = startTimes(statuses);
      const checked = Date.now();
      unready = await unreadyChecks(checks, hostIP);
      for (const key of refusing.keys()) if (!unready.some((u) => checkKey(u) === key)) refusing.delete(key);
      for (const u of unready) {
        const key = checkKey(u);
        const seen = refusing.get(key);
        if (u.clientError === undefined) refusing.delete(key);
        else if (seen?.answer !== u.answer) refusing.set(key, { answer: u.answer, since: Date.now() });
        else if (Date.now() - seen.since >= u.failAfterS * 1000) {
          throw await portFailed(
            client,
            [u],
            ` for ${u.failAfterS} s (ready.failAfter): a client error, which waiting does not change`,
          );
        }
      }
      // Running once is not running: a container that exits at once is seen running for a
      // moment. Ready only when, a moment later, every container still runs the same start.
      if (unready.length === 0) {
        await sleep(Math.max(0, SETTLE_MS - (Date.now() - checked)), undefined, { signal });
        const again = await client.pod();
        if (again.containers.every((s) => s.ready) && startTimes(again.containers) === started)
          return { at: Date.now(), starts: startMap(again.containers), checks, hostIP };
      }
      waitingFor = unready.length
        ? unready.map((u) => `${u.container}: ${u.answer}`).join("; ")
        : "the containers to keep running";
    } else waitingFor = `${notRunning(desired, statuses)} to run`;
    progress?.(`waiting for ${waitingFor} (${seconds()} s)`);
    await sleep(pause, undefined, { signal });
    pause = Math.min(pause * 1.5, 1000);
  }
  const total = Math.round(options.timeoutMs / 1000);
  if (unready.length > 0) throw await portFailed(client, unready, ` after ${total} s`);
  throw new RolloutFailed(
    `containers not ready within ${total} s (waiting for ${waitingFor || "a pod status"})`,
    "raise --timeout if the service is slow to start, or check its logs",
  );
}

/**
 * The stability window: the containers must keep their start (no restart, no crash) and stay
 * ready. A check that fails twice in a row is not ready any more; once may be a busy moment.
 */
async function staysUp(
  client: PlatformClient,
  desired: NormalService,
  options: RolloutOptions,
  ready: Ready,
): Promise<void> {
  const { signal, progress, stableForMs } = options;
  const end = ready.at + stableForMs;
  const window = `${Math.round(stableForMs / 1000)} s`;
  const missed = new Map<string, number>();
  for (;;) {
    const left = end - Date.now();
    progress?.(
      `ready; watching it stay up: ${Math.min(Math.round((stableForMs - left) / 1000), stableForMs / 1000)} of ${window}`,
    );
    if (left <= 0) return;
    await sleep(Math.min(left, 1000), undefined, { signal });
    const pod = await client.pod();
    const after = `${((Date.now() - ready.at) / 1000).toFixed(1)} s after it was ready`;
    for (const c of desired.containers) {
      const s = pod.containers.find((x) => x.name === c.name);
      if (!s || crashed(s) || startOf(s) !== ready.starts.get(c.name)) {
        throw await containerFailed(
          client,
          options.target,
          c.name,
          `restarted during the stability window (${window}; ${after})`,
          "it started, then stopped",
        );
      }
    }
    const unready = await unreadyChecks(ready.checks, ready.hostIP);
    for (const key of missed.keys()) if (!unready.some((u) => checkKey(u) === key)) missed.delete(key);
    for (const u of unready) {
      const times = (missed.get(checkKey(u)) ?? 0) + 1;
      missed.set(checkKey(u), times);
      if (times >= 2)
        throw await portFailed(client, [u], ` during the stability window (${window}; ${after})`);
    }
  }
}

async function containerFailed(
  client: PlatformClient,
  target: string,
  container: string,
  how: string,
  why = "",
): Promise<RolloutFailed> {
  const logs = await lastLines(client, container);
  return new RolloutFailed(
    `container ${container} ${how}${logs || " and wrote no logs"}`,
    `${why ? `${why}: ` : ""}check the image, command and env of ${container}; \`svc logs ${target} ${container}\` shows more`,
  );
}

/** The checks that failed, each with its answer, then `tail`; the first one's logs and hint. */
async function portFailed(client: PlatformClient, failed: Unready[], tail: string): Promise<RolloutFailed> {
  const u = failed[0] as Unready;
  const answers = failed.map(
    (f) => `port ${f.containerPort} of ${f.container} (host ${f.hostPort}): ${f.answer}`,
  );
  return new RolloutFailed(
    `${answers.join("; ")}${tail}${await lastLines(client, u.container)}`,
    u.clientError !== undefined
      ? `make ${u.container} answer GET ${u.http} with 2xx or 3xx (it refuses with ${u.clientError}), or change its ready: check`
      : u.http
        ? `make ${u.container} answer GET ${u.http} with 2xx or 3xx, change its ready: check, or raise --timeout if it is slow to start`
        : `make ${u.container} listen on port ${u.containerPort} (on all interfaces, not only localhost), or raise --timeout if it is slow to start`,
  );
}

/** "; its last log lines:" and the container's last lines, indented; "" when it wrote none. */
export async function lastLines(client: PlatformClient, container: string): Promise<string> {
  const logs = (await client.logTail(container, 20).catch(() => "")).trimEnd();
  return logs ? `; its last log lines:\n${logs.replace(/^/gm, "      ")}` : "";
}

/** The desired containers not running yet, with what the pod says of each. */
function notRunning(desired: NormalService, statuses: ContainerStatus[]): string {
  return desired.containers
    .filter((c) => !statuses.find((s) => s.name === c.name)?.ready)
    .map((c) => {
      const s = statuses.find((x) => x.name === c.name);
      const [state, detail] = Object.entries(s?.state ?? {})[0] ?? [];
      const reason = (detail as { reason?: string } | undefined)?.reason;
      return state ? `${c.name} (${state}${reason ? `: ${reason}` : ""})` : c.name;
    })
    .join(", ");
}

/** Whether a look still shows the pod from before the calls: every container exactly as it was. */
function isPrevious(pod: PodView, previous: PodView | undefined): boolean {
  if (!previous?.containers.length || pod.containers.length === 0) return false;
  const was = new Map(previous.containers.map((s) => [s.name, JSON.stringify([s.restartCount, s.state])]));
  return pod.containers.every((s) => was.get(s.name) === JSON.stringify([s.restartCount, s.state]));
}

/** A container's start: a restart changes it. */
const startOf = (s: ContainerStatus) =>
  `${s.restartCount}@${"running" in s.state ? JSON.stringify(s.state.running) : "not running"}`;

const startMap = (statuses: ContainerStatus[]) => new Map(statuses.map((s) => [s.name, startOf(s)]));

/** Each container's start, as one string. */
const startTimes = (statuses: ContainerStatus[]) => JSON.stringify([...startMap(statuses)]);
