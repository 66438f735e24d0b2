import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manifest, tempTree } from "../test-support/tmp.js";
import { discover, loadServices } from "./load.js";

const repo = new URL("../..", import.meta.url).pathname;
const load = (
  root: string,
  opts: { files?: string[]; paths?: string[]; vars?: Record<string, string> } = {},
) => loadServices({ cwd: root, vars: opts.vars ?? {}, ...opts });
const errors = (r: ReturnType<typeof load>) => r.diagnostics.filter((d) => d.severity === "error");

describe("loadServices on the examples", () => {
  it("normalizes examples/shop into the desired model", () => {
    const r = loadServices({ cwd: repo, paths: ["examples/shop"], vars: {} });
    expect(errors(r)).toEqual([]);
    const [shop] = r.services;
    expect(shop?.name).toBe("shop");
    expect(shop?.labels).toEqual({ env: "dev", team: "web" });
    const [web, api] = shop?.containers ?? [];
    expect(web?.image).toBe("svc-examples/shop-web:1.0");
    expect(web?.ports).toEqual([{ container: 80, protocol: "tcp" }]);
    expect(web?.files[0]?.target).toBe("/etc/httpd.conf");
    expect(web?.files[0]?.content).toContain("A:*");
    expect(api?.units).toBe(2);
    expect(Object.keys(api?.env ?? {})).toEqual(["DATA_DIR", "DB_PASSWORD"]);
    expect(api?.env.DB_PASSWORD).toEqual({ secret: "shop-db-password" });
    expect(shop?.domains.map((d) => d.name)).toEqual(["api.example.test", "shop.example.test"]);
  });

  it("takes the image tag from the environment when set", () => {
    const r = loadServices({ cwd: repo, paths: ["examples/shop"], vars: { SHOP_VERSION: "2.0" } });
    expect(r.services[0]?.containers[0]?.image).toBe("svc-examples/shop-web:2.0");
  });
});

describe("ports", () => {
  it("parses the short and long forms, case-insensitive protocol, sorted", () => {
    const root = tempTree({
      "service.yaml": manifest(
        "p",
        `      ports: ["9000/UDP", "8080:80", 53, { container: 443, host: 8443, protocol: TCP }, "53/udp"]\n`,
      ),
    });
    const r = load(root);
    expect(errors(r)).toEqual([]);
    expect(r.services[0]?.containers[0]?.ports).toEqual([
      { container: 53, protocol: "tcp" },
      { container: 53, protocol: "udp" },
      { container: 80, host: 8080, protocol: "tcp" },
      { container: 443, host: 8443, protocol: "tcp" },
      { container: 9000, protocol: "udp" },
    ]);
  });

  it("rejects a host port used twice", () => {
    const root = tempTree({ "service.yaml": manifest("p", `      ports: ["8080:80", "8080:81"]\n`) });
    expect(errors(load(root)).map((d) => d.message)).toEqual([
      'host port 8080/tcp is already used by container "web"',
    ]);
  });
});

describe("interpolation in manifests", () => {
  it("types an unquoted interpolated scalar as YAML would", () => {
    const root = tempTree({ "service.yaml": manifest("i", "      units: ${UNITS:-2}\n") });
    expect(load(root).services[0]?.containers[0]?.units).toBe(2);
  });

  it("keeps a quoted interpolated scalar a string", () => {
    const root = tempTree({ "service.yaml": manifest("i", '      units: "${UNITS:-2}"\n') });
    expect(errors(load(root))[0]?.message).toBe("must be one of 1, 2, 4, 8, 16");
  });

  it("reads --var values over the environment", () => {
    const root = tempTree({ "service.yaml": manifest("i").replace("app:1.0", "app:${TAG}") });
    expect(load(root, { vars: { TAG: "9.9" } }).services[0]?.containers[0]?.image).toBe("app:9.9");
  });

  it("reports every unset variable, not just the first, and still checks the rest", () => {
    const root = tempTree({
      "service.yaml": manifest("i", "      command: [$A, $B]\n      imgae: x\n"),
    });
    const messages = errors(load(root)).map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(messages).toEqual([
      "10:17 variable A is not set",
      "10:21 variable B is not set",
      '11:7 unknown field "imgae"',
    ]);
  });
});

