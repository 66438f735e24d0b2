import { describe, expect, it } from "vitest";
import { EXTENDED, FakePlatform } from "../test-support/fake-platform.js";
import { applyTo, planAgainst } from "../test-support/fake-workflow.js";
import { diffService } from "./diff.js";
import { fingerprintFor } from "./fingerprint.js";
import type { LiveNormalService, NormalService } from "./model.js";

const desired = (env: Record<string, string>): NormalService => ({
  description: "",
  labels: {},
  containers: [
    {
      name: "web",
      image: "app:1",
      units: 1,
      ports: [],
      env: Object.fromEntries(Object.entries(env).map(([k, value]) => [k, { value }])),
      storage: "",
      command: [],
      args: [],
      files: {},
    },
  ],
  domains: [],
});
const live = (env: Record<string, string>): LiveNormalService => {
  const [c] = desired(env).containers;
  return { containers: [c as NonNullable<typeof c>], domains: [] };
};

const fingerprint = fingerprintFor("test-token-secret");
const none = { held: new Set<string>(), fingerprint };

describe("env changes", () => {
  it("shows an ordinary value's before and after", () => {
    const d = diffService(desired({ MODE: "b" }), live({ MODE: "a" }), new Set(), none);
    expect(d.changes).toEqual([{ path: "containers.web.env.MODE", kind: "change", before: "a", after: "b" }]);
  });

  it("never shows a live value svc holds as a secret, whatever its name", () => {
    const d = diffService(desired({ MODE: "plain" }), live({ MODE: "held-secret" }), new Set(), {
      held: new Set(["held-secret"]),
      fingerprint,
    });
    expect(d.changes[0]).toMatchObject({ before: "(sensitive)", after: "plain" });
    expect(JSON.stringify(d)).not.toContain("held-secret");
  });

  it("never shows the old value of a variable whose name looks secret", () => {
    const d = diffService(desired({ API_KEY: "x" }), live({ API_KEY: "old-key" }), new Set(), none);
    expect(JSON.stringify(d)).not.toContain("old-key");
  });
});

describe("diff against a provider (the fake behind the client interface)", () => {
  it("compares only what the provider shows: units are unmanaged without deployment-info", async () => {
    const publicProvider = new FakePlatform([]);
    await applyTo(publicProvider, await planAgainst(publicProvider));
    const units = await planAgainst(publicProvider, "      units: 2\n");
    expect(units.action).toBe("noop");

    const extended = new FakePlatform(EXTENDED);
    await applyTo(extended, await planAgainst(extended));
    const shown = await planAgainst(extended, "      units: 2\n");
    expect(shown.action).toBe("redeploy");
    expect(shown.changes).toEqual([
      { path: "containers.web.units", kind: "change", before: 1, after: 2, forcesRedeploy: true },
    ]);
  });

  it("shows every field of a new service as an addition", async () => {
    const fake = new FakePlatform(EXTENDED);
    const service = await planAgainst(fake, "      env:\n        MODE: fast\n");
    expect(service.changes.map((c) => [c.path, c.kind, c.after])).toEqual([
      ["containers.web", "add", "registry.example.com/app:1.0"],
      ["containers.web.env.MODE", "add", "fast"],
      ["containers.web.units", "add", 1],
      ...service.changes
        .filter((c) => c.path.startsWith("metadata.labels"))
        .map((c) => [c.path, "add", c.after]),
    ]);
  });
});
