/**
 * Which modules are slow enough to warn about in `check`: pure, data in, data out. A module is an
 * outlier when its evaluate time is above an absolute limit, or far above the median of all
 * modules of the run (so one slow module among many fast ones stands out even under the limit).
 */

/** One module's measured time in a run. */
export interface ModuleTime {
  file: string;
  ms: number;
}

/** Thresholds for {@link findOutliers}. */
export interface OutlierThresholds {
  /** Always an outlier above this many milliseconds (default 50). */
  absoluteMs: number;
  /** An outlier above this multiple of the median… (default 10) */
  medianFactor: number;
  /** …but only when also above this floor, so sub-millisecond noise never warns (default 5). */
  minMs: number;
}

export const DEFAULT_OUTLIER_THRESHOLDS: OutlierThresholds = {
  absoluteMs: 50,
  medianFactor: 10,
  minMs: 5,
};

/** A module found slow, with the reason. */
export interface Outlier extends ModuleTime {
  reason: "absolute" | "median";
  medianMs: number;
}

/** The median of `values` (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The outliers of one run, slowest first, ties broken by file name. */
export function findOutliers(
  times: readonly ModuleTime[],
  thresholds: OutlierThresholds = DEFAULT_OUTLIER_THRESHOLDS,
): Outlier[] {
  const medianMs = median(times.map((t) => t.ms));
  const found: Outlier[] = [];
  for (const t of times) {
    if (t.ms > thresholds.absoluteMs) found.push({ ...t, reason: "absolute", medianMs });
    else if (t.ms > thresholds.minMs && medianMs > 0 && t.ms > medianMs * thresholds.medianFactor)
      found.push({ ...t, reason: "median", medianMs });
  }
  return found.sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file));
}
