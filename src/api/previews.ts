/**
 * Previews: the units, plists, files and scripts each host gets, written to a folder for review.
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../adapters/atomic-write.js";
import { confineIfInside } from "../adapters/confine.js";
import type { Lock } from "../emit/lock-types.js";
import { renderPreviews } from "../emit/previews.js";

/** Renders every preview of the lock (optionally only some hosts) into `dir`; returns the relative paths. */
export async function writePreviews(
  lock: Lock,
  dir: string,
  options: {
    hosts?: string[];
    dryRun?: boolean;
    /** The workspace: a `dir` inside it must not lead out of it through a link. */
    workspace?: string;
  } = {},
): Promise<string[]> {
  const filtered: Lock = options.hosts?.length
    ? {
        ...lock,
        hosts: Object.fromEntries(
          Object.entries(lock.hosts).filter(([h]) => options.hosts!.includes(h)),
        ),
      }
    : lock;
  const files = renderPreviews(filtered);
  const root = options.workspace
    ? confineIfInside(options.workspace, resolve(dir), { what: "the previews folder" })
    : resolve(dir);
  const paths = [...files.keys()].sort();
  if (options.dryRun) return paths;
  // Previews are derived output: start from an empty folder per host so removed items disappear.
  for (const host of Object.keys(filtered.hosts))
    rmSync(join(root, host), { recursive: true, force: true });
  for (const path of paths) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    await writeFileAtomic(target, files.get(path)!);
  }
  return paths;
}
