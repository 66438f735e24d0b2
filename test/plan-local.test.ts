import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentBody } from "../src/apply/payload.js";
import type { ApiMode } from "../src/local/paths.js";
import type { RunningPlatform } from "../src/local/server/start.js";
import { loadServices } from "../src/manifest/load.js";
import { markLabels } from "../src/manifest/marks.js";
import { fingerprintFor } from "../src/plan/fingerprint.js";
import { normalizeDesired } from "../src/plan/normalize.js";
import { repoRoot, svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import { API_MODES, caughtUp, type ServiceApi, startShopTarget } from "./support/local-platform.js";

const hasEngine = await engineAvailable("the plan suite");
const DB_PASSWORD = "plan-db-pass-4411";

/** Deploys a manifest through the API exactly as it says, as apply will. */
async function deployManifest(
  api: ServiceApi,
  manifestDir: string,
  secrets: Map<string, string>,
  mode: ApiMode,
) {
  const [spec] = loadServices({ cwd: repoRoot, paths: [manifestDir], vars: {} }).services;
  if (!spec) throw new Error(`no service in ${manifestDir}`);
  const desired = normalizeDesired(spec, secrets, fingerprintFor("unused: only the deployment body is sent"));
  const deployed = await api.call(
    "POST",
    "/api/v1/k8s/deployment",
    deploymentBody(desired, secrets, () => undefined),
  );
  expect(deployed.status).toBe(200);
  // The metadata calls exist on real providers too, but only extended ones show the result back.
  if (mode === "real") {
    await api.call("POST", "/api/v1/k8s/deployment/metadata/annotation", {
      description: desired.description,
    });
  } else if (desired.description)
    await api.call("POST", "/api/v1/k8s/deployment/metadata/annotation", {
      description: desired.description,
    });
  // With svc's marks, as apply writes them where labels are kept.
  await api.call("POST", "/api/v1/k8s/deployment/metadata/label", {
    labels: { ...desired.labels, ...markLabels(spec) },
  });
  for (const d of desired.domains) {
    expect(
      (
        await api.call("POST", "/api/v1/k8s/pod/ingress", {
          domain: d.name,
          containerPort: d.port,
          isLetsencrypt: d.https,
        })
      ).status,
    ).toBe(200);
  }
}

describe.runIf(hasEngine).each(API_MODES)("svc plan against the local platform (--api %s)", (mode) => {
  let platform: RunningPlatform & { home: string };
  let api: ServiceApi;
  let id: string;
  let env: Record<string, string>;

  const plan = (...args: string[]) => svcAsync(["plan", "examples/shop", ...args], { env });

  beforeAll(async () => {
    await ensureExampleImages();
    ({ platform, api, id, env } = await startShopTarget(DB_PASSWORD, mode));
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("plans a create before anything is deployed (exit 2 with --detailed-exitcode)", async () => {
    const r = await plan("--detailed-exitcode");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("+ shop (target local) will be created");
  });

  it("says No changes for a freshly deployed service that matches its manifest (exit 0)", async () => {
    await deployManifest(api, "examples/shop", new Map([["shop-db-password", DB_PASSWORD]]), mode);
    await caughtUp(platform, id);
    const r = await plan("--detailed-exitcode");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("No changes. The live state matches the manifests (1 service).");
    expect(r.status).toBe(0);
  });

  it("reports exactly the drift made behind svc's back: image, env, a domain, a label where shown", async () => {
    expect(
      (
        await api.call("PATCH", "/api/v1/k8s/pod/images", [
          { image: "svc-examples/shop-web:2.0", container: "web" },
        ])
      ).status,
    ).toBe(200);
    expect(
      (await api.call("PUT", "/api/v1/k8s/pod/update", { environment: { web: { LOG_LEVEL: "debug" } } }))
        .status,
    ).toBe(200);
    expect(
      (await api.call("PATCH", "/api/v1/k8s/pod/ingress", { action: "Del", domains: ["api.example.test"] }))
        .status,
    ).toBe(200);
    expect(
      (await api.call("POST", "/api/v1/k8s/deployment/metadata/label", { customizedLabel: "env=prod" }))
        .status,
    ).toBe(200);
    await caughtUp(platform, id);

    const r = await plan("--detailed-exitcode");
    expect(r.status).toBe(2);
    const lines = r.stdout.split("\n").map((l) => l.trim());
    const changes = lines.filter((l) => /^[+~-] (containers|domains|metadata)\./.test(l));
    const drift = [
      '~ containers.web.env.LOG_LEVEL: "debug" → "info"',
      '~ containers.web.image: "svc-examples/shop-web:2.0" → "svc-examples/shop-web:1.0"',
      '+ domains.api.example.test: "port 9000, https"',
    ];
    if (mode === "extended") {
      // svc's own marks (svc.dev/...) went with the labels the drift replaced.
      expect(changes.filter((l) => !l.includes("svc.dev/"))).toEqual([
        ...drift,
        '~ metadata.labels.env: "prod" → "dev"',
      ]);
      // An image and an env change together: one redeploy, one restart.
      expect(lines).toContain(
        "1. redeploy: images (web) and env or files (web) changed together (one restart instead of two) forces a redeploy [restarts]",
      );
      expect(lines).toContain("2. set-labels: labels changed");
      expect(lines).toContain("3. bind-domain: domain api.example.test added");
    } else {
      // No labels to see; no container to name in the image call of a two-container service.
      expect(changes).toEqual(drift);
      expect(lines).toContain(
        "1. redeploy: containers.web.image (this provider updates images in place only in one-container services) forces a redeploy [restarts]",
      );
      expect(lines).toContain("2. bind-domain: domain api.example.test added");
      expect(r.stdout).toContain(
        "the provider does not expose labels: metadata.labels is not managed on target local",
      );
    }
  });

  it("emits JSON valid against schemas/plan.schema.json and a Markdown summary with details", async () => {
    const json = await plan("--json");
    const schema = JSON.parse(readFileSync(`${repoRoot}/schemas/plan.schema.json`, "utf8"));
    const validate = new Ajv2020.default({ strict: true }).compile(schema);
    const parsed = JSON.parse(json.stdout);
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
    const action = "redeploy";
    expect(parsed.services[0]).toMatchObject({ name: "shop", action, restarts: true });

    const md = await plan("--format", "markdown");
    expect(md.stdout).toContain("| service | target | action | restarts | destructive |");
    expect(md.stdout).toMatch(/\| shop \| local \| `(~|-\/\+)` (update|redeploy) \| yes \| no \|/);
    expect(md.stdout).toMatch(/<details><summary><code>(~|-\/\+)<\/code> <b>shop<\/b>/);
  });

  it("never puts a token or secret value in any output or in the --out file", async () => {
    const outFile = `${platform.home}/plan.json`;
    // Make the secret itself drift, so it is part of the plan.
    await api.call("PUT", "/api/v1/k8s/pod/update", {
      environment: { api: { DATA_DIR: "/var/lib/shop", DB_PASSWORD: "old-value-0000" } },
    });
    await caughtUp(platform, id);
    const results = await Promise.all([
      plan(),
      plan("--json"),
      plan("--format", "markdown"),
      plan("--out", outFile),
    ]);
    const token = env.SVC_TOKEN_LOCAL as string;
    const secret = (await import("../src/platform/token.js")).decodeToken(token).secret;
    const texts = [...results.flatMap((r) => [r.stdout, r.stderr]), readFileSync(outFile, "utf8")];
    expect(texts.join("\n")).toContain("containers.api.env.DB_PASSWORD: (sensitive, changed)");
    for (const value of [DB_PASSWORD, "old-value-0000", token, secret]) {
      expect(texts.filter((t) => t.includes(value))).toEqual([]);
    }
  });

  it("a plan's digest is its intent: a moved revision keeps it, a changed intent changes it; apply --expect-digest applies only the reviewed one (else exit 4, nothing changed)", async () => {
    const planned = async () => JSON.parse((await plan("--json", "--detailed-exitcode")).stdout);
    const reviewed = await planned();
    expect(reviewed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Sending what is already there moves the revision (where shown), not the intent.
    expect(
      (
        await api.call("PUT", "/api/v1/k8s/pod/update", {
          environment: { api: { DATA_DIR: "/var/lib/shop", DB_PASSWORD: "old-value-0000" } },
        })
      ).status,
    ).toBe(200);
    await caughtUp(platform, id);
    const again = await planned();
    if (mode === "extended")
      expect(again.services[0].fingerprint.revision).not.toBe(reviewed.services[0].fingerprint.revision);
    expect(again.digest).toBe(reviewed.digest);

    // A change after review: the merge must not apply it silently.
    await api.call("PUT", "/api/v1/k8s/pod/update", { environment: { web: { LOG_LEVEL: "warn" } } });
    await caughtUp(platform, id);
    const moved = await planned();
    expect(moved.digest).not.toBe(reviewed.digest);
    const refused = await svcAsync(["apply", "examples/shop", "--expect-digest", reviewed.digest], { env });
    expect(refused.status).toBe(4);
    expect(refused.stderr).toContain(`this is not the plan that was reviewed (its digest is ${moved.digest}`);
    expect(refused.stdout).toContain('~ containers.web.env.LOG_LEVEL: "warn" → "info"');
    expect((await planned()).digest).toBe(moved.digest);

    const applied = await svcAsync(["apply", "examples/shop", "--expect-digest", moved.digest], { env });
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);
    expect((await plan("--detailed-exitcode")).status).toBe(0);
  });
});
