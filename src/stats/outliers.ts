/**
 * Per-module statistics over the timing history, and which modules are slow enough for `check` to
 * warn about: pure, data in, data out (decision 0029).
 *
 * A module's cost in a run is its own load time plus its own evaluate time, counted only in runs
 * where its code ran for real: a run whose whole answer came from the cache ran none, and one
 * where its output came from the evaluation cache skipped its `config`. A slow module is judged
 * by an absolute limit (default 50 ms), never relative to the others: a median-relative rule
 * flags the one module that does a little more whenever the machine is busy.
 */
import type { TimingRun } from "./history.js";

/** The default of `evaluation.slowModuleMs`. */
export const DEFAULT_SLOW_MODULE_MS = 50;
/** `check` judges a module over the newest this many recorded runs (cheap to read at any size). */
export const JUDGED_RUNS = 10;
/** From this many measured runs on, a module is judged by its median, so one noisy run never warns. */
export const MEDIAN_MIN_RUNS = 3;

/** The median of `values` (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The `p`th percentile (0–100) of `values` by the nearest-rank method (0 for none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** One module over the runs given. */
export interface ModuleStats {
  file: string;
  /** Runs it appears in. */
  runs: number;
  /** Runs in which its code ran for real (the samples below). */
  measured: number;
  /** Load + evaluate ms: in the newest measured run, the median and the 95th percentile. */
  lastMs: number | null;
  medianMs: number | null;
  p95Ms: number | null;
  /** The medians of the load and of the evaluate part. */
  loadMs: number | null;
  evaluateMs: number | null;
  /** Runs whose output for it came from the evaluation cache, and runs that evaluated it. */
  hits: number;
  misses: number;
  /** hits / (hits + misses), or null when it was never evaluated with the cache on. */
  hitRate: number | null;
}

/** Every module of `runs` (oldest first), slowest median first, then by file. */
export function moduleStats(runs: readonly TimingRun[]): ModuleStats[] {
  const byFile = new Map<
    string,
    { runs: number; total: number[]; load: number[]; eval: number[]; hits: number; misses: number }
  >();
  for (const run of runs)
    for (const [file, [load, evaluate, cache]] of Object.entries(run.modules)) {
      const m = byFile.get(file) ?? { runs: 0, total: [], load: [], eval: [], hits: 0, misses: 0 };
      m.runs++;
      if (cache === "hit") m.hits++;
      if (cache === "miss") m.misses++;
      if (cache !== "hit" && load !== null && evaluate !== null) {
        m.total.push(load + evaluate);
        m.load.push(load);
        m.eval.push(evaluate);
      }
      byFile.set(file, m);
    }
  const orNull = (values: number[], f: (v: number[]) => number) =>
    values.length ? round(f(values)) : null;
  return [...byFile]
    .map(([file, m]) => ({
      file,
      runs: m.runs,
      measured: m.total.length,
      lastMs: orNull(m.total, (v) => v.at(-1)!),
      medianMs: orNull(m.total, median),
      p95Ms: orNull(m.total, (v) => percentile(v, 95)),
      loadMs: orNull(m.load, median),
      evaluateMs: orNull(m.eval, median),
      hits: m.hits,
      misses: m.misses,
      hitRate: m.hits + m.misses ? m.hits / (m.hits + m.misses) : null,
    }))
    .sort((a, b) => (b.medianMs ?? -1) - (a.medianMs ?? -1) || a.file.localeCompare(b.file));
}

const round = (n: number) => Math.round(n * 100) / 100;

/** A module over the limit, and what it was judged by. */
export interface SlowModule {
  file: string;
  ms: number;
  /** `median`: the median of `runs` measured runs; `last`: the newest one (fewer than 3 runs). */
  basis: "median" | "last";
  runs: number;
}

/**
 * The modules whose cost is over `limitMs`: judged by the median of their measured runs when
 * there are at least {@link MEDIAN_MIN_RUNS}, else by the newest. Slowest first.
 */
export function slowModules(runs: readonly TimingRun[], limitMs: number): SlowModule[] {
  // A plain loop rather than `moduleStats`: `check` runs this over every module every time.
  const samples = new Map<string, number[]>();
  for (const run of runs)
    for (const file in run.modules) {
      const [load, evaluate, cache] = run.modules[file]!;
      if (cache === "hit" || load === null || evaluate === null) continue;
      const list = samples.get(file);
      if (list) list.push(load + evaluate);
      else samples.set(file, [load + evaluate]);
    }
  const found: SlowModule[] = [];
  for (const [file, list] of samples) {
    const byMedian = list.length >= MEDIAN_MIN_RUNS;
    const ms = round(byMedian ? median(list) : list.at(-1)!);
    if (ms > limitMs)
      found.push({ file, ms, basis: byMedian ? "median" : "last", runs: list.length });
  }
  return found.sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file));
}
