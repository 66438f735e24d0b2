import type { RawContainer } from "../manifest/model.js";
import { type Dropped, isMap } from "./fields.js";

/** compose fields svc reads with more than a rename: env_file:, build:, host paths in volumes:. */

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
    const passed: string[] = [];
    for (const [n, line] of text.split(/\r?\n/).entries()) {
      if (line.trim() === "" || line.trim().startsWith("#")) continue;
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=\s*(.*?))?\s*$/.exec(line);
      const key = m?.[1];
      if (!key) {
        dropped.push({
          path: `${path} line ${n + 1}`,
          reason: "not KEY=VALUE, so compose would not read it either",
        });
        continue;
      }
      const raw = m[2];
      if (raw === undefined) {
        // A name alone takes its value from the environment compose runs in: svc interpolates it.
        out[key] = `\${${key}}`;
        passed.push(key);
        continue;
      }
      const quoted = /^(["'])(.*)\1$/.exec(raw);
      const v = quoted ? (quoted[2] ?? "") : raw.replace(/\s+#.*$/, "");
      if (v !== "") out[key] = v;
      else
        dropped.push({
          path: `${path}: ${key}`,
          reason: "empty in the env file: svc has no empty env values; give it a value or leave it out",
        });
    }
    if (passed.length)
      notes.push(
        `${path}: ${file} passes ${passed.join(", ")} through from the environment: set ${passed.length === 1 ? "it" : "them"} where svc runs (svc interpolates \${${passed[0]}})`,
      );
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

/**
 * Why a host path mounted into a container is not carried, and what to do instead: the platform's
 * containers see no file of the machine compose ran on.
 */
export function hostPathReason(source: string): string {
  if (source === "/etc/localtime" || source === "/etc/timezone")
    return "the host's time zone: set TZ under environment instead (TZ: Europe/Berlin)";
  if (/^\/(var\/)?run\/docker\.sock$/.test(source))
    return "the Docker engine's socket: the platform gives containers no engine to talk to";
  return "an absolute path on the machine compose runs on: copy the file into the repository and mount it by a relative path";
}
