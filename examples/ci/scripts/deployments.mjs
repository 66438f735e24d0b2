// Records what an apply did as GitHub Deployments, one per target it changed: the environment is
// the target's name, the URL its first service's domain, the status success (applied), failure
// (failed, unknown or interrupted) or failure described as restored (--atomic: a check failed and
// the state from before runs again; GitHub has no state of that name). Reads the summary
// `svc apply --report apply.json` wrote; no file (svc stopped before applying: a stale digest, a
// destructive plan, a problem) means nothing was deployed and nothing is recorded.
//
//   node deployments.mjs apply.json    (env: GITHUB_SHA, GITHUB_TOKEN, GITHUB_REPOSITORY)
import { readFileSync } from "node:fs";
import { fail, github, required, runUrl } from "./github.mjs";

const file = process.argv[2] ?? fail("usage: node deployments.mjs APPLY.json (svc apply --report)");
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch {
  console.log(`svc-ci: no ${file}: svc applied nothing, so no deployment is recorded`);
  process.exit(0);
}
const sha = required(process.env, "GITHUB_SHA", "the commit applied");
const byTarget = new Map();
for (const s of report.services.filter((s) => s.status !== "unchanged")) {
  byTarget.set(s.target, [...(byTarget.get(s.target) ?? []), s]);
}
const api = github();
for (const [target, services] of [...byTarget].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const names = (status) => services.filter((s) => s.status === status).map((s) => s.service);
  const bad = [...names("failed"), ...names("unknown"), ...names("interrupted")];
  const restored = names("restored");
  const state = bad.length || restored.length ? "failure" : "success";
  const description = bad.length
    ? `failed: ${bad.join(", ")}`
    : restored.length
      ? `restored (a check failed; the state from before runs): ${restored.join(", ")}`
      : `applied: ${names("applied").join(", ")}`;
  const deployment = await api.createDeployment({
    ref: sha,
    environment: target,
    description: `svc ${report.command} ${report.digest}`,
    auto_merge: false,
    required_contexts: [],
    payload: { digest: report.digest, services: services.map((s) => s.service) },
  });
  const url = services.find((s) => s.url)?.url;
  await api.createDeploymentStatus(deployment.id, {
    state,
    description: description.slice(0, 140),
    ...(runUrl().startsWith("http") ? { log_url: runUrl() } : {}),
    ...(url ? { environment_url: url } : {}),
  });
  console.log(`svc-ci: deployment ${deployment.id} of ${target}: ${state} (${description})`);
}
