/**
 * Telemetry events as an OTLP/HTTP JSON logs request (ExportLogsServiceRequest): pure.
 *
 * Each run is a discrete event, not a sample of a continuous quantity, so the logs signal fits:
 * one log record per run, its fields as attributes. The JSON follows the OTLP/HTTP JSON
 * encoding: lowerCamelCase field names, 64-bit integers (times, counts) as decimal strings,
 * enums (severityNumber) as integers, attribute values as AnyValue objects.
 */
import type { TelemetryEvent } from "./schema.js";

/** An OTLP AnyValue. */
export type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { kvlistValue: { values: KeyValue[] } };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: AnyValue;
  attributes: KeyValue[];
}

export interface OtlpLogsRequest {
  resourceLogs: {
    resource: { attributes: KeyValue[] };
    scopeLogs: {
      scope: { name: string; version: string };
      logRecords: OtlpLogRecord[];
    }[];
  }[];
}

/** The instrumentation scope of the records. */
export const OTLP_SCOPE = "setup-mac.telemetry";
/** The event name of every record. */
export const OTLP_EVENT_NAME = "setup-mac.run";
/** OTLP severity numbers: INFO for a run that exited 0, ERROR otherwise. */
const INFO = 9;
const ERROR = 17;

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({
  key,
  value: { intValue: String(Math.trunc(value)) },
});
const dbl = (key: string, value: number): KeyValue => ({ key, value: { doubleValue: value } });

/** Milliseconds since the epoch as OTLP's nanoseconds, a decimal string (exact, no float). */
export function unixNano(iso: string): string {
  return (BigInt(Date.parse(iso)) * 1_000_000n).toString();
}

function record(event: TelemetryEvent): OtlpLogRecord {
  const attributes = [
    str("setup_mac.command", event.command),
    dbl("setup_mac.duration_ms", event.durationMs),
    int("setup_mac.exit_code", event.exitCode),
    ...(event.hosts !== null ? [int("setup_mac.hosts", event.hosts)] : []),
    ...(event.modules !== null ? [int("setup_mac.modules", event.modules)] : []),
  ];
  if (event.stages.length)
    attributes.push({
      key: "setup_mac.stages_ms",
      value: { kvlistValue: { values: event.stages.map((s) => dbl(s.name, s.ms)) } },
    });
  const time = unixNano(event.time);
  return {
    timeUnixNano: time,
    observedTimeUnixNano: time,
    severityNumber: event.exitCode === 0 ? INFO : ERROR,
    severityText: event.exitCode === 0 ? "INFO" : "ERROR",
    eventName: OTLP_EVENT_NAME,
    body: { stringValue: event.command },
    attributes,
  };
}

/**
 * The request body for `events`: one resource per setup-mac version and platform (the resource
 * describes what produced the records), in the order first seen.
 */
export function toOtlpLogs(events: readonly TelemetryEvent[]): OtlpLogsRequest {
  const groups = new Map<string, TelemetryEvent[]>();
  for (const e of events) {
    const key = `${e.version}\0${e.platform}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return {
    resourceLogs: [...groups.values()].map((list) => ({
      resource: {
        attributes: [
          str("service.name", "setup-mac"),
          str("service.version", list[0]!.version),
          str("os.type", list[0]!.platform),
        ],
      },
      scopeLogs: [{ scope: { name: OTLP_SCOPE, version: "1" }, logRecords: list.map(record) }],
    })),
  };
}

/**
 * The URL to POST logs to: a URL whose path already ends in `/v1/logs` is used as it is; any
 * other is a collector's base URL and gets `v1/logs` appended (as OTEL_EXPORTER_OTLP_ENDPOINT).
 */
export function logsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!/\/v1\/logs\/?$/.test(url.pathname))
    url.pathname = url.pathname.replace(/\/?$/, "/") + "v1/logs";
  return url.toString();
}
