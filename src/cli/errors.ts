/** Exit codes of every svc command (product.md §3); mirrored in package.json `oclif.exitCodes`. */
export const ExitCode = {
  ok: 0,
  error: 1,
  changesPresent: 2,
  invalidInput: 3,
  stalePlan: 4,
  partiallyApplied: 5,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A problem the user can act on: printed as a message and a "Try this:" hint, never with a stack
 * trace (that is for bugs, and only with --debug).
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly options: { hint?: string; exitCode?: ExitCodeValue } = {},
  ) {
    super(message);
    this.name = "UserError";
  }

  get exitCode(): ExitCodeValue {
    return this.options.exitCode ?? ExitCode.error;
  }
}
