/**
 * The usage telemetry as a section of `setup-mac stats` (decision 0030): which verbs run most,
 * how often each fails, and the build time trend. Events are the machine's, not one workspace's.
 */
import type { StatsSection } from "../stats/report.js";
import type { TelemetrySummary } from "./summarize.js";

/** A duration as the telemetry tables show it. */
export const ms = (n: number) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);
/** A rate (0 to 1, or a change) as a whole percentage. */
export const percent = (rate: number) => `${Math.round(rate * 100)}%`;

/** The section, or nothing when no event is recorded (telemetry is off by default). */
export function usageSection(summary: TelemetrySummary): StatsSection | undefined {
  if (summary.events === 0) return undefined;
  const notes = [
    `${summary.events} runs recorded on this machine, ${summary.from!.slice(0, 10)} to ${summary.to!.slice(0, 10)} (setup-mac telemetry report for more)`,
  ];
  const t = summary.build.trend;
  if (t)
    notes.push(
      `build trend: ${ms(t.olderMedianMs)} → ${ms(t.newerMedianMs)} (${t.change > 0 ? "+" : ""}${percent(t.change)}), older half of the successful builds against the newer half`,
    );
  return {
    name: "usage",
    title: "usage (local telemetry)",
    columns: ["VERB", "RUNS", "FAILED", "MEDIAN"],
    rows: summary.verbs.map((v) => [
      v.command,
      String(v.runs),
      v.failures ? `${v.failures} (${percent(v.failureRate)})` : "0",
      ms(v.medianMs),
    ]),
    notes,
    data: summary,
  };
}
