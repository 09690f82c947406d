/**
 * The Node implementation of {@link ProcessRunner}: `spawn` without a shell, each command in its
 * own process group so a timeout ends the command *and* everything it started.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { StringDecoder } from "node:string_decoder";
import {
  CommandNotFoundError,
  CommandStartError,
  type OutputStream,
  type ProcessRunner,
  type RunOptions,
  type RunResult,
} from "../ports/index.js";

/** Tuning for {@link NodeProcessRunner}; the defaults suit the CLI. */
export interface NodeRunnerOptions {
  /** Milliseconds between SIGTERM and SIGKILL on timeout or cancel (default 2000). */
  killGraceMs?: number;
  /** Characters of stdout and of stderr kept each; older output is dropped (default 4 MiB). */
  maxOutputChars?: number;
  /**
   * Milliseconds to keep reading after the command exited while something it started still
   * holds its stdout/stderr open (`sleep 100 &`); then the pipes are dropped (default 200).
   */
  drainMs?: number;
  /** The environment commands start from (default `process.env`). */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Keeps the last `max` characters of a stream; the tail is what explains a failure. */
class TailBuffer {
  private chunks: string[] = [];
  private length = 0;
  truncated = false;
  constructor(private readonly max: number) {}

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    while (this.length > this.max && this.chunks.length > 0) {
      const first = this.chunks[0] ?? "";
      const excess = this.length - this.max;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.length -= first.length;
      } else {
        this.chunks[0] = first.slice(excess);
        this.length -= excess;
      }
    }
  }

  text(): string {
    return this.chunks.join("");
  }
}

/** Sends `signal` to the whole process group led by `pid`; a group that is gone is fine. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has already exited, which is what we wanted.
  }
}

/** Runs commands with `node:child_process` (see {@link ProcessRunner} for the contract). */
export class NodeProcessRunner implements ProcessRunner {
  private readonly killGraceMs: number;
  private readonly maxOutputChars: number;
  private readonly drainMs: number;
  private readonly baseEnv: NodeJS.ProcessEnv;

  constructor(options: NodeRunnerOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 2000;
    this.maxOutputChars = options.maxOutputChars ?? 4 * 1024 * 1024;
    this.drainMs = options.drainMs ?? 200;
    this.baseEnv = options.baseEnv ?? process.env;
  }

  /** Run `argv` without a shell; see {@link ProcessRunner.run}. */
  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const [command, ...args] = argv;
    if (command === undefined || command === "") {
      return Promise.reject(
        new TypeError("ProcessRunner.run needs a non-empty argv: argv[0] names the command."),
      );
    }
    const env: NodeJS.ProcessEnv = { ...this.baseEnv };
    for (const [key, value] of Object.entries(opts.env ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }

    return new Promise<RunResult>((resolve, reject) => {
      const started = performance.now();
      const out = new TailBuffer(this.maxOutputChars);
      const err = new TailBuffer(this.maxOutputChars);
      let timedOut = false;
      let cancelled = false;
      let settled = false;
      let exited: { code: number | null; signal: string | null } | undefined;
      let callbackError: unknown;
      let timeoutTimer: NodeJS.Timeout | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      let drainTimer: NodeJS.Timeout | undefined;

      if (opts.signal?.aborted) {
        reject(opts.signal.reason ?? new Error("The command was cancelled before it started."));
        return;
      }

      const child = spawn(command, args, {
        cwd: opts.cwd,
        env,
        shell: false,
        // A process group of its own: `process.kill(-pid)` then reaches grandchildren too.
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });

      const cleanup = (): void => {
        if (timeoutTimer) clearTimeout(timeoutTimer);
        if (drainTimer) clearTimeout(drainTimer);
        opts.signal?.removeEventListener("abort", onAbort);
        if (killTimer) {
          // Killed on purpose and the pipes are closed: finish the job on any stragglers now.
          clearTimeout(killTimer);
          if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
        }
      };

      const finish = (): void => {
        if (settled) return;
        settled = true;
        cleanup();
        if (callbackError !== undefined) {
          reject(callbackError);
          return;
        }
        resolve({
          exitCode: exited?.code ?? null,
          signal: exited?.signal ?? null,
          stdout: out.text(),
          stderr: err.text(),
          timedOut,
          cancelled,
          truncated: { stdout: out.truncated, stderr: err.truncated },
          durationMs: performance.now() - started,
        });
      };

      const terminate = (): void => {
        if (child.pid === undefined || killTimer) return;
        killGroup(child.pid, "SIGTERM");
        const pid = child.pid;
        killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), this.killGraceMs);
      };

      function onAbort(): void {
        cancelled = true;
        terminate();
      }

      child.on("error", (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (child.pid !== undefined) {
          // An error after a successful start (e.g. a failed kill): report what we have.
          callbackError ??= error;
          return;
        }
        settled = true;
        cleanup();
        const code = error.code ?? "UNKNOWN";
        // spawn reports a missing cwd as ENOENT too: don't blame the command for it.
        if (code === "ENOENT" && opts.cwd !== undefined && !existsSync(opts.cwd)) {
          reject(
            new CommandStartError(
              argv,
              code,
              `Could not start \`${command}\`: the working directory ${opts.cwd} does not exist.`,
            ),
          );
        } else if (code === "ENOENT") {
          reject(new CommandNotFoundError(argv));
        } else {
          reject(new CommandStartError(argv, code));
        }
      });

      const collect = (stream: OutputStream, buffer: TailBuffer) => {
        // A decoder per stream, so a UTF-8 character split across chunks stays whole.
        const decoder = new StringDecoder("utf8");
        const deliver = (text: string): void => {
          if (text === "") return;
          buffer.push(text);
          if (opts.onOutput && callbackError === undefined) {
            try {
              opts.onOutput(text, stream);
            } catch (error) {
              // Never let a consumer's bug crash the process from inside a stream event.
              callbackError = error;
            }
          }
        };
        const source = stream === "stdout" ? child.stdout : child.stderr;
        source.on("data", (chunk: Buffer) => deliver(decoder.write(chunk)));
        source.on("end", () => deliver(decoder.end()));
      };
      collect("stdout", out);
      collect("stderr", err);

      // A command that exits without reading its stdin would otherwise surface EPIPE.
      child.stdin.on("error", () => {});
      child.stdin.end(opts.input ?? "");

      if (opts.timeoutMs !== undefined) {
        timeoutTimer = setTimeout(() => {
          timedOut = true;
          terminate();
        }, opts.timeoutMs);
      }
      opts.signal?.addEventListener("abort", onAbort, { once: true });

      child.on("exit", (code, signal) => {
        exited = { code, signal };
        if (timeoutTimer) clearTimeout(timeoutTimer);
        // Something the command started may keep the pipes open for ever; stop waiting soon.
        drainTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish();
        }, this.drainMs);
      });
      child.on("close", (code, signal) => {
        exited ??= { code, signal };
        finish();
      });
    });
  }
}
