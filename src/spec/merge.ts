/**
 * Merges manifests in order for per-environment overrides: maps merge key by key, lists and
 * scalars replace, and a `null` removes the key.
 */
export function mergeManifests(values: readonly unknown[]): unknown {
  return values.reduce((base, next) => mergeValue(base, next));
}

function mergeValue(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = key in base ? mergeValue(base[key], value) : value;
  }
  return out;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
