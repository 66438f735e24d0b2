import http from "node:http";
import net from "node:net";
import type { NormalService } from "../plan/model.js";
import type { LiveContainer } from "../platform/model.js";

/** What one readiness check saw: whether it passed, and the answer in a few words. */
export interface ProbeAnswer {
  ready: boolean;
  /** As shown while waiting and in a failure: "GET /health → 403", "nothing listens", ... */
  answer: string;
  /**
   * An HTTP status that waiting will not change (4xx other than 404, 408 and 429: the app answers,
   * and refuses): repeated for ready.failAfter, it fails the rollout at once.
   */
  clientError?: number;
}

/** How long a client error (a 4xx that waiting will not change) may repeat before it fails at once. */
export const DEFAULT_FAIL_AFTER_S = 30;

/** How long a connection may take to open, and an HTTP answer to start, before "no answer". */
export const PROBE_TIMEOUT_MS = 2000;

/**
 * How long an open connection must stay open, silent, to count as a listener: an engine's port
 * proxy with nothing listening inside accepts and closes at once.
 */
export const SETTLE_MS = 100;

/**
 * GET path through host:port. Ready on 2xx or 3xx. Every way of not answering is an answer too:
 * refused, closed, reset, or silent past the timeout. Bounded by a timer of its own that keeps the
 * process alive, so a probe always settles.
 */
export function probeHttp(host: string, port: number, path: string): Promise<ProbeAnswer> {
  const asked = `GET ${path}`;
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: ProbeAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(answer);
    };
    const timer = setTimeout(
      () => done({ ready: false, answer: `${asked} → no answer within ${PROBE_TIMEOUT_MS / 1000} s` }),
      PROBE_TIMEOUT_MS,
    );
    const request = http.get({ host, port, path, agent: false, headers: { connection: "close" } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done({
        ready: status >= 200 && status < 400,
        answer: `${asked} → ${status}`,
        ...(isClientError(status) ? { clientError: status } : {}),
      });
    });
    request.once("error", (error: NodeJS.ErrnoException) =>
      done({ ready: false, answer: `${asked} → ${noAnswer(error)}` }),
    );
  });
}

/** 4xx that no amount of waiting changes: not 404 (a route not there yet), 408 or 429 (busy). */
function isClientError(status: number): boolean {
  return status >= 400 && status < 500 && status !== 404 && status !== 408 && status !== 429;
}

function noAnswer(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
    case "EPIPE":
      return "connection closed without an answer (nothing listens inside?)";
    default:
      return error.code ? `no answer (${error.code})` : "no answer";
  }
}

/**
 * Whether something listens behind host:port: a connection that stays open (SETTLE_MS) or gets
 * data. One closed at once without a byte is an engine's port proxy with nothing inside.
 */
export function probeTcp(host: string, port: number): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect({ host, port });
    const done = (answer: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer === undefined ? { ready: true, answer: "answers" } : { ready: false, answer });
    };
    timer = setTimeout(() => done(`no connection within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS);
    socket.once("connect", () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(undefined), SETTLE_MS);
    });
    socket.once("data", () => done(undefined));
    socket.once("end", () => done("nothing listens (connections are closed at once)"));
    socket.once("close", () => done("nothing listens (connections are closed at once)"));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      done(
        error.code === "ECONNREFUSED"
          ? "connection refused"
          : `no connection (${error.code ?? error.message})`,
      ),
    );
  });
}

export interface Check {
  container: string;
  containerPort: number;
  hostPort: number;
  /** The path of an http readiness check. */
  http?: string;
  failAfterS: number;
}

export type Unready = Check & ProbeAnswer;

export const checkKey = (c: Check) => `${c.container}:${c.containerPort}`;

/**
 * The readiness checks, on the host ports the provider shows (assigned ones only with
 * deployment-info). By default every published tcp port of a container must answer;
 * `ready: { tcp }` checks that port only, `ready: { http }` a GET through its port, `ready: none`
 * nothing.
 */
export function readinessChecks(live: LiveContainer[], desired: NormalService): Check[] {
  return desired.containers.flatMap((c) => {
    const published = (live.find((l) => l.name === c.name)?.ports ?? []).filter(
      (p) => p.protocol === "TCP" && p.hostPort,
    );
    const ready = c.ready;
    if (ready === "none") return [];
    const port = ready && ("tcp" in ready ? ready.tcp : ready.port);
    return published
      .filter((p) => port === undefined || p.containerPort === port)
      .map((p) => ({
        container: c.name,
        containerPort: p.containerPort,
        hostPort: p.hostPort as number,
        ...(ready && "http" in ready ? { http: ready.http } : {}),
        failAfterS: (ready && "http" in ready ? ready.failAfter : undefined) ?? DEFAULT_FAIL_AFTER_S,
      }));
  });
}

export async function unreadyChecks(checks: Check[], hostIP: string): Promise<Unready[]> {
  const answers = await Promise.all(
    checks.map((c) => (c.http ? probeHttp(hostIP, c.hostPort, c.http) : probeTcp(hostIP, c.hostPort))),
  );
  return checks.flatMap((check, i) => {
    const answer = answers[i] as ProbeAnswer;
    return answer.ready ? [] : [{ ...check, ...answer }];
  });
}
