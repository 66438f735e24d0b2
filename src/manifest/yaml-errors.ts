import type { LineCounter, YAMLError } from "yaml";

export interface Explained {
  line: number;
  column: number;
  message: string;
  hint: string;
}

/**
 * A YAML syntax error in plain words, at the line that needs the fix and its first character:
 * the parser reports where it noticed (often the line before, or the end of the file) in its own
 * terms ("Implicit keys need to be on a single line").
 */
export function explainYamlError(error: YAMLError, text: string, lines: LineCounter): Explained {
  const source = text.split("\n");
  const at = lines.linePos(error.pos[0]);
  const first = firstLine(error.message);
  const here = (line: number, message: string, hint: string): Explained => ({
    line,
    column: Math.max(1, indentOf(source[line - 1] ?? "") + 1),
    message,
    hint,
  });
  switch (error.code) {
    case "TAB_AS_INDENT":
      return here(
        at.line,
        "this line is indented with a tab",
        "YAML indents with spaces only: replace the tab",
      );
    case "DUPLICATE_KEY":
      return {
        line: at.line,
        column: at.col,
        message: `YAML: ${first}`,
        hint: "each key may appear once in a map; remove or rename the repeated one",
      };
    case "BLOCK_AS_IMPLICIT_KEY":
    case "MULTILINE_IMPLICIT_KEY": {
      // `name: x` followed by a line indented deeper: YAML reads that line as part of x.
      const line = nextContentLine(source, at.line);
      const key = keyOf(source[line - 1]);
      const above = keyOf(source[at.line - 1]);
      return here(
        line,
        `${key ? `\`${key}\`` : "this line"} is indented more than ${above ? `\`${above}\`` : "the line"} above it, so it cannot start a new key there`,
        `line up the keys of one map in one column (${indentOf(source[at.line - 1] ?? "")} spaces, like ${above || "the line above"}), or nest it under a key that ends with ":"`,
      );
    }
    case "MISSING_CHAR":
    case "BAD_INDENT": {
      const unclosed = /closing "quote|closing 'quote/.test(first)
        ? { open: /"/.test(first) ? '"' : "'", what: "string" }
        : /Flow sequence|end with a \]/.test(first)
          ? { open: "[", what: "list" }
          : /Flow map|end with a \}/.test(first)
            ? { open: "{", what: "map" }
            : undefined;
      if (unclosed) {
        const line = openedOn(source, at.line, unclosed.open);
        const close = unclosed.open === "[" ? "]" : unclosed.open === "{" ? "}" : unclosed.open;
        return here(
          line,
          `a ${unclosed.what} opened with ${unclosed.open} on this line is never closed`,
          `close it with ${close} on the same line (a ${unclosed.what} may span lines only when its continuation lines are indented deeper)`,
        );
      }
      const line = at.line;
      const key = keyOf(source[line - 1]);
      const previous = previousContentLine(source, line);
      const above = keyOf(source[previous - 1]);
      return here(
        line,
        `${key ? `\`${key}\`` : "this line"} is indented ${indentOf(source[line - 1] ?? "")} spaces, which lines up with no key above it`,
        above
          ? `indent it like \`${above}\` on line ${previous} (${indentOf(source[previous - 1] ?? "")} spaces) to put it in the same map, or less to end that map`
          : "keys of one map start in the same column",
      );
    }
    default:
      return {
        line: at.line,
        column: at.col,
        message: `YAML: ${first}`,
        hint: "check indentation and quoting around this line",
      };
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** `image` for `      image: x` or `- image: x`. */
function keyOf(line: string | undefined): string {
  return /^\s*(?:-\s+)?([^\s:#][^:#]*?):(?:\s|$)/.exec(line ?? "")?.[1] ?? "";
}

const isContent = (line: string | undefined) => line !== undefined && !/^\s*(#.*)?$/.test(line);

function nextContentLine(source: string[], line: number): number {
  for (let n = line + 1; n <= source.length; n++) if (isContent(source[n - 1])) return n;
  return line;
}

function previousContentLine(source: string[], line: number): number {
  for (let n = line - 1; n >= 1; n--) if (isContent(source[n - 1])) return n;
  return line;
}

/** The last line at or before `line` where `open` is not balanced within the line. */
function openedOn(source: string[], line: number, open: string): number {
  const close = open === "[" ? "]" : open === "{" ? "}" : open;
  for (let n = Math.min(line, source.length); n >= 1; n--) {
    const text = source[n - 1] ?? "";
    const opens = text.split(open).length - 1;
    const closes = open === close ? 0 : text.split(close).length - 1;
    if (open === close ? opens % 2 === 1 : opens > closes) return n;
  }
  return line;
}
