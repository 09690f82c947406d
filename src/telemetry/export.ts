/**
 * Sending events to an OTLP/HTTP collector: the only way telemetry leaves the machine, and only
 * when the user asks (`telemetry export --otlp`). Node's own `fetch`, JSON encoding, POST to
 * `/v1/logs`, in batches.
 */
import { diagnostic, SetupMacError } from "../errors/index.js";
import { logsUrl, toOtlpLogs } from "./otlp.js";
import type { TelemetryEvent } from "./schema.js";

export interface OtlpExportOptions {
  /** Records per request (default 500). */
  batch?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/** What the collector took. */
export interface OtlpExportResult {
  url: string;
  requests: number;
  sent: number;
  /** Records the collector said it rejected (`partialSuccess.rejectedLogRecords`). */
  rejected: number;
}

function failed(url: string, message: string, sent: number): SetupMacError {
  return new SetupMacError(
    diagnostic(
      "telemetry-export-failed",
      `sending telemetry to ${url} failed: ${message}` +
        (sent ? ` (${sent} events were sent before)` : " (nothing was sent)"),
      {
        hint: "check that an OTLP/HTTP collector listens there (e.g. http://127.0.0.1:4318), then run the export again",
      },
    ),
  );
}

/** POSTs `events` to the collector at `endpoint`; throws a clear error when it cannot. */
export async function exportOtlp(
  endpoint: string,
  events: readonly TelemetryEvent[],
  options: OtlpExportOptions = {},
): Promise<OtlpExportResult> {
  const url = logsUrl(endpoint);
  const batch = options.batch ?? 500;
  const result: OtlpExportResult = { url, requests: 0, sent: 0, rejected: 0 };
  for (let i = 0; i < events.length; i += batch) {
    const slice = events.slice(i, i + batch);
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(toOtlpLogs(slice)),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why =
        (error as Error).name === "TimeoutError"
          ? `no answer within ${(options.timeoutMs ?? 10_000) / 1000} s`
          : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw failed(url, why, result.sent);
    }
    const text = await response.text().catch(() => "");
    if (!response.ok)
      throw failed(
        url,
        `the collector answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ""}`,
        result.sent,
      );
    result.requests++;
    result.sent += slice.length;
    try {
      const body = JSON.parse(text) as {
        partialSuccess?: { rejectedLogRecords?: string | number };
      };
      result.rejected += Number(body.partialSuccess?.rejectedLogRecords ?? 0) || 0;
    } catch {
      // an empty or non-JSON 2xx body means all were accepted
    }
  }
  return result;
}
