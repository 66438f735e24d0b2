import http from "node:http";
import https from "node:https";
import pRetry from "p-retry";
import { redactor } from "../credentials/redact.js";
import { PlatformHttpError, PlatformUnreachable } from "../errors.js";
import { backoffMs, sleep } from "../util/poll.js";
import type { ServiceToken } from "./token.js";

export interface ClientOptions {
  timeoutMs?: number;
  /** Attempts for idempotent calls (first try included); default 8. */
  attempts?: number;
  /** Base of the exponential backoff, in ms. */
  backoffMs?: number;
  /** Told before each retry, so a command can show what it is waiting on. */
  onRetry?: (retry: RetryInfo) => void;
}

export interface RetryInfo {
  host: string;
  call: string;
  /** The attempt that failed (1 = the first try) and how many there may be. */
  attempt: number;
  attempts: number;
  reason: string;
}

/** Network failures that mean nothing is there (refused, no such host, no such address). */
const ABSENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "not a valid address"]);
const ABSENT_ATTEMPTS = 3;

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Reads and idempotent calls are retried on 5xx, resets and timeouts; mutations never here. */
  idempotent: boolean;
  /** Send the service secret (every call but images and checkports). */
  auth?: boolean;
  /** Name of the call, for messages. */
  call: string;
  /** Attempts for this call, where it differs from the client's. */
  attempts?: number;
}

/** Why a failed attempt may be tried again, and after how long (Retry-After), when it says. */
interface Retryable {
  reason: string;
  absent?: boolean;
  waitMs?: number;
}
const retryable = new WeakMap<object, Retryable>();

/**
 * One platform's HTTP: the secret header, timeouts, and the platform's errors as svc's (masked and
 * bounded). Idempotent calls are retried with exponential backoff and jitter on 5xx, 429
 * (honouring Retry-After), resets, timeouts and error bodies with a 5xx code; a platform that is
 * not there (refused, no such host) only three times; other calls are sent exactly once.
 */
export class PlatformHttp {
  readonly host: string;

  constructor(
    private readonly token: ServiceToken,
    readonly options: ClientOptions = {},
  ) {
    this.host = token.host;
  }

  get<T>(path: string, call: string, attempts?: number): Promise<T> {
    return this.request<T>("GET", path, { idempotent: true, call, ...(attempts ? { attempts } : {}) });
  }

  request<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    const attempts = o.idempotent ? (o.attempts ?? this.options.attempts ?? 8) : 1;
    // How many there may be for this failure: a platform that is not there is asked three times.
    const limit = (why: Retryable) => (why.absent ? Math.min(attempts, ABSENT_ATTEMPTS) : attempts);
    const again = (error: Error, attempt: number) => {
      const why = retryable.get(error);
      return why && attempt < limit(why) ? why : undefined;
    };
    return pRetry(() => this.once<T>(method, path, o), {
      retries: attempts - 1,
      // The wait is chosen per failure (Retry-After, else backoff) in onFailedAttempt.
      minTimeout: 0,
      onFailedAttempt: async ({ error, attemptNumber }) => {
        const why = again(error, attemptNumber);
        if (!why) return;
        this.options.onRetry?.({
          host: this.host,
          call: o.call,
          attempt: attemptNumber,
          attempts: limit(why),
          reason: why.reason,
        });
        await sleep(why.waitMs ?? backoffMs(attemptNumber, this.options.backoffMs));
      },
      shouldRetry: ({ error, attemptNumber }) => again(error, attemptNumber) !== undefined,
    });
  }

  /** One attempt. A 2xx answer carrying `error` or a top-level `message` is an error. */
  private async once<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    const body = method !== "GET" ? JSON.stringify(o.body ?? {}) : undefined;
    let response: { status: number; statusText: string; retryAfter?: string; text: string };
    try {
      response = await send(new URL(path, this.host), {
        method,
        // The secret travels only in this header: never in a URL, an argument or a log line.
        headers: {
          ...(o.auth === false ? {} : { secret: this.token.secret }),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...o.headers,
        },
        ...(body !== undefined ? { body } : {}),
        timeoutMs: this.options.timeoutMs ?? 15_000,
      });
    } catch (error) {
      const reason = networkReason(error);
      const failure = new PlatformUnreachable(this.host, reason);
      // Nothing listens there, or the name does not resolve: a moment's retry covers a platform
      // restarting; eight would only keep the user waiting.
      retryable.set(failure, { reason, absent: ABSENT.has(reason) });
      throw failure;
    }
    const { text } = response;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const err = errorOf(json);
    if (response.status >= 200 && response.status < 300 && !err) return json as T;
    const failure = httpError(response.status, response.statusText, err, o.call);
    if (RETRYABLE_STATUS.has(response.status)) {
      const waitMs = retryAfterMs(response.retryAfter ?? null);
      retryable.set(failure, {
        reason: `HTTP ${response.status}`,
        ...(waitMs !== undefined ? { waitMs } : {}),
      });
    } else if (failure.transient) retryable.set(failure, { reason: failure.message });
    throw failure;
  }

  /** The error of a failed streaming answer, as svc's. */
  async failure(response: Response, call: string): Promise<PlatformHttpError> {
    const err = errorOf(await response.json().catch(() => undefined));
    return httpError(response.status, response.statusText, err, call);
  }

  /** Opens a long-lived answer (a log stream): it must start within the usual timeout, then may last. */
  async open(path: string, signal: AbortController, outer?: AbortSignal): Promise<Response | undefined> {
    const noAnswer = setTimeout(() => signal.abort(), this.options.timeoutMs ?? 15_000);
    try {
      return await fetch(`${this.host}${path}`, {
        headers: { secret: this.token.secret, Connection: "close" },
        signal: signal.signal,
      });
    } catch (error) {
      if (outer?.aborted) return undefined;
      throw new PlatformUnreachable(this.host, signal.signal.aborted ? "timed out" : networkReason(error));
    } finally {
      clearTimeout(noAnswer);
    }
  }
}

