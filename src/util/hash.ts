import { createHash } from "node:crypto";

/** SHA-256 of the data, as 64 hexadecimal digits. */
export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
