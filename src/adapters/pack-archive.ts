/**
 * Reading a pack's tarball (gzip of a tar, as npm publishes it) without trusting it: the size it
 * unpacks to and the number of entries are capped, a corrupt gzip stream, a damaged tar header
 * and an archive that stops before its end-of-archive marker are told apart, and the whole
 * archive is read once, writing nothing, before any of it is unpacked. Only regular module files
 * under `programs/` are ever written.
 */
import { mkdirSync } from "node:fs";
import { createGunzip } from "node:zlib";
import type { Parser, ReadEntry } from "tar";

/** How much a pack's archive may hold. */
export interface ArchiveLimits {
  /** Bytes of the uncompressed tar stream (headers, contents, padding). */
  maxBytes: number;
  /** Entries of any kind: files, folders, links… */
  maxEntries: number;
}

/**
 * 256 MiB and 20,000 entries: far above any pack of program modules (the 50 MB download cap
 * bounds the compressed size), far below what would fill a disk or hold the CLI for minutes.
 */
export const ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 256 * 1024 * 1024, maxEntries: 20_000 };

/** The only files taken from a pack: modules, helpers, their data and docs. */
const PACK_FILE = /^programs\/([A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+\.(ts|json|md)$/;

/** The archive cannot be read; `reason` says why, in words, for the `pack-archive` error. */
export class ArchiveError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "ArchiveError";
  }
}

/** `256 MiB`, `1.5 KiB`… */
function size(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB"];
  let n = bytes;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[unit]}`;
}

/** The path under the package's top folder (`package/programs/x.ts` → `programs/x.ts`). */
const inPackage = (path: string) => path.replace(/^[^/]+\//, "");

/** Whether an entry is one the pack may bring: a regular module file under `programs/`. */
function taken(path: string, entry: ReadEntry): boolean {
  const rel = inPackage(path);
  return entry.type === "File" && PACK_FILE.test(rel) && !rel.split("/").includes("..");
}

/** What a zlib or node-tar error means for the user. */
function reasonOf(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException & { tarCode?: string };
  if (e instanceof ArchiveError) return e.reason;
  if (e.code === "Z_BUF_ERROR" || /unexpected end of file/.test(e.message ?? ""))
    return "the gzip stream ends early: the tarball is truncated";
  if (e.code?.startsWith("Z_") || e.code === "ERR_ZLIB_INITIALIZATION_FAILED")
    return `it is not a valid gzip file (${e.message.replace(/^zlib: /, "")})`;
  if (e.tarCode ?? e.code?.startsWith("TAR_"))
    return `the tar archive inside is damaged (${e.message.replace(/^TAR_[A-Z_]+: /, "")})`;
  return undefined;
}

/**
 * Streams the archive through gunzip, a byte counter and `sink` (a node-tar parser), enforcing
 * the limits; throws {@link ArchiveError} for anything wrong with the archive itself.
 */
async function readArchive(
  bytes: Buffer,
  makeSink: (filter: (path: string, entry: ReadEntry) => boolean) => Parser,
  limits: ArchiveLimits,
): Promise<void> {
  let failure: ArchiveError | undefined;
  let entries = 0;
  let declared = 0;
  let seenEnd = false;
  const tooLarge = () =>
    new ArchiveError(
      `it unpacks to more than ${size(limits.maxBytes)} (a decompression bomb?); a pack of program modules is far smaller`,
    );
  const sink = makeSink((path, entry) => {
    entries++;
    declared += entry.size ?? 0;
    if (entries > limits.maxEntries)
      failure ??= new ArchiveError(
        `it holds more than ${limits.maxEntries.toLocaleString("en-US")} entries; a pack of program modules has far fewer`,
      );
    else if (declared > limits.maxBytes) failure ??= tooLarge();
    // The counter below stops the stream at its next chunk (aborting node-tar's parser from
    // inside its own filter would leave the pipeline waiting for a drain that never comes).
    return !failure && taken(path, entry);
  });
  sink.on("eof", () => (seenEnd = true));
  // Fed by hand rather than with stream.pipeline: node-tar's parser is not a Node stream and
  // cannot be destroyed, so a pipeline stopped half-way would wait for it forever.
  const gunzip = createGunzip();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const stop = (error: unknown) => {
        gunzip.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      gunzip.on("error", stop);
      sink.on("error", stop);
      sink.on("end", () => resolve());
      gunzip.on("end", () => (failure ? stop(failure) : sink.end()));
      gunzip.on("data", (chunk: Buffer) => {
        total += chunk.length;
        if (total > limits.maxBytes) failure ??= tooLarge();
        if (failure) return stop(failure);
        // After the end-of-archive marker the parser takes nothing more (and never drains):
        // what follows is only counted, so that zeros hidden there still hit the limit.
        if (seenEnd) return;
        if (!sink.write(chunk)) {
          gunzip.pause();
          sink.once("drain", () => gunzip.resume());
        }
      });
      gunzip.end(bytes);
    });
  } catch (error) {
    const reason = failure?.reason ?? reasonOf(error);
    if (reason === undefined) throw error;
    throw new ArchiveError(reason);
  }
  if (failure) throw failure;
  if (!seenEnd)
    throw new ArchiveError(
      "the tar archive stops before its end-of-archive marker: the tarball is truncated",
    );
}

/**
 * Reads the whole archive, writing nothing, and returns the files {@link unpackPack} would take
 * (paths under the package folder, sorted). Throws {@link ArchiveError} when it cannot be read.
 */
export async function checkPackArchive(
  bytes: Buffer,
  limits: ArchiveLimits = ARCHIVE_LIMITS,
): Promise<string[]> {
  const { Parser } = await import("tar");
  const files: string[] = [];
  await readArchive(
    bytes,
    (filter) =>
      new Parser({
        strict: true,
        filter: (path, entry) => {
          const ok = filter(path, entry as ReadEntry);
          if (ok) files.push(inPackage(path));
          return ok;
        },
        // A taken entry's contents must be read for the parser to go on; they are dropped.
        onReadEntry: (entry) => entry.resume(),
      }),
    limits,
  );
  return files.sort();
}

/**
 * Unpacks the pack's `programs/` files (regular files of known kinds only) into `dir`; call
 * {@link checkPackArchive} first, so that an archive that cannot be read writes nothing.
 */
export async function unpackPack(
  bytes: Buffer,
  dir: string,
  limits: ArchiveLimits = ARCHIVE_LIMITS,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const { Unpack } = await import("tar");
  const files: string[] = [];
  await readArchive(
    bytes,
    (filter) =>
      new Unpack({
        cwd: dir,
        strip: 1,
        // node-tar also refuses absolute paths and `..`; the filter keeps only plain module files.
        filter: (path, entry) => {
          const ok = filter(path, entry as ReadEntry);
          if (ok) files.push(inPackage(path));
          return ok;
        },
      }),
    limits,
  );
  return files.sort();
}
