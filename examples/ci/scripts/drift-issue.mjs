// Keeps one issue about drift: with exit code 2 (changes present) or 1 (the plan failed) from
// `svc plan --detailed-exitcode`, the open issue labelled svc-drift gets the plan (created if
// there is none); with 0 it is closed. Exits 1 when the plan failed, so the run shows red.
//
//   node drift-issue.mjs plan.md EXITCODE    (env: GITHUB_TOKEN, GITHUB_REPOSITORY)
import { readFileSync } from "node:fs";
import { fail, github, runUrl } from "./github.mjs";

const [file, code] = process.argv.slice(2);
if (!file || !["0", "1", "2"].includes(code ?? ""))
  fail("usage: node drift-issue.mjs PLAN.md EXITCODE (0, 1 or 2, from svc plan --detailed-exitcode)");
const LABEL = "svc-drift";
const api = github();
const [open] = await api.openIssues(LABEL);
if (code === "0") {
  if (open) {
    await api.updateIssue(open.number, { state: "closed", state_reason: "completed" });
    console.log(`svc-ci: no drift; closed #${open.number}`);
  } else console.log("svc-ci: no drift");
  process.exit(0);
}
let plan = "";
try {
  plan = readFileSync(file, "utf8").trim();
} catch {}
const body = [
  code === "2"
    ? `The live state differs from the manifests on the default branch (found by ${runUrl()}). Apply them (a merge, or \`svc apply\`) or change the manifests to match.`
    : `The scheduled plan failed (${runUrl()}): drift is unknown until it is fixed.`,
  "",
  plan || "svc printed no plan.",
].join("\n");
const title = code === "2" ? "Drift: the live state differs from the manifests" : "Drift check failed";
if (open) {
  await api.updateIssue(open.number, { title, body });
  console.log(`svc-ci: updated #${open.number}`);
} else {
  const created = await api.createIssue({ title, body, labels: [LABEL] });
  console.log(`svc-ci: opened #${created.number}`);
}
if (code === "1") process.exit(1);
