/**
 * Atomic file replacement (write a temp file, fsync, rename) through `write-file-atomic`, and the
 * clean-up of the temp files it leaves behind when the process is killed mid-write.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import writeFileAtomicImpl from "write-file-atomic";

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode for a new file (an existing file keeps its mode). */
  mode?: number;
}

/**
 * Replace `path` with `data` atomically and durably: readers see the old or the new contents,
 * never a truncated file, and the data is fsynced before the rename.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomicImpl(path, data, {
    fsync: true,
    encoding: "utf8",
    ...(options.mode === undefined ? {} : { mode: options.mode }),
  });
}

/** Options for {@link sweepTempFiles}. */
export interface SweepOptions {
  /**
   * Only remove temp files whose last change is at least this many milliseconds old (default 0).
   * Without the workspace lock held, pass a margin so another writer's live temp file survives.
   */
  olderThanMs?: number;
  /** The current time, for `olderThanMs` (default: now). */
  now?: Date;
}

/** Escapes a string for use inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Remove the `<baseName>.<number>` temp files `write-file-atomic` leaves in `dir` when a write
 * is killed before its rename. Returns the paths removed; a missing `dir` removes nothing.
 */
export async function sweepTempFiles(
  dir: string,
  baseName: string,
  options: SweepOptions = {},
): Promise<string[]> {
  // write-file-atomic names its temp file `<target>.<uint32 of a sha1>`: decimal digits only.
  const pattern = new RegExp(`^${escapeRegExp(baseName)}\\.\\d+$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const now = (options.now ?? new Date()).getTime();
  const olderThanMs = options.olderThanMs ?? 0;
  const removed: string[] = [];
  for (const name of names.filter((n) => pattern.test(n)).sort()) {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile() || now - info.mtimeMs < olderThanMs) continue;
      await unlink(path);
      removed.push(path);
    } catch (error) {
      // Gone already (another sweep, or the writer finished its rename): nothing to do.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return removed;
}

/**
 * Writes a cache file: a temp file beside it renamed into place, so a reader never sees half of
 * it. No fsync: a cache that is lost is only rebuilt. Throws when the folder is not writable.
 */
export function writeCacheFile(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** A folder swapped in by {@link swapInFolder}: keep it, or put the previous one back. */
export interface SwappedFolder {
  /** Removes the previous folder for good. */
  commit(): void;
  /** Removes the new folder and puts the previous one back (or none, if there was none). */
  restore(): void;
}

/**
 * Replaces the folder `target` whole: `fill` writes the new content into a hidden staging folder
 * next to it (`.<name>.next-<pid>`), which is then renamed into place while the previous folder
 * waits as `.<name>.old-<pid>` for `commit` or `restore`. Readers never see half a folder, and
 * staging or previous folders left by a process that was killed are removed first (callers hold
 * the workspace lock, or own the target alone). When `fill` throws, nothing has changed.
 */
export async function swapInFolder(
  target: string,
  fill: (dir: string) => Promise<void>,
): Promise<SwappedFolder> {
  const parent = dirname(target);
  const name = basename(target);
  const staging = join(parent, `.${name}.next-${process.pid}`);
  const previous = join(parent, `.${name}.old-${process.pid}`);
  for (const entry of existsSync(parent) ? readdirSync(parent) : [])
    if (entry.startsWith(`.${name}.next-`) || entry.startsWith(`.${name}.old-`))
      rmSync(join(parent, entry), { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await fill(staging);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const hadPrevious = existsSync(target);
  if (hadPrevious) renameSync(target, previous);
  renameSync(staging, target);
  return {
    commit: () => rmSync(previous, { recursive: true, force: true }),
    restore: () => {
      rmSync(target, { recursive: true, force: true });
      if (hadPrevious) renameSync(previous, target);
    },
  };
}
