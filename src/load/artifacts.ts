/**
 * Things derived from the program modules alone (the config's JSON Schema) are cached next to
 * the bundle they were made from and named after it, so they are valid exactly when the bundle
 * is: same module and helper bytes, same setup-mac version. A missing, unreadable or unwritable
 * entry only means computing it again.
 */
import { readFileSync } from "node:fs";
import { writeCacheFile } from "../adapters/atomic-write.js";
import { join } from "node:path";
import { BUILD_ID } from "../version.js";
import type { CachedBundle } from "./bundle.js";

/** The cached text for `name`, or `make()`'s result, stored for next time. */
export function cachedArtifact(
  cached: CachedBundle | undefined,
  name: string,
  make: () => string,
): string {
  if (!cached) return make();
  // The bundle's key, then the build: derived data from another build of setup-mac is never read.
  const build = BUILD_ID.replace(/[^A-Za-z0-9.-]/g, "-");
  const path = join(cached.dir, `${cached.bundle.replace(/\.mjs$/, "")}.${build}.${name}`);
  try {
    return readFileSync(path, "utf8");
  } catch {
    /* not cached yet */
  }
  const text = make();
  try {
    writeCacheFile(path, text);
  } catch {
    // An unwritable cache is harmless.
  }
  return text;
}
