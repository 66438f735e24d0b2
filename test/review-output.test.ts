import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadServices } from "../src/manifest/load.js";
import { assemble, failedService } from "../src/plan/build.js";
import { fingerprintFor } from "../src/plan/fingerprint.js";
import type { Plan, ServicePlan } from "../src/plan/model.js";
import { publicPlan, restoreSensitiveFiles } from "../src/plan/sensitive.js";
import { githubAnnotations, renderPlanGithub } from "../src/render/github.js";
import { MARKDOWN_LIMIT, renderPlanMarkdown } from "../src/render/plan-markdown.js";
import { repoRoot } from "./support/cli.js";
import { expectGolden, GOLDEN_NOW, GOLDEN_SECRETS, goldenPlan, goldenRoot } from "./support/golden-plan.js";

/**
 * What a pull request shows: the Markdown comment and `--format github` (annotations, plan, job
 * summary) for the cases review depends on. Regenerate with UPDATE_GOLDEN=1, then read the diff.
 */
const root = join(repoRoot, "test/golden-review");
const createdAt = new Date(GOLDEN_NOW).toISOString();
const RUN = "https://github.com/acme/shop/actions/runs/42";

function problemsOnly(): Plan {
  const spec = loadServices({ cwd: join(goldenRoot, "create"), files: ["desired.yaml"], vars: {} })
    .services[0];
  if (!spec) throw new Error("no service in the create case");
  return assemble(
    [],
    [
      failedService(
        spec,
        "target shop-prod: secret db-password is not set",
        "svc secret set db-password (or SVC_SECRET_DB_PASSWORD in CI)",
      ),
      {
        severity: "error",
        file: "services/api/service.yaml",
        line: 12,
        column: 16,
        path: "spec.containers[0].image",
        message: "image ghcr.io/acme/api:9.9 does not exist | or is not pullable",
        hint: "push it first, or fix the tag",
      },
      {
        severity: "warning",
        file: "services/api/service.yaml",
        line: 9,
        column: 7,
        path: "spec.containers[0].image",
        message: 'image tag "latest": updates may not roll out',
        hint: "pin a version or digest",
      },
    ],
    createdAt,
  );
}

/** Many services, each with a long config file diff: more than a comment holds. */
function large(): Plan {
  const one = goldenPlan(join(goldenRoot, "env-and-files")).services[0] as ServicePlan;
  const longDiff = [
    "@@ -1,40 +1,40 @@",
    ...Array.from({ length: 40 }, (_, i) => `-line ${i} old\n+line ${i} new`),
  ].join("\n");
  const services = Array.from({ length: 150 }, (_, i): ServicePlan => {
    const name = `svc-${String(i).padStart(3, "0")}`;
    return {
      ...one,
      name,
      target: `${name}-prod`,
      changes: one.changes.map((c) => (c.diff ? { ...c, diff: longDiff } : c)),
    };
  });
  return assemble(services, [], createdAt);
}

const cases: Record<string, () => Plan> = {
  "problems-only": problemsOnly,
  destructive: () => goldenPlan(join(goldenRoot, "storage-moved-destructive")),
  "sensitive-files": () => goldenPlan(join(goldenRoot, "sensitive-file")),
  "large-truncated": large,
};

function outputs(plan: Plan) {
  const dir = mkdtempSync(join(tmpdir(), "svc-review-"));
  const summaryFile = join(dir, "summary.md");
  const md = `${renderPlanMarkdown(plan, { key: "dirs=services targets=*", fullPlanAt: RUN })}\n`;
  const github = `${renderPlanGithub(plan, { key: "dirs=services targets=*", fullPlanAt: RUN }, { GITHUB_STEP_SUMMARY: summaryFile })}\n`;
  return { md, github, summary: readFileSync(summaryFile, "utf8") };
}

