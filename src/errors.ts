/**
 * svc's one error model, beneath every layer: what went wrong, who must act (a hint), and the
 * exit code (README "Exit codes"; mirrored in package.json `oclif.exitCodes`). The base command maps
 * every SvcError to a message, a "Try this:" hint and its exit code; anything else is a bug.
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  changesPresent: 2,
  invalidInput: 3,
  stalePlan: 4,
  partiallyApplied: 5,
  outcomeUnknown: 6,
  /** `apply --atomic`: applied, a check after it failed, and the state from before runs again. */
  restored: 7,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class SvcError extends Error {
  constructor(
    message: string,
    readonly options: { hint?: string; exitCode?: ExitCodeValue } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  get exitCode(): ExitCodeValue {
    return this.options.exitCode ?? ExitCode.error;
  }

  get hint(): string | undefined {
    return this.options.hint;
  }
}

/** A problem with the user's input or setup: a message and a hint, never a stack trace. */
export class UserError extends SvcError {}

/** The platform could not be reached (DNS, refused, reset, timeout), after any retries. */
export class PlatformUnreachable extends SvcError {
  constructor(host: string, reason: string) {
    super(`cannot reach ${host}: ${reason}`, {
      hint: "check the network and that the platform is up (for the local platform: svc local status)",
    });
  }
}

/** The platform answered with an error: a non-2xx status, or a 2xx whose body carries one. */
export class PlatformHttpError extends SvcError {
  constructor(
    readonly status: number,
    readonly code: number,
    /** The platform's own words. */
    readonly detail: string,
    readonly call = "",
  ) {
    super(`${call ? `${call}: ` : ""}the platform answered ${code}: ${detail}`, {
      hint:
        code === 401 || status === 401
          ? "the token is not valid for this service: svc login TARGET (or set SVC_TOKEN_<TARGET>)"
          : code >= 500
            ? "the platform failed; try again later"
            : undefined,
    });
  }

  /** A server-side failure, after which the call may or may not have taken effect. */
  get transient(): boolean {
    return this.code >= 500 && this.code !== 501;
  }
}

/** Another writer changed the service between our read and our call. */
export class ConcurrentChange extends SvcError {
  constructor(detail: string) {
    super(`the service changed while svc was applying (${detail}); nothing more was sent`, {
      hint: "someone else changed it: run svc plan to see the live state, then apply again",
    });
  }
}

/** A mutation's answer was lost and the live state does not tell whether it took effect. */
export class OutcomeUnknown extends SvcError {
  constructor(call: string, detail: string) {
    super(`outcome unknown — run \`svc plan\`: ${call}: ${detail}; svc did not send it again`, {
      hint: "svc plan shows what the platform now holds; apply again from there",
      exitCode: ExitCode.outcomeUnknown,
    });
  }
}

/** The provider does not offer what a command needs (a capability, or a call it is too old for). */
export class ProviderLacks extends SvcError {
  constructor(what: string, detail: string) {
    super(`${what} is unavailable: ${detail}`, {
      hint: "use the provider's own console for it; svc uses it where a provider advertises the capability (README, Capabilities)",
    });
  }
}

/** Failures after which a call may or may not have taken effect. */
export function transient(error: unknown): boolean {
  return error instanceof PlatformUnreachable || (error instanceof PlatformHttpError && error.transient);
}
