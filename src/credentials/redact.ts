const MASK = "***";

/**
 * Knows every secret value this process has loaded (tokens, registry passwords, secret env
 * values) and masks them in anything written to stdout or stderr: one redactor for every output,
 * log and error path, installed once by the CLI before a command runs.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private index: Map<string, string[]> | undefined;

  add(value: string | undefined): void {
    // Very short values would mask ordinary text; nothing that short is a real secret here.
    if (!value || value.length < 4) return;
    const before = this.secrets.size;
    for (const form of secretForms(value)) this.secrets.add(form);
    // Indexed on the next write, not here: a plan over hundreds of services adds hundreds of tokens.
    if (this.secrets.size !== before) this.index = undefined;
  }

  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    this.index ??= indexByPrefix(this.secrets);
    const index = this.index;
    let out = "";
    let copied = 0;
    for (let i = 0; i <= text.length - PREFIX; i++) {
      const candidates = index.get(text.slice(i, i + PREFIX));
      const found = candidates?.find((form) => text.startsWith(form, i));
      if (!found) continue;
      out += text.slice(copied, i) + MASK;
      copied = i + found.length;
      i = copied - 1;
    }
    return copied === 0 ? text : out + text.slice(copied);
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

/** Forms are found by their first characters; every form is at least this long. */
const PREFIX = 4;

/** Forms by their first PREFIX characters, longest first, so the longest match is masked. */
function indexByPrefix(forms: Iterable<string>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const form of forms) {
    const key = form.slice(0, PREFIX);
    const bucket = index.get(key);
    if (bucket) bucket.push(form);
    else index.set(key, [form]);
  }
  for (const bucket of index.values()) bucket.sort((a, b) => b.length - a.length);
  return index;
}

const json = (text: string) => JSON.stringify(text).slice(1, -1);
const jsonAscii = (text: string) =>
  json(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * Every form a secret may be sent or echoed in: verbatim or inside JSON (escaped once or twice,
 * non-ASCII as is or as \u escapes: a request body inside an error message), each of those
 * URL-encoded or in base64/base64url — whole (a header) or inside a longer base64 text (an
 * echoed body) at each of the three byte alignments, where only the characters that depend on
 * the value's bytes alone are known.
 */
function secretForms(value: string): string[] {
  const escaped = new Set([value]);
  for (const once of [json(value), jsonAscii(value)]) {
    escaped.add(once);
    escaped.add(json(once));
    escaped.add(jsonAscii(once));
  }
  const forms = new Set<string>();
  for (const text of escaped) {
    const bytes = Buffer.from(text);
    forms.add(text);
    forms.add(encodeURIComponent(text));
    forms.add(bytes.toString("base64"));
    forms.add(bytes.toString("base64").replace(/=+$/, ""));
    forms.add(bytes.toString("base64url"));
    for (const offset of [0, 1, 2]) {
      const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
      const end = Math.floor((offset + bytes.length) / 3) * 4;
      const start = offset === 0 ? 0 : 4;
      // Too short a core would mask ordinary base64.
      if (end - start < 8) continue;
      forms.add(padded.toString("base64").slice(start, end));
      forms.add(padded.toString("base64url").slice(start, end));
    }
  }
  return [...forms].filter((form) => form.length >= PREFIX);
}

export const redactor = new Redactor();
