import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manifest, tempTree } from "../test-support/tmp.js";
import { discover, loadServices } from "./load.js";

/** A manifest of service `name` targeting local, up to its `containers:` key. */
const containersOf = (name: string) =>
  `apiVersion: svc/v1\nkind: Service\nmetadata: { name: ${name} }\nspec:\n  target: local\n  containers:\n`;

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

describe("YAML mistakes", () => {
  const head = "apiVersion: svc/v1\nkind: Service\nmetadata:\n  name: x\n";
  const problems = (text: string) =>
    load(tempTree({ "service.yaml": text })).diagnostics.map(
      (d) => `${d.line}:${d.column} ${d.message} | ${d.hint}`,
    );

  it("says what is wrong in plain words, once, at the line to fix and its first character", () => {
    expect(problems(`${head}   description: y\nspec:\n  target: local\n`)).toEqual([
      '5:4 `description` is indented more than `name` above it, so it cannot start a new key there | line up the keys of one map in one column (2 spaces, like name), or nest it under a key that ends with ":"',
    ]);
    expect(
      problems(
        `${head}spec:\n  target: local\n  containers:\n    - name: a\n      image: a:1\n     ports: [80]\n`,
      ),
    ).toEqual([
      "10:6 `ports` is indented 5 spaces, which lines up with no key above it | indent it like `image` on line 9 (6 spaces) to put it in the same map, or less to end that map",
    ]);
    expect(problems(`${head}spec:\n  target: "local\n  containers: []\n`)).toEqual([
      '6:3 a string opened with " on this line is never closed | close it with " on the same line (a string may span lines only when its continuation lines are indented deeper)',
    ]);
    expect(problems(`${head}spec:\n  target: local\n  containers: [{ name: a, image: a:1 }\n`)).toEqual([
      "7:3 a list opened with [ on this line is never closed | close it with ] on the same line (a list may span lines only when its continuation lines are indented deeper)",
    ]);
    expect(problems(`${head}spec:\n\ttarget: local\n`)).toEqual([
      "6:2 this line is indented with a tab | YAML indents with spaces only: replace the tab",
    ]);
  });
});

describe("merging -f files", () => {
  it("merges maps, removes keys set to null, and replaces other lists", () => {
    const root = tempTree({
      "service.yaml": `apiVersion: svc/v1
kind: Service
metadata:
  name: shop
  labels: { env: dev, team: web }
spec:
  target: local
  containers:
    - { name: web, image: "app:1.0", ports: [80, 81] }
  domains:
    - { name: shop.example.com, port: 80 }
`,
      "prod.yaml":
        "metadata:\n  labels: { env: prod }\nspec:\n  target: shop-prod\n  domains: null\n  containers:\n    - { name: web, ports: [8080] }\n",
    });
    const r = load(root, { files: ["service.yaml", "prod.yaml"] });
    expect(errors(r)).toEqual([]);
    const [svc] = r.services;
    expect(svc?.target).toBe("shop-prod");
    expect(svc?.labels).toEqual({ env: "prod", team: "web" });
    expect(svc?.domains).toEqual([]);
    expect(svc?.containers[0]?.ports.map((p) => p.container)).toEqual([8080]);
    expect(svc?.files).toEqual(["service.yaml", "prod.yaml"]);
  });

  it("merges containers and domains by name: one env var overridden without restating the container", () => {
    const root = tempTree({
      "service.yaml": `${containersOf("shop")}    - name: web
      image: web:1.0
      ports: [80]
      env: { LOG_LEVEL: info, MODE: a }
    - name: api
      image: api:1.0
      storage: /data
  domains:
    - { name: shop.example.com, port: 80 }
`,
      "prod.yaml": `spec:
  containers:
    - name: api
      env: { LOG_LEVEL: warn }
      storage: null
    - name: worker
      image: worker:1.0
  domains:
    - { name: shop.example.com, https: true }
    - { name: api.example.com, port: 80, https: true }
`,
    });
    const r = load(root, { files: ["service.yaml", "prod.yaml"] });
    expect(errors(r)).toEqual([]);
    const [svc] = r.services;
    const byName = Object.fromEntries((svc?.containers ?? []).map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(["api", "web", "worker"]);
    expect(byName.web?.env).toEqual(expect.objectContaining({ LOG_LEVEL: expect.anything() }));
    expect(byName.web?.image).toBe("web:1.0");
    expect(byName.api).toMatchObject({ image: "api:1.0" });
    expect(byName.api?.storage).toBeUndefined();
    expect(JSON.stringify(byName.api?.env)).toContain("warn");
    expect(svc?.domains.map((d) => `${d.name}:${d.port}:${d.https}`).sort()).toEqual([
      "api.example.com:80:true",
      "shop.example.com:80:true",
    ]);
  });

  it("locates a problem in the file that wrote it, also inside a container merged by name", () => {
    const root = tempTree({
      "service.yaml": manifest("m", '      env: { A: "1" }\n', "    - name: api\n      image: api:1.0\n"),
      "override.yaml":
        "spec:\n  containers:\n    - name: api\n      units: 3\n    - name: web\n      imgae: app:2.0\n",
    });
    const r = load(root, { files: ["service.yaml", "override.yaml"] });
    expect(errors(r).map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`)).toEqual([
      "override.yaml:4:14 must be one of 1, 2, 4, 8, 16",
      'override.yaml:6:7 unknown field "imgae"',
    ]);
    // A problem in what the base wrote is still found there.
    const base = tempTree({
      "service.yaml": manifest("m", "      units: 3\n"),
      "override.yaml": "spec:\n  containers:\n    - name: web\n      image: app:2.0\n",
    });
    expect(
      errors(load(base, { files: ["service.yaml", "override.yaml"] })).map(
        (d) => `${d.file}:${d.line}:${d.column}`,
      ),
    ).toEqual(["service.yaml:10:14"]);
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

  it("finds every service.yaml below the current directory with no argument, and says how to start when there is none", () => {
    expect(load(tempTree({ "service.yaml": manifest("here") })).services[0]?.name).toBe("here");
    const tree = tempTree({ "shop/service.yaml": manifest("shop"), "api/v2/service.yaml": manifest("api") });
    expect(load(tree).services.map((s) => s.name)).toEqual(["api", "shop"]);
    const empty = tempTree({});
    const none = load(empty);
    expect(none.diagnostics[0]?.message).toBe(`no service.yaml found under ${empty}`);
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

describe("YAML merge keys", () => {
  it("applies <<: *anchor as compose does: written keys win, the first merged map gives the rest", () => {
    const root = tempTree({
      "service.yaml": `${containersOf("merged")}    - &base
      name: web
      image: app:1.0
      env: &env { A: "1", B: "2" }
    - <<: *base
      name: worker
      image: worker:1.0
      env:
        <<: [*env, { C: "3" }]
        B: "20"
`,
    });
    const r = load(root);
    expect(errors(r)).toEqual([]);
    const [web, worker] = r.services[0]?.containers ?? [];
    expect(web?.env).toEqual({ A: { value: "1" }, B: { value: "2" } });
    expect(worker?.env).toEqual({ A: { value: "1" }, B: { value: "20" }, C: { value: "3" } });
  });

  it("refuses to merge something that is not a map, at its line", () => {
    const root = tempTree({
      "service.yaml": `${containersOf("m")}    - name: web\n      <<: just-a-string\n      image: app:1.0\n`,
    });
    const [problem] = errors(load(root));
    expect(problem).toMatchObject({ line: 7, message: "<< merges a map (or a list of maps) into this one" });
  });
});
