import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceInputs } from "./inputs.js";
import { loadServices } from "./load.js";

describe("a service's inputs", () => {
  it("are its manifests, config file sources and build contexts, relative to the directory asked from", () => {
    const repo = mkdtempSync(join(tmpdir(), "svc-inputs-"));
    mkdirSync(join(repo, ".git"));
    mkdirSync(join(repo, "deploy", "web"), { recursive: true });
    mkdirSync(join(repo, "app", "conf"), { recursive: true });
    writeFileSync(join(repo, "app", "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(repo, "app", "conf", "nginx.conf"), "events {}\n");
    writeFileSync(
      join(repo, "deploy", "web", "service.yaml"),
      [
        "apiVersion: svc/v1",
        "kind: Service",
        "metadata: { name: web }",
        "spec:",
        "  target: web",
        "  containers:",
        "    - name: web",
        "      image: registry.example.com/team/web",
        "      build: { context: ../../app }",
        "      files: [{ source: ../../app/conf/nginx.conf, target: /etc/nginx/nginx.conf }]",
        "",
      ].join("\n"),
    );
    const loaded = loadServices({ paths: [repo], vars: {} });
    expect(loaded.diagnostics.map((d) => d.message)).toEqual([]);
    const [spec] = loaded.services;
    if (!spec) throw new Error("no service");
    expect(serviceInputs(spec, repo)).toEqual(["app", "app/conf/nginx.conf", "deploy/web/service.yaml"]);
    expect(serviceInputs(spec, join(repo, "app"))).toEqual([
      ".",
      join(repo, "deploy/web/service.yaml"),
      "conf/nginx.conf",
    ]);
  });
});
