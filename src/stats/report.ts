/**
 * What `setup-mac stats` shows, from the timing history: pure (decision 0029). Other sources of
 * statistics (the usage telemetry) add their own sections through {@link StatsSection}.
 */
import type { TimingRun } from "./history.js";
import type { ModuleStats, SlowModule } from "./outliers.js";
import { moduleStats, slowModules } from "./outliers.js";

/**
 * A section of the report from another source: a titled table for the terminal, and its data for
 * `--json` (under `sections.<name>`).
 */
export interface StatsSection {
  /** The key under `sections` in `--json`, e.g. `usage`. */
  name: string;
  /** The heading printed above the table. */
  title: string;
  columns: string[];
  rows: string[][];
  /** Lines printed under the table (a trend, a note). */
  notes?: string[];
  /** What `--json` shows for the section. */
  data: unknown;
}

/** The module part of the report. */
export interface ModuleReport {
  /** Runs in the history, and how many of the newest were summarised (`--last`). */
  recorded: number;
  runs: number;
  /** The oldest and newest summarised run (ISO 8601), when there is one. */
  from?: string;
  to?: string;
  /** Summarised runs per verb. */
  commands: Record<string, number>;
  /** The limit a module's cost is judged by, in ms. */
  slowModuleMs: number;
  /** Every module, slowest median first. */
  modules: ModuleStats[];
  /** The modules `check` warns about. */
  slow: SlowModule[];
}

/** Summarises the newest `last` runs (default all) of a history, oldest first. */
export function summarizeRuns(
  history: readonly TimingRun[],
  options: { last?: number; slowModuleMs: number },
): ModuleReport {
  const runs = options.last === undefined ? history : history.slice(-options.last);
  const commands: Record<string, number> = {};
  for (const r of runs) commands[r.command] = (commands[r.command] ?? 0) + 1;
  return {
    recorded: history.length,
    runs: runs.length,
    ...(runs.length ? { from: runs[0]!.at, to: runs.at(-1)!.at } : {}),
    commands: Object.fromEntries(Object.entries(commands).sort(([a], [b]) => a.localeCompare(b))),
    slowModuleMs: options.slowModuleMs,
    modules: moduleStats(runs),
    slow: slowModules(runs, options.slowModuleMs),
  };
}
