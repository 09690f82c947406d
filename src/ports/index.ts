/**
 * The ports: the only ways the core reaches the outside world (processes, network, files, time).
 * Core modules take these as arguments; `src/adapters/` holds the Node implementations and tests
 * hand in fakes. Nothing here imports `node:*`, so this file is as pure as the core using it.
 */

/** Which output stream a chunk came from. */
export type OutputStream = "stdout" | "stderr";

/** How to run one command. */
export interface RunOptions {
  /** Working directory (default: the runner's own). */
  cwd?: string;
  /**
   * Variables added to the runner's base environment (normally the CLI's own); `undefined`
   * removes a variable. Merged rather than replaced so `PATH` and `HOME` survive by default.
   */
  env?: Record<string, string | undefined>;
  /** Milliseconds before the whole process group is terminated (SIGTERM, then SIGKILL). */
  timeoutMs?: number;
  /** Text written to the command's stdin, which is then closed. Without it stdin is empty. */
  input?: string;
  /** Called with each decoded chunk as it arrives, for streaming progress (e.g. a rebuild's log). */
  onOutput?(chunk: string, stream: OutputStream): void;
  /**
   * Cancels the command like a timeout does. Commands run in their own process group (so a
   * timeout can kill grandchildren), which also means Ctrl-C does not reach them: wire SIGINT
   * to this signal.
   */
  signal?: AbortSignal;
}

/** What a finished (or killed) command left behind. */
export interface RunResult {
  /** The exit code, or `null` when the process was ended by a signal. */
  exitCode: number | null;
  /** The signal that ended the process (`"SIGTERM"`, `"SIGKILL"`), or `null`. */
  signal: string | null;
  /** Everything written to stdout (only the tail when it exceeded the runner's limit). */
  stdout: string;
  stderr: string;
  /** Whether `timeoutMs` passed and the process group was killed. */
  timedOut: boolean;
  /** Whether `signal` aborted the command and the process group was killed. */
  cancelled: boolean;
  /** Whether the retained stdout/stderr lost their beginning to the size limit. */
  truncated: { stdout: boolean; stderr: boolean };
  durationMs: number;
}

/**
 * Runs commands as argument vectors: `argv[0]` is looked up on `PATH` and every other element
 * arrives as one argument, byte for byte. There is never a shell in between. A missing
 * executable rejects with {@link CommandNotFoundError}; any other failure to start rejects with
 * {@link CommandStartError}. A command that starts and fails resolves with its exit code.
 */
export interface ProcessRunner {
  /** Run `argv` to completion (or until its timeout) and collect its output. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** A command could not be started at all (it never ran, so there is no exit code). */
export class CommandStartError extends Error {
  override readonly name: string = "CommandStartError";
  constructor(
    /** The command as it was given. */
    readonly argv: readonly string[],
    /** The system error code, e.g. `EACCES`. */
    readonly code: string,
    message?: string,
  ) {
    super(
      message ??
        `Could not start \`${argv[0] ?? ""}\` (${code}). Check that it is an executable file and that the working directory exists.`,
    );
  }
}

/** The executable named by `argv[0]` does not exist (not on `PATH`, or no such file). */
export class CommandNotFoundError extends CommandStartError {
  override readonly name: string = "CommandNotFoundError";
  constructor(argv: readonly string[]) {
    super(
      argv,
      "ENOENT",
      `Command not found: \`${argv[0] ?? ""}\`. Install it or put it on PATH (a Nix-managed program may need a rebuild first).`,
    );
  }
  /** The executable that was not found. */
  get command(): string {
    return this.argv[0] ?? "";
  }
}

/** The current time. Injected so that records and reports are reproducible in tests. */
export interface Clock {
  /** The current wall-clock time. */
  now(): Date;
}

/** Waits; injected so that retry back-off costs nothing in tests. */
export type Sleep = (ms: number) => Promise<void>;

/** Why a network attempt failed, independent of Node's error codes. */
export type NetFailure = "refused" | "timeout" | "aborted" | "dns" | "reset" | "other";

/** A network request or connection failed before an answer arrived. */
export class NetError extends Error {
  override readonly name = "NetError";
  constructor(
    readonly kind: NetFailure,
    /** The URL or `host:port` that was being reached. */
    readonly target: string,
    message: string,
  ) {
    super(message);
  }
}

/** An HTTP answer; only what a health check needs. */
export interface HttpResponse {
  status: number;
}

/** Makes HTTP(S) GET requests. Failures before a status line reject with {@link NetError}. */
export interface HttpClient {
  /** GET `url` without following redirects; the body is discarded. */
  get(url: string, opts?: { signal?: AbortSignal }): Promise<HttpResponse>;
}

/** Opens TCP connections. Failures reject with {@link NetError}. */
export interface TcpConnector {
  /** Connect to `host:port` and close again: resolves once the connection was accepted. */
  connect(host: string, port: number, opts?: { signal?: AbortSignal }): Promise<void>;
}

/** The few file operations the CLI's verbs need, so the core never imports `node:fs`. */
export interface FileSystem {
  /** Whether `path` exists (following symlinks). */
  exists(path: string): Promise<boolean>;
  /** The file's text (UTF-8); rejects when it cannot be read. */
  readText(path: string): Promise<string>;
  /** Replace the file's contents atomically: readers see the old or the new bytes, never a mix. */
  writeTextAtomic(path: string, text: string): Promise<void>;
}
