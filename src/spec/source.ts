import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from "yaml";
import type { Diagnostic, PathSegment, Position } from "./diagnostics.js";
import { formatPath, pointer } from "./diagnostics.js";
import { interpolate, type Variables } from "./interpolate.js";

/** Where each value (and each map key) of one parsed file came from, by JSON pointer. */
export interface PositionIndex {
  /** As displayed in diagnostics. */
  file: string;
  /** Absolute path, against which relative file sources resolve. */
  absolute: string;
  values: Map<string, Position>;
  keys: Map<string, Position>;
}

export interface ParsedFile {
  /** The document as plain data, interpolated; undefined when the YAML could not be read. */
  value: unknown;
  positions: PositionIndex;
  diagnostics: Diagnostic[];
}

/**
 * Parses one manifest keeping the line and column of every node, and interpolates `${VAR}` in
 * string values as it converts the document to plain data (so errors point at the right place).
 */
export function parseManifest(text: string, file: string, absolute: string, vars: Variables): ParsedFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const positions: PositionIndex = { file, absolute, values: new Map(), keys: new Map() };
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, column: col };
  };

  for (const error of doc.errors) {
    const pos = at(error.pos[0]);
    diagnostics.push({
      severity: "error",
      ...pos,
      path: "",
      message: `YAML: ${firstLine(error.message)}`,
      hint:
        error.code === "DUPLICATE_KEY"
          ? "each key may appear once in a map; remove or rename the repeated one"
          : "check indentation and quoting around this line",
    });
  }
  if (diagnostics.length > 0) return { value: undefined, positions, diagnostics };

  const convert = (node: unknown, path: PathSegment[]): unknown => {
    const ptr = pointer(path);
    if (isAlias(node)) return convert(node.resolve(doc), path);
    const n = node as Node | null;
    if (n?.range) positions.values.set(ptr, at(n.range[0]));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const childPath = [...path, key];
        const keyNode = pair.key as Node | null;
        if (keyNode?.range) positions.keys.set(pointer(childPath), at(keyNode.range[0]));
        out[key] = convert(pair.value, childPath);
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => convert(item, [...path, i]));
    if (isScalar(node)) {
      if (typeof node.value !== "string") return node.value;
      const result = interpolate(node.value, vars);
      if (!result.ok) {
        diagnostics.push({
          severity: "error",
          ...at(node.range?.[0]),
          path: formatPath(path),
          ...result.error,
        });
        return node.value;
      }
      // An unquoted `${UNITS:-2}` becomes the number 2, as compose does after interpolation.
      if (result.substituted && node.type === Scalar.PLAIN) return retype(result.value);
      return result.value;
    }
    return node == null ? null : node;
  };

  const value = doc.contents === null ? null : convert(doc.contents, []);
  return { value, positions, diagnostics };
}

function retype(text: string): unknown {
  if (/^-?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
