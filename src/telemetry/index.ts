/**
 * Local-only telemetry (decision 0030): the library side of `setup-mac telemetry`. Off until the
 * user turns it on; the events stay in the XDG state folder unless the user exports them.
 */
import { writeFileAtomic } from "../adapters/atomic-write.js";
import { UsageError } from "../errors/index.js";
import { exportOtlp, type OtlpExportResult } from "./export.js";
import { eventLine } from "./event.js";
import type { TelemetryEvent, TelemetrySettings } from "./schema.js";
import { otlpEndpoint } from "./schema.js";
import type { EventFile, Rotation } from "./store.js";
import { DEFAULT_ROTATION, purgeEvents, readEvents, readSettings, writeSettings } from "./store.js";
import type { TelemetrySummary } from "./summarize.js";
import { summarizeTelemetry } from "./summarize.js";
import type { TelemetrySource } from "./switch.js";
import { environmentSwitch, telemetryPaths } from "./switch.js";

export type { TelemetryEvent, TelemetrySettings } from "./schema.js";
export type { TelemetrySummary, VerbSummary, BuildDay, BuildTrend } from "./summarize.js";
export { summarizeTelemetry } from "./summarize.js";
export { toOtlpLogs } from "./otlp.js";

type Env = Readonly<Record<string, string | undefined>>;

/** What `telemetry status` shows. */
export interface TelemetryStatus {
  /** Whether the next command is recorded. */
  enabled: boolean;
  /** What decided it: an environment variable, the settings file, or the default (off). */
  source: TelemetrySource;
  /** The choice in the settings file, or null when there is none. */
  choice: boolean | null;
  settingsFile: string;
  dir: string;
  events: number;
  /** Lines that are not valid events (cut short, edited): skipped when read. */
  skipped: number;
  bytes: number;
  files: EventFile[];
  rotation: Rotation;
  /** Where `export --otlp` sends by default; null: nothing leaves the machine. */
  endpoint: string | null;
}

function decide(env: Env, settings: TelemetrySettings | undefined) {
  return (
    environmentSwitch(env) ??
    (settings ? { on: settings.enabled, source: "settings" as const } : undefined) ?? {
      on: false,
      source: "default" as const,
    }
  );
}

export function telemetryStatus(env: Env): TelemetryStatus {
  const paths = telemetryPaths(env);
  const settings = readSettings(paths.settings);
  const { events, skipped, files } = readEvents(paths.dir);
  const { on, source } = decide(env, settings);
  return {
    enabled: on,
    source,
    choice: settings?.enabled ?? null,
    settingsFile: paths.settings,
    dir: paths.dir,
    events: events.length,
    skipped,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    files,
    rotation: DEFAULT_ROTATION,
    endpoint: settings?.endpoint ?? null,
  };
}

/**
 * Records the user's choice. Turning on keeps (or sets) the endpoint; a settings file that cannot
 * be read is replaced, since the choice being written is the whole of it.
 */
export async function setTelemetry(
  env: Env,
  enabled: boolean,
  options: { endpoint?: string } = {},
): Promise<TelemetryStatus> {
  const paths = telemetryPaths(env);
  let previous: TelemetrySettings | undefined;
  try {
    previous = readSettings(paths.settings);
  } catch {
    previous = undefined;
  }
  const endpoint = options.endpoint ?? previous?.endpoint;
  if (options.endpoint !== undefined) checkEndpoint(options.endpoint);
  await writeSettings(paths.settings, { enabled, ...(endpoint ? { endpoint } : {}) });
  return telemetryStatus(env);
}

function checkEndpoint(url: string): void {
  if (!otlpEndpoint.safeParse(url).success)
    throw new UsageError(
      `"${url}" is not an http:// or https:// URL`,
      "give the collector's OTLP/HTTP address, e.g. --endpoint http://127.0.0.1:4318",
    );
}

/** Every stored event, oldest first. */
export function telemetryEvents(env: Env): { events: TelemetryEvent[]; skipped: number } {
  const { events, skipped } = readEvents(telemetryPaths(env).dir);
  return { events, skipped };
}

/** The summary of the stored events: most used verbs, failure rates, the build trend. */
export function telemetryReport(env: Env): TelemetrySummary & { skipped: number } {
  const { events, skipped } = telemetryEvents(env);
  return { ...summarizeTelemetry(events), skipped };
}

/** The events as JSON lines (only valid events, as they are stored). */
export function telemetryLines(events: readonly TelemetryEvent[]): string {
  return events.map(eventLine).join("");
}

/** Writes the events as JSON lines to `file`, atomically. */
export async function exportToFile(
  env: Env,
  file: string,
): Promise<{ file: string; events: number }> {
  const { events } = telemetryEvents(env);
  await writeFileAtomic(file, telemetryLines(events), { mode: 0o600 });
  return { file, events: events.length };
}

/**
 * Sends the events to an OTLP/HTTP collector: `url`, else the settings' endpoint. Without
 * either, nothing is sent and the error says how to name one.
 */
export async function exportToCollector(env: Env, url?: string): Promise<OtlpExportResult> {
  const endpoint = url ?? readSettings(telemetryPaths(env).settings)?.endpoint;
  if (!endpoint)
    throw new UsageError(
      "no OTLP endpoint: give one with --otlp <url>, or set it with `setup-mac telemetry on --endpoint <url>`",
      "e.g. setup-mac telemetry export --otlp http://127.0.0.1:4318",
    );
  checkEndpoint(endpoint);
  return exportOtlp(endpoint, telemetryEvents(env).events);
}

/** Deletes the stored events; the choice (on or off) stays. */
export function purgeTelemetry(env: Env): { dir: string; files: number } {
  const { dir } = telemetryPaths(env);
  return { dir, files: purgeEvents(dir) };
}
