/**
 * Health probes: does a command exit 0, does a URL answer 2xx, does a port accept, does a file
 * exist, does a service run. Every attempt is bounded by the probe's timeout and failed attempts
 * are retried with a short back-off. All IO goes through the ports in `deps`, so this module never
 * touches the network, the disk or a process itself.
 */
import type { Platform } from "../define/types.js";
import type { ArgLock, ProbeLock } from "../emit/lock-types.js";
import {
  CommandNotFoundError,
  CommandStartError,
  NetError,
  type Clock,
  type FileSystem,
  type HttpClient,
  type ProcessRunner,
  type Sleep,
  type TcpConnector,
} from "../ports/index.js";

/** How a service named by a probe maps onto the platform's service manager. */
export interface ServiceTarget {
  /** systemd unit name (NixOS). */
  unit: string;
  /** launchd label (darwin). */
  label: string;
  scope: "user" | "system";
}

/** Everything {@link runProbe} needs from the outside world. */
export interface ProbeDeps {
  runner: ProcessRunner;
  http: HttpClient;
  tcp: TcpConnector;
  files: Pick<FileSystem, "exists">;
  /** Turns a command element into a path or argument (a `bin` reference into its store path). */
  resolveArg(a: ArgLock): string;
  /** Decides which service manager `service` probes ask. */
  platform: Platform;
  /** The scope of a `service` probe whose service {@link resolveService} does not know. */
  scope: "user" | "system";
  /** The user's uid, for launchd's `gui/<uid>/<label>` domain (darwin user services). */
  uid?: number;
  /**
   * Maps the name in a `service` probe to its unit and label (e.g. a program's `server` service
   * to `setup-mac-<program>-server`); without it, or when it returns undefined, the name is used
   * as the unit and label as written.
   */
  resolveService?(name: string): ServiceTarget | undefined;
  /** Waits between attempts (default: a real timer). */
  sleep?: Sleep;
  /** For `durationMs` (default: the system clock). */
  clock?: Clock;
  /** Milliseconds to wait before attempt `n + 1` after attempt `n` failed (default 250·2ⁿ⁻¹, at most 2 s). */
  backoffMs?(attempt: number): number;
}

/** The outcome of one probe after all its attempts. */
export interface ProbeResult {
  name: string;
  ok: boolean;
  /** Attempts made: 1 when the first succeeded or the failure cannot change by retrying. */
  attempts: number;
  durationMs: number;
  /** What the last attempt saw, e.g. `HTTP 503 from http://127.0.0.1:8080/healthz`. */
  detail: string;
}

/** One attempt's verdict; `final` failures (a malformed target, a missing binary) are not retried. */
interface Attempt {
  ok: boolean;
  detail: string;
  final?: boolean;
}

const TIMED_OUT = Symbol("timed out");

