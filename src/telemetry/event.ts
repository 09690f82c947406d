/**
 * Making an event from what a run measured: pure. Everything that could carry the user's text is
 * reduced to setup-mac's own vocabulary or dropped, so the privacy promise does not rest on the
 * callers passing clean data.
 */
import type { TelemetryEvent, TelemetryStage } from "./schema.js";
import {
  COMMAND_PATTERN,
  STAGE_PATTERN,
  TELEMETRY_EVENT_VERSION,
  telemetryEvent,
} from "./schema.js";

/** The longest line an event may be: one `write` of fewer bytes than PIPE_BUF (4096 on Linux). */
export const MAX_LINE_BYTES = 4000;

/** What a run hands to {@link makeEvent}. */
export interface RunFacts {
  /** The verb path, e.g. `programs enable` (from the command tree, never from argv). */
  command: string;
  durationMs: number;
  exitCode: number;
  hosts?: number;
  modules?: number;
  /** The `--timings` spans of the run. */
  spans: readonly { name: string; ms: number }[];
  version: string;
  platform: string;
  /** When the run ended. */
  end: Date;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * A span name as a stage: counts out ("bundle 12 modules" → "bundle modules"), lower case; a name
 * with anything else in it (a path, a program name with digits or dots) is not a stage.
 */
export function stageName(span: string): string | undefined {
  const name = span
    .toLowerCase()
    .replace(/\b\d+\b/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return STAGE_PATTERN.test(name) && name.length <= 40 ? name : undefined;
}

/** Stages summed by name, in the order first seen (a span can repeat, e.g. one per host). */
export function stages(spans: RunFacts["spans"]): TelemetryStage[] {
  const byName = new Map<string, number>();
  for (const span of spans) {
    const name = stageName(span.name);
    if (name !== undefined && Number.isFinite(span.ms) && span.ms >= 0)
      byName.set(name, (byName.get(name) ?? 0) + span.ms);
  }
  return [...byName].slice(0, 32).map(([name, ms]) => ({ name, ms: round(ms) }));
}

/**
 * The event of a run, or undefined when the command is not a verb path (nothing to attribute it
 * to). Fields that do not fit their pattern are left out rather than recorded.
 */
export function makeEvent(facts: RunFacts): TelemetryEvent | undefined {
  if (!COMMAND_PATTERN.test(facts.command)) return undefined;
  const countOrNull = (n: number | undefined) =>
    n !== undefined && Number.isInteger(n) && n >= 0 ? n : null;
  const event: TelemetryEvent = {
    v: TELEMETRY_EVENT_VERSION,
    time: facts.end.toISOString(),
    command: facts.command,
    durationMs: round(Math.max(0, facts.durationMs)),
    exitCode: Number.isInteger(facts.exitCode) ? Math.min(255, Math.max(0, facts.exitCode)) : 1,
    hosts: countOrNull(facts.hosts),
    modules: countOrNull(facts.modules),
    stages: stages(facts.spans),
    version: /^[0-9A-Za-z.+-]{1,40}$/.test(facts.version) ? facts.version : "unknown",
    platform: /^[a-z0-9]{1,16}$/.test(facts.platform) ? facts.platform : "unknown",
  };
  const parsed = telemetryEvent.safeParse(event);
  return parsed.success ? parsed.data : undefined;
}

/** The event as one line of the events file, kept under {@link MAX_LINE_BYTES}. */
export function eventLine(event: TelemetryEvent): string {
  let line = JSON.stringify(event) + "\n";
  // Only the stages can make a line long: drop the smallest until it fits.
  const kept = [...event.stages];
  while (Buffer.byteLength(line) > MAX_LINE_BYTES && kept.length) {
    kept.splice(kept.indexOf(kept.reduce((a, b) => (b.ms < a.ms ? b : a))), 1);
    line = JSON.stringify({ ...event, stages: kept }) + "\n";
  }
  return line;
}

/**
 * The events in a file's text: one per line; a line that is not JSON, not an event of this
 * version, or cut short (a crash mid-write) is counted as skipped, never fatal.
 */
export function parseEvents(text: string): { events: TelemetryEvent[]; skipped: number } {
  const events: TelemetryEvent[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const parsed = telemetryEvent.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else skipped++;
  }
  return { events, skipped };
}
