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

/** Network failures that mean nothing is there (refused, no such host, a port fetch refuses). */
const ABSENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "bad port"]);
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
    const hasBody = method !== "GET";
    let response: Response;
    try {
      response = await fetch(`${this.host}${path}`, {
        method,
        // The secret travels only in this header: never in a URL, an argument or a log line.
        headers: {
          ...(o.auth === false ? {} : { secret: this.token.secret }),
          ...(hasBody ? { "content-type": "application/json" } : {}),
          ...o.headers,
        },
        ...(hasBody ? { body: JSON.stringify(o.body ?? {}) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      const reason = networkReason(error);
      const failure = new PlatformUnreachable(this.host, reason);
      // Nothing listens there, or the name does not resolve: a moment's retry covers a platform
      // restarting; eight would only keep the user waiting.
      retryable.set(failure, { reason, absent: ABSENT.has(reason) });
      throw failure;
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const err = errorOf(json);
    if (response.ok && !err) return json as T;
    const failure = new PlatformHttpError(
      response.status,
      err?.code ?? response.status,
      err?.message ?? response.statusText,
      o.call,
    );
    if (RETRYABLE_STATUS.has(response.status)) {
      const waitMs = retryAfterMs(response.headers.get("retry-after"));
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
    return new PlatformHttpError(
      response.status,
      err?.code ?? response.status,
      err?.message ?? response.statusText,
      call,
    );
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
  if ((error as Error).name === "TimeoutError") return "timed out";
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
