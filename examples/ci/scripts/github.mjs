// The little of GitHub's REST API the svc workflows use, on Node's own fetch (no dependencies):
// issue comments (list, create, update), issues (list, create, update), a commit's pull requests,
// and deployments with their statuses.
// Configured by what GitHub Actions sets: GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN.
import { appendFileSync } from "node:fs";

export function github(env = process.env) {
  const base = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/$/, "");
  const repository = required(env, "GITHUB_REPOSITORY", "owner/name of the repository");
  const token = required(env, "GITHUB_TOKEN", "pass ${{ github.token }} to this step as GITHUB_TOKEN");

  async function call(method, path, body) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "x-github-api-version": "2022-11-28",
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) {
      const text = (await response.text()).slice(0, 500);
      throw new Error(`GitHub answered ${response.status} to ${method} ${path}: ${text}`);
    }
    return response.status === 204 ? undefined : response.json();
  }

  /** Every page of a list (100 a page). */
  async function all(path) {
    const items = [];
    for (let page = 1; ; page++) {
      const batch = await call("GET", `${path}${path.includes("?") ? "&" : "?"}per_page=100&page=${page}`);
      items.push(...batch);
      if (batch.length < 100) return items;
    }
  }

  const repo = `/repos/${repository}`;
  return {
    comments: (issue) => all(`${repo}/issues/${issue}/comments`),
    createComment: (issue, body) => call("POST", `${repo}/issues/${issue}/comments`, { body }),
    updateComment: (id, body) => call("PATCH", `${repo}/issues/comments/${id}`, { body }),
    pullsOfCommit: (sha) => call("GET", `${repo}/commits/${sha}/pulls`),
    openIssues: (label) => all(`${repo}/issues?state=open&labels=${encodeURIComponent(label)}`),
    createIssue: (issue) => call("POST", `${repo}/issues`, issue),
    updateIssue: (number, fields) => call("PATCH", `${repo}/issues/${number}`, fields),
    createDeployment: (deployment) => call("POST", `${repo}/deployments`, deployment),
    createDeploymentStatus: (id, status) => call("POST", `${repo}/deployments/${id}/statuses`, status),
  };
}

/**
 * One comment per plan key on a pull request, kept up to date: the newest comment whose marker has
 * the body's key is updated, else one is created (unless `create` is false). Older duplicates (a
 * race between two runs) are left.
 */
export async function stickyComment(api, issue, body, { create = true } = {}) {
  const { key } = planMarker(body);
  const mine = (await api.comments(issue)).filter((c) => planMarker(c.body)?.key === key);
  const existing = mine.sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
  if (existing) {
    await api.updateComment(existing.id, body);
    console.log(`svc-ci: updated the plan comment ${existing.id} on #${issue}`);
  } else if (!create) {
    console.log(`svc-ci: no plan comment on #${issue} to update`);
  } else {
    const created = await api.createComment(issue, body);
    console.log(`svc-ci: commented the plan on #${issue} (${created.id})`);
  }
}

/** Appends Markdown lines to the job summary (and prints them). */
export function summary(lines, env = process.env) {
  const text = `${lines.join("\n")}\n`;
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, text);
  console.log(text);
}

/** The marker svc puts first in a Markdown plan: `<!-- svc-plan:KEY digest=sha256:… -->`. */
export function planMarker(body) {
  const match = /^<!-- svc-plan:(.*) digest=(sha256:[0-9a-f]{64}|none) -->/.exec(body ?? "");
  return match ? { key: match[1], digest: match[2] } : undefined;
}

/** The link to the running workflow. */
export function runUrl(env = process.env) {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = env;
  return server && repository && run ? `${server}/${repository}/actions/runs/${run}` : "the workflow run";
}

/** A step output (`echo name=value >> $GITHUB_OUTPUT`), and the same on stdout. */
export function output(name, value, env = process.env) {
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `${name}=${value}\n`);
  console.log(`${name}=${value}`);
}

export function required(env, name, what) {
  const value = env[name];
  if (!value) fail(`${name} is not set: ${what}`);
  return value;
}

export function fail(message) {
  console.error(`svc-ci: ${message}`);
  process.exit(1);
}

/**
 * The key svc gives the plan of SVC_DIR (as plan.sh plans it): `dirs=services targets=*`.
 * SVC_PLAN_KEY overrides it for plans made with other arguments.
 */
export function planKey(env = process.env) {
  if (env.SVC_PLAN_KEY) return env.SVC_PLAN_KEY;
  const dir = (env.SVC_DIR || ".").replace(/^(\.\/)+/, "").replace(/\/+$/, "") || ".";
  return `dirs=${encodeURI(dir)} targets=*`;
}
