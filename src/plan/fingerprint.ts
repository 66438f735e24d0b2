import { createHmac } from "node:crypto";

/**
 * A keyed hash for what a plan must recognize but never reveal: secret values and the observed
 * state (which holds env values and config files). HMAC-SHA-256 under a key derived from the
 * target's token secret — the plan file does not contain it, anyone who may apply to the target
 * has it — so a saved plan or a CI artifact cannot be checked against guesses offline, and a
 * plan made in one job is still verified in another.
 */
export type Fingerprint = (text: string) => string;

export function fingerprintFor(tokenSecret: string): Fingerprint {
  const key = createHmac("sha256", tokenSecret).update("svc plan fingerprints v2").digest();
  return (text) => createHmac("sha256", key).update(text).digest("hex");
}
