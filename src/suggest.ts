import { closest, distance } from "fastest-levenshtein";

/**
 * The candidate a mistyped word most likely meant: the only one it begins (`mark` → `markdown`) or
 * abbreviates (`md` → `markdown`), else the nearest by edit distance if close enough to be a typo
 * (`pln` → `plan`, `frmat` → `format`).
 */
export function suggestion(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word === "") return undefined;
  const lower = word.toLowerCase();
  const only = (matches: (c: string) => boolean) => {
    const found = lower.length >= 2 ? candidates.filter((c) => matches(c.toLowerCase())) : [];
    return found.length === 1 ? found[0] : undefined;
  };
  const abbreviated = only((c) => c.startsWith(lower)) ?? only((c) => abbreviates(lower, c));
  if (abbreviated) return abbreviated;
  const best = closest(lower, [...candidates]);
  return distance(lower, best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** `word`'s letters appear in `candidate` in order, starting with its first: `md` in `markdown`. */
function abbreviates(word: string, candidate: string): boolean {
  if (word[0] !== candidate[0]) return false;
  let at = 0;
  for (const letter of word) {
    at = candidate.indexOf(letter, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}
