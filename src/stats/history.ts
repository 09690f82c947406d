/**
 * The timing history behind `setup-mac stats` and `check`'s slow-module warning (decision 0029):
 * one record per evaluating run, with each module's own load and evaluate time and whether its
 * output came from the evaluation cache. Pure: parsing, building and bounding records. The file
 * itself is read and written by `adapters/timing-history.ts`.
 */
import { z } from "zod";

/** Bumped when a record's shape changes; a file of another format reads as empty. */
export const HISTORY_FORMAT = 1;

/** How many runs are kept at most, and how many module entries in all (whichever is hit first). */
export const HISTORY_LIMITS = { maxRuns: 50, maxEntries: 25_000, minRuns: 5 };

/**
 * One module in one run: milliseconds of its own code while loading and while evaluating (on
 * every host together; `null` when its code did not run because the whole answer came from the
 * cache), and whether its output came from the evaluation cache (`null`: it was not evaluated on
 * any host, or the cache was off).
 */
export type ModuleSample = [loadMs: number | null, evaluateMs: number | null, cache: Cache];
type Cache = "hit" | "miss" | null;

/** One evaluating run. */
export interface TimingRun {
  /** When it ran (ISO 8601, UTC). */
  at: string;
  /** The verb, as typed (`check`, `programs status`), or `library` when called as a function. */
  command: string;
  /** How many hosts it evaluated. */
  hosts: number;
  /** Per module file (workspace-relative). */
  modules: Record<string, ModuleSample>;
}

const ms = z.number().nonnegative().nullable();
const runSchema = z.object({
  at: z.iso.datetime(),
  command: z.string(),
  hosts: z.number().int().nonnegative(),
  modules: z.record(z.string(), z.tuple([ms, ms, z.enum(["hit", "miss"]).nullable()])),
});
const fileSchema = z.object({ format: z.literal(HISTORY_FORMAT), runs: z.array(z.unknown()) });

/**
 * The runs of a history file's text, oldest first. Anything unreadable (not JSON, another format)
 * is an empty history, and a run that does not fit the shape is left out: the history is only a
 * measurement, never a reason to fail.
 */
export function parseHistory(text: string): TimingRun[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  const file = fileSchema.safeParse(json);
  if (!file.success) return [];
  return file.data.runs.flatMap((run) => {
    const parsed = runSchema.safeParse(run);
    return parsed.success ? [parsed.data as TimingRun] : [];
  });
}

/** The file's text for these runs. */
export function serializeHistory(runs: readonly TimingRun[]): string {
  return JSON.stringify({ format: HISTORY_FORMAT, runs }) + "\n";
}

/** What one load measured, as `loadWorkspace` has it. */
export interface RunMeasurements {
  at: Date;
  command: string;
  hosts: number;
  /** Per module whose code ran: own load and evaluate milliseconds. */
  times: readonly (readonly [file: string, loadMs: number, evaluateMs: number])[];
  /** Per module evaluated on some host: whether its output came from the evaluation cache. */
  cache: Readonly<Record<string, "hit" | "miss">>;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The record of one run. Modules are sorted by file, times rounded to 0.01 ms. */
export function buildRun(m: RunMeasurements): TimingRun {
  const modules: Record<string, ModuleSample> = {};
  const times = new Map(m.times.map(([file, load, evaluate]) => [file, [load, evaluate]]));
  for (const file of [...new Set([...times.keys(), ...Object.keys(m.cache)])].sort()) {
    const t = times.get(file);
    modules[file] = [t ? round(t[0]!) : null, t ? round(t[1]!) : null, m.cache[file] ?? null];
  }
  return { at: m.at.toISOString(), command: m.command, hosts: m.hosts, modules };
}

/**
 * `runs` with `run` added last, bounded: at most `maxRuns` runs, and no more module entries in all
 * than `maxEntries` (so 50 runs of 1,000 modules fit, and 5,000 modules keep fewer runs), but
 * never fewer than `minRuns` runs, so the median of the last runs is always there.
 */
export function appendRun(
  runs: readonly TimingRun[],
  run: TimingRun,
  limits: typeof HISTORY_LIMITS = HISTORY_LIMITS,
): TimingRun[] {
  const all = [...runs, run];
  let keep = 0;
  let entries = 0;
  for (let i = all.length - 1; i >= 0 && keep < limits.maxRuns; i--) {
    entries += Object.keys(all[i]!.modules).length;
    if (keep >= limits.minRuns && entries > limits.maxEntries) break;
    keep++;
  }
  return all.slice(all.length - keep);
}
