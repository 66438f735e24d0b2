import { describe, expect, it } from "vitest";
import {
  ConcurrentChange,
  ExitCode,
  OutcomeUnknown,
  PlatformHttpError,
  PlatformUnreachable,
} from "../errors.js";
import { fingerprintOf } from "../plan/build.js";
import { fingerprintFor } from "../plan/fingerprint.js";
import type { ObservedState, UserService } from "../platform/model.js";
import { Guard, type Mutation } from "./guard.js";

const service = (revision?: number): UserService => ({
  id: "s",
  status: "ServiceRunning",
  serviceOptions: { resourceUnit: "1-Unit-Resource" },
  ...(revision !== undefined ? { revision } : {}),
});
const state = (domains: string[], revision?: number): ObservedState => ({
  service: service(revision),
  containers: [{ name: "web", imageName: "hello:1", envs: [] }],
  domains: domains.map((domain) => ({ domain, containerPort: 80, isHttps: false })),
});

/**
 * A provider whose state is a list of domains; `send` plays the call's fate. With `lagMs`, a
 * change shows in reads only that long after it was made (eventual consistency).
 */
function provider(initial: ObservedState, lagMs = 0) {
  let current = initial;
  let shown = initial;
  let showAt = 0;
  const read = () => (Date.now() >= showAt ? current : shown);
  const client = {
    observe: async () => read(),
    userService: async () => current.service,
  };
  const set = (s: ObservedState) => {
    shown = read();
    current = s;
    showAt = Date.now() + lagMs;
  };
  return { client, set, get: () => current };
}

/** Short, so a test that waits it out is quick; longer than any lag below. */
const SETTLE = 1500;

const lost = () => new PlatformUnreachable("http://p", "ECONNRESET");
const bindB = (
  p: ReturnType<typeof provider>,
  fates: ("ok" | "land-then-lose" | "lose" | "other-change")[],
) => {
  let sends = 0;
  const mutation: Mutation = {
    name: "bind-domain b",
    send: async () => {
      const fate = fates[sends++] ?? "ok";
      if (fate === "ok" || fate === "land-then-lose") p.set(state(["a", "b"]));
      if (fate === "other-change") p.set(state(["a", "c"]));
      if (fate !== "ok") throw lost();
      return {};
    },
    landed: (s) => s.domains.some((d) => d.domain === "b"),
  };
  return { mutation, sends: () => sends };
};

const fingerprint = fingerprintFor("test-token-secret");