/** Runs `fn` with a signal that aborts after `ms`; resolves to TIMED_OUT then, even if `fn` ignores the signal. */
async function withDeadline<T>(
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T | typeof TIMED_OUT> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${ms} ms`));
      resolve(TIMED_OUT);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last non-empty line of a command's output, to explain its failure briefly. */
export function lastLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  return lines.at(-1)?.trim();
}

/** Splits `host:port` / `[v6]:port` into its parts, or undefined when malformed. */
export function parseTcpTarget(target: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(target.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? "", port };
}

/** Describes a failure to run a command (missing binary, not executable) and whether to retry. */
function startFailure(error: unknown): Attempt {
  if (error instanceof CommandNotFoundError) {
    return { ok: false, detail: `command not found: ${error.command}`, final: true };
  }
  if (error instanceof CommandStartError) {
    return {
      ok: false,
      detail: `could not start ${error.argv[0] ?? ""} (${error.code})`,
      final: true,
    };
  }
  throw error;
}

/** Runs a command until it exits or the deadline passes; the deadline's abort kills it. */
async function runCommand(
  argv: string[],
  timeout: number,
  deps: ProbeDeps,
): Promise<
  | { kind: "done"; exitCode: number | null; signal: string | null; stdout: string; stderr: string }
  | { kind: "timeout" }
  | { kind: "failed"; attempt: Attempt }
> {
  try {
    const result = await withDeadline(timeout, (signal) => deps.runner.run(argv, { signal }));
    if (result === TIMED_OUT || result.timedOut || result.cancelled) return { kind: "timeout" };
    return { kind: "done", ...result };
  } catch (error) {
    return { kind: "failed", attempt: startFailure(error) };
  }
}

async function commandAttempt(argv: string[], timeout: number, deps: ProbeDeps): Promise<Attempt> {
  const shown = argv.join(" ");
  const outcome = await runCommand(argv, timeout, deps);
  if (outcome.kind === "failed") return outcome.attempt;
  if (outcome.kind === "timeout")
    return { ok: false, detail: `${shown}: timed out after ${timeout} ms` };
  if (outcome.exitCode === 0) return { ok: true, detail: `${shown}: exit 0` };
  const why =
    outcome.exitCode === null
      ? `killed by ${outcome.signal ?? "a signal"}`
      : `exit ${outcome.exitCode}`;
  const said = lastLine(outcome.stderr) ?? lastLine(outcome.stdout);
  return { ok: false, detail: `${shown}: ${why}${said ? `: ${said}` : ""}` };
}

async function httpAttempt(
  url: string,
  expected: number | undefined,
  timeout: number,
  deps: ProbeDeps,
): Promise<Attempt> {
  try {
    const response = await withDeadline(timeout, (signal) => deps.http.get(url, { signal }));
    if (response === TIMED_OUT)
      return { ok: false, detail: `${url}: timed out after ${timeout} ms` };
    const ok =
      expected === undefined
        ? response.status >= 200 && response.status < 300
        : response.status === expected;
    const wanted = expected === undefined || ok ? "" : ` (expected ${expected})`;
    return { ok, detail: `HTTP ${response.status} from ${url}${wanted}` };
  } catch (error) {
    if (error instanceof NetError) {
      if (error.kind === "timeout")
        return { ok: false, detail: `${url}: timed out after ${timeout} ms` };
      if (error.kind === "refused") return { ok: false, detail: `connection refused: ${url}` };
      return { ok: false, detail: error.message, final: error.kind === "other" };
    }
    throw error;
  }
}

async function tcpAttempt(target: string, timeout: number, deps: ProbeDeps): Promise<Attempt> {
  const parsed = parseTcpTarget(target);
  if (!parsed) {
    return {
      ok: false,
      detail: `invalid tcp target "${target}": expected host:port, e.g. 127.0.0.1:5432 or [::1]:22`,
      final: true,
    };
  }
  try {
    const result = await withDeadline(timeout, (signal) =>
      deps.tcp.connect(parsed.host, parsed.port, { signal }),
    );
    if (result === TIMED_OUT)
      return { ok: false, detail: `${target}: timed out after ${timeout} ms` };
    return { ok: true, detail: `${target} accepted the connection` };
  } catch (error) {
    if (error instanceof NetError) {
      if (error.kind === "timeout")
        return { ok: false, detail: `${target}: timed out after ${timeout} ms` };
      if (error.kind === "refused") return { ok: false, detail: `connection refused: ${target}` };
      return { ok: false, detail: error.message };
    }
    throw error;
  }
}

async function fileAttempt(path: string, timeout: number, deps: ProbeDeps): Promise<Attempt> {
  const exists = await withDeadline(timeout, () => deps.files.exists(path));
  if (exists === TIMED_OUT) return { ok: false, detail: `${path}: timed out after ${timeout} ms` };
  return exists
    ? { ok: true, detail: `${path} exists` }
    : { ok: false, detail: `${path} does not exist` };
}

async function serviceAttempt(name: string, timeout: number, deps: ProbeDeps): Promise<Attempt> {
  const target = deps.resolveService?.(name) ?? { unit: name, label: name, scope: deps.scope };
  if (deps.platform === "nixos") {
    const argv =
      target.scope === "user"
        ? ["systemctl", "--user", "is-active", target.unit]
        : ["systemctl", "is-active", target.unit];
    const outcome = await runCommand(argv, timeout, deps);
    if (outcome.kind === "failed") return outcome.attempt;
    if (outcome.kind === "timeout") {
      return { ok: false, detail: `${argv.join(" ")}: timed out after ${timeout} ms` };
    }
    // is-active prints the state (active, inactive, failed, activating…) and exits 0 only for active.
    const state = lastLine(outcome.stdout) ?? (outcome.exitCode === 0 ? "active" : "not active");
    return {
      ok: outcome.exitCode === 0,
      detail: `${target.scope} unit ${target.unit} is ${state}`,
    };
  }

  if (target.scope === "user" && deps.uid === undefined) {
    return {
      ok: false,
      detail: `cannot check launchd agent ${target.label}: the user's uid is unknown`,
      final: true,
    };
  }
  const domain = target.scope === "user" ? `gui/${deps.uid}` : "system";
  const argv = ["launchctl", "print", `${domain}/${target.label}`];
  const outcome = await runCommand(argv, timeout, deps);
  if (outcome.kind === "failed") return outcome.attempt;
  if (outcome.kind === "timeout") {
    return { ok: false, detail: `${argv.join(" ")}: timed out after ${timeout} ms` };
  }
  if (outcome.exitCode !== 0) {
    return { ok: false, detail: `launchd job ${domain}/${target.label} is not loaded` };
  }
  // `launchctl print` succeeds for any loaded job; only its `state =` line says whether it runs.
  const state = /^\s*state = (.+)$/m.exec(outcome.stdout)?.[1]?.trim();
  if (state === undefined || state === "running") {
    return { ok: true, detail: `launchd job ${domain}/${target.label} is ${state ?? "loaded"}` };
  }
  return { ok: false, detail: `launchd job ${domain}/${target.label} is ${state}` };
}

