/** An API error: the HTTP status and the message returned as `{ error: { code, message } }`. */
export class PlatformError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
