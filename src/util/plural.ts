/** `1 service`, `2 services`: the count and the word, in the plural unless it is one. */
export function countOf(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}
