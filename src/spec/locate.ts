import type { PathSegment, Position } from "./diagnostics.js";
import { pointer } from "./diagnostics.js";
import type { PositionIndex } from "./source.js";

/** Finds where a path of a merged manifest was written. */
export interface Locator {
  value(path: readonly PathSegment[]): Position;
  key(path: readonly PathSegment[]): Position;
  /** Absolute path of the file that supplied a path (relative file sources resolve against it). */
  file(path: readonly PathSegment[]): string;
}

/**
 * Files are merged in order, later ones overriding, and lists replace: so the last file that
 * wrote a path is where its merged value came from. A path no file wrote (a missing field) is
 * reported at its nearest written parent.
 */
export function locator(indexes: readonly PositionIndex[]): Locator {
  const find = (path: readonly PathSegment[], keys: boolean): { pos: Position; index?: PositionIndex } => {
    for (let n = path.length; n >= 0; n--) {
      const ptr = pointer(path.slice(0, n));
      for (let i = indexes.length - 1; i >= 0; i--) {
        const index = indexes[i] as PositionIndex;
        const pos = (keys && n === path.length ? index.keys : index.values).get(ptr);
        if (pos) return { pos, index };
      }
    }
    return { pos: { file: indexes.at(-1)?.file ?? "", line: 0, column: 0 }, index: indexes.at(-1) };
  };
  return {
    value: (path) => find(path, false).pos,
    key: (path) => find(path, true).pos,
    file: (path) => find(path, false).index?.absolute ?? "",
  };
}