describe("compare-then-write (no revision)", () => {
  const start = state(["a"]);
  const guard = (p: ReturnType<typeof provider>, notes: string[] = []) =>
    new Guard(p.client, false, fingerprintOf(start, fingerprint), fingerprint, (n) => notes.push(n), SETTLE);

  it("a lost answer whose change shows in the live state is not sent again", async () => {
    const p = provider(start);
    const { mutation, sends } = bindB(p, ["land-then-lose"]);
    await guard(p).run(mutation);
    expect(sends()).toBe(1);
  });

  it("a lost answer that changed nothing is sent once more", async () => {
    const p = provider(start);
    const { mutation, sends } = bindB(p, ["lose", "ok"]);
    await guard(p).run(mutation);
    expect(sends()).toBe(2);
    expect(p.get().domains.map((d) => d.domain)).toEqual(["a", "b"]);
  });

  it("twice lost with nothing changed: a plain failure, not sent a third time", async () => {
    const p = provider(start);
    const { mutation, sends } = bindB(p, ["lose", "lose", "ok"]);
    await expect(guard(p).run(mutation)).rejects.toBeInstanceOf(PlatformUnreachable);
    expect(sends()).toBe(2);
  });

  it("a lost answer after which the state changed otherwise: outcome unknown, exit 6", async () => {
    const p = provider(start);
    const { mutation, sends } = bindB(p, ["other-change"]);
    const error = await guard(p)
      .run(mutation)
      .catch((e) => e);
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect(error.exitCode).toBe(ExitCode.outcomeUnknown);
    expect(error.message).toContain("run `svc plan`");
    expect(sends()).toBe(1);
  });

  it("a lost answer of a call no state can show: outcome unknown, never re-sent", async () => {
    const p = provider(start);
    let sends = 0;
    const restart: Mutation = {
      name: "restart",
      send: async () => {
        sends++;
        throw new PlatformHttpError(502, 502, "bad gateway");
      },
    };
    await expect(guard(p).run(restart)).rejects.toBeInstanceOf(OutcomeUnknown);
    expect(sends).toBe(1);
  });

  it("a live state other than the one expected stops before anything is sent", async () => {
    const p = provider(state(["a", "z"]));
    const { mutation, sends } = bindB(p, ["ok"]);
    await expect(guard(p).run(mutation)).rejects.toBeInstanceOf(ConcurrentChange);
    expect(sends()).toBe(0);
  });

  it("a refusal (4xx) is not a lost answer: no re-observation decides it, it fails", async () => {
    const p = provider(start);
    const refused: Mutation = {
      name: "bind",
      send: async () => {
        throw new PlatformHttpError(400, 400, "no such port");
      },
      landed: () => true,
    };
    await expect(guard(p).run(refused)).rejects.toBeInstanceOf(PlatformHttpError);
  });

  it("a lost answer whose change shows late is not sent again: nothing changed is decided only after the settle time", async () => {
    const p = provider(start, 600);
    const { mutation, sends } = bindB(p, ["land-then-lose"]);
    const notes: string[] = [];
    await guard(p, notes).run(mutation);
    expect(sends()).toBe(1);
    expect(notes).toEqual(["waiting up to 1.5 s for the platform to show bind-domain b"]);
  });

  it("a lost answer that changed nothing is sent again only after the settle time", async () => {
    const p = provider(start, 600);
    const { mutation, sends } = bindB(p, ["lose", "ok"]);
    const started = Date.now();
    await guard(p).run(mutation);
    expect(sends()).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SETTLE);
  });

  it("a call whose change shows late: the next call expects the state it leads to, no concurrent change", async () => {
    const p = provider(start, 600);
    const g = guard(p);
    await g.run(bindB(p, ["ok"]).mutation);
    expect((await p.client.observe()).domains.map((d) => d.domain)).toEqual(["a", "b"]);
    const unbind: Mutation = {
      name: "unbind b",
      send: async () => {
        p.set(state(["a"]));
        return {};
      },
      landed: (s) => !s.domains.some((d) => d.domain === "b"),
    };
    await g.run(unbind);
  });

  it("a call the platform accepted that never shows: outcome unknown, after the settle time", async () => {
    const p = provider(start);
    const ghost: Mutation = { name: "bind-domain ghost", send: async () => ({}), landed: () => false };
    const error = await guard(p)
      .run(ghost)
      .catch((e) => e);
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect(error.message).toContain("the live state did not show it within 1.5 s");
  });

  it("after a call, the next one expects the state that call left", async () => {
    const p = provider(start);
    const g = guard(p);
    await g.run(bindB(p, ["ok"]).mutation);
    // Another writer between two calls is caught.
    p.set(state(["a", "b", "intruder"]));
    await expect(g.run(bindB(p, ["ok"]).mutation)).rejects.toBeInstanceOf(ConcurrentChange);
  });
});

describe("with the revision capability", () => {
  it("sends if-revision; after a lost answer, revision + 1 means it landed", async () => {
    const p = provider(state(["a"], 7));
    const seen: (number | undefined)[] = [];
    const g = new Guard(p.client, true, fingerprintOf(p.get(), fingerprint), fingerprint);
    await g.run({
      name: "bind",
      send: async (rev) => {
        seen.push(rev);
        p.set(state(["a", "b"], 8));
        throw lost();
      },
    });
    expect(seen).toEqual([7]);
    expect(g.currentRevision).toBe(8);
  });

  it("a revision that moved by more than this call is another writer", async () => {
    const p = provider(state(["a"], 7));
    const g = new Guard(p.client, true, fingerprintOf(p.get(), fingerprint), fingerprint);
    const run = g.run({
      name: "bind",
      send: async () => {
        p.set(state(["a", "b"], 9));
        throw lost();
      },
    });
    await expect(run).rejects.toBeInstanceOf(ConcurrentChange);
  });

  it("goes on only once the live state shows the change (the rollout then looks at the new pod)", async () => {
    const p = provider(state(["a"], 7), 600);
    const g = new Guard(p.client, true, fingerprintOf(p.get(), fingerprint), fingerprint, undefined, SETTLE);
    await g.run(bindB(p, ["ok"]).mutation);
    expect((await p.client.observe()).domains.map((d) => d.domain)).toEqual(["a", "b"]);
  });

  it("409 on if-revision is a concurrent change", async () => {
    const p = provider(state(["a"], 7));
    const g = new Guard(p.client, true, fingerprintOf(p.get(), fingerprint), fingerprint);
    const run = g.run({
      name: "bind",
      send: async () => {
        throw new PlatformHttpError(409, 409, "revision is 8, not 7");
      },
    });
    await expect(run).rejects.toBeInstanceOf(ConcurrentChange);
  });
});
