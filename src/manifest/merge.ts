import { type PathSegment, pointer } from "./diagnostics.js";

/**
 * Merges manifests in order for per-environment overrides, as compose and kustomize do: maps
 * merge key by key; `spec.containers` and `spec.domains` merge entry by entry, matched by `name`
 * (a new name is appended); other lists and scalars replace; a `null` removes the key.
 *
 * Each merged node remembers which files wrote it and where, so a problem found in the merged
 * manifest is reported at the line of the file that wrote it last.
 */
export function mergeManifests(values: readonly unknown[]): Merged {
  let value = values[0];
  let origin = originOf(value, 0, []);
  for (let file = 1; file < values.length; file++) {
    [value, origin] = mergeValue(value, origin, values[file], originOf(values[file], file, []), []);
  }
  return { value, sources: (path) => sourcesAt(origin, path) };
}

export interface Merged {
  value: unknown;
  /**
   * For the deepest node of `path` the merge has, the files that wrote it (in order) with its
   * path in each, and how many segments of `path` that node covers.
   */
  sources(path: readonly PathSegment[]): { depth: number; sources: Source[] };
}

export interface Source {
  /** Index of the file in the merge order. */
  file: number;
  path: PathSegment[];
}

interface Origin {
  sources: Source[];
  children: Map<PathSegment, Origin>;
}

const BY_NAME = new Set(["/spec/containers", "/spec/domains"]);

function mergeValue(
  base: unknown,
  baseOrigin: Origin,
  override: unknown,
  overrideOrigin: Origin,
  path: PathSegment[],
): [unknown, Origin] {
  // A node both files wrote: each wrote it, the later one last.
  const both = () => [...baseOrigin.sources, ...overrideOrigin.sources];
  if (isMap(base) && isMap(override)) {
    const out: Record<string, unknown> = { ...base };
    const children = new Map(baseOrigin.children);
    for (const [key, value] of Object.entries(override)) {
      const valueOrigin = overrideOrigin.children.get(key) as Origin;
      if (value === null) {
        delete out[key];
        children.delete(key);
      } else if (Object.hasOwn(base, key)) {
        const [merged, origin] = mergeValue(
          base[key],
          baseOrigin.children.get(key) as Origin,
          value,
          valueOrigin,
          [...path, key],
        );
        out[key] = merged;
        children.set(key, origin);
      } else {
        out[key] = value;
        children.set(key, valueOrigin);
      }
    }
    return [out, { sources: both(), children }];
  }
  if (BY_NAME.has(pointer(path)) && namedList(base) && namedList(override)) {
    const out = [...base];
    const origins = base.map((_, i) => baseOrigin.children.get(i) as Origin);
    override.forEach((item, j) => {
      const itemOrigin = overrideOrigin.children.get(j) as Origin;
      const at = out.findIndex((e) => e.name === item.name);
      if (at < 0) {
        out.push(item);
        origins.push(itemOrigin);
        return;
      }
      const [merged, origin] = mergeValue(out[at], origins[at] as Origin, item, itemOrigin, [...path, at]);
      out[at] = merged as Named;
      origins[at] = origin;
    });
    return [out, { sources: both(), children: new Map(origins.map((o, i) => [i, o])) }];
  }
  return [override, overrideOrigin];
}

function originOf(value: unknown, file: number, path: PathSegment[]): Origin {
  const children = new Map<PathSegment, Origin>();
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) children.set(i, originOf(v, file, [...path, i]));
  } else if (isMap(value))
    for (const [key, v] of Object.entries(value)) children.set(key, originOf(v, file, [...path, key]));
  return { sources: [{ file, path }], children };
}

function sourcesAt(root: Origin, path: readonly PathSegment[]): { depth: number; sources: Source[] } {
  let node = root;
  let depth = 0;
  for (const segment of path) {
    const child = node.children.get(segment);
    if (!child) break;
    node = child;
    depth++;
  }
  return { depth, sources: node.sources };
}

type Named = Record<string, unknown> & { name: string };

function namedList(value: unknown): value is Named[] {
  return Array.isArray(value) && value.every((e) => isMap(e) && typeof e.name === "string");
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
