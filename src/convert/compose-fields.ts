import type { RawContainer } from "../manifest/model.js";
import { type Dropped, isMap } from "./fields.js";

/** compose fields svc reads with more than a rename: env_file: and build:. */

/** compose `env_file:` read and inlined (written environment: entries win over them). */
export function envFiles(
  value: unknown,
  at: string,
  dropped: Dropped[],
  notes: string[],
  readText: ((path: string) => string | undefined) | undefined,
): Record<string, string> {
  const files = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((f) =>
    typeof f === "string" ? f : isMap(f) ? String(f.path ?? "") : "",
  );
  const out: Record<string, string> = {};
  files.forEach((file, i) => {
    const text = file ? readText?.(file) : undefined;
    const path = Array.isArray(value) ? `${at}[${i}]` : at;
    if (text === undefined) {
      dropped.push({
        path,
        reason: `${file || "the env file"} cannot be read: copy its values under environment`,
      });
      return;
    }
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m || line.trim().startsWith("#")) continue;
      const raw = m[2] ?? "";
      const quoted = /^(["'])(.*)\1$/.exec(raw);
      const v = quoted ? (quoted[2] ?? "") : raw.replace(/\s+#.*$/, "");
      if (v !== "") out[m[1] as string] = v;
    }
    notes.push(`${path}: the values of ${file} are written under env (secret-looking ones as { secret: })`);
  });
  return out;
}

/** compose `build:` (a context, or { context, dockerfile, args, target }) as svc's `build:`. */
export function buildFrom(value: unknown, at: string, dropped: Dropped[]): RawContainer["build"] {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (!isMap(value)) {
    dropped.push({ path: at, reason: "expected a context directory or { context, dockerfile, args }" });
    return undefined;
  }
  const out: Exclude<RawContainer["build"], string | undefined> = {
    context: typeof value.context === "string" ? value.context : ".",
  };
  if (typeof value.dockerfile === "string") out.dockerfile = value.dockerfile;
  if (typeof value.target === "string") out.target = value.target;
  const args = Array.isArray(value.args)
    ? Object.fromEntries(value.args.map((a) => String(a).split(/=(.*)/s).slice(0, 2)))
    : isMap(value.args)
      ? Object.fromEntries(Object.entries(value.args).map(([k, v]) => [k, String(v ?? "")]))
      : {};
  if (Object.keys(args).length) out.args = args;
  for (const key of Object.keys(value))
    if (!["context", "dockerfile", "args", "target"].includes(key))
      dropped.push({ path: `${at}.${key}`, reason: "no svc equivalent" });
  return out;
}
