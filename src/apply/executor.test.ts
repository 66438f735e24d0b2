import { describe, expect, it } from "vitest";
import type { Capability } from "../platform/model.js";
import { EXTENDED, FakePlatform } from "../test-support/fake-platform.js";
import { applyTo as apply, planAgainst as plan } from "../test-support/fake-workflow.js";

/** A deployed service at image 1.0, planned again at 2.0. */
async function imageUpdate(caps: Capability[]) {
  const fake = new FakePlatform(caps);
  await apply(fake, await plan(fake));
  fake.calls.length = 0;
  return { fake, service: await plan(fake, "", "registry.example.com/app:2.0") };
}

describe.each([
  ["with revisions (extended)", EXTENDED],
  ["without any capability (a public provider)", [] as Capability[]],
])("applying a plan %s", (_, caps) => {
  it("deploys a new service, and the plan after is empty", async () => {
    const fake = new FakePlatform(caps);
    const service = await plan(fake);
    expect(service.action).toBe("create");
    const { outcome, events } = await apply(fake, service);
    // Where the provider keeps labels, svc marks what it deploys (manifest/marks.ts).
    const labels = caps.includes("labels-map");
    expect(outcome).toMatchObject({
      status: "applied",
      applied: ["deploy", ...(labels ? ["set-labels"] : [])],
      remaining: [],
    });
    expect(fake.calls.map((c) => c.kind)).toEqual(["deploy", ...(labels ? ["setLabels"] : [])]);
    expect(events.map((e) => e.type)).toContain("called");
    expect((await plan(fake)).action).toBe("noop");
  });

  it("updates an image in place with one call", async () => {
    const { fake, service } = await imageUpdate(caps);
    expect(service.operations.map((o) => o.kind)).toEqual(["update-images"]);
    const { outcome } = await apply(fake, service);
    expect(outcome.status).toBe("applied");
    expect(fake.calls.map((c) => c.kind)).toEqual(["updateImages"]);
    // With revisions the call carries the planned one; without, none.
    expect(fake.calls[0]?.ifRevision).toBe(service.fingerprint.revision);
    expect((await plan(fake, "", "registry.example.com/app:2.0")).action).toBe("noop");
  });

  it("never sends a call again whose answer was lost but which landed", async () => {
    const { fake, service } = await imageUpdate(caps);
    fake.fault("updateImages", "lose");
    const { outcome } = await apply(fake, service);
    expect(outcome.status).toBe("applied");
    expect(fake.calls.map((c) => c.kind)).toEqual(["updateImages"]);
  });

  it("sends once more a call that failed without landing, then goes on", async () => {
    const { fake, service } = await imageUpdate(caps);
    fake.fault("updateImages", "fail-transient");
    const { outcome } = await apply(fake, service);
    expect(outcome.status).toBe("applied");
    expect(fake.calls.map((c) => c.kind)).toEqual(["updateImages", "updateImages"]);
  });

  it("reports a refused call as failed, with what was not applied", async () => {
    const { fake, service } = await imageUpdate(caps);
    fake.fault("updateImages", "refuse");
    const { outcome } = await apply(fake, service);
    expect(outcome).toMatchObject({ status: "failed", applied: [], remaining: ["update-images"] });
    expect(outcome.message).toContain("updateImages refused");
  });

  it("refuses to write over a change made by someone else since the plan", async () => {
    const { fake, service } = await imageUpdate(caps);
    fake.touch("SET_BY", "another writer");
    const { outcome } = await apply(fake, service);
    expect(outcome.status).toBe("failed");
    // Without revisions the live state is compared before the call: it is never sent.
    expect(fake.calls.length).toBe(caps.includes("revision") ? 1 : 0);
  });

  it("starts no call once asked to stop", async () => {
    const { fake, service } = await imageUpdate(caps);
    const { outcome } = await apply(fake, service, { stopping: true });
    expect(outcome).toMatchObject({ status: "interrupted", applied: [], remaining: ["update-images"] });
    expect(fake.calls).toEqual([]);
  });
});

describe("waiting for the rollout", () => {
  /** A new service on a provider with labels (deploy, then set-labels), each look and call in order. */
  async function deployWithLabels() {
    const fake = new FakePlatform(EXTENDED);
    const service = await plan(fake);
    expect(service.operations.map((o) => o.kind)).toEqual(["deploy", "set-labels"]);
    const timeline: string[] = [];
    const spy = <K extends "pod" | "observeWithPod" | "setLabels">(name: K) => {
      const original = fake[name].bind(fake) as (...args: unknown[]) => Promise<unknown>;
      (fake[name] as unknown) = (...args: unknown[]) => {
        timeline.push(name);
        return original(...args);
      };
    };
    spy("pod");
    spy("observeWithPod");
    spy("setLabels");
    return { fake, service, timeline };
  }

  it("starts after the last call that restarts containers, while the calls after it are made", async () => {
    const { fake, service, timeline } = await deployWithLabels();
    const { outcome, events } = await apply(fake, service, { wait: true });
    expect(outcome).toMatchObject({ status: "applied", applied: ["deploy", "set-labels"] });
    // The first look (pod and host ports in one) goes out before set-labels.
    // The pod before the calls first (the rollout never judges it as the new one).
    expect(timeline.slice(0, 2)).toEqual(["pod", "observeWithPod"]);
    expect(timeline.indexOf("observeWithPod")).toBeLessThan(timeline.indexOf("setLabels"));
    // Still said once every call is made, as before.
    const types = events.map((e) => (e.type === "called" ? `called ${e.operation}` : e.type));
    expect(types.slice(-3)).toEqual(["called set-labels", "waiting", "done"]);
  });

  it("stops waiting when a later call fails", async () => {
    const { fake, service, timeline } = await deployWithLabels();
    fake.fault("setLabels", "refuse");
    const { outcome } = await apply(fake, service, { wait: true });
    expect(outcome).toMatchObject({ status: "failed", applied: ["deploy"], remaining: ["set-labels"] });
    const looks = timeline.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(timeline.length).toBe(looks);
  });
});
