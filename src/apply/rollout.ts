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
    if (ready && (await portsAnswer(client, pod.hostIP ?? "127.0.0.1"))) return;
    lastState = statuses.map((s) => `${s.name}: ${Object.keys(s.state)[0] ?? "unknown"}`).join(", ");
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 1.5, 1000);
  }
  throw new RolloutFailed(
    `containers not ready within ${Math.round(options.timeoutMs / 1000)} s (${lastState || "no status"})`,
    "raise --timeout if the service is slow to start, or check its logs",
  );
}

/** The tcp host ports the provider shows (assigned ones only with deployment-info) accept connections. */
async function portsAnswer(client: PlatformClient, hostIP: string): Promise<boolean> {
  const containers = (await client.observe()).containers ?? [];
  const ports = containers.flatMap((c) =>
    (c.ports ?? []).flatMap((p) => (p.protocol === "TCP" && p.hostPort ? [p.hostPort] : [])),
  );
  const results = await Promise.all(ports.map((port) => connects(hostIP, port)));
  return results.every(Boolean);
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}
