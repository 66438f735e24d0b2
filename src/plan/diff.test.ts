import { describe, expect, it } from "vitest";
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
