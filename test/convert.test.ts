import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, svc } from "./support/cli.js";
import { silentLosses } from "./support/convert-loss.js";
import { expectMatchesSchema } from "./support/schemas.js";

/** Each fixture: the source file, what must be reported as not converted, and the tokens it holds. */
const cases: [dir: string, file: string, dropped: string[], token?: string, env?: Record<string, string>][] =
  [
    // imageRegistry names a registry (docker, ghcr), never a namespace: nginx:1.27 stays nginx:1.27.
    ["vkube-web", "VKubefile.yaml", [], "3yZe7d9V1kQmPq8sWxRt2uYbNcL5hG4fJ6aD"],
    // configurations map a local file to its mount path; path/rewrite routes are reported.
    [
      "vkube-full",
      "VKubefile.yaml",
      [
        "region",
        "containers[0].pullPolicy",
        "containers[0].deploy.replicas",
        "containers[0].deploy.env[1]",
        "containers[0].deploy.ports[0].path",
      ],
      "9QwErTyUiOpAsDfGhJkLzXcVbNm1234567",
      // imageName + tag live in the account vkube is configured with: asked for by name.
      { API_IMAGE: "ghcr.io/acme/shop-api:2.1.0" },
    ],
    ["compose-app", "docker-compose.yml", []],
    // Merge keys (<<: *anchor, and lists of them) applied as compose does; x- fields are anchors only.
    ["compose-anchors", "docker-compose.yml", []],
    // Interpolated ports kept, a loopback bind left out with its reason; pass-through env as ${VAR}.
    ["compose-ports-env", "docker-compose.yml", ["services.web.ports[1]", "services.web.environment[1]"]],
    // env_file inlined (secrets as references), sibling hosts → localhost, compose secrets as
    // sensitive files, a profile-only service and a home-directory mount left out with reasons.
    ["compose-project", "docker-compose.yml", ["services.debug", "services.web.volumes[0]"]],
    // 140 aliases (parsers' default limit is 100): read, within svc's own bounds.
    [
      "compose-many-aliases",
      "docker-compose.yml",
      Array.from({ length: 14 }, (_, i) => [
        `services.worker-${i}.logging`,
        `services.worker-${i}.labels`,
      ]).flat(),
    ],
    // Runnable offline: also applied on the local platform (test/convert-apply.test.ts).
    ["compose-offline", "docker-compose.yml", ["services.front.depends_on"]],
    // Sibling hosts in env values → localhost; in a mounted config file, listed; a database
    // password becomes a secret reference.
    [
      "compose-proxy-db",
      "docker-compose.yml",
      ["services.proxy.depends_on"],
      undefined,
      { DB_PASSWORD: "x" },
    ],
    // Services that build: build: kept, with its context relative to the written manifest.
    [
      "compose-build",
      "docker-compose.yml",
      ["services.web.build.cache_from"],
      undefined,
      { WORKER_IMAGE: "ghcr.io/acme/worker" },
    ],
    [
      "compose-unsupported",
      "docker-compose.yml",
      [
        "networks",
        "services.app.build",
        "services.app.restart",
        "services.app.depends_on",
        "services.app.env_file",
        "services.app.healthcheck",
        "services.app.volumes[0]",
        "services.app.volumes[2]",
        "services.app.ports[1]",
      ],
    ],
    [
      "compose-jobs-host",
      "docker-compose.yml",
      [
        "services.migrate",
        "services.seed",
        "services.app.depends_on",
        "services.app.volumes[0]",
        "services.app.volumes[1]",
        "services.app.volumes[2]",
        "services.postgres.volumes[1]",
        "services.app.env_file: SENTRY_DSN",
        "services.app.env_file line 5",
        "services.app.secrets[0]",
      ],
      undefined,
      { TZ: "Europe/Berlin" },
    ],
  ];

