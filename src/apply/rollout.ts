import net from "node:net";
import { SvcError } from "../errors.js";
import type { NormalService } from "../plan/model.js";
import type { PlatformClient } from "../platform/client.js";

export class RolloutFailed extends SvcError {
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

/**
 * Waits until every container runs, is not restarting, and its tcp ports answer. A container that
 * exits or restarts repeatedly fails the rollout at once, with its last log lines, instead of
 * "deploying" until the timeout.
 */
export async function waitForRollout(
  client: PlatformClient,
  desired: NormalService,
  options: { timeoutMs: number; pollMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let firstRestarts: Map<string, number> | undefined;
  let lastState = "";
  let silent: SilentPort[] = [];
  // Quick at first (most containers start in well under a second), then backing off.
  let pause = options.pollMs ?? 100;
  while (Date.now() < deadline) {
    const pod = await client.pod();
    const statuses = pod.containers;
    firstRestarts ??= new Map(statuses.map((s) => [s.name, s.restartCount]));
    for (const s of statuses) {
      const { terminated, waiting } = s.state;
      const restarts = s.restartCount - (firstRestarts.get(s.name) ?? s.restartCount);
      if (
        waiting?.reason === "CrashLoopBackOff" ||
        restarts >= 2 ||
        (terminated && terminated.exitCode !== 0)
      ) {
        const logs = (await client.logTail(s.name, 20)).trimEnd();
        const how = terminated ? `exited with code ${terminated.exitCode}` : "keeps restarting";
        throw new RolloutFailed(
          `container ${s.name} ${how}${logs ? `; its last log lines:\n${logs.replace(/^/gm, "      ")}` : " and wrote no logs"}`,
          `check the image, command and env of ${s.name}; \`svc logs ${s.name}\` shows more`,
        );
      }
    }
    const ready = desired.containers.every((c) => statuses.find((s) => s.name === c.name)?.ready);
    if (ready) {
      silent = await silentPorts(client, pod.hostIP ?? "127.0.0.1");
      if (silent.length === 0) return;
    }
    lastState = statuses.map((s) => `${s.name}: ${Object.keys(s.state)[0] ?? "unknown"}`).join(", ");
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 1.5, 1000);
  }
  const seconds = Math.round(options.timeoutMs / 1000);
  if (silent.length > 0) {
    const first = silent[0] as SilentPort;
    const logs = (await client.logTail(first.container, 20).catch(() => "")).trimEnd();
    throw new RolloutFailed(
      `${silent.map((p) => `port ${p.containerPort} of ${p.container} (host ${p.hostPort})`).join(", ")}: nothing listens after ${seconds} s — the container runs, but connections are closed at once${logs ? `; its last log lines:\n${logs.replace(/^/gm, "      ")}` : ""}`,
      `make ${first.container} listen on port ${first.containerPort} (on all interfaces, not only localhost), or raise --timeout if it is slow to start`,
    );
  }
  throw new RolloutFailed(
    `containers not ready within ${seconds} s (${lastState || "no status"})`,
    "raise --timeout if the service is slow to start, or check its logs",
  );
}

interface SilentPort {
  container: string;
  containerPort: number;
  hostPort: number;
}

/**
 * The tcp host ports the provider shows (assigned ones only with deployment-info) where nothing
 * answers yet. A port counts as answering when a connection stays open or data arrives; one the
 * peer closes at once without a byte is what an engine's port proxy does when nothing listens
 * inside the container, so it does not count.
 */
async function silentPorts(client: PlatformClient, hostIP: string): Promise<SilentPort[]> {
  const containers = (await client.observe()).containers ?? [];
  const ports = containers.flatMap((c) =>
    (c.ports ?? []).flatMap((p) =>
      p.protocol === "TCP" && p.hostPort
        ? [{ container: c.name, containerPort: p.containerPort, hostPort: p.hostPort }]
        : [],
    ),
  );
  const answers = await Promise.all(ports.map((p) => listens(hostIP, p.hostPort)));
  return ports.filter((_, i) => !answers[i]);
}

/** How long an open connection must stay open, silent, to count as a listener. */
const SETTLE_MS = 300;

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
