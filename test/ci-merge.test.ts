import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { repoRoot, runAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import { BOT, FakeGitHub, GH_TOKEN, runnerEnv } from "./support/fake-github.js";
import { createService, startTestPlatform } from "./support/local-platform.js";

const hasEngine = await engineAvailable("the CI merge-flow suite");
const scripts = join(repoRoot, "examples/ci/scripts");

/** One service with storage, a domain and a verify check the variables steer. */
const MANIFEST = `apiVersion: svc/v1
kind: Service
metadata: { name: shop }
spec:
  target: shop
  containers:
    - name: web
      image: svc-examples/hello:\${VERSION}
      ports: [8080]
      command: [/bin/httpd, -f, -p, "8080", -h, /www]
      env: { GREETING: "\${GREETING}" }
      storage: \${STORAGE}
      verify:
        - { run: sh verify.sh }
  domains:
    - { name: shop.example.com, port: 8080 }
`;

interface Main {
  VERSION: string;
  GREETING: string;
  STORAGE: string;
  VERIFY?: string;
}

/**
 * What happens after a merge, step by step as apply.yml and plan.yml run their glue
 * (examples/ci/scripts), against the local platform on the real engine (--api real: what a
 * provider offers) and a fake GitHub: the reviewed digest applied and recorded as a Deployment,
 * exit 4 after the live state moved (the fresh plan posted on the merged pull request, never as
 * the reviewed plan), a destructive plan stopped at merge and applied by hand, a failed check
 * restored (exit 7, Deployment "restored"), a fork's pull request merged before its plan was
 * approved, and a direct push. No secret reaches GitHub.
 */
describe.runIf(hasEngine)(
  "after a merge: apply.yml's glue against the local platform and a fake GitHub",
  () => {
    const github = new FakeGitHub();
    let platform: RunningPlatform & { home: string };
    let repo: string;
    let env: NodeJS.ProcessEnv;
    let token: string;
    const summaryFile = () => join(repo, "summary.md");

    beforeAll(async () => {
      await ensureExampleImages();
      platform = await startTestPlatform({ api: "real" });
      ({ token } = await createService(platform, { units: 2, persistStorage: true }));
      ({ repo, env } = runnerEnv("svc-merge-", await github.listen()));
      writeFileSync(
        join(repo, "verify.sh"),
        '[ "${VERIFY:-pass}" != fail ] || { echo "smoke: POST /checkout answered 500"; exit 3; }\n',
      );
      env = {
        ...env,
        GITHUB_RUN_ID: "88",
        GITHUB_STEP_SUMMARY: summaryFile(),
        // The environment's secrets, as toJSON(secrets) gives them: the token is never a variable here.
        SVC_SECRETS_JSON: JSON.stringify({ SVC_TOKEN_SHOP: token, github_token: GH_TOKEN }),
        // --atomic watches 30 s by default; the checks are what these tests are about.
        SVC_STABLE_FOR: "1",
      };
      // Live: version 1.0, applied by hand before any of this.
      await checkout({ VERSION: "1.0", GREETING: "hello", STORAGE: "/data" });
      const first = await withSecrets(["svc", "apply", ".", "--auto-approve"]);
      expect(first.status, first.stdout + first.stderr).toBe(0);
    }, 240_000);
    afterAll(async () => {
      github.server.close();
      await platform?.close(true);
    });

    let main: Main;
    /** The repository at a commit: the manifest's variables, as the job's checkout holds them. */
    async function checkout(at: Main) {
      main = at;
      writeFileSync(join(repo, "service.yaml"), MANIFEST);
      writeFileSync(join(repo, "output"), "");
      writeFileSync(summaryFile(), "");
    }
    const step = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      runAsync(args[0] as string, args.slice(1), { cwd: repo, env: { ...env, ...main, ...extra } });
    const withSecrets = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      step(["node", join(scripts, "with-svc-secrets.mjs"), ...args], extra);
    /** $GITHUB_OUTPUT as a record, emptied for the next step. */
    const outputs = (): Record<string, string> => {
      const text = readFileSync(join(repo, "output"), "utf8");
      writeFileSync(join(repo, "output"), "");
      return Object.fromEntries(
        text
          .split("\n")
          .filter(Boolean)
          .map((l) => [l.split("=")[0], l.slice(l.indexOf("=") + 1)]),
      );
    };
    /** plan.yml's plan job on pull request `pr`: the plan, then its sticky comment. */
    async function reviewed(pr: number, at: Main): Promise<string> {
      await checkout(at);
      const planned = await withSecrets(["bash", join(scripts, "plan.sh")]);
      expect(planned.status).toBe(0);
      expect(outputs().exitcode).toBe("2");
      const commented = await step(["node", join(scripts, "sticky-comment.mjs"), "plan.md"], {
        PR_NUMBER: String(pr),
      });
      expect(commented.status, commented.stderr).toBe(0);
      return /digest=(sha256:[0-9a-f]{64})/.exec(readFileSync(join(repo, "plan.md"), "utf8"))?.[1] as string;
    }
    /** apply.yml on the push of merge commit `sha`: find the digest, apply, record, tell the pull request. */
    async function merged(sha: string, pr: number | undefined) {
      if (pr) github.pulls.set(sha, [{ number: pr, merged_at: "2026-12-07T10:00:00Z" }]);
      const found = await step(["node", join(scripts, "reviewed-digest.mjs")], { GITHUB_SHA: sha });
      const out = outputs();
      let applied: Awaited<ReturnType<typeof step>> | undefined;
      let code = "";
      if (found.status === 0) {
        applied = await withSecrets(["bash", join(scripts, "apply.sh")], { DIGEST: out.digest });
        code = outputs().exitcode ?? "";
        expect(String(applied.status), applied.stderr).toBe(code);
        const recorded = await step(["node", join(scripts, "deployments.mjs"), "apply.json"], {
          GITHUB_SHA: sha,
        });
        expect(recorded.status, recorded.stderr).toBe(0);
      }
      if (found.status !== 0 || code !== "0") {
        const told = await withSecrets(["node", join(scripts, "after-merge.mjs")], {
          REVIEWED: found.status === 0 ? "success" : "failure",
          PR_NUMBER: out.pull_request ?? "",
          CODE: code,
        });
        expect(told.status, told.stderr).toBe(0);
      }
      return { found, applied, code, summary: readFileSync(summaryFile(), "utf8") };
    }
    /** A run of apply.yml by hand: the digest and allow-destructive as typed in. */
    const byHand = (digest: string, allowDestructive = false) =>
      withSecrets(["bash", join(scripts, "apply.sh")], {
        DIGEST: digest,
        ALLOW_DESTRUCTIVE: String(allowDestructive),
      });
    const lastComment = (pr: number) => github.comments.get(pr)?.at(-1)?.body ?? "";
    const freshDigest = (text: string) => /digest `(sha256:[0-9a-f]{64})`/.exec(text)?.[1];

    it("same-repository pull request: the reviewed digest is applied and recorded as a Deployment with its URL", async () => {
      const digest = await reviewed(21, { VERSION: "2.0", GREETING: "hello", STORAGE: "/data" });
      const r = await merged("a21", 21);
      expect(r.applied?.stdout).toContain("applied — update-images; verified (1 check)");
      expect(r.code).toBe("0");
      const report = JSON.parse(readFileSync(join(repo, "apply.json"), "utf8"));
      expect(report.digest).toBe(digest);
      const [deployment] = github.deployments;
      expect(deployment).toMatchObject({
        ref: "a21",
        environment: "shop",
        description: `svc apply ${digest}`,
      });
      expect(deployment?.statuses).toEqual([
        {
          state: "success",
          description: "applied: shop",
          environment_url: "http://shop.example.com",
          log_url: "https://github.com/acme/shop/actions/runs/88",
        },
      ]);
      expect(github.comments.get(21)).toHaveLength(1);
    });

    it("exit 4 after merge: the fresh plan goes to the merged pull request with its digest, never as the reviewed plan; applied by hand with it", async () => {
      await reviewed(22, { VERSION: "2.0", GREETING: "hi", STORAGE: "/data" });
      // Someone changes the live service behind svc's back before the merge is applied.
      await checkout({ VERSION: "2.0", GREETING: "by hand", STORAGE: "/data" });
      expect((await withSecrets(["svc", "apply", ".", "--auto-approve"])).status).toBe(0);
      const deployments = github.deployments.length;

      await checkout({ VERSION: "2.0", GREETING: "hi", STORAGE: "/data" });
      const r = await merged("a22", 22);
      expect(r.code).toBe("4");
      expect(r.applied?.stderr).toContain("nothing was applied: this is not the plan that was reviewed");
      expect(existsSync(join(repo, "apply.json"))).toBe(false);
      expect(github.deployments).toHaveLength(deployments);
      const told = lastComment(22);
      expect(told).toMatch(/^### ⚠️ svc: this merge was not applied\n/);
      expect(told).toContain("The live state or another merge moved since the plan reviewed here (exit 4)");
      expect(told).toContain('containers.web.env.GREETING: "by hand" → "hi"');
      expect(told).not.toContain("a merge applies exactly this plan");
      expect(told).not.toContain("<!-- svc-plan:");
      expect(r.summary).toContain(told);
      // The sticky plan comment still holds the reviewed digest: a re-run applies nothing new.
      const again = await step(["node", join(scripts, "reviewed-digest.mjs")], { GITHUB_SHA: "a22" });
      expect(again.status).toBe(0);
      expect(outputs().digest).not.toBe(freshDigest(told));

      // Reviewed, and applied by hand (workflow_dispatch) with the digest the comment gave.
      const manual = await byHand(freshDigest(told) as string);
      expect(manual.status, manual.stdout + manual.stderr).toBe(0);
      expect(github.deployments).toHaveLength(deployments);
    });

    it("a destructive plan stops at merge, the pull request says to run it by hand with allow-destructive; by hand it applies", async () => {
      const digest = await reviewed(23, { VERSION: "2.0", GREETING: "hi", STORAGE: "/data2" });
      const r = await merged("a23", 23);
      expect(r.code).toBe("1");
      expect(r.applied?.stderr).toContain("Try this: add --allow-destructive");
      expect(existsSync(join(repo, "apply.json"))).toBe(false);
      const told = lastComment(23);
      expect(told).toContain("The plan is destructive, and a destructive plan is never applied at merge");
      expect(told).toContain("**allow-destructive** ticked");
      expect(freshDigest(told)).toBe(digest);

      const manual = await byHand(digest, true);
      expect(manual.status, manual.stdout + manual.stderr).toBe(0);
      expect(manual.stdout).toContain("applied — redeploy");
    });

    it("a check fails after the apply: restored (exit 7), the Deployment says restored, the pull request is told", async () => {
      await reviewed(24, { VERSION: "1.0", GREETING: "hi", STORAGE: "/data2", VERIFY: "fail" });
      const r = await merged("a24", 24);
      expect(r.code).toBe("7");
      const deployment = github.deployments.at(-1);
      expect(deployment?.ref).toBe("a24");
      expect(deployment?.statuses[0]?.state).toBe("failure");
      expect(deployment?.statuses[0]?.description).toBe(
        "restored (a check failed; the state from before runs): shop",
      );
      const told = lastComment(24);
      expect(told).toMatch(/^### ↩️ svc: applied at merge, then restored\n/);
      expect(told).not.toContain("<details>");
      // The state from before runs: main (2.0) plans as No changes.
      await checkout({ VERSION: "2.0", GREETING: "hi", STORAGE: "/data2" });
      const planned = await withSecrets(["svc", "plan", ".", "--detailed-exitcode"]);
      expect(planned.status, planned.stdout).toBe(0);
    });

    it("a fork's pull request: told its plan waits; merged before approval, nothing applies and it says why; approved, the plan replaces the notice", async () => {
      await checkout({ VERSION: "1.0", GREETING: "hi", STORAGE: "/data2" });
      const waiting = await step(["node", join(scripts, "sticky-comment.mjs"), "--waiting"], {
        PR_NUMBER: "25",
      });
      expect(waiting.status, waiting.stderr).toBe(0);
      const [notice] = github.comments.get(25) ?? [];
      expect(notice?.body).toMatch(
        /^<!-- svc-plan:dirs=\. targets=\* digest=none -->\n### svc plan: waiting for a maintainer/,
      );
      expect(notice?.user.login).toBe(BOT);

      const r = await merged("a25", 25);
      expect(r.found.status).toBe(1);
      expect(r.found.stderr).toContain("pull request #25");
      expect(r.applied).toBeUndefined();
      const told = lastComment(25);
      expect(told).toContain("This merge had no reviewed plan");
      expect(told).toContain('"svc-examples/hello:2.0" → "svc-examples/hello:1.0"');
      expect(freshDigest(told)).toMatch(/^sha256:/);

      // Had a maintainer approved before the merge: the plan takes the notice's place.
      await reviewed(25, main);
      const svcPlans = (github.comments.get(25) ?? []).filter((c) => c.body.startsWith("<!-- svc-plan:"));
      expect(svcPlans.map((c) => c.id)).toEqual([notice?.id]);
      expect(svcPlans[0]?.body).not.toContain("waiting for a maintainer");
    });

    it("a direct push: nothing applies, the job summary says so and how to go on; no secret reached GitHub", async () => {
      const comments = JSON.stringify([...github.comments.values()]);
      const r = await merged("a26", undefined);
      expect(r.found.stderr).toContain("was not merged from a pull request: nothing was reviewed");
      expect(r.summary).toContain("This merge had no reviewed plan");
      expect(r.summary).toContain("run **svc apply** by hand");
      expect(JSON.stringify([...github.comments.values()])).toBe(comments);
      expect(github.written()).not.toContain(token);
      expect(readFileSync(summaryFile(), "utf8")).not.toContain(token);
    });
  },
);
