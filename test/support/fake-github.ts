import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./cli.js";

/**
 * The GitHub REST calls the example workflows' glue makes (examples/ci/scripts/github.mjs), kept
 * in memory: issue comments, issues, a commit's pull requests, deployments and their statuses.
 * Every request must carry the token; anything else is a 404 naming the call.
 */
export const BOT = "github-actions[bot]";
export const GH_TOKEN = "ghs_fake-github-token-7781";

export interface Comment {
  id: number;
  body: string;
  user: { login: string };
  created_at: string;
  updated_at: string;
}
export interface Issue {
  number: number;
  title: string;
  body: string;
  state: string;
  labels: string[];
}

export interface Deployment {
  id: number;
  ref: string;
  environment: string;
  description: string;
  payload: unknown;
  statuses: { state: string; description?: string; environment_url?: string; log_url?: string }[];
}

export class FakeGitHub {
  comments = new Map<number, Comment[]>();
  issues: Issue[] = [];
  pulls = new Map<string, { number: number; merged_at: string | null }[]>();
  deployments: Deployment[] = [];
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

  /** Listens on a free local port; the base URL glue takes as GITHUB_API_URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Everything written to GitHub: comments, issues, deployments (for leak scans). */
  written(): string {
    return JSON.stringify([[...this.comments.values()], this.issues, this.deployments]);
  }

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
    if (url.pathname === "/repos/acme/shop/deployments" && req.method === "POST") {
      const deployment = { id: this.next++, statuses: [], ...body };
      this.deployments.push(deployment);
      return [201, deployment];
    }
    m = /^\/repos\/acme\/shop\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
    if (m && req.method === "POST") {
      const deployment = this.deployments.find((d) => d.id === Number(m?.[1]));
      if (!deployment) return [404, { message: "Not Found" }];
      deployment.statuses.push(body);
      return [201, { id: this.next++, ...body }];
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

/**
 * A runner's job directory for the glue: a temp repository with svc on PATH (as the action leaves
 * it: this checkout's bin/run.js), no keychain, and what GitHub Actions sets for a run of acme/shop
 * against the fake at `api`.
 */
export function runnerEnv(prefix: string, api: string): { repo: string; env: NodeJS.ProcessEnv } {
  const repo = mkdtempSync(join(tmpdir(), prefix));
  const bin = join(repo, ".bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "svc"),
    `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, "bin/run.js")}" "$@"\n`,
  );
  chmodSync(join(bin, "svc"), 0o755);
  return {
    repo,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: repo,
      SVC_HOME: join(repo, ".svc-home"),
      NO_COLOR: "1",
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      GITHUB_API_URL: api,
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_TOKEN: GH_TOKEN,
      GITHUB_OUTPUT: join(repo, "output"),
    },
  };
}
