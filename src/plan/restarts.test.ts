import { describe, expect, it } from "vitest";
import type { ContainerStatus, Notice, PodView } from "../platform/model.js";
import { notRunningAsSaid, notRunningWhy, RESTART_WINDOW_MS } from "./restarts.js";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function pod(...containers: Partial<ContainerStatus>[]): PodView {
  return {
    containers: containers.map((c, i) => ({
      name: `c${i}`,
      restartCount: 0,
      state: { running: { startedAt: ago(3600_000) } },
      ready: true,
      ...c,
    })),
    domains: [],
    phase: "Running",
  };
}

const notice = (type: string, msAgo: number, message?: string): Notice => ({
  time: ago(msAgo),
  serviceID: "us-1",
  type,
  ...(message ? { message } : {}),
});

describe("containers that do not run as the manifest says", () => {
  it("a container running for an hour with no restart is fine", () => {
    expect(notRunningAsSaid(pod({}), undefined, NOW)).toEqual([]);
  });

  it("a restart count above zero on a run that started within the window: restarted recently", () => {
    const started = ago(30_000);
    const [found] = notRunningAsSaid(
      pod({ restartCount: 3, state: { running: { startedAt: started } } }),
      [],
      NOW,
    );
    expect(found).toEqual({
      name: "c0",
      restarts: 3,
      recently: { source: "restart count", startedAt: started },
    });
    expect(notRunningWhy(found as never)).toBe(
      `restarted recently: 3 restarts, the current run started at ${started}, within the last 10 minutes (seen in the pod's restart count)`,
    );
  });

  it("restarts before the window are history: it has run since", () => {
    const state = { running: { startedAt: ago(RESTART_WINDOW_MS + 1000) } };
    expect(notRunningAsSaid(pod({ restartCount: 9, state }), undefined, NOW)).toEqual([]);
  });

  it("waiting in a back-off or exited with an error: not running", () => {
    expect(
      notRunningAsSaid(
        pod(
          { restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } }, ready: false },
          { state: { terminated: { exitCode: 3 } }, ready: false },
        ),
        undefined,
        NOW,
      ),
    ).toEqual([
      { name: "c0", restarts: 4 },
      { name: "c1", restarts: 0, exitCode: 3 },
    ]);
  });

  it("Crashed notices within the window count where the count does not show it", () => {
    const notices = [
      notice("Crashed", 20_000, "container c0 exited with code 1"),
      notice("Crashed", 60_000, "container c0 exited with code 1"),
      notice("Crashed", 60_000, "container other exited with code 1"),
      notice("Deployed", 120_000),
    ];
    expect(notRunningAsSaid(pod({ state: { running: { startedAt: ago(10_000) } } }), notices, NOW)).toEqual([
      { name: "c0", restarts: 0, recently: { source: "notices", crashes: 2 } },
    ]);
  });

  it("crashes before the pod was last replaced were another deployment's", () => {
    const notices = [
      notice("Updated", 10_000),
      notice("Crashed", 20_000, "container c0 exited with code 1"),
      notice("Crashed", RESTART_WINDOW_MS + 5000, "container c0 exited with code 1"),
    ];
    expect(notRunningAsSaid(pod({ state: { running: { startedAt: ago(9000) } } }), notices, NOW)).toEqual([]);
  });
});
