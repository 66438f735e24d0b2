import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { refuseProtoKeys } from "../src/local/server/api.js";
import { checkPaths } from "../src/local/server/deployment-rules.js";
import { PlatformError } from "../src/local/server/platform-error.js";
import { loadServices } from "../src/manifest/load.js";
import { KEY_RULE, PATH_RULES } from "../src/platform/rules.js";

/**
 * One table of the provider's rules (src/platform/rules.ts), walked: for every rule, the local
 * platform refuses its example and `svc validate` refuses the same value in a manifest, so a
 * manifest that validates is never refused at apply for one of them.
 */
function validate(container: string, metadata = ""): string[] {
  const dir = mkdtempSync(join(tmpdir(), "svc-rules-"));
  writeFileSync(join(dir, "app.conf"), "x\n");
  writeFileSync(
    join(dir, "service.yaml"),
    `apiVersion: svc/v1
kind: Service
metadata:
  name: rules
${metadata}spec:
  target: local
  containers:
    - image: svc-examples/hello:1.0
${container}`,
  );
  return loadServices({ cwd: dir, paths: [dir], vars: {} })
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.message);
}

const platformRefuses = (action: () => void): string => {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    if (error instanceof PlatformError) expect(error.status).toBe(400);
    return (error as Error).message;
  }
  throw new Error("the platform accepted it");
};

describe("the provider's rules, one table for the platform and svc validate", () => {
  it.each(PATH_RULES.map((r) => [r.problem, r.example]))("paths: %s (%s)", (_, example) => {
    expect(
      platformRefuses(() => checkPaths({ name: "web", imageName: "x:1", mountPath: example })),
    ).toContain(JSON.stringify(example));
    expect(
      platformRefuses(() => checkPaths({ name: "web", imageName: "x:1", configMap: { [example]: "x" } })),
    ).toContain(JSON.stringify(example));
    const yaml = JSON.stringify(example);
    expect(validate(`      name: web\n      storage: ${yaml}\n`).join("\n")).toMatch(
      /storage|must be an absolute path/,
    );
    expect(
      validate(`      name: web\n      files: [{ source: ./app.conf, target: ${yaml} }]\n`).join("\n"),
    ).toMatch(/target|must be an absolute file path/);
  });

  it.each(["__proto__", "constructor", "prototype"])(
    "names: %s in a container name, an env name or a label key",
    (key) => {
      expect(KEY_RULE.breaks(key)).toBe(true);
      const body = `{"containers":[{"name":"web","envs":[],"x":{"${key}":1}}]}`;
      expect(platformRefuses(() => JSON.parse(body, refuseProtoKeys))).toContain(`"${key}"`);
      const refused = `"${key}" ${KEY_RULE.problem}`;
      // "__proto__" is refused wherever it is a key, before it could replace a map's prototype.
      const what = (w: string) => (key === "__proto__" ? refused : `${w} ${refused}`);
      expect(validate(`      name: web\n      env: { ${key}: "1" }\n`)).toContain(what("env name"));
      expect(validate("      name: web\n", `  labels: { ${key}: x }\n`)).toContain(what("label key"));
      if (/^[a-z]+$/.test(key))
        expect(validate(`      name: ${key}\n`)).toContain(`container name ${refused}`);
    },
  );

  it("what the table allows, both allow", () => {
    expect(() => checkPaths({ name: "web", imageName: "x:1", mountPath: "/var/lib/app" })).not.toThrow();
    expect(JSON.parse('{"envs":[{"name":"PROTOTYPE_URL"}]}', refuseProtoKeys)).toBeTruthy();
    expect(
      validate("      name: web\n      storage: /var/lib/app\n      env: { PROTOTYPE_URL: x }\n"),
    ).toEqual([]);
  });
});
