/** sha256 as lower-case hex: source hashes in the lock, cache keys, the adapter manifest. */
import { createHash } from "node:crypto";

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