/** One attempt of `probe`, whatever its kind. */
function attempt(probe: ProbeLock, deps: ProbeDeps): Promise<Attempt> {
  const timeout = probe.timeout;
  if ("command" in probe)
    return commandAttempt(
      probe.command.map((a) => deps.resolveArg(a)),
      timeout,
      deps,
    );
  if ("http" in probe) return httpAttempt(probe.http, probe.status, timeout, deps);
  if ("tcp" in probe) return tcpAttempt(probe.tcp, timeout, deps);
  if ("file" in probe) return fileAttempt(probe.file, timeout, deps);
  return serviceAttempt(probe.service, timeout, deps);
}

export const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const systemClock: Clock = { now: () => new Date() };
const defaultBackoff = (attemptNumber: number): number =>
  Math.min(250 * 2 ** (attemptNumber - 1), 2000);

/**
 * Run one health probe: up to `1 + retries` attempts, each bounded by `timeout` ms, with a short
 * back-off in between. Never rejects for a failing check; the result says what failed.
 */
export async function runProbe(probe: ProbeLock, deps: ProbeDeps): Promise<ProbeResult> {
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? defaultSleep;
  const backoff = deps.backoffMs ?? defaultBackoff;
  const started = clock.now().getTime();
  const maxAttempts = 1 + Math.max(0, Math.floor(probe.retries));
  let attempts = 0;
  let last: Attempt = { ok: false, detail: "not run" };
  while (attempts < maxAttempts) {
    attempts += 1;
    try {
      last = await attempt(probe, deps);
    } catch (error) {
      // A port that throws something unexpected is a failed check, not a crashed status report.
      last = {
        ok: false,
        detail: `probe error: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (last.ok || last.final || attempts >= maxAttempts) break;
    await sleep(backoff(attempts));
  }
  return {
    name: probe.name,
    ok: last.ok,
    attempts,
    durationMs: Math.max(0, clock.now().getTime() - started),
    detail: last.detail,
  };
}

/** Run many probes, at most `concurrency` at a time (default 4); results keep the input order. */
export async function runProbes(
  list: readonly ProbeLock[],
  deps: ProbeDeps,
  options: { concurrency?: number } = {},
): Promise<ProbeResult[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const results = new Array<ProbeResult>(list.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const index = next++;
      results[index] = await runProbe(list[index]!, deps);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  return results;
}
