// Posts a Markdown plan on the pull request as one sticky comment: the comment whose marker has
// the same key (the manifests' directories and targets) is updated, else one is created. An empty
// plan file (svc never ran) still gets a comment saying so, so a failing plan is never silent.
// With --waiting instead of a file: the comment says the plan waits for a maintainer's approval
// (a fork's pull request: its plan runs in the `plan` environment); the plan replaces it. With
// --unchanged: the pull request no longer touches what svc deploys (changed.mjs), said in the
// comment if there is one (an earlier push was planned), and no comment made if there is none.
//
//   node sticky-comment.mjs plan.md | --waiting | --unchanged
//                                                 (env: PR_NUMBER, GITHUB_TOKEN, GITHUB_REPOSITORY)
import { readFileSync } from "node:fs";
import { fail, github, planKey, planMarker, required, runUrl, stickyComment } from "./github.mjs";

const file = process.argv[2] ?? fail("usage: node sticky-comment.mjs PLAN.md|--waiting|--unchanged");
const issue = required(process.env, "PR_NUMBER", "pass ${{ github.event.pull_request.number }}");
const marker = `<!-- svc-plan:${planKey()} digest=none -->`;
let body = "";
if (file === "--waiting") {
  body = [
    marker,
    "### svc plan: waiting for a maintainer",
    "",
    "This pull request comes from a fork. Its plan needs the platform's token, so it runs in the",
    "`plan` environment of this repository, and only after a maintainer has approved that run",
    `(${runUrl()} → Review deployments). The plan then replaces this comment; each new push waits`,
    "for approval again. Until then nothing here can be applied: a merge without a reviewed plan",
    "applies nothing and says so on this pull request.",
  ].join("\n");
} else if (file === "--unchanged") {
  body = [
    marker,
    "### svc plan: nothing to plan",
    "",
    "This pull request no longer changes a manifest or a file one reads (config files, build",
    "contexts): merging it deploys nothing.",
  ].join("\n");
} else {
  try {
    body = readFileSync(file, "utf8").trim();
  } catch {}
  if (!planMarker(body)) {
    body = [
      marker,
      "### svc plan: no plan was made",
      "",
      `svc printed no plan (it may not have installed or started): see ${runUrl()}.`,
      ...(body ? ["", "```", body.slice(0, 20_000), "```"] : []),
    ].join("\n");
  }
}
await stickyComment(github(), issue, body, { create: file !== "--unchanged" });
