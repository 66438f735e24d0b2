/** Variables visible to interpolation: the environment overlaid with `--var K=V`. */
export type Variables = Readonly<Record<string, string | undefined>>;

export type InterpolationResult =
  | { ok: true; value: string; substituted: boolean }
  | { ok: false; error: { message: string; hint?: string } };

class InterpolationError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** svc's own credentials in the environment: a manifest (untrusted in a pull request) never reads them. */
const CREDENTIAL = /^SVC_(TOKEN|SECRET|REGISTRY)_/i;
/** `${A:-${B:-${C}}}` nests; a few levels is plenty. */
const MAX_DEPTH = 16;

/**
 * Compose-style interpolation: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty),
 * `${VAR-default}` (unset), `${VAR:?message}` / `${VAR?message}` (required), `${VAR:+alt}` /
 * `${VAR+alt}` (alternative when set), nested defaults, and `$$` for a literal `$`.
 * A variable that is unset and has no default is an error, never an empty string.
 */
export function interpolate(text: string, vars: Variables): InterpolationResult {
  if (!text.includes("$")) return { ok: true, value: text, substituted: false };
  try {
    const [value] = expand(text, 0, vars, false, 0);
    return { ok: true, value, substituted: true };
  } catch (error) {
    if (error instanceof InterpolationError) {
      return { ok: false, error: { message: error.message, ...(error.hint ? { hint: error.hint } : {}) } };
    }
    throw error;
  }
}

/** Expands from `start`; inside a `${...}` word it stops at the closing brace and returns its index. */
function expand(
  text: string,
  start: number,
  vars: Variables,
  nested: boolean,
  depth: number,
): [string, number] {
  let out = "";
  let i = start;
  while (i < text.length) {
    const ch = text[i];
    if (nested && ch === "}") return [out, i];
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const [value, end] = braced(text, i + 2, vars, depth + 1);
      out += value;
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (!name) {
        out += "$";
        i++;
        continue;
      }
      out += lookup(name, vars);
      i += 1 + name.length;
    }
  }
  if (nested) throw new InterpolationError(`unterminated "\${" in "${short(text)}"`, 'close it with "}"');
  return [out, i];
}

function braced(text: string, start: number, vars: Variables, depth: number): [string, number] {
  if (depth > MAX_DEPTH) {
    throw new InterpolationError(
      `interpolation nested more than ${MAX_DEPTH} levels deep in "${short(text)}"`,
      "nest fewer defaults",
    );
  }
  const name = NAME.exec(text.slice(start))?.[0];
  if (!name) {
    throw new InterpolationError(
      `invalid interpolation in "${short(text)}": expected a variable name after "\${"`,
      'write $$ for a literal "$"',
    );
  }
  refuseCredential(name);
  let i = start + name.length;
  if (text[i] === "}") return [lookup(name, vars), i];
  if (i >= text.length)
    throw new InterpolationError(`unterminated "\${" in "${short(text)}"`, 'close it with "}"');
  const operator = /^(:-|-|:\?|\?|:\+|\+)/.exec(text.slice(i))?.[0];
  if (!operator) {
    throw new InterpolationError(
      `invalid interpolation "\${${name}${text.slice(i, i + 1)}..." in "${short(text)}"`,
      "use ${VAR}, ${VAR:-default} or ${VAR:?message}",
    );
  }
  i += operator.length;
  const [word, end] = expand(text, i, vars, true, depth);
  const raw = vars[name];
  const set = raw !== undefined;
  const nonEmpty = set && raw !== "";
  switch (operator) {
    case ":-":
      return [nonEmpty ? raw : word, end];
    case "-":
      return [set ? raw : word, end];
    case ":?":
    case "?":
      if (operator === ":?" ? nonEmpty : set) return [raw as string, end];
      throw new InterpolationError(`${name}: ${word || "required variable is not set"}`, setHint(name));
    case ":+":
      return [nonEmpty ? word : "", end];
    default:
      return [set ? word : "", end];
  }
}

function lookup(name: string, vars: Variables): string {
  refuseCredential(name);
  const value = vars[name];
  if (value === undefined) throw new InterpolationError(`variable ${name} is not set`, setHint(name));
  return value;
}

function setHint(name: string): string {
  return `set ${name} in the environment, pass --var ${name}=..., or give a default: \${${name}:-value}`;
}

function refuseCredential(name: string): void {
  if (CREDENTIAL.test(name)) {
    throw new InterpolationError(
      `${name} is one of svc's own credentials: a manifest cannot read it`,
      "reference secrets as { secret: NAME } (svc secret set NAME, or SVC_SECRET_<NAME> in CI)",
    );
  }
}

/** Long values are cut in messages. */
function short(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
