import { describe, expect, it } from "vitest";
import { manifest, tempTree } from "../test-support/tmp.js";
import { loadServices } from "./load.js";

/** Loads one manifest made of the base plus extra container / spec YAML; returns its problems. */
function problems(containerExtra: string, specExtra = "", files: Record<string, string> = {}) {
  const root = tempTree({ "service.yaml": manifest("s", containerExtra, specExtra), ...files });
  const r = loadServices({ cwd: root, vars: {} });
  return {
    errors: r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message),
    warnings: r.diagnostics.filter((d) => d.severity === "warning").map((d) => d.message),
    services: r.services,
  };
}

const second = (extra: string) => `    - name: api\n${extra}`;

describe("semantic rules, each both ways", () => {
  it("container names are unique", () => {
    expect(problems("", `${second("      image: api:1.0\n")}`).errors).toEqual([]);
    expect(problems("", `    - name: web\n      image: api:1.0\n`).errors).toEqual([
      'container name "web" is also used by containers[0]',
    ]);
  });

  it("images are unique", () => {
    expect(problems("", second("      image: app:1.0\n")).errors).toEqual([
      'image "app:1.0" is also used by container "web"',
    ]);
    expect(problems("", second("      image: app:2.0\n")).errors).toEqual([]);
  });

  it("container ports are unique across containers per protocol", () => {
    expect(
      problems("      ports: [80]\n", second("      image: api:1.0\n      ports: [80]\n")).errors,
    ).toEqual(['container port 80/tcp is already used by container "web"']);
    expect(
      problems("      ports: [80]\n", second("      image: api:1.0\n      ports: [80/udp, 81]\n")).errors,
    ).toEqual([]);
  });

  it("env names: letters, digits, - . _, not starting with a digit", () => {
    expect(problems('      env: { a.b-c_D9: "x", _X: "y", .dot: "z" }\n').errors).toEqual([]);
    expect(problems('      env: { 1X: "x" }\n').errors[0]).toMatch(/^invalid name "1X"/);
    expect(problems('      env: { "A B": "x" }\n').errors[0]).toMatch(/^invalid name "A B"/);
  });

  it("env values are non-empty strings or secret references", () => {
    expect(problems('      env: { A: "x", B: { secret: db-pass } }\n').errors).toEqual([]);
    expect(problems('      env: { A: "" }\n').errors).toEqual([
      "must not be empty; remove the variable or give it a value",
    ]);
    expect(problems("      env: { A: 5 }\n").errors[0]).toMatch(/^must be a string/);
    expect(problems("      env: { A: { secrte: x } }\n").errors).toEqual(['unknown field "secrte"']);
  });

  it("ports are 1-65535 in both forms", () => {
    expect(problems('      ports: [1, 65535, "65535:2"]\n').errors).toEqual([]);
    expect(problems("      ports: [0]\n").errors).toEqual(["must be a port from 1 to 65535"]);
    expect(problems('      ports: ["80:65536"]\n').errors).toEqual(["container port 65536 is out of range"]);
    expect(problems("      ports: [{ container: 80, host: 70000 }]\n").errors).toEqual([
      "must be a port from 1 to 65535",
    ]);
  });

  it("protocol is tcp or udp, any case", () => {
    expect(problems('      ports: [{ container: 80, protocol: UDP }, "81/Tcp"]\n').errors).toEqual([]);
    expect(problems("      ports: [{ container: 80, protocol: sctp }]\n").errors).toEqual([
      "must be tcp or udp",
    ]);
    expect(problems('      ports: ["80/sctp"]\n').errors[0]).toMatch(/^must be a port like/);
  });

  it("a readiness check names a tcp port the container publishes", () => {
    const ready = (extra: string) => problems(`      ports: [8080, "9000/udp"]\n${extra}`);
    expect(ready("      ready: none\n").errors).toEqual([]);
    expect(ready("      ready: { http: /healthz }\n").services[0]?.containers[0]?.ready).toEqual({
      http: "/healthz",
      port: 8080,
    });
    expect(
      ready("      ready: { http: /healthz, failAfter: 5 }\n").services[0]?.containers[0]?.ready,
    ).toEqual({
      http: "/healthz",
      port: 8080,
      failAfter: 5,
    });
    expect(ready("      ready: { http: /healthz, failAfter: 0 }\n").errors).toEqual([
      "must be none, { http: /path } (with an optional port and failAfter) or { tcp: PORT }",
      "must be whole seconds from 1 to 3600, like failAfter: 30",
    ]);
    expect(ready("      ready: { tcp: 8080 }\n").errors).toEqual([]);
    expect(ready("      ready: { tcp: 9000 }\n").errors).toEqual([
      "readiness checks port 9000, which this container does not publish over tcp",
    ]);
    expect(ready("      ready: { http: /x, port: 81 }\n").errors).toEqual([
      "readiness checks port 81, which this container does not publish over tcp",
    ]);
    expect(problems("      ready: { http: /healthz }\n").errors).toEqual([
      "an http readiness check needs a tcp port, and this container publishes none",
    ]);
    expect(ready("      ready: { http: healthz }\n").errors).toEqual([
      'readiness path "healthz" must start with /, like /healthz',
    ]);
    expect(ready("      ready: sometimes\n").errors).toEqual([
      "must be none, { http: /path } (with an optional port and failAfter) or { tcp: PORT }",
    ]);
  });

  it("storage and file targets are absolute paths", () => {
    expect(problems("      storage: /data\n").errors).toEqual([]);
    expect(problems("      storage: data\n").errors).toEqual([
      "must be an absolute path, like /var/lib/data",
    ]);
    const files = { "a.conf": "x" };
    expect(problems("      files: [{ source: a.conf, target: /etc/a.conf }]\n", "", files).errors).toEqual(
      [],
    );
    expect(problems("      files: [{ source: a.conf, target: etc/a.conf }]\n", "", files).errors).toEqual([
      "must be an absolute file path, like /etc/app/config.yaml",
    ]);
  });

  it("file sources exist and are files; a target is mounted once", () => {
    const files = { "a.conf": "x", "dir/.keep": "" };
    expect(problems("      files: [{ source: ./dir, target: /etc/a }]\n", "", files).errors).toEqual([
      '"./dir" is not a regular file',
    ]);
    expect(
      problems(
        "      files: [{ source: a.conf, target: /etc/a }, { source: a.conf, target: /etc/a }]\n",
        "",
        files,
      ).errors,
    ).toEqual(['target "/etc/a" is mounted twice in this container']);
  });

  it("at most one entry per domain, routed to a tcp container port", () => {
    const ok =
      "  domains:\n    - { name: a.example.com, port: 80 }\n    - { name: b.example.com, port: 80 }\n";
    expect(problems("      ports: [80]\n", ok).errors).toEqual([]);
    const dup =
      "  domains:\n    - { name: a.example.com, port: 80 }\n    - { name: a.EXAMPLE.com, port: 80 }\n";
    expect(problems("      ports: [80]\n", dup).errors).toEqual([
      'domain "a.example.com" is listed twice (also domains[0])',
    ]);
    const wrongPort = "  domains:\n    - { name: a.example.com, port: 81 }\n";
    expect(problems("      ports: [80]\n", wrongPort).errors).toEqual([
      'domain "a.example.com" routes to port 81, which no container exposes over tcp',
    ]);
    expect(problems("      ports: [80]\n", "  domains:\n    - { name: nodot, port: 80 }\n").errors).toEqual([
      "must be a domain name like shop.example.com",
    ]);
  });

  it("domains under one base domain agree on https", () => {
    const mixed =
      "  domains:\n    - { name: a.example.com, port: 80, https: true }\n    - { name: b.example.com, port: 80 }\n";
    expect(problems("      ports: [80]\n", mixed).errors[0]).toMatch(
      /^domains under example.com must all use/,
    );
    const separate =
      "  domains:\n    - { name: a.example.com, port: 80, https: true }\n    - { name: b.example.org, port: 80 }\n";
    expect(problems("      ports: [80]\n", separate).errors).toEqual([]);
  });

  it("warns (without failing) on a latest or missing tag, not on a pinned one", () => {
    expect(problems("").warnings).toEqual([]);
    const latest = problems("", second("      image: api:latest\n"));
    expect(latest.errors).toEqual([]);
    expect(latest.warnings).toEqual(['image "api:latest" uses the tag "latest": updates may not roll out']);
    expect(problems("", second("      image: registry:5000/api\n")).warnings).toEqual([
      'image "registry:5000/api" has no tag: updates may not roll out',
    ]);
    expect(problems("", second("      image: api@sha256:abc\n")).warnings).toEqual([]);
  });

  it("units are 1, 2, 4, 8 or 16 and default to 1", () => {
    expect(problems("").services[0]?.containers[0]?.units).toBe(1);
    expect(problems("      units: 16\n").errors).toEqual([]);
    expect(problems("      units: 3\n").errors).toEqual(["must be one of 1, 2, 4, 8, 16"]);
  });

  it("container names are DNS labels", () => {
    expect(problems("", second("      image: b:1\n").replace("api", "a-1")).errors).toEqual([]);
    expect(problems("", second("      image: b:1\n").replace("api", "-api")).errors[0]).toMatch(
      /^must be a DNS label/,
    );
  });

  it("rejects unknown keys everywhere with a suggestion", () => {
    const r = problems("      comand: [x]\n", "  domain:\n    - { name: a.example.com, port: 80 }\n");
    expect(r.errors).toEqual(['unknown field "comand"', 'unknown field "domain"']);
  });
});
