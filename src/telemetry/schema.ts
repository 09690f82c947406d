/**
 * The one shape of a telemetry event (a line of `events.jsonl`) and of the telemetry settings.
 *
 * An event holds numbers and names chosen by setup-mac's own code, never text from the command
 * line, the config or the environment: the command is the verb path ("programs enable"), the
 * stages are the `--timings` span names with their counts taken out. The patterns below are the
 * last guard: a value that does not fit is dropped when the event is made, and a line that does
 * not parse is skipped when the file is read.
 */
import { z } from "zod";

/** The schema version written into every event; a reader skips lines of other versions. */
export const TELEMETRY_EVENT_VERSION = 1;

/** A verb path: lower-case words of setup-mac's own verbs, e.g. `programs enable`. */
export const COMMAND_PATTERN = /^[a-z][a-z-]*( [a-z][a-z-]*)*$/;
/** A stage name: lower-case words and spaces only, e.g. `bundle modules`, `json schema`. */
export const STAGE_PATTERN = /^[a-z][a-z ]*[a-z]$/;

const count = z.number().int().min(0).max(1_000_000);
const ms = z.number().min(0).max(86_400_000);

export const telemetryStage = z.strictObject({
  name: z.string().max(40).regex(STAGE_PATTERN),
  ms,
});

export const telemetryEvent = z.strictObject({
  v: z.literal(TELEMETRY_EVENT_VERSION),
  /** When the command ended, ISO 8601 UTC. */
  time: z.iso.datetime(),
  command: z.string().max(60).regex(COMMAND_PATTERN),
  durationMs: ms,
  exitCode: z.number().int().min(0).max(255),
  /** Hosts in the workspace's config; null when the command read no workspace. */
  hosts: count.nullable(),
  /** Program modules found; null when the command read no workspace. */
  modules: count.nullable(),
  stages: z.array(telemetryStage).max(32),
  /** The setup-mac version that ran. */
  version: z
    .string()
    .max(40)
    .regex(/^[0-9A-Za-z.+-]+$/),
  /** `process.platform`: darwin, linux… */
  platform: z
    .string()
    .max(16)
    .regex(/^[a-z0-9]+$/),
});

export type TelemetryEvent = z.infer<typeof telemetryEvent>;
export type TelemetryStage = z.infer<typeof telemetryStage>;

/** An OTLP/HTTP endpoint: the collector's base URL or its full `/v1/logs` URL. */
export const otlpEndpoint = z.url({ protocol: /^https?$/ });

export const telemetrySettings = z.strictObject({
  /** The user's choice: `telemetry on` / `telemetry off`. */
  enabled: z.boolean(),
  /** Where `telemetry export --otlp` sends the events when no URL is given. */
  endpoint: otlpEndpoint.optional(),
});

export type TelemetrySettings = z.infer<typeof telemetrySettings>;
