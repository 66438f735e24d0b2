/**
 * A record with its keys in code-unit order, so output built from it is the same on every machine
 * (`localeCompare` follows the process's locale).
 */
export function sortedRecord<T>(record: Record<string, T> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record ?? {}).sort()) out[key] = (record as Record<string, T>)[key] as T;
  return out;
}
