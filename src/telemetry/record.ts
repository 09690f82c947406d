/**
 * The recording hook: `main` imports this only when telemetry is on, after the verb ran. It never
 * throws and never writes to stdout or stderr: a full disk or a read-only state folder must not
 * change what the command printed or its exit status.
 */
import { timings } from "../adapters/timings.js";
import { VERSION } from "../version.js";
import { eventLine, makeEvent } from "./event.js";
import { appendEventLine } from "./store.js";
import { telemetryPaths } from "./switch.js";

/** What `main` knows at the end of a run. */
export interface FinishedRun {
  command: string;
  durationMs: number;
  exitCode: number;
  env: Readonly<Record<string, string | undefined>>;
}

/** Appends the run's event; returns whether it was written (for tests), never throws. */
export function recordRun(run: FinishedRun): boolean {
  try {
    const event = makeEvent({
      command: run.command,
      durationMs: run.durationMs,
      exitCode: run.exitCode,
      ...timings.counts,
      spans: timings.spans,
      version: VERSION,
      platform: process.platform,
      end: new Date(),
    });
    if (!event) return false;
    appendEventLine(telemetryPaths(run.env).dir, eventLine(event));
    return true;
  } catch {
    return false;
  }
}
