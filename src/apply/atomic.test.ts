import { describe, expect, it } from "vitest";
import { planDigest } from "../plan/digest.js";
import type { Capability } from "../platform/model.js";
import { EXTENDED, FakePlatform } from "../test-support/fake-platform.js";
import { applyTo, fakeJob, planAgainst } from "../test-support/fake-workflow.js";
import { applyAtomically, restorePlan } from "./atomic.js";
import type { ApplyEvent } from "./executor.js";

const BASE = '      ports: ["8080"]\n      env:\n        MODE: fast\n';
const DOMAIN = "  domains:\n    - { name: a.example.com, port: 8080 }\n";

/** Each forward change: the container lines (and domains) after it, and the image. */
const CHANGES: [string, string, string?][] = [
  ["an image", BASE, "registry.example.com/app:2.0"],
  ["an env value", BASE.replace("fast", "slow")],
  ["a new domain", `${BASE}${DOMAIN}`],
  ["an image and an env value together", BASE.replace("fast", "slow"), "registry.example.com/app:3.0"],
  ["a host port", BASE.replace('"8080"', '"18080:8080"')],
];
/** Changes to fields only a provider with deployment-info shows (the public API leaves them unmanaged). */
const SHOWN_BY_EXTENDED: [string, string, string?][] = [
  ["units (a redeploy)", `${BASE}      units: 2\n`],
  ["a command", `${BASE}      command: [/bin/sh, -c, "exec httpd -f"]\n`],
];

describe.each([
  ["extended", EXTENDED, [...CHANGES, ...SHOWN_BY_EXTENDED]],
  ["public", [] as Capability[], CHANGES],
] as const)("the restore of a change (%s provider)", (_, caps, changes) => {
  it.each(changes)(
    "of %s brings the state from before back: the old manifest plans as noop",
    async (_, lines, image) => {
      const fake = new FakePlatform(caps);
      await applyTo(fake, await planAgainst(fake, BASE));
      const kept = await fake.observe();
      const forward = await planAgainst(fake, lines, image);
      expect(forward.action).not.toBe("noop");
      expect((await applyTo(fake, forward)).outcome.status).toBe("applied");

      const restore = restorePlan(fakeJob(fake, forward), kept, await fake.observe());
      // What the plan showed a reviewer is what the restore does.
      expect(restore.operations.map((o) => o.kind)).toEqual(forward.restore?.operations.map((o) => o.kind));
      // The public API does not show an assigned host port: the old manifest's "assigned" is met already.
      expect((await applyTo(fake, restore)).outcome.status).toBe(
        restore.operations.length > 0 ? "applied" : "unchanged",
      );
      const again = await planAgainst(fake, BASE);
      expect(again.action).toBe("noop");
      expect(again.changes).toEqual([]);
    },
  );

  it("of a first deployment stops the service, and says the deployment stays", async () => {
    const fake = new FakePlatform(caps);
    const kept = await fake.observe();
    const forward = await planAgainst(fake, BASE);
    expect(forward.restore?.operations.map((o) => o.kind)).toEqual(["stop"]);
    expect(forward.restore?.irreversible.join("\n")).toContain("the service was not deployed before");
    await applyTo(fake, forward);
    const restore = restorePlan(fakeJob(fake, forward), kept, await fake.observe());
    expect((await applyTo(fake, restore)).outcome.status).toBe("applied");
    expect((await fake.observe()).service.status).toBe("ServiceStop");
  });

  it("names what it cannot undo: a domain given up, data in storage", async () => {
    const fake = new FakePlatform(caps);
    await applyTo(fake, await planAgainst(fake, `${BASE}      storage: /data\n${DOMAIN}`));
    const forward = await planAgainst(fake, `${BASE}      storage: /var/data\n`);
    // A provider that does not show where storage is mounted cannot tell it moved.
    expect(forward.restore?.irreversible).toEqual([
      ...(caps.length > 0
        ? [
            "data: storage of container web moves from /data to /var/data: what it wrote at /data is no longer there",
          ]
        : []),
      "domain a.example.com is unbound: another service may bind it before the restore binds it again",
    ]);
  });
});

describe("apply --atomic on the fake provider", () => {
  it("a call the provider refuses half-way: the calls made are undone, and the outcome says restored", async () => {
    const fake = new FakePlatform();
    await applyTo(fake, await planAgainst(fake, BASE));
    const forward = await planAgainst(fake, `${BASE}${DOMAIN}`, "registry.example.com/app:2.0");
    expect(forward.operations.map((o) => o.kind)).toEqual(["update-images", "bind-domain"]);
    fake.fault("bindDomain", "refuse");
    const events: ApplyEvent[] = [];
    const outcome = await applyAtomically(fakeJob(fake, forward), {
      wait: false,
      timeoutMs: 2000,
      stableForMs: 0,
      settleMs: 300,
      stopping: () => false,
      emit: (e) => events.push(e),
    });
    expect(outcome).toMatchObject({
      status: "restored",
      applied: ["update-images"],
      restored: ["update-images"],
    });
    expect(events).toContainEqual({
      type: "note",
      service: "shop",
      message: "a call failed: restoring the state from before the apply",
    });
    // One "done", the restored one: the forward's failure is not said as the end.
    expect(events.filter((e) => e.type === "done").map((e) => e.type === "done" && e.outcome)).toEqual([
      "restored",
    ]);
    expect((await planAgainst(fake, BASE)).action).toBe("noop");
  });
});

describe("the digest of a plan", () => {
  it("covers the verify checks: the same change with another check is another plan", async () => {
    const digestWith = async (verify: string) => {
      const fake = new FakePlatform();
      await applyTo(fake, await planAgainst(fake, BASE));
      return planDigest([await planAgainst(fake, `${BASE}${verify}`, "registry.example.com/app:2.0")]);
    };
    const none = await digestWith("");
    const health = await digestWith("      verify: [{ http: /health }]\n");
    expect(health).not.toBe(none);
    expect(await digestWith("      verify: [{ http: /health, expect: 204 }]\n")).not.toBe(health);
    expect(await digestWith("      verify: [{ http: /health }]\n")).toBe(health);
  });
});
