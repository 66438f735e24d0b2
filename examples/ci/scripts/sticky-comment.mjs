// Posts a Markdown plan on the pull request as one sticky comment: the comment whose marker has
// the same key (the manifests' directories and targets) is updated, else one is created. An empty
// plan file (svc never ran) still gets a comment saying so, so a failing plan is never silent.
//
//   node sticky-comment.mjs plan.md      (env: PR_NUMBER, GITHUB_TOKEN, GITHUB_REPOSITORY)
import { readFileSync } from "node:fs";
import { fail, github, planKey, planMarker, required, runUrl } from "./github.mjs";

const file = process.argv[2] ?? fail("usage: node sticky-comment.mjs PLAN.md");
const issue = required(process.env, "PR_NUMBER", "pass ${{ github.event.pull_request.number }}");
let body = "";
try {
  body = readFileSync(file, "utf8").trim();
} catch {}
if (!planMarker(body)) {
  const key = planKey();
  body = [
    `<!-- svc-plan:${key} digest=none -->`,
    "### svc plan: no plan was made",
    "",
    `svc printed no plan (it may not have installed or started): see ${runUrl()}.`,
    ...(body ? ["", "```", body.slice(0, 20_000), "```"] : []),
  ].join("\n");
}
const { key } = planMarker(body);
const api = github();
const mine = (await api.comments(issue)).filter((c) => planMarker(c.body)?.key === key);
// The newest is the one kept up to date; older duplicates (a race between two runs) are left.
const existing = mine.sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
if (existing) {
  await api.updateComment(existing.id, body);
  console.log(`svc-ci: updated the plan comment ${existing.id} on #${issue}`);
} else {
  const created = await api.createComment(issue, body);
  console.log(`svc-ci: commented the plan on #${issue} (${created.id})`);
}
