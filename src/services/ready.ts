/**
 * Readiness (pure; time and IO come in as functions): after a start or restart, ask until the
 * service answers or a deadline passes. A service manager that says "started" has only forked
 * the process; a database, a VM or a web server is ready when its health probe answers.
 */
import type { Clock, Sleep } from "../ports/index.js";

/** One look at the service: ready, not yet, or a state it will not leave by waiting. */
export interface ReadyCheck {
  ok: boolean;
  detail: string;
  /** Waiting longer cannot help (the unit failed, the job is not loaded, a binary is missing). */
  final?: boolean;
}

export interface ReadyResult {
  ok: boolean;
  /** What the last check saw, or why the wait ended. */
  detail: string;
  attempts: number;
  waitedMs: number;
  /** The deadline passed before the service answered. */
  timedOut: boolean;
}

export interface WaitOptions {
  /** The whole wait's bound, in milliseconds. */
  timeoutMs: number;
  clock: Clock;
  sleep: Sleep;
  /** Milliseconds between checks (default: 200, doubling up to 1 s). */
  intervalMs?: (attempt: number) => number;
}

const defaultInterval = (attempt: number): number => Math.min(200 * 2 ** (attempt - 1), 1000);

/**
 * Calls `check` until it says ready, says waiting cannot help, or `timeoutMs` has passed. Each
 * check is handed the milliseconds left, so it can bound itself by them; the last check never
 * starts after the deadline.
 */
export async function waitUntilReady(
  check: (remainingMs: number) => Promise<ReadyCheck>,
  options: WaitOptions,
): Promise<ReadyResult> {
  const interval = options.intervalMs ?? defaultInterval;
  const started = options.clock.now().getTime();
  const elapsed = () => Math.max(0, options.clock.now().getTime() - started);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const last = await check(Math.max(1, options.timeoutMs - elapsed()));
    if (last.ok || last.final)
      return { ok: last.ok, detail: last.detail, attempts, waitedMs: elapsed(), timedOut: false };
    const pause = interval(attempts);
    if (elapsed() + pause >= options.timeoutMs) {
      return {
        ok: false,
        detail: last.detail,
        attempts,
        waitedMs: elapsed(),
        timedOut: true,
      };
    }
    await options.sleep(pause);
  }
}
