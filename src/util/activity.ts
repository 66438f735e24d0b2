/**
 * What svc is doing now, in a few words: the last thing a command said it was doing. bin/run.js
 * reads it when svc would end without a verdict (a bug), so the message says where it stopped.
 */
let current = "starting";

export function doing(what: string): void {
  current = what;
}

export function activity(): string {
  return current;
}
