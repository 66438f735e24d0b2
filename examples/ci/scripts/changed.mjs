// Whether a pull request or a push touches what svc deploys: the files the manifests under SVC_DIR
// are made of (`svc validate --json`: each service's manifests, config file sources and build
// contexts), or any service.yaml (one added or removed). Writes the step output `changed` (true or
// false) and says which paths decided it. When it cannot tell — no such base commit (a new
// branch, a force push whose base is gone), manifests that do not validate — the answer is true:
// planning when nothing changed costs a minute, skipping a deploy that mattered costs far more.
// A job gate rather than a `paths:` filter: the files svc reads are wherever the manifests say,
// and a required check whose workflow a `paths:` filter skipped never reports, while a skipped
// job counts as passed.
//
//   node changed.mjs BASE...HEAD   (a pull request: what it changes since it branched)
//   node changed.mjs BEFORE..AFTER (a push)                     (env: SVC_DIR)
import { spawnSync } from "node:child_process";
import { output } from "./github.mjs";

const range = process.argv[2] ?? "";
const [base, head] = range.split(/\.{2,3}/);
const dir = (process.env.SVC_DIR || ".").replace(/\/+$/, "") || ".";
const git = (...args) => spawnSync("git", args, { encoding: "utf8" });
const say = (changed, why) => {
  console.log(`svc-ci: ${why}`);
  output("changed", String(changed));
  process.exit(0);
};

if (!base || !head || /^0+$/.test(base) || git("cat-file", "-e", `${base}^{commit}`).status !== 0)
  say(true, `no base commit to compare with in ${JSON.stringify(range)}: planning as if changed`);
const diff = git("diff", "--name-only", "--no-renames", range);
if (diff.status !== 0) say(true, `git diff ${range} failed (${diff.stderr.trim()}): planning as if changed`);
const paths = diff.stdout.split("\n").filter(Boolean);

const validated = spawnSync("svc", ["validate", dir, "--json"], { encoding: "utf8" });
let inputs;
try {
  const result = JSON.parse(validated.stdout);
  if (result.valid) inputs = [...result.files, ...result.services.flatMap((s) => s.inputs)];
} catch {}
if (!inputs) say(true, "the manifests do not validate: planning, so the pull request says why");

const concerns = (path) =>
  path === "service.yaml" ||
  path.endsWith("/service.yaml") ||
  inputs.some((input) => input === "." || path === input || path.startsWith(`${input}/`));
const touched = paths.filter(concerns);
say(
  touched.length > 0,
  touched.length > 0
    ? `${touched.length} of ${paths.length} changed files are svc's: ${touched.slice(0, 20).join(", ")}${touched.length > 20 ? ", …" : ""}`
    : `none of the ${paths.length} changed files is a manifest or a file one reads: nothing for svc to plan or apply`,
);
