import { describe, expect, it } from "vitest";
import { FakePlatform } from "../test-support/fake-platform.js";
import { applyTo as apply, planAgainst as plan } from "../test-support/fake-workflow.js";

/** A new service deployed with a stability window, while `during` runs against the fake. */
async function deployWatched(stableForMs: number, during?: (fake: FakePlatform) => void) {
  const fake = new FakePlatform();
  const service = await plan(fake, "      ready: none\n");
  const applying = apply(fake, service, { wait: true, stableForMs });
  if (during) setTimeout(() => during(fake), stableForMs / 2);
  return { fake, ...(await applying) };
}

describe("the rollout's stability window", () => {
  it("says applied only after the containers stayed up for the window", async () => {
    const started = Date.now();
    const { outcome, events } = await deployWatched(1500);
    expect(outcome.status).toBe("applied");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    // What it waits for is said while it waits.
    const details = events.flatMap((e) => (e.type === "waiting" && e.detail ? [e.detail] : []));
    expect(details.some((d) => /^ready; watching it stay up: \d of 2 s$/.test(d))).toBe(true);
  });

  it("fails a container that restarts inside the window, naming the window", async () => {
    const { outcome } = await deployWatched(2000, (fake) => fake.restart("web"));
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toMatch(
      /^container web restarted during the stability window \(2 s; \d\.\d s after it was ready\) and wrote no logs$/,
    );
    expect(outcome.hint).toContain("it started, then stopped");
  });

  it("does not watch with a window of 0", async () => {
    const { outcome } = await deployWatched(0);
    expect(outcome.status).toBe("applied");
  });
});
