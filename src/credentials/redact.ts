const MASK = "***";

/**
 * Knows every secret value this process has loaded (tokens, registry passwords, secret env
 * values) and masks them in anything written to stdout or stderr: one redactor for every output,
 * log and error path, installed once by the CLI before a command runs.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: string | undefined): void {
    // Very short values would mask ordinary text; nothing that short is a real secret here.
    if (!value || value.length < 4) return;
    const before = this.secrets.size;
    // Every form svc may send or print it in: verbatim, inside JSON, base64 (registry headers),
    // base64url, URL-encoded.
    const base64 = Buffer.from(value).toString("base64");
    for (const form of [
      value,
      JSON.stringify(value).slice(1, -1),
      base64,
      base64.replace(/=+$/, ""),
      Buffer.from(value).toString("base64url"),
      encodeURIComponent(value),
    ]) {
      if (form.length >= 4) this.secrets.add(form);
    }
    // Built on the next write, not here: a plan over hundreds of services adds hundreds of tokens.
    if (this.secrets.size !== before) this.pattern = undefined;
  }

  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, MASK);
  }

  /**
   * svc's own credentials in the environment (tokens, their secrets, registry logins, secret env
   * values), masked from the start: an error can echo one before any command asked for it.
   */
  seedFromEnvironment(
    env: NodeJS.ProcessEnv = process.env,
    secretOfToken?: (token: string) => string | undefined,
  ): void {
    for (const [name, value] of Object.entries(env)) {
      if (!value || !/^SVC_(TOKEN|SECRET|REGISTRY)_/i.test(name)) continue;
      this.add(value);
      if (/^SVC_TOKEN_/i.test(name)) this.add(secretOfToken?.(value));
      if (/^SVC_REGISTRY_/i.test(name)) this.add(value.slice(value.indexOf(":") + 1));
    }
  }

  /** Wraps process.stdout and process.stderr so nothing reaches them unredacted. */
  install(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
      if ((stream as { __svcRedacted?: boolean }).__svcRedacted) continue;
      (stream as { __svcRedacted?: boolean }).__svcRedacted = true;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (this.secrets.size === 0) return original(chunk, ...rest);
        const text =
          typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : chunk;
        return original(typeof text === "string" ? this.redact(text) : text, ...rest);
      }) as typeof stream.write;
    }
  }
}

export const redactor = new Redactor();