describe("merging -f files", () => {
  it("merges maps, replaces lists, and removes keys set to null", () => {
    const root = tempTree({
      "service.yaml": `apiVersion: svc/v1
kind: Service
metadata:
  name: shop
  labels: { env: dev, team: web }
spec:
  target: local
  containers:
    - { name: web, image: "app:1.0", ports: [80] }
  domains:
    - { name: shop.example.com, port: 80 }
`,
      "prod.yaml": "metadata:\n  labels: { env: prod }\nspec:\n  target: shop-prod\n  domains: null\n",
    });
    const r = load(root, { files: ["service.yaml", "prod.yaml"] });
    expect(errors(r)).toEqual([]);
    const [svc] = r.services;
    expect(svc?.target).toBe("shop-prod");
    expect(svc?.labels).toEqual({ env: "prod", team: "web" });
    expect(svc?.domains).toEqual([]);
    expect(svc?.files).toEqual(["service.yaml", "prod.yaml"]);
  });

  it("replaces lists whole and locates errors in the file that wrote them", () => {
    const root = tempTree({
      "service.yaml": manifest("m", '      env: { A: "1" }\n'),
      "override.yaml": "spec:\n  containers:\n    - name: web\n      imgae: app:2.0\n",
    });
    const r = load(root, { files: ["service.yaml", "override.yaml"] });
    expect(errors(r).map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`)).toEqual([
      'override.yaml:4:7 unknown field "imgae"',
    ]);
  });

  it("resolves a file source against the manifest that names it", () => {
    const root = tempTree({
      "base/service.yaml": manifest("m"),
      "env/prod.yaml":
        "spec:\n  containers:\n    - name: web\n      image: app:2\n      files: [{ source: ./p.conf, target: /etc/p.conf }]\n",
      "env/p.conf": "prod=1\n",
    });
    const r = load(root, { files: ["base/service.yaml", "env/prod.yaml"] });
    expect(errors(r)).toEqual([]);
    expect(r.services[0]?.containers[0]?.files[0]).toMatchObject({
      source: join(root, "env/p.conf"),
      content: "prod=1\n",
    });
  });
});

describe("discovery", () => {
  it("finds every service.yaml below a directory in a stable order, skipping node_modules", () => {
    const root = tempTree({
      "b/service.yaml": manifest("b"),
      "a/deep/service.yaml": manifest("a"),
      "node_modules/x/service.yaml": manifest("x"),
      "c/other.yaml": manifest("c"),
    });
    expect(discover(root).map((f) => f.slice(root.length + 1))).toEqual([
      "a/deep/service.yaml",
      "b/service.yaml",
    ]);
    const r = load(root, { paths: ["."] });
    expect(r.services.map((s) => s.name)).toEqual(["a", "b"]);
  });

  it("uses ./service.yaml with no argument, and says how to start when there is none", () => {
    expect(load(tempTree({ "service.yaml": manifest("here") })).services[0]?.name).toBe("here");
    const none = load(tempTree({}));
    expect(none.diagnostics[0]?.message).toMatch(/^no service.yaml in /);
    expect(none.diagnostics[0]?.hint).toContain("svc init");
  });

  it("reports a directory with no manifest and a path that does not exist", () => {
    const root = tempTree({ "empty/.keep": "" });
    expect(errors(load(root, { paths: ["empty", "nope"] })).map((d) => d.message)).toEqual([
      "no service.yaml found under empty",
      "nope does not exist",
    ]);
  });

  it("rejects two services with the same name, at the second one's name", () => {
    const root = tempTree({ "a/service.yaml": manifest("same"), "b/service.yaml": manifest("same") });
    const [d] = errors(load(root, { paths: ["."] }));
    expect(d).toMatchObject({ file: "b/service.yaml", line: 4, column: 9, path: "metadata.name" });
    expect(d?.message).toBe('service name "same" is also used by a/service.yaml');
  });
});
