/**
 * ZFS snapshots before a change: one snapshot per dataset of every program an apply touches,
 * named `<dataset>@setup-mac-g<generation>-<UTC time>` so they can be found, and each dataset's
 * retention (`snapshots.keep`) applied to older setup-mac snapshots. Through the runner only.
 */
import { compactUtc } from "../time.js";
import type { DatasetLock } from "../emit/lock-types.js";
import type { ProcessRunner } from "../ports/index.js";
import { onTarget } from "./platform.js";

export const SNAPSHOT_PREFIX = "setup-mac-";
/** Setup-mac snapshots kept per dataset when the dataset names no retention. */
export const DEFAULT_KEEP = 10;

export interface SnapshotResult {
  dataset: string;
  snapshot?: string;
  skipped?: string;
  destroyed: string[];
}

export class SnapshotError extends Error {
  constructor(
    readonly dataset: string,
    readonly argv: string[],
    detail: string,
  ) {
    super(`\`${argv.join(" ")}\` failed for ${dataset}: ${detail}`);
  }
}

/** Snapshots each dataset (skipping ones that do not exist yet) and prunes old setup-mac snapshots. */
export async function snapshotDatasets(
  datasets: readonly DatasetLock[],
  options: {
    runner: ProcessRunner;
    generation: number;
    now: Date;
    targetHost?: string;
    timeoutMs?: number;
  },
): Promise<SnapshotResult[]> {
  const { runner, targetHost } = options;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const results: SnapshotResult[] = [];
  const seen = new Set<string>();
  for (const ds of datasets) {
    if (seen.has(ds.dataset)) continue;
    seen.add(ds.dataset);
    const exists = await runner.run(
      onTarget(["zfs", "list", "-H", "-o", "name", ds.dataset], targetHost),
      { timeoutMs },
    );
    if (exists.exitCode !== 0) {
      results.push({
        dataset: ds.dataset,
        skipped: "does not exist yet (it is created at activation)",
        destroyed: [],
      });
      continue;
    }
    const snapshot = `${ds.dataset}@${SNAPSHOT_PREFIX}g${options.generation}-${compactUtc(options.now)}`;
    const argv = onTarget(["zfs", "snapshot", snapshot], targetHost);
    const made = await runner.run(argv, { timeoutMs });
    if (made.exitCode !== 0) {
      throw new SnapshotError(
        ds.dataset,
        argv,
        made.timedOut ? "timed out" : made.stderr.trim() || `exit ${String(made.exitCode)}`,
      );
    }
    const listed = await runner.run(
      onTarget(
        [
          "zfs",
          "list",
          "-H",
          "-t",
          "snapshot",
          "-o",
          "name",
          "-s",
          "creation",
          "-d",
          "1",
          ds.dataset,
        ],
        targetHost,
      ),
      { timeoutMs },
    );
    const ours = listed.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith(`${ds.dataset}@${SNAPSHOT_PREFIX}`));
    const keep = ds.snapshots?.keep ?? DEFAULT_KEEP;
    const destroyed: string[] = [];
    for (const old of ours.slice(0, Math.max(0, ours.length - keep))) {
      const gone = await runner.run(onTarget(["zfs", "destroy", old], targetHost), { timeoutMs });
      if (gone.exitCode === 0) destroyed.push(old);
    }
    results.push({ dataset: ds.dataset, snapshot, destroyed });
  }
  return results;
}
