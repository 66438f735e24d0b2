import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

/**
 * Asks `done` every `intervalMs` until it says yes or `timeoutMs` has passed; whether it did.
 * The first question is asked at once.
 */
export async function pollUntil(
  done: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(options.intervalMs);
  }
}

/** Exponential backoff with jitter: 0.5× to 1.5× of `baseMs`·2^(attempt−1), at most 2 s before jitter. */
export function backoffMs(attempt: number, baseMs = 100): number {
  const base = Math.min(baseMs * 2 ** (attempt - 1), 2000);
  return base / 2 + Math.random() * base;
}
