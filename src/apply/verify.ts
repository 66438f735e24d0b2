import { spawn } from "node:child_process";
import http from "node:http";
import { resolve } from "node:path";
import type { VerifyCheck } from "../manifest/model.js";
import type { NormalService } from "../plan/model.js";
import type { ObservedState, PodView } from "../platform/model.js";

/** A verify check that failed, with its evidence (the answer, or the command's last lines). */
export class VerifyFailed extends Error {
  constructor(
    readonly container: string,
    readonly check: string,
    readonly evidence: string,
  ) {
    super(`verify check failed: ${container}: ${check}: ${evidence}`);
  }
}

/** Where the service answers now, as the checks and their commands see it. */
export interface VerifyContext {
  target: string;
  service: string;
  /** The saved plan applied, when one was. */
  planPath?: string;
}

/** How many of a command's last output lines a failure shows. */
const EVIDENCE_LINES = 20;
/** How much of an answer's body a `contains` check reads. */
const BODY_LIMIT = 1024 * 1024;

/**
 * Runs every container's verify checks, one after another in the manifest's order, and throws the
 * first that fails. Never run by plan; each bounded by its own timeout.
 */
export async function verifyService(
  desired: NormalService,
  live: { state: ObservedState; pod: PodView },
  context: VerifyContext,
  progress: (what: string) => void,
): Promise<number> {
  const host = live.pod.hostIP ?? "127.0.0.1";
  const hostPort = (container: string, port: number) =>
    live.state.containers
      ?.find((c) => c.name === container)
      ?.ports?.find((p) => p.containerPort === port && p.protocol === "TCP")?.hostPort;
  const env = commandEnv(desired, live, host, context);
  let count = 0;
  for (const c of desired.containers) {
    for (const check of c.verify ?? []) {
      count++;
      if ("http" in check) {
        const port = hostPort(c.name, check.port);
        const what = `GET ${check.http}`;
        progress(`verifying ${c.name}: ${what}`);
        if (port === undefined)
          throw new VerifyFailed(
            c.name,
            what,
            `the provider does not show the host port of container port ${check.port} (assigned, and it shows assigned ports only with deployment-info): specify the host port in ports ("HOST:${check.port}"), or check through the domain with { run: ... } and SVC_URL`,
          );
        await httpCheck(c.name, what, host, port, check);
      } else {
        const what = `run ${JSON.stringify(check.run)}`;
        progress(`verifying ${c.name}: ${what}`);
        await runCheck(c.name, what, check, env);
      }
    }
  }
  return count;
}

async function httpCheck(
  container: string,
  what: string,
  host: string,
  port: number,
  check: Extract<VerifyCheck, { http: string }>,
): Promise<void> {
  const answer = await get(host, port, check.http, check.timeout * 1000);
  if ("error" in answer) throw new VerifyFailed(container, what, answer.error);
  const excerpt = answer.body.trim().slice(0, 200).replace(/\s+/g, " ");
  const shown = excerpt ? `; the answer began: ${JSON.stringify(excerpt)}` : "";
  if (answer.status !== check.expect)
    throw new VerifyFailed(container, what, `answered ${answer.status}, expected ${check.expect}${shown}`);
  if (check.contains !== undefined && !answer.body.includes(check.contains))
    throw new VerifyFailed(
      container,
      what,
      `answered ${answer.status} without ${JSON.stringify(check.contains)} in its body${shown}`,
    );
}

/** One GET with its body, bounded by a timer of its own. */
function get(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((done) => {
    let settled = false;
    const finish = (result: { status: number; body: string } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      done(result);
    };
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    const request = http.get({ host, port, path, agent: false, headers: { connection: "close" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < BODY_LIMIT) chunks.push(chunk);
        size += chunk.length;
      });
      const end = () =>
        finish({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8").slice(0, BODY_LIMIT),
        });
      res.once("end", end);
      res.once("error", end);
    });
    request.once("error", (error: NodeJS.ErrnoException) =>
      finish({ error: `no answer (${error.code ?? error.message})` }),
    );
  });
}

/**
 * A command through `sh -c`, in its manifest's directory, its output kept (last lines) for the
 * evidence. On timeout its whole process group is killed.
 */
function runCheck(
  container: string,
  what: string,
  check: Extract<VerifyCheck, { run: string }>,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn("sh", ["-c", check.run], {
      cwd: resolve(check.dir),
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      // Only the last lines are kept: a chatty command does not grow svc's memory.
      output = `${output}${chunk.toString("utf8")}`
        .split("\n")
        .slice(-EVIDENCE_LINES - 1)
        .join("\n");
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, check.timeout * 1000);
    const lines = () => {
      const text = output.trimEnd();
      return text ? `; its last output lines:\n${text.replace(/^/gm, "      ")}` : "; it wrote nothing";
    };
    child.once("error", (error) => {
      clearTimeout(timer);
      fail(new VerifyFailed(container, what, `could not start (${error.message})`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut)
        fail(new VerifyFailed(container, what, `still running after ${check.timeout} s (timeout)${lines()}`));
      else if (code === 0) done();
      else
        fail(
          new VerifyFailed(
            container,
            what,
            `${code === null ? `killed by ${signal}` : `exited with code ${code}`}${lines()}`,
          ),
        );
    });
  });
}

/**
 * A command's environment: svc's own, without a credential (SVC_TOKEN_*, SVC_SECRET_*,
 * SVC_REGISTRY_*), and where the service answers: SVC_TARGET, SVC_SERVICE, SVC_HOST,
 * SVC_PORT_<containerPort> (its host port), SVC_URL (the first domain, else the first port), SVC_PLAN.
 */
export function commandEnv(
  desired: NormalService,
  live: { state: ObservedState; pod: PodView },
  host: string,
  context: VerifyContext,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^SVC_(TOKEN|SECRET|REGISTRY)_/i.test(name)) env[name] = value;
  env.SVC_TARGET = context.target;
  env.SVC_SERVICE = context.service;
  env.SVC_HOST = host;
  const ports: { container: number; host: number }[] = [];
  for (const c of desired.containers) {
    for (const p of live.state.containers?.find((l) => l.name === c.name)?.ports ?? []) {
      if (p.hostPort === undefined) continue;
      env[`SVC_PORT_${p.containerPort}`] = String(p.hostPort);
      if (p.protocol === "TCP") ports.push({ container: p.containerPort, host: p.hostPort });
    }
  }
  const domain = live.state.domains[0];
  const first = ports[0];
  if (domain) env.SVC_URL = `${domain.isHttps ? "https" : "http"}://${domain.domain}`;
  else if (first) env.SVC_URL = `http://${host}:${first.host}`;
  if (context.planPath) env.SVC_PLAN = resolve(context.planPath);
  return env;
}
