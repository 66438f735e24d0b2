import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from "yaml";
import { KEY_RULE } from "../platform/rules.js";
import type { Diagnostic, PathSegment, Position } from "./diagnostics.js";
import { diagnostic, formatPath, pointer } from "./diagnostics.js";
import { interpolate, type Variables } from "./interpolate.js";
import { explainYamlError } from "./yaml-errors.js";

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
 * Bounds on what one manifest may make svc do: every pull request is untrusted input, and a few
 * hundred bytes of YAML aliases can expand to millions of values.
 */
export const LIMITS = {
  fileBytes: 1024 * 1024,
  depth: 64,
  /** Values after aliases are expanded. */
  values: 100_000,
  /** Entries of one map or list. */
  entries: 1_000,
  aliases: 1_000,
  /** YAML syntax errors listed before the rest are counted. */
  syntaxErrors: 50,
} as const;

/**
 * Parses one manifest keeping the line and column of every node, and interpolates `${VAR}` in
 * string values as it converts the document to plain data (so errors point at the right place).
 * Within LIMITS: past one, the file gets one error at the place it was crossed, and no value.
 * Without `vars`, strings are kept as written (a file being converted keeps its `${VAR}`s).
 */
export function parseManifest(
  text: string,
  file: string,
  absolute: string,
  vars: Variables | undefined,
): ParsedFile {
  const positions: PositionIndex = { file, absolute, values: new Map(), keys: new Map() };
  if (Buffer.byteLength(text) > LIMITS.fileBytes) {
    return {
      value: undefined,
      positions,
      diagnostics: [
        diagnostic(
          { file, line: 1, column: 1 },
          `the file is over ${LIMITS.fileBytes} bytes; a manifest may have at most ${LIMITS.fileBytes}`,
          "split it, or move large content into files: entries",
        ),
      ],
    };
  }
  const lineCounter = new LineCounter();
  // The parser builds every nested node before svc can count the depth: a 1 MiB file of nested
  // flow collections ({a: {a: ...) would take half a gigabyte. Counted first, in the text.
  const deep = flowDepthPast(text, LIMITS.depth);
  if (deep !== undefined) {
    const before = text.slice(0, deep);
    const line = before.split("\n").length;
    const col = deep - before.lastIndexOf("\n");
    return {
      value: undefined,
      positions,
      diagnostics: [
        diagnostic(
          { file, line, column: col },
          `nested more than ${LIMITS.depth} levels deep`,
          "a manifest needs a few levels: flatten this structure",
        ),
      ],
    };
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, column: col };
  };

  if (doc.errors.length > LIMITS.syntaxErrors) {
    diagnostics.push(
      diagnostic(
        at(doc.errors[LIMITS.syntaxErrors]?.pos[0]),
        `${doc.errors.length - LIMITS.syntaxErrors} more YAML errors after these`,
        "fix the first ones: later errors often follow from them",
      ),
    );
  }
  // One message per problem: the parser often reports one mistake twice, at the same line.
  const reported = new Set<number>();
  for (const error of doc.errors.slice(0, LIMITS.syntaxErrors)) {
    const { line, column, message, hint } = explainYamlError(error, text, lineCounter);
    if (reported.has(line)) continue;
    reported.add(line);
    diagnostics.push(diagnostic({ file, line, column }, message, hint));
  }
  if (diagnostics.length > 0) {
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    return { value: undefined, positions, diagnostics };
  }

  let values = 0;
  let aliases = 0;
  let stopped = false;
  /** Aliases being expanded on the current path: one met again refers to itself. */
  const expanding = new Set<unknown>();
  const stop = (node: unknown, path: PathSegment[], message: string, hint: string) => {
    stopped = true;
    diagnostics.push(
      diagnostic({ ...at((node as Node | null)?.range?.[0]), path: formatPath(path) }, message, hint),
    );
    return null;
  };
  const convert = (node: unknown, path: PathSegment[]): unknown => {
    if (stopped) return null;
    if (path.length > LIMITS.depth) {
      return stop(
        node,
        path,
        `nested more than ${LIMITS.depth} levels deep`,
        "a manifest is a few levels deep: check the indentation",
      );
    }
    if (++values > LIMITS.values) {
      return stop(
        node,
        path,
        `the manifest expands to more than ${LIMITS.values} values`,
        "YAML aliases (*name) repeat what they point to: use fewer of them",
      );
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (expanding.has(target)) {
        return stop(
          node,
          path,
          `alias *${node.source} refers to itself`,
          "an alias cannot point inside its own anchor",
        );
      }
      if (++aliases > LIMITS.aliases) {
        return stop(
          node,
          path,
          `more than ${LIMITS.aliases} aliases`,
          "YAML aliases (*name) repeat what they point to: use fewer of them",
        );
      }
      expanding.add(target);
      const value = convert(target, path);
      expanding.delete(target);
      return value;
    }
    const ptr = pointer(path);
    const n = node as Node | null;
    if (n?.range) positions.values.set(ptr, at(n.range[0]));
    if ((isMap(node) || isSeq(node)) && node.items.length > LIMITS.entries) {
      return stop(
        node,
        path,
        `${node.items.length} entries; at most ${LIMITS.entries} are allowed here`,
        "no service needs this many: check what generated the file",
      );
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const merged: unknown[] = [];
      for (const pair of node.items) {
        // A merge key (`<<: *defaults`, or a list of them), as compose applies it.
        if (isScalar(pair.key) && pair.key.value === "<<" && pair.key.type === Scalar.PLAIN) {
          const value = convert(pair.value, path);
          merged.push(...(Array.isArray(value) ? value : [value]));
          if (n?.range) positions.values.set(ptr, at(n.range[0]));
          continue;
        }
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const childPath = [...path, key];
        const keyNode = pair.key as Node | null;
        if (keyNode?.range) positions.keys.set(pointer(childPath), at(keyNode.range[0]));
        // Assigned, this key would replace the map's prototype instead of adding an entry.
        if (key === "__proto__")
          return stop(keyNode, childPath, `"__proto__" ${KEY_RULE.problem}`, "choose another name");
        out[key] = convert(pair.value, childPath);
      }
      // Keys written in the map win; among merged maps, the first that has a key gives it.
      for (const source of merged) {
        if (source === null || typeof source !== "object" || Array.isArray(source)) {
          return stop(
            node,
            path,
            "<< merges a map (or a list of maps) into this one",
            "point it at an anchored map: <<: *defaults",
          );
        }
        for (const [key, value] of Object.entries(source)) if (!Object.hasOwn(out, key)) out[key] = value;
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => convert(item, [...path, i]));
    if (isScalar(node)) {
      if (typeof node.value !== "string" || !vars) return node.value;
      const result = interpolate(node.value, vars);
      if (!result.ok) {
        diagnostics.push(
          diagnostic(
            { ...at(node.range?.[0]), path: formatPath(path) },
            result.error.message,
            result.error.hint,
          ),
        );
        return node.value;
      }
      // An unquoted `${UNITS:-2}` becomes the number 2, as compose does after interpolation.
      if (result.substituted && node.type === Scalar.PLAIN) return retype(result.value);
      return result.value;
    }
    return node == null ? null : node;
  };

  const value = doc.contents === null ? null : convert(doc.contents, []);
  return stopped ? { value: undefined, positions, diagnostics } : { value, positions, diagnostics };
}

function retype(text: string): unknown {
  if (/^-?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

/**
 * The offset where flow collections (`[` and `{`) nest deeper than `limit`, or undefined. Quoted
 * strings and comments are skipped; block nesting is bounded by indentation and the file's size.
 */
function flowDepthPast(text: string, limit: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "#" && (i === 0 || /\s/.test(text[i - 1] as string))) {
      const end = text.indexOf("\n", i);
      if (end < 0) break;
      i = end;
    } else if ((c === '"' || c === "'") && depth > 0) quote = c;
    else if (c === "[" || c === "{") {
      if (++depth > limit) return i;
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
  return undefined;
}
