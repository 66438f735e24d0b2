// When a merge was not applied as reviewed, says so where people look — the merged pull request
// and the job summary — with what applying main would do now and how to apply it by hand:
//   - no reviewed plan (a fork's plan never approved, the last plan failed, a direct push);
//   - exit 4: the live state or another merge moved since the review;
//   - a destructive plan, which is never applied at merge (svc stopped before applying: no
//     apply.json, the report apply.sh asks for);
//   - exit 7: applied, a check failed, the state from before was restored (no plan needed);
//   - any other failure.
// The fresh plan (svc plan, made here) is posted with its digest, never as the sticky plan
// comment: only a plan reviewed before the merge is applied at merge.
//
//   node with-svc-secrets.mjs node after-merge.mjs    (env: REVIEWED, the find step's outcome;
//     PR_NUMBER, CODE, svc apply's exit code, empty when it did not run; GITHUB_TOKEN,
//     GITHUB_REPOSITORY; SVC_DIR)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { github, planMarker, runUrl, summary } from "./github.mjs";

const { REVIEWED: reviewed, PR_NUMBER: pull, CODE: code = "" } = process.env;
const dir = process.env.SVC_DIR || ".";

/** What applying main would do now: the Markdown plan, its digest and whether it destroys. */
function freshPlan() {
  const run = spawnSync("svc", ["plan", dir, "--format", "markdown", "--out", "fresh.json"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const markdown = (run.stdout ?? "").trim();
  const marker = planMarker(markdown);
  if (run.status !== 0 || !marker || marker.digest === "none") return { markdown, digest: undefined };
  const plan = JSON.parse(readFileSync("fresh.json", "utf8"));
  return {
    // Without the marker line (this comment is never taken for the plan reviewed before the
    // merge) and the digest's line, which speaks of a merge: the headline gives the digest.
    markdown: markdown
      .split("\n")
      .slice(1)
      .filter((line) => !line.startsWith("**Digest**"))
      .join("\n")
      .trim(),
    digest: marker.digest,
    changes: plan.services.some((s) => s.action !== "noop") || (plan.orphans ?? []).some((o) => o.prune),
    destructive: plan.services.some((s) => s.destructive),
  };
}

let headline;
let fresh = { markdown: "", digest: undefined };
if (code === "7") {
  headline = [
    "### ↩️ svc: applied at merge, then restored",
    "",
    "A check failed after this merge was applied, and svc restored the state from before (exit 7):",
    "the services run what they ran before this merge. `main` still holds the change: open a fix or a",
    `revert as a pull request. The evidence is in ${runUrl()}.`,
  ];
} else {
  fresh = freshPlan();
  const why =
    reviewed !== "success"
      ? "This merge had no reviewed plan (the pull request's plan never ran — a fork's waits for a maintainer's approval — or its last plan failed): nothing was applied."
      : code === "4"
        ? "The live state or another merge moved since the plan reviewed here (exit 4): nothing was applied."
        : fresh.destructive && code === "1" && !existsSync("apply.json")
          ? "The plan is destructive, and a destructive plan is never applied at merge: nothing was applied."
          : `svc apply failed (exit ${code || "before it ran"}): see ${runUrl()}.`;
  const next = !fresh.digest
    ? ["What applying `main` would do could not be planned either: the plan's output is below."]
    : !fresh.changes
      ? ["Applying `main` now changes nothing: there is nothing to do."]
      : [
          `What applying \`main\` would do now is below (digest \`${fresh.digest}\`). Review it; to`,
          "apply it, run **svc apply** by hand (Actions → svc apply → Run workflow) with that digest,",
          `${fresh.destructive ? "**allow-destructive** ticked, " : ""}and a reason.`,
        ];
  headline = ["### ⚠️ svc: this merge was not applied", "", why, "", ...next];
}
const body = [
  ...headline,
  ...(fresh.markdown
    ? ["", "<details><summary>The plan of main now</summary>", "", fresh.markdown, "", "</details>"]
    : []),
].join("\n");
summary([body]);
if (pull) {
  const created = await github().createComment(pull, body.slice(0, 60_000));
  console.log(`svc-ci: said it on #${pull} (${created.id})`);
} else console.log("svc-ci: no pull request merged this commit: said in the job summary only");
