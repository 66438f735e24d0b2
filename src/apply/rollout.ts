import net from "node:net";
import { SvcError } from "../errors.js";
import type { NormalService } from "../plan/model.js";
import { crashed } from "../platform/adapt.js";
import type { PlatformClient } from "../platform/client.js";
import type { LiveContainer } from "../platform/model.js";
import { sleep } from "../util/poll.js";

class RolloutFailed extends SvcError {
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

/**
 * Waits until every container runs, is not restarting, and its tcp ports answer. A container that
 * exits or restarts repeatedly fails the rollout at once, with its last log lines, instead of
 * "deploying" until the timeout. An abort ends the wait, rejecting with the signal's reason.
 */
export async function waitForRollout(
  client: PlatformClient,
  desired: NormalService,
  options: { timeoutMs: number; pollMs?: number; target: string; signal?: AbortSignal },
): Promise<void> {
  const { signal } = options;
  const deadline = Date.now() + options.timeoutMs;
  let firstRestarts: Map<string, number> | undefined;
  let lastState = "";
  let silent: SilentPort[] = [];
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
    const statuses = pod.containers;
    firstRestarts ??= new Map(statuses.map((s) => [s.name, s.restartCount]));
    for (const s of statuses) {
      const { terminated } = s.state;
      const restarts = s.restartCount - (firstRestarts.get(s.name) ?? s.restartCount);
      if (crashed(s) || restarts >= 2) {
        const logs = await lastLines(client, s.name);
        const how = terminated ? `exited with code ${terminated.exitCode}` : "keeps restarting";
        throw new RolloutFailed(
          `container ${s.name} ${how}${logs || " and wrote no logs"}`,
          `check the image, command and env of ${s.name}; \`svc logs ${options.target} ${s.name}\` shows more`,
        );
      }
    }
    const ready = desired.containers.every((c) => statuses.find((s) => s.name === c.name)?.ready);
    if (ready) {
      published ??= (state ?? (await client.observe())).containers ?? [];
      const started = startTimes(statuses);
      const checked = Date.now();
      silent = await unreadyPorts(published, desired, pod.hostIP ?? "127.0.0.1");
      // Running once is not running: a container that exits at once is seen running for a
      // moment. Done only when, a moment later, every container still runs the same start.
      if (silent.length === 0) {
        await sleep(Math.max(0, SETTLE_MS - (Date.now() - checked)), undefined, { signal });
        const again = await client.pod();
        if (again.containers.every((s) => s.ready) && startTimes(again.containers) === started) return;
      }
    }
    lastState = statuses.map((s) => `${s.name}: ${Object.keys(s.state)[0] ?? "unknown"}`).join(", ");
    await sleep(pause, undefined, { signal });
    pause = Math.min(pause * 1.5, 1000);
  }
  const seconds = Math.round(options.timeoutMs / 1000);
  if (silent.length > 0) {
    const first = silent[0] as SilentPort;
    throw new RolloutFailed(
      `${silent.map((p) => `port ${p.containerPort} of ${p.container} (host ${p.hostPort}): ${p.problem}`).join("; ")} after ${seconds} s${await lastLines(client, first.container)}`,
      first.http
        ? `make ${first.container} answer GET ${first.http} with 2xx or 3xx, change its ready: check, or raise --timeout if it is slow to start`
        : `make ${first.container} listen on port ${first.containerPort} (on all interfaces, not only localhost), or raise --timeout if it is slow to start`,
    );
  }
  throw new RolloutFailed(
    `containers not ready within ${seconds} s (${lastState || "no status"})`,
    "raise --timeout if the service is slow to start, or check its logs",
  );
}

/** "; its last log lines:" and the container's last lines, indented; "" when it wrote none. */
async function lastLines(client: PlatformClient, container: string): Promise<string> {
  const logs = (await client.logTail(container, 20)).trimEnd();
  return logs ? `; its last log lines:\n${logs.replace(/^/gm, "      ")}` : "";
}

interface SilentPort {
  container: string;
  containerPort: number;
  hostPort: number;
  /** The path of an http readiness check. */
  http?: string;
  problem: string;
}

/**
 * The ports whose readiness checks do not pass yet, among the host ports the provider shows
 * (assigned ones only with deployment-info). By default every published tcp port of a container
 * must answer: a connection that stays open or gets data. One the peer closes at once without a
 * byte is what an engine's port proxy does when nothing listens inside, so it does not count.
 * `ready: { tcp }` checks that port only, `ready: { http }` a GET through it, `ready: none` nothing.
 */
async function unreadyPorts(
  live: LiveContainer[],
  desired: NormalService,
  hostIP: string,
): Promise<SilentPort[]> {
  const checks = desired.containers.flatMap((c) => {
    const published = (live.find((l) => l.name === c.name)?.ports ?? []).filter(
      (p) => p.protocol === "TCP" && p.hostPort,
    );
    const ready = c.ready;
    if (ready === "none") return [];
    const port = ready && ("tcp" in ready ? ready.tcp : ready.port);
    return published
      .filter((p) => port === undefined || p.containerPort === port)
      .map((p) => ({
        container: c.name,
        containerPort: p.containerPort,
        hostPort: p.hostPort as number,
        ...(ready && "http" in ready ? { http: ready.http } : {}),
      }));
  });
  const problems = await Promise.all(
    checks.map(async (check) =>
      check.http
        ? httpProblem(hostIP, check.hostPort, check.http)
        : (await listens(hostIP, check.hostPort))
          ? undefined
          : "nothing listens (connections are closed at once)",
    ),
  );
  return checks.flatMap((check, i) => {
    const problem = problems[i];
    return problem ? [{ ...check, problem }] : [];
  });
}

/** Why GET path through the host port does not answer 2xx or 3xx; undefined when it does. */
async function httpProblem(host: string, port: number, path: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${host}:${port}${path}`, {
      redirect: "manual",
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.status < 400 ? undefined : `GET ${path} answered ${response.status}`;
  } catch {
    return `GET ${path} got no answer`;
  }
}

/**
 * How long an open connection must stay open, silent, to count as a listener; and how long the
 * containers must keep running once seen running.
 */
const SETTLE_MS = 100;

/** Each container's start, as one string: a restart changes it. */
function startTimes(statuses: { name: string; restartCount: number; state: object }[]): string {
  return JSON.stringify(
    statuses.map((s) => [s.name, s.restartCount, "running" in s.state ? s.state.running : null]),
  );
}

function listens(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (answers: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    socket.once("connect", () => {
      socket.setTimeout(0);
      timer = setTimeout(() => done(true), SETTLE_MS);
    });
    socket.once("data", () => done(true));
    socket.once("end", () => done(false));
    socket.once("close", () => done(false));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}