describe("pull-request output", () => {
  it.each(Object.keys(cases))("%s: Markdown comment and --format github", (name) => {
    const plan = (cases[name] as () => Plan)();
    const { md, github, summary } = outputs(plan);
    mkdirSync(join(root, name), { recursive: true });
    expectGolden(join(root, name, "comment.md"), md);
    // The long plan's terminal text is the whole plan: its comment is the golden that matters.
    if (name !== "large-truncated") expectGolden(join(root, name, "github.txt"), github);

    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md.split("\n")[0]).toBe(
      `<!-- svc-plan:dirs=services targets=* digest=${plan.summary.errors ? "none" : plan.digest} -->`,
    );
    // The job summary is the whole plan, however long.
    expect(summary.length).toBeGreaterThanOrEqual(md.length);
    for (const secret of GOLDEN_SECRETS) {
      for (const out of [md, github, summary, JSON.stringify(publicPlan(plan))])
        expect(out).not.toContain(secret);
    }
  });

  it("a plan with only problems still says what to fix: a problems table with hints, no empty table", () => {
    const { md, github } = outputs(problemsOnly());
    expect(md).toContain("No plan could be made.");
    expect(md).toContain("| ❌ error | `services/api/service.yaml:12:16`<br>`spec.containers[0].image` |");
    expect(md).toContain("svc secret set db-password");
    expect(md).not.toMatch(/\| service \| target \|[^\n]*\n\| ---[^\n]*\n\n/);
    expect(github).toContain(
      "::error file=services/api/service.yaml,line=12,col=16,title=svc%3A spec.containers[0].image::image ghcr.io/acme/api:9.9 does not exist | or is not pullable%0Ahint: push it first, or fix the tag",
    );
    expect(github).toMatch(/^::warning file=services\/api\/service\.yaml,line=9,col=7,/m);
  });

  it("destructive changes come first, before problems and the table", () => {
    const { md } = outputs(cases.destructive?.() as Plan);
    expect(md.indexOf("[!CAUTION]")).toBeGreaterThan(0);
    expect(md.indexOf("[!CAUTION]")).toBeLessThan(md.indexOf("| service |"));
    expect(md).toContain("`-/+` redeploy");
  });

  it("a long plan is cut under the limit with a note pointing to the run, and diff blocks are unindented", () => {
    const plan = large();
    const { md } = outputs(plan);
    expect(md).toContain("[!NOTE]");
    expect(md).toContain(`[this workflow run](${RUN})`);
    expect(md).toMatch(/\d+ of 150 services' changes/);
    expect(md).not.toMatch(/^ {4}[-+@]/m);
    // Every service is still in the table: the cut drops sections, never the summary.
    expect(md.match(/^\| svc-\d{3} \|/gm)?.length).toBe(150);
  });

  it("a sensitive file shows that it changed, never its content, in every format", () => {
    const plan = cases["sensitive-files"]?.() as Plan;
    const { md, github } = outputs(plan);
    for (const out of [md, github])
      expect(out).toContain("containers.web.files./etc/app.ini: (sensitive, changed)");
    const saved = publicPlan(plan).services[0]?.desired.containers.find((c) => c.name === "web");
    expect(saved?.files["/etc/app.ini"]).toBe("(sensitive)");
    expect(saved?.sensitiveFiles?.["/etc/app.ini"]?.hmac).toMatch(/^[0-9a-f]{64}$/);
    // The plan itself still holds the content apply sends.
    expect(
      plan.services[0]?.desired.containers.find((c) => c.name === "web")?.files["/etc/app.ini"],
    ).toContain("db_password");
  });

  it("annotations escape what could start a workflow command of its own", () => {
    const out = githubAnnotations([
      {
        severity: "error",
        file: "a,b:c.yaml",
        line: 1,
        column: 2,
        path: "",
        message: "bad\n::add-mask::x 100%",
      },
    ]);
    expect(out.split("\n")).toHaveLength(1);
    expect(out).toBe("::error file=a%2Cb%3Ac.yaml,line=1,col=2,title=svc::bad%0A::add-mask::x 100%25");
  });
});

describe("a saved plan's sensitive files", () => {
  const dir = join(goldenRoot, "sensitive-file");
  const saved = () => JSON.parse(JSON.stringify(publicPlan(goldenPlan(dir)))) as Plan;
  const web = (plan: Plan) => plan.services[0]?.desired.containers.find((c) => c.name === "web");

  it("are read again at apply and sent as planned, when they still hash the same", () => {
    const plan = saved();
    expect(web(plan)?.files["/etc/app.ini"]).toBe("(sensitive)");
    expect(web(plan)?.sensitiveFiles?.["/etc/app.ini"]?.source).toBe("test/golden/sensitive-file/app.ini");
    const moved = restoreSensitiveFiles(
      plan.services[0] as ServicePlan,
      fingerprintFor("golden-token-secret"),
    );
    expect(moved).toEqual([]);
    expect(web(plan)?.files["/etc/app.ini"]).toBe(readFileSync(join(dir, "app.ini"), "utf8"));
  });

  it("make the plan stale when they changed or are gone", () => {
    const plan = saved();
    const service = plan.services[0] as ServicePlan;
    expect(restoreSensitiveFiles(service, fingerprintFor("another-key"))).toEqual([
      "shop: sensitive file test/golden/sensitive-file/app.ini (web:/etc/app.ini) changed since the plan",
    ]);
    expect(web(plan)?.files["/etc/app.ini"]).toBe("(sensitive)");
    const entry = web(plan)?.sensitiveFiles?.["/etc/app.ini"];
    if (entry) entry.source = "test/golden/sensitive-file/gone.ini";
    expect(restoreSensitiveFiles(service, fingerprintFor("golden-token-secret"))).toEqual([
      "shop: sensitive file test/golden/sensitive-file/gone.ini (web:/etc/app.ini) cannot be read",
    ]);
  });
});
