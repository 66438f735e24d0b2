// Finds what was reviewed for the commit being applied: the pull request it merged, that pull
// request's svc plan comment (written by the workflow, with the same key), and its digest. Prints
// `digest=sha256:…` and writes it as the step output `digest` (and `pull_request`, the number).
// No reviewed plan, no apply: it fails, and the apply step never runs (after-merge.mjs says so on
// the pull request).
//
//   node reviewed-digest.mjs    (env: GITHUB_SHA, GITHUB_TOKEN, GITHUB_REPOSITORY; SVC_DIR as plan.sh,
//                                SVC_COMMENT_AUTHOR default github-actions[bot])
import { fail, github, output, planKey, planMarker, required } from "./github.mjs";

const sha = required(process.env, "GITHUB_SHA", "the commit being applied");
const key = planKey();
const author = process.env.SVC_COMMENT_AUTHOR || "github-actions[bot]";
const api = github();

const pulls = (await api.pullsOfCommit(sha)).filter((p) => p.merged_at);
if (pulls.length === 0)
  fail(`commit ${sha} was not merged from a pull request: nothing was reviewed, so nothing is applied`);
const [pull] = pulls.sort((a, b) => (a.merged_at < b.merged_at ? 1 : -1));
// Said before any check below fails: the next steps tell that pull request what happened.
output("pull_request", String(pull.number));
const comments = (await api.comments(pull.number))
  // Anyone may comment on a pull request: only the workflow's own comment counts.
  .filter((c) => c.user?.login === author && planMarker(c.body)?.key === key)
  .sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
const marker = comments[0] && planMarker(comments[0].body);
if (!marker) fail(`pull request #${pull.number} has no svc plan comment by ${author} for ${key}`);
if (marker.digest === "none")
  fail(
    `pull request #${pull.number} has no plan for its last push (it failed, or a fork's waits for approval): nothing reviewable, so nothing is applied`,
  );
output("digest", marker.digest);
