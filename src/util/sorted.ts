/**
 * Text in code-unit order, the same on every machine. `localeCompare` follows the process's
 * locale (in Danish "aa" sorts after "z"; in most locales "A_B" before "AB"), and its first call
 * loads the ICU collator, about a tenth of a short command's start-up.
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A record with its keys in code-unit order, so output built from it is the same on every machine. */
export function sortedRecord<T>(record: Record<string, T> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record ?? {}).sort()) out[key] = (record as Record<string, T>)[key] as T;
  return out;
}