/** The platform's words enter svc masked (an error may echo the request: token, passwords) and bounded. */
function platformWords(text: string): string {
  const masked = redactor.redact(text);
  return masked.length <= MAX_ERROR_TEXT
    ? masked
    : `${masked.slice(0, MAX_ERROR_TEXT)}… (${masked.length - MAX_ERROR_TEXT} more characters)`;
}
const MAX_ERROR_TEXT = 2000;

function errorOf(json: unknown): { code?: number; message: string } | undefined {
  const error = rawErrorOf(json);
  return error && { ...error, message: platformWords(error.message) };
}

/** A failed answer as svc's error: the platform's own code and words where its body has them. */
function httpError(
  status: number,
  statusText: string,
  err: { code?: number; message: string } | undefined,
  call: string,
): PlatformHttpError {
  return new PlatformHttpError(status, err?.code ?? status, err?.message ?? statusText, call);
}

/** `{error: {code, message}}`, or a top-level `message` (the market CLI's failure), in any answer. */
function rawErrorOf(json: unknown): { code?: number; message: string } | undefined {
  if (!json || typeof json !== "object" || Array.isArray(json)) return undefined;
  const { error, message } = json as { error?: unknown; message?: unknown };
  if (error && typeof error === "object") {
    const e = error as { code?: unknown; message?: unknown };
    return {
      code: typeof e.code === "number" ? e.code : 500,
      message: typeof e.message === "string" ? e.message : "error",
    };
  }
  if (typeof error === "string") return { code: 500, message: error };
  if (typeof message === "string") return { code: 400, message };
  return undefined;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, 30_000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, Math.min(date - Date.now(), 30_000)) : undefined;
}

function networkReason(error: unknown): string {
  const e = error as Error & { code?: string; cause?: { name?: string; code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.cause?.name === "TimeoutError") return "timed out";
  if (e.code === "ERR_SOCKET_BAD_PORT" || e.code === "ERR_INVALID_URL") return "not a valid address";
  return e.code ?? e.cause?.code ?? e.cause?.message ?? e.message;
}

/**
 * Connections are kept open between calls, one pool per protocol: a plan makes a few calls per
 * service to the same host. node:http rather than fetch: a plan over hundreds of services spent
 * more of its time in fetch's streams than waiting on the platform (npm run bench -- plan).
 */
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/** One request, its whole answer read as text. */
function send(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<{ status: number; statusText: string; retryAfter?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === "https:";
    const request = (secure ? https : http).request(
      url,
      {
        method: options.method,
        headers: {
          ...options.headers,
          ...(options.body !== undefined ? { "content-length": Buffer.byteLength(options.body) } : {}),
        },
        agent: agents[secure ? "https:" : "http:"],
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const retryAfter = response.headers["retry-after"];
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? "",
            ...(retryAfter ? { retryAfter } : {}),
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}
