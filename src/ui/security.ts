/**
 * The dashboard's request gate (pure): every request must carry the run's token as the first path
 * segment, name this server in `Host` (no DNS rebinding), and a write must be a JSON POST whose
 * `Origin` is this server (no cross-site request can forge one). Headers for every answer: a
 * strict Content-Security-Policy with no external source at all.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

/** A fresh per-run token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Only this server's own files and API; no inline script, no frames, no form posts elsewhere. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Sent with every answer, refusals included. */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

export interface RequestFacts {
  method: string;
  /** The request target as sent: `/<token>/api/hosts?x=1`. */
  url: string;
  host: string | undefined;
  origin: string | undefined;
  contentType: string | undefined;
}

export type Gate =
  | { ok: true; path: string; query: URLSearchParams }
  | { ok: false; status: 400 | 403 | 405 | 415; message: string };

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Decides whether a request may reach the dashboard and, if so, the path after the token.
 * `port` is the port the server listens on; only `127.0.0.1:<port>` and `localhost:<port>` are
 * this server's names.
 */
export function gate(request: RequestFacts, token: string, port: number): Gate {
  const names = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!request.host || !names.includes(request.host.toLowerCase()))
    return {
      ok: false,
      status: 403,
      message: `refused: the Host header must be 127.0.0.1:${port} (this dashboard serves this machine only)`,
    };
  let url: URL;
  try {
    url = new URL(request.url, `http://127.0.0.1:${port}`);
  } catch {
    return { ok: false, status: 400, message: "refused: the request target is not a URL path" };
  }
  const [, first = "", ...rest] = url.pathname.split("/");
  if (!sameToken(first, token))
    return {
      ok: false,
      status: 403,
      message:
        "refused: this address lacks the dashboard's token; open the address `setup-mac ui` printed",
    };
  const path = "/" + rest.join("/");
  if (request.method === "GET" || request.method === "HEAD")
    return { ok: true, path, query: url.searchParams };
  if (request.method !== "POST")
    return { ok: false, status: 405, message: `refused: ${request.method} is not used here` };
  const origins = names.map((n) => `http://${n}`);
  if (!request.origin || !origins.includes(request.origin.toLowerCase()))
    return {
      ok: false,
      status: 403,
      message: `refused: a change must come from the dashboard's own page (Origin ${request.origin ?? "missing"})`,
    };
  if (!/^application\/json\s*(;|$)/i.test(request.contentType ?? ""))
    return { ok: false, status: 415, message: "refused: a change is sent as application/json" };
  return { ok: true, path, query: url.searchParams };
}
