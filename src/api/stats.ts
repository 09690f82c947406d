/**
 * `stats`: how long each module takes over the last runs, from the timing history every
 * evaluating verb records (decision 0029). Reads only; no module code runs.
 */
import { resolve } from "node:path";
import { readTimingHistory } from "../adapters/timing-history.js";
import { realRoot, workspaceCacheDir } from "../load/bundle.js";
import { readConfig } from "../load/index.js";
import { HISTORY_LIMITS } from "../stats/history.js";
import { DEFAULT_SLOW_MODULE_MS } from "../stats/outliers.js";
import type { ModuleReport, StatsSection } from "../stats/report.js";
import { summarizeRuns } from "../stats/report.js";

export type { StatsSection };

/** What a source of further sections is given. */
export interface StatsContext {
  /** The workspace folder, absolute. */
  root: string;
  /** `--last N`, when given. */
  last?: number;
}

/** Another source of statistics: a section, or nothing when it has none (e.g. is switched off). */
export type StatsSectionSource = (
  context: StatsContext,
) => StatsSection | undefined | Promise<StatsSection | undefined>;

export interface StatsOptions {
  /** The workspace folder (default: the current directory). */
  workspace?: string;
  /** Cache directory; `null`: the cache is off (so no history). */
  cacheDir?: string | null;
  /** Only the newest N runs. */
  last?: number;
  /** The slow-module limit (default: the config's `evaluation.slowModuleMs`, else 50). */
  slowModuleMs?: number;
  /** Further sections, after the modules' (the usage telemetry's). */
  sections?: readonly StatsSectionSource[];
}

export interface StatsReport extends ModuleReport {
  /** How many runs the history keeps at most. */
  keep: number;
  sections: StatsSection[];
}

/** The timing history of a workspace, summarised; a workspace without runs has `runs: 0`. */
export async function stats(options: StatsOptions = {}): Promise<StatsReport> {
  const root = resolve(options.workspace ?? ".");
  const config = readConfig(root);
  const slowModuleMs =
    options.slowModuleMs ?? config.config.evaluation?.slowModuleMs ?? DEFAULT_SLOW_MODULE_MS;
  const cacheDir = workspaceCacheDir(realRoot(root), options.cacheDir);
  const history = cacheDir ? readTimingHistory(cacheDir) : [];
  const context: StatsContext = {
    root,
    ...(options.last !== undefined ? { last: options.last } : {}),
  };
  const sections: StatsSection[] = [];
  for (const source of options.sections ?? []) {
    const section = await source(context);
    if (section) sections.push(section);
  }
  return {
    ...summarizeRuns(history, { last: options.last, slowModuleMs }),
    keep: HISTORY_LIMITS.maxRuns,
    sections,
  };
}
