/// <reference lib="dom" />
/**
 * The page's calls to its server. Every address is relative, so it keeps the run's token (the
 * first path segment of the page's own address); writes are JSON POSTs, which the server accepts
 * only with this page's Origin.
 */
import type { Diagnostic } from "../../errors/index.js";

/** A diagnostic as the page shows it; the page also makes some of its own (`network`, `http`). */
export type Problem = Pick<Diagnostic, "code" | "message" | "hint" | "host" | "location">;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problems: Problem[],
  ) {
    super(problems.map((p) => p.message).join("\n") || `HTTP ${status}`);
  }
}

async function answer<T>(response: Response): Promise<T> {
  const type = response.headers.get("content-type") ?? "";
  const body: unknown = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const problems =
      typeof body === "object" && body && "problems" in body
        ? (body as { problems: Problem[] }).problems
        : [{ code: "http", message: String(body).trim() || `HTTP ${response.status}` }];
    throw new ApiError(response.status, problems);
  }
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: { accept: "application/json" } }));
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** A POST whose answer is NDJSON events, each handed to `onEvent` as it arrives. */
export async function postStream(
  path: string,
  body: unknown,
  onEvent: (event: Record<string, unknown>) => void,
): Promise<void> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok || !response.body) await answer(response);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) onEvent(JSON.parse(line) as Record<string, unknown>);
    }
  }
}
