import { byText } from "../util/sorted.js";
/** A problem found in a manifest, located as precisely as the source allows. */
export interface Diagnostic {
  severity: "error" | "warning";
  /** Path of the manifest, relative to the working directory when inside it. */
  file: string;
  /** 1-based; 0 when the problem has no position (for example a missing file argument). */
  line: number;
  column: number;
  /** Field path such as `spec.containers[0].image`; empty for the whole document. */
  path: string;
  message: string;
  hint?: string;
}

export interface Position {
  file: string;
  line: number;
  column: number;
}

export type PathSegment = string | number;

/** A problem at a place (the whole document when no path is given); `hint` says how to fix it. */
export function diagnostic(
  where: Position & { path?: string },
  message: string,
  hint?: string,
  severity: Diagnostic["severity"] = "error",
): Diagnostic {
  const { file, line, column, path = "" } = where;
  return { severity, file, line, column, path, message, ...(hint ? { hint } : {}) };
}

/** `["spec", "containers", 0, "image"]` → `spec.containers[0].image` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** JSON pointer of a path, the key used for position lookups (same form as ajv's instancePath). */
export function pointer(path: readonly PathSegment[]): string {
  return path.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

export function parsePointer(ptr: string): PathSegment[] {
  if (ptr === "") return [];
  return ptr
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Stable order: file, line, column, then message — so output can be compared and golden-tested. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      byText(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      byText(a.path, b.path) ||
      byText(a.message, b.message),
  );
}

export const hasErrors = (list: readonly Diagnostic[]) => list.some((d) => d.severity === "error");
