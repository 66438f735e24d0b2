import type { ServiceToken } from "./token.js";

/** The user service as GET /api/v1/k8s/userService returns it. */
export interface UserService {
  id: string;
  status: "ServicePending" | "ServiceRunning" | "ServiceStop" | "ServiceDone" | "ServiceAbort";
  serviceOptions: {
    resourceUnit: string;
    persistStorage: "Yes" | "No";
    region: string;
    specifiedPort?: boolean;
  };
  createdAt: string;
  expiresAt: string;
  duration: number;
  description: string;
  labels: Record<string, string>;
  revision: number;
}

/** The platform answered with an error: `{ error: { code, message } }` and its HTTP status. */
export class PlatformHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The platform could not be reached at all (DNS, refused, timeout). */
export class PlatformUnreachable extends Error {}

/** What svc needs from a platform; the HTTP implementation below, fakes in unit tests. */
export interface PlatformClient {
  readonly host: string;
  userService(): Promise<UserService>;
}

export class HttpPlatformClient implements PlatformClient {
  readonly host: string;

  constructor(
    private readonly token: ServiceToken,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.host = token.host;
  }

  userService(): Promise<UserService> {
    return this.request<UserService>("GET", "/api/v1/k8s/userService");
  }

  protected async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.host}${path}`, {
        method,
        // The secret travels only in this header: never in a URL, an argument or a log line.
        headers: {
          secret: this.token.secret,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason =
        (error as Error).name === "TimeoutError"
          ? "timed out"
          : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new PlatformUnreachable(`cannot reach ${this.host}: ${reason}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const err = (json as { error?: { code?: number; message?: string } } | undefined)?.error;
      throw new PlatformHttpError(
        response.status,
        err?.code ?? response.status,
        err?.message ?? response.statusText,
      );
    }
    return json as T;
  }
}
