/**
 * What the recorded events say: pure, events in, summary out. `telemetry report` prints it;
 * `stats` can show the same data.
 */
import { median } from "../stats/outliers.js";
import type { TelemetryEvent } from "./schema.js";

/** How often one verb ran and how it went. */
export interface VerbSummary {
  command: string;
  runs: number;
  /** Runs that ended with a non-zero exit status. */
  failures: number;
  /** failures / runs, 0 to 1. */
  failureRate: number;
  medianMs: number;
}

/** One day of `build` runs (UTC). */
export interface BuildDay {
  day: string;
  runs: number;
  medianMs: number;
  /** The largest module count seen that day, or null when no run read a workspace. */
  modules: number | null;
}

/** Is `build` getting faster or slower: the median of the older half against the newer half. */
export interface BuildTrend {
  olderMedianMs: number;
  newerMedianMs: number;
  /** (newer − older) / older: −0.25 is a quarter faster. */
  change: number;
}

export interface TelemetrySummary {
  events: number;
  /** The first and last event's time, or null without events. */
  from: string | null;
  to: string | null;
  /** Most used first; ties by name. */
  verbs: VerbSummary[];
  build: {
    runs: number;
    /** Successful runs only: a failed build stops early and would flatter the trend. */
    days: BuildDay[];
    /** Null with fewer than {@link MIN_TREND_RUNS} successful runs. */
    trend: BuildTrend | null;
  };
}

/** The fewest successful builds a trend is computed from. */
export const MIN_TREND_RUNS = 4;

/** The verb whose durations make the build trend. */
export const BUILD_COMMAND = "build";

/** The median to a tenth of a millisecond, as the summary shows it. */
const medianMs = (values: readonly number[]): number => Math.round(median(values) * 10) / 10;

/** Most used verbs, failure rate per verb, and the `build` duration trend of `events`. */
export function summarizeTelemetry(events: readonly TelemetryEvent[]): TelemetrySummary {
  const ordered = [...events].sort((a, b) => a.time.localeCompare(b.time));
  const byVerb = new Map<string, TelemetryEvent[]>();
  for (const e of ordered) byVerb.set(e.command, [...(byVerb.get(e.command) ?? []), e]);
  const verbs = [...byVerb]
    .map(([command, list]): VerbSummary => {
      const failures = list.filter((e) => e.exitCode !== 0).length;
      return {
        command,
        runs: list.length,
        failures,
        failureRate: Math.round((failures / list.length) * 1000) / 1000,
        medianMs: medianMs(list.map((e) => e.durationMs)),
      };
    })
    .sort((a, b) => b.runs - a.runs || a.command.localeCompare(b.command));

  const builds = byVerb.get(BUILD_COMMAND) ?? [];
  const ok = builds.filter((e) => e.exitCode === 0);
  const byDay = new Map<string, TelemetryEvent[]>();
  for (const e of ok) {
    const day = e.time.slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), e]);
  }
  const days = [...byDay].map(([day, list]): BuildDay => {
    const modules = list.map((e) => e.modules).filter((m): m is number => m !== null);
    return {
      day,
      runs: list.length,
      medianMs: medianMs(list.map((e) => e.durationMs)),
      modules: modules.length ? Math.max(...modules) : null,
    };
  });
  let trend: BuildTrend | null = null;
  if (ok.length >= MIN_TREND_RUNS) {
    const half = ok.length >> 1;
    const older = medianMs(ok.slice(0, half).map((e) => e.durationMs));
    const newer = medianMs(ok.slice(ok.length - half).map((e) => e.durationMs));
    trend = {
      olderMedianMs: older,
      newerMedianMs: newer,
      change: older > 0 ? Math.round(((newer - older) / older) * 1000) / 1000 : 0,
    };
  }
  return {
    events: ordered.length,
    from: ordered[0]?.time ?? null,
    to: ordered.at(-1)?.time ?? null,
    verbs,
    build: { runs: builds.length, days, trend },
  };
}
