import type { PathSegment, Position } from "./diagnostics.js";
import { pointer } from "./diagnostics.js";
import type { Merged, Source } from "./merge.js";
import type { PositionIndex } from "./source.js";

/** Finds where a path of a merged manifest was written. */
export interface Locator {
  value(path: readonly PathSegment[]): Position;
  key(path: readonly PathSegment[]): Position;
  /** Absolute path of the file that supplied a path (relative file sources resolve against it). */
  file(path: readonly PathSegment[]): string;
}

/**
 * The last file that wrote a path of the merged manifest is where its value came from (named
 * list entries are followed to their index in each file). A path no file wrote (a missing field)
 * is reported at its nearest written parent.
 */
export function locator(indexes: readonly PositionIndex[], merged: Merged): Locator {
  const find = (path: readonly PathSegment[], keys: boolean): { pos: Position; index?: PositionIndex } => {
    // From the deepest node the merge has along the path, up to the root.
    for (let n = merged.sources(path).depth; n >= 0; n--) {
      const { sources } = merged.sources(path.slice(0, n));
      for (let i = sources.length - 1; i >= 0; i--) {
        const source = sources[i] as Source;
        const index = indexes[source.file] as PositionIndex;
        const pos = (keys && n === path.length ? index.keys : index.values).get(pointer(source.path));
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