describe("svc convert", () => {
  it.each(cases)(
    "%s: expected manifest, every unsupported key listed, output valid",
    (dir, file, dropped, token, env = {}) => {
      const fixture = join(repoRoot, "test/fixtures/convert", dir);
      const out = join(mkdtempSync(join(tmpdir(), "svc-convert-")), "service.yaml");
      const r = svc(
        ["convert", join(fixture, file), "-o", out, "--target", "shop-prod", "--name", dir, "--json"],
        { env },
      );
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const result = JSON.parse(r.stdout);
      expectMatchesSchema("convert-result.schema.json", result);
      expect(result.valid).toBe(true);
      expect(result.dropped.map((d: { path: string }) => d.path).sort()).toEqual([...dropped].sort());
      for (const d of result.dropped) expect(d.reason.length).toBeGreaterThan(5);

      // Golden manifest, with file sources and build contexts made relative to where the fixture keeps them.
      const text = readFileSync(out, "utf8").replace(
        /(source|context|build): \S*test\/fixtures\/convert\/[^/]+\//g,
        "$1: ./",
      );
      const expectedFile = join(fixture, "expected.yaml");
      if (process.env.UPDATE_GOLDEN === "1" || !existsSync(expectedFile)) writeFileSync(expectedFile, text);
      expect(text).toBe(readFileSync(expectedFile, "utf8"));
      // The manifest is written to a temporary directory; its config files stay in the fixture.
      expect(svc(["validate", "-f", out, "--allow-outside"], { env }).status).toBe(0);

      // Nothing of a compose file is lost without a line in the report.
      if (result.format === "compose") {
        expect(silentLosses(join(fixture, file), result, [out])).toEqual([]);
        // The check can fail: without the report's list, what the report lists is lost.
        if (result.dropped.length > 0)
          expect(silentLosses(join(fixture, file), { dropped: [] }, [out]).length).toBeGreaterThan(0);
      }

      // A value whose name looks secret is never copied: a { secret: } reference and a note instead.
      expect(text + r.stdout + r.stderr).not.toContain("hunter2-compose-pass");
      if (dir === "compose-proxy-db") {
        expect(result.notes).toContain(
          "./nginx.conf line 4: proxy_pass http://api:8080; → proxy_pass http://localhost:8080; (the containers share localhost)",
        );
        // The rewritten copy is mounted instead, beside the manifest; the original is untouched.
        expect(text).toContain("source: ./nginx.localhost.conf");
        expect(readFileSync(join(out, "..", "nginx.localhost.conf"), "utf8")).toContain(
          "proxy_pass http://localhost:8080;",
        );
        expect(readFileSync(join(fixture, "nginx.conf"), "utf8")).toContain("proxy_pass http://api:8080;");
        expect(text).toContain("DATABASE_URL: postgres://app:${DB_PASSWORD}@localhost:5432/app");
      }
      if (dir === "compose-jobs-host") {
        const reasons = Object.fromEntries(
          result.dropped.map((d: { path: string; reason: string }) => [d.path, d.reason]),
        );
        expect(reasons["services.migrate"]).toMatch(/^a one-shot service .*: run its command once/);
        expect(reasons["services.seed"]).toBe(reasons["services.migrate"]);
        expect(reasons["services.app.volumes[0]"]).toContain("set TZ under environment instead");
        expect(reasons["services.postgres.volumes[1]"]).toContain("set TZ under environment instead");
        expect(reasons["services.app.volumes[1]"]).toContain("the platform gives containers no engine");
        expect(reasons["services.app.volumes[2]"]).toContain("copy the file into the repository");
        expect(reasons["services.app.secrets[0]"]).toContain(
          "./api_key.txt is not in this checkout (kept out of git, as secrets should be)",
        );
        expect(reasons["services.app.secrets[0]"]).toContain(
          "`svc secret set compose-jobs-host-api-key < ./api_key.txt`",
        );
        expect(text).toContain("REDIS_URL: redis://localhost:6379/0");
        expect(text).toContain("DATABASE_URL: postgres://app@localhost:5432/app");
        expect(text).toContain("TZ: ${TZ}");
        expect(text).not.toContain("migrate");
        expect(result.notes.join("\n")).toContain("app.env passes TZ through from the environment");
      }
      if (dir === "compose-app") {
        expect(text).toContain("secret: compose-app-api-db_password".replace("_", "-"));
        expect(result.notes.join("\n")).toContain("svc secret set compose-app-api-db-password");
      }

      if (token) {
        expect(text).not.toContain(token);
        expect(r.stdout + r.stderr).not.toContain(token);
        expect(result.notes[0]).toContain("svc login shop-prod");
      }
    },
  );

  it("refuses a file that is neither format", () => {
    const file = join(mkdtempSync(join(tmpdir(), "svc-convert-")), "x.yaml");
    writeFileSync(file, "hello: world\n");
    const r = svc(["convert", file]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(
      "x.yaml:1:1  neither a VKubefile (Kind: vkube) nor a compose file (services:)",
    );
  });

  it("writes into a directory it creates, never over a file without --force", () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-convert-out-"));
    const out = join(dir, "deploy", "shop", "service.yaml");
    const compose = join(repoRoot, "test/fixtures/convert/compose-anchors/docker-compose.yml");
    const first = svc(["convert", compose, "-o", out]);
    expect(first.stderr).toContain("✔ wrote");
    expect(first.status).toBe(0);
    const report = readFileSync(join(dir, "deploy", "shop", "service.convert.md"), "utf8");
    expect(report).toContain("# svc convert:");
    expect(report).toContain("The manifest validates.");
    expect(report).toContain("## Not converted (0)\n\nEverything was carried over.");
    writeFileSync(out, "mine\n");
    const again = svc(["convert", compose, "-o", out]);
    expect(again.status).toBe(3);
    expect(again.stderr).toContain("already exists");
    expect(again.stderr).toContain("--force");
    expect(readFileSync(out, "utf8")).toBe("mine\n");
    expect(svc(["convert", compose, "-o", out, "--force"]).status).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("name: api");
  });

  it("checks the result with this environment's variables, and says why it is invalid without -o too", () => {
    const file = join(mkdtempSync(join(tmpdir(), "svc-convert-")), "docker-compose.yml");
    writeFileSync(file, 'services:\n  web:\n    image: "ghcr.io/acme/web:${WEB_TAG}"\n');
    const set = svc(["convert", file], { env: { WEB_TAG: "1.2" } });
    expect(set.status).toBe(0);
    expect(set.stdout).toContain("image: ghcr.io/acme/web:${WEB_TAG}");
    const unset = svc(["convert", file]);
    expect(unset.status).toBe(3);
    expect(unset.stderr).toContain("the result needs fixes before svc validate passes");
    expect(unset.stderr).toContain("WEB_TAG");
  });

  it("gives a VKubefile's service a target of its own name, not local; groups what it drops by reason", () => {
    const r = svc([
      "convert",
      join(repoRoot, "test/fixtures/convert/vkube-full/VKubefile.yaml"),
      "--name",
      "shop",
    ]);
    expect(r.stdout).toContain("target: shop");
    expect(r.stderr).not.toContain("svc login local");
    const compose = join(mkdtempSync(join(tmpdir(), "svc-convert-")), "docker-compose.yml");
    writeFileSync(
      compose,
      `services:\n${Array.from({ length: 9 }, (_, i) => `  s${i}:\n    image: ghcr.io/a/s${i}:1\n    restart: always\n`).join("")}`,
    );
    const grouped = svc(["convert", compose]);
    const lines = grouped.stderr
      .split("\n")
      .filter((l) => l.includes("the platform restarts containers itself"));
    expect(lines).toEqual([
      "not converted (9)  the platform restarts containers itself: services.s0.restart, services.s1.restart, services.s2.restart, services.s3.restart, services.s4.restart, and 4 more",
    ]);
  });

  it("a VKubefile build on Docker Hub: the image written with its registry, or asked for when it names no account", () => {
    const work = mkdtempSync(join(tmpdir(), "svc-convert-vkube-build-"));
    writeFileSync(join(work, "Dockerfile"), "FROM scratch\n");
    const vkubefile = (image: string) =>
      `Kind: vkube\nimageRegistry: docker\ncontainers:\n  - registryImagePath: ${image}\n    build:\n      dockerfilePath: Dockerfile\n    deploy:\n      containerName: web\n      ports:\n        - containerPort: 80\n`;
    writeFileSync(join(work, "VKubefile.yaml"), vkubefile("acme/web:1.0"));
    const hub = svc(["convert", join(work, "VKubefile.yaml"), "-o", join(work, "a.yaml"), "--json"]);
    expect(hub.status, hub.stdout).toBe(0);
    expect(readFileSync(join(work, "a.yaml"), "utf8")).toContain("image: docker.io/acme/web:1.0");
    expect(JSON.parse(hub.stdout).notes.join("\n")).toContain("acme/web:1.0 is on Docker Hub");
    writeFileSync(join(work, "VKubefile.yaml"), vkubefile("web:1.0"));
    const bare = svc(["convert", join(work, "VKubefile.yaml"), "-o", join(work, "b.yaml"), "--json"], {
      env: { WEB_IMAGE: "ghcr.io/acme/web" },
    });
    expect(bare.status, bare.stdout).toBe(0);
    expect(readFileSync(join(work, "b.yaml"), "utf8")).toContain("image: ${WEB_IMAGE}");
    expect(JSON.parse(bare.stdout).notes.join("\n")).toContain("names no account to push to: set WEB_IMAGE");
  });

  it("a project one pod cannot hold: refused without a directory, saying why; with -o DIR, the fewest pods, hosts across them as variables", () => {
    const work = mkdtempSync(join(tmpdir(), "svc-convert-groups-"));
    const compose = join(work, "docker-compose.yml");
    writeFileSync(
      compose,
      [
        "services:",
        "  web:",
        "    image: ghcr.io/acme/app:3.1",
        '    command: ["app", "serve"]',
        '    ports: ["8000:8000"]',
        "    environment:",
        "      DATABASE_URL: postgres://app@db:5432/app",
        "      CACHE: redis:6379",
        "    volumes:",
        "      - ./proxy.conf:/etc/proxy.conf",
        "  worker:",
        "    image: ghcr.io/acme/app:3.1",
        '    command: ["app", "work"]',
        "    environment:",
        "      DATABASE_URL: postgres://app@db:5432/app",
        "      QUEUE_URL: redis://redis:6379/1",
        "  db:",
        "    image: postgres:16.4",
        "  redis:",
        "    image: redis:7.2",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(work, "proxy.conf"),
      "location /jobs { proxy_pass http://worker:9090; }\nlocation /db { proxy_pass http://db:8081; }\n",
    );
    const refused = svc(["convert", compose, "--json"]);
    expect(refused.status).toBe(3);
    const { error } = JSON.parse(refused.stdout);
    expect(error.message).toBe(
      "4 compose services do not fit one pod: web and worker run the same image ghcr.io/acme/app:3.1",
    );
    expect(error.hint).toContain("pass -o DIR: svc convert writes one manifest per pod there");
    expect(svc(["convert", compose, "-o", join(work, "service.yaml")]).status).toBe(3);
    expect(readdirSync(work).sort()).toEqual(["docker-compose.yml", "proxy.conf"]);

    const out = join(work, "svc");
    const r = svc(["convert", compose, "-o", out, "--name", "acme", "--json"], {
      env: { DB_HOST: "10.0.0.7", REDIS_HOST: "10.0.0.7" },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expectMatchesSchema("convert-result.schema.json", result);
    expect(result.files.map((f: string) => f.slice(out.length + 1))).toEqual([
      "web/service.yaml",
      "worker/service.yaml",
    ]);
    const web = readFileSync(join(out, "web", "service.yaml"), "utf8");
    const worker = readFileSync(join(out, "worker", "service.yaml"), "utf8");
    expect(web).toContain("name: acme-web\n");
    expect(web).toContain("target: acme-web\n");
    expect(web).toContain("DATABASE_URL: postgres://app@localhost:5432/app");
    expect(web).toContain("CACHE: localhost:6379");
    expect(worker).toContain("name: acme-worker\n");
    expect(worker).toContain("DATABASE_URL: postgres://app@${DB_HOST}:5432/app");
    expect(worker).toContain("QUEUE_URL: redis://${REDIS_HOST}:6379/1");
    const notes = result.notes.join("\n");
    expect(notes).toContain(
      "4 compose services need 2 pods (web and worker run the same image ghcr.io/acme/app:3.1): acme-web (web, db, redis), acme-worker (worker)",
    );
    expect(notes).toContain(
      "db runs in the service acme-web: set DB_HOST to its address once it is deployed (svc status acme-web shows it)",
    );
    // A config file: the host in this pod becomes localhost in the copy mounted; the one elsewhere is listed.
    expect(notes).toContain(
      "./proxy.conf line 1 names worker (location /jobs { proxy_pass http://worker:9090; }), which runs in the service acme-worker: point it at that service's address",
    );
    const proxy = readFileSync(join(out, "web", "proxy.localhost.conf"), "utf8");
    expect(proxy).toContain("proxy_pass http://localhost:8081;");
    expect(proxy).toContain("proxy_pass http://worker:9090;");
    // Valid once the variables it lists are set.
    expect(svc(["validate", out], { env: { DB_HOST: "10.0.0.7", REDIS_HOST: "10.0.0.7" } }).status).toBe(0);
    expect(readFileSync(join(out, "worker", "service.convert.md"), "utf8")).toContain("need 2 pods");
    expect(silentLosses(compose, result, result.files)).toEqual([]);
  });

  it("converts a profile's services when --profile names it", () => {
    const compose = join(repoRoot, "test/fixtures/convert/compose-project/docker-compose.yml");
    const without = svc(["convert", compose]);
    expect(without.stdout).not.toContain("name: debug");
    const withTools = svc(["convert", compose, "--profile", "tools"]);
    expect(withTools.stdout).toContain("name: debug");
    expect(withTools.stderr).not.toContain("--profile tools");
  });

  it("--split writes one manifest per compose service, each its own target, siblings no longer on localhost", () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-convert-split-"));
    const compose = join(repoRoot, "test/fixtures/convert/compose-project/docker-compose.yml");
    const r = svc(["convert", compose, "--split", "-o", dir, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expectMatchesSchema("convert-result.schema.json", result);
    expect(result.files.map((f: string) => f.slice(dir.length + 1))).toEqual([
      "web/service.yaml",
      "api/service.yaml",
      "cache/service.yaml",
    ]);
    const web = readFileSync(join(dir, "web", "service.yaml"), "utf8");
    expect(web).toContain("target: compose-project-web");
    expect(web).toContain("API_URL: http://api:8080/v1");
    expect(result.notes.join("\n")).toContain("names a sibling service, which is a service of its own now");
    // Generated names never repeat a part (the service compose-project-web, its container web).
    expect(result.notes.join("\n")).toContain("`svc secret set compose-project-web-api-key`");
    expect(web).toContain("secret: compose-project-web-api-key");
    expect(readFileSync(join(dir, "api", "service.yaml"), "utf8")).toContain("source: ../../");
    expect(svc(["validate", "-f", join(dir, "api", "service.yaml"), "--allow-outside"]).status).toBe(0);
    expect(svc(["convert", compose, "--split"]).stderr).toContain("name their directory with -o DIR");
    expect(silentLosses(compose, result, result.files)).toEqual([]);
  });
});
