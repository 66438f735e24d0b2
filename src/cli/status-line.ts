import pc from "picocolors";
import type { RetryInfo } from "../platform/http.js";

/**
 * One line on stderr, rewritten in place, for slow work at a terminal ("waiting on … retry 2/8");
 * nothing at all when stderr is not a terminal or the output is JSON, so CI logs and pipes stay
 * clean. `clear` erases it before the result is printed.
 */
export function statusLine(enabled: boolean): { retry?: (r: RetryInfo) => void; clear: () => void } {
  if (!enabled || !process.stderr.isTTY) return { clear: () => {} };
  let shown = false;
  return {
    retry: (r) => {
      shown = true;
      const text = `… waiting on ${r.host} (${r.call}: ${r.reason}), retry ${r.attempt}/${r.attempts - 1}`;
      process.stderr.write(`\r\x1b[K${pc.dim(text.slice(0, (process.stderr.columns || 80) - 1))}`);
    },
    clear: () => {
      if (shown) process.stderr.write("\r\x1b[K");
      shown = false;
    },
  };
}
