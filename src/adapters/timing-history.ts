/**
 * The timing history's file (decision 0029): `stats/history.json` in the workspace's folder of the
 * load cache, beside the bundles and the evaluation cache. Replaced whole and atomically on every
 * evaluating run; a missing, corrupt or unwritable file is an empty history, never an error.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TimingRun } from "../stats/history.js";
import { appendRun, parseHistory, serializeHistory } from "../stats/history.js";
import { writeCacheFile } from "./atomic-write.js";

/** Where a workspace's history is, given its folder of the load cache. */
export const historyPath = (cacheDir: string) => join(cacheDir, "stats", "history.json");

/** The recorded runs, oldest first; none when the file is missing or unreadable. */
export function readTimingHistory(cacheDir: string): TimingRun[] {
  try {
    return parseHistory(readFileSync(historyPath(cacheDir), "utf8"));
  } catch {
    return [];
  }
}

/**
 * Adds a run to the history and returns the runs as they are now (with this one last), also when
 * the file could not be written: a read-only cache only means no history is kept.
 */
export function recordTimingRun(cacheDir: string, run: TimingRun): TimingRun[] {
  const runs = appendRun(readTimingHistory(cacheDir), run);
  try {
    const path = historyPath(cacheDir);
    mkdirSync(dirname(path), { recursive: true });
    writeCacheFile(path, serializeHistory(runs));
  } catch {
    // Nothing to do: the run still counts for this process (check's warning), not for the next.
  }
  return runs;
}
