/**
 * Node implementations of the network ports used by health probes: an HTTP(S) GET that only
 * reports the status, and a TCP connect that only reports whether the port accepted.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import {
  NetError,
  type HttpClient,
  type HttpResponse,
  type NetFailure,
  type TcpConnector,
} from "../ports/index.js";

/** Maps Node's error codes onto the port's failure kinds. */
function failureKind(error: NodeJS.ErrnoException, signal?: AbortSignal): NetFailure {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error && reason.name === "TimeoutError" ? "timeout" : "aborted";
  }
  switch (error.code) {
    case "ECONNREFUSED":
      return "refused";
    case "ETIMEDOUT":
      return "timeout";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "dns";
    case "ECONNRESET":
    case "EPIPE":
      return "reset";
    default:
      return error.name === "AbortError" ? "aborted" : "other";
  }
}

/** A readable sentence for a failure kind. */
function describe(kind: NetFailure, target: string, error: Error): string {
  switch (kind) {
    case "refused":
      return `connection refused by ${target}`;
    case "timeout":
      return `timed out connecting to ${target}`;
    case "aborted":
      return `request to ${target} was cancelled`;
    case "dns":
      return `could not resolve the host of ${target}`;
    case "reset":
      return `connection to ${target} was reset`;
    default:
      return `could not reach ${target}: ${error.message}`;
  }
}

/** Wraps a Node error in {@link NetError}. */
function toNetError(error: NodeJS.ErrnoException, target: string, signal?: AbortSignal): NetError {
  if (error instanceof NetError) return error;
  const kind = failureKind(error, signal);
  return new NetError(kind, target, describe(kind, target, error));
}

/** HTTP(S) GET with `node:http`/`node:https`; no keep-alive, no redirects, body discarded. */
export const nodeHttpClient: HttpClient = {
  get(url: string, opts: { signal?: AbortSignal } = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        reject(new NetError("other", url, `not a valid URL: ${url}`));
        return;
      }
      const client =
        parsed.protocol === "https:" ? https : parsed.protocol === "http:" ? http : undefined;
      if (!client) {
        reject(new NetError("other", url, `unsupported protocol ${parsed.protocol} in ${url}`));
        return;
      }
      const request = client.get(
        parsed,
        // No agent: a pooled keep-alive socket would hold the CLI's event loop open.
        { agent: false, signal: opts.signal, headers: { "user-agent": "setup-mac-health" } },
        (response) => {
          resolve({ status: response.statusCode ?? 0 });
          // The status is all a probe needs; don't wait for (or buffer) the body.
          response.resume();
          request.destroy();
        },
      );
      request.on("error", (error: NodeJS.ErrnoException) =>
        reject(toNetError(error, url, opts.signal)),
      );
    });
  },
};

/** TCP connect with `node:net`, closed again as soon as it was accepted. */
export const nodeTcpConnector: TcpConnector = {
  connect(host: string, port: number, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const signal = opts.signal;
      if (signal?.aborted) {
        reject(toNetError(new Error("aborted"), target, signal));
        return;
      }
      const socket = net.connect({ host, port });
      const onAbort = (): void => {
        socket.destroy();
        reject(toNetError(new Error("aborted"), target, signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => {
        signal?.removeEventListener("abort", onAbort);
        socket.destroy();
        resolve();
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        signal?.removeEventListener("abort", onAbort);
        reject(toNetError(error, target, signal));
      });
    });
  },
};
