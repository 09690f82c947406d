/**
 * The timing history's file (decision 0029): `stats/history.jsonl` in the workspace's folder of
 * the load cache, beside the bundles and the evaluation cache. One JSON line per evaluating run,
 * appended (the common path reads nothing); a full file is rewritten with the newest runs,
 * atomically (`writeCacheFile`). A missing, corrupt or unwritable file is an empty history, never
 * an error.
 */
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { TimingRun } from "../stats/history.js";
import { isFull, parseHistory, serializeRun, trimHistory } from "../stats/history.js";
import { writeCacheFile } from "./atomic-write.js";

/** Where a workspace's history is, given its folder of the load cache. */
export const historyPath = (cacheDir: string) => join(cacheDir, "stats", "history.jsonl");

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The recorded runs, oldest first (see `parseHistory`); none when the file is unreadable. */
export function readTimingHistory(
  cacheDir: string,
  options: Parameters<typeof parseHistory>[1] = {},
): TimingRun[] {
  return parseHistory(readText(historyPath(cacheDir)), options);
}

/** Whether the file ends in the middle of a line (its writer was killed). */
function endsTorn(path: string, size: number): boolean {
  const fd = openSync(path, "r");
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, size - 1);
    return byte[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

/**
 * Adds a run to the history: one appended line, or, when the file is full, a rewrite with the
 * newest runs. Returns false when it could not be written (a read-only cache only means no
 * history is kept).
 */
export function recordTimingRun(cacheDir: string, run: TimingRun): boolean {
  const path = historyPath(cacheDir);
  const line = serializeRun(run);
  try {
    mkdirSync(dirname(path), { recursive: true });
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      // No history yet.
    }
    if (isFull(size, Buffer.byteLength(line)))
      writeCacheFile(path, trimHistory(readText(path), line));
    else appendFileSync(path, (size && endsTorn(path, size) ? "\n" : "") + line);
    return true;
  } catch {
    return false;
  }
}
