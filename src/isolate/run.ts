/**
 * The CLI's side of the evaluation isolate (decision 0022): start the worker early, hand it the
 * bundle, watch which module runs, and turn a hang, an out-of-memory, an `exit` or a crash into
 * a diagnostic that names the module, the host and the limit. Module code never decides the
 * CLI's exit status: only a complete response counts as an evaluation.
 */
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { CONFIG_FILE } from "../load/config.js";
import type { EvaluationLimits } from "./limits.js";
import { commandLineLimits, DEFAULT_LIMITS } from "./limits.js";
import type { IsolateRequest, IsolateResponse } from "./protocol.js";
import { PHASES, SLOT, SLOTS } from "./protocol.js";

export type { EvaluationLimits };
export { commandLineLimits, DEFAULT_LIMITS };

export type IsolateOutcome =
  | { ok: true; response: Extract<IsolateResponse, { kind: "done" }> }
  | { ok: false; importFailed: string }
  | { ok: false; diagnostic: Diagnostic };

/** How often the CLI looks at what the isolate is doing. */
const POLL_MS = 50;

/** The worker's entry, built next to the CLI (`dist/isolate.js`). */
function workerUrl(): URL {
  const candidates = ["./isolate.js", "../isolate.js", "../../dist/isolate.js"].map(
    (p) => new URL(p, import.meta.url),
  );
  const found = candidates.find((u) => existsSync(u));
  if (!found)
    throw new Error(
      `setup-mac's evaluation isolate (isolate.js) is missing next to ${import.meta.url}; run \`npm run build\``,
    );
  return found;
}

/** A started isolate: it boots while the CLI bundles the modules. */
export class Isolate {
  private readonly worker: Worker;
  private readonly state = new SharedArrayBuffer(SLOTS * 4);
  private readonly slots = new Int32Array(this.state);
  private settled = false;
  private early?: { error?: unknown; exit?: number };

  constructor(private readonly limits: EvaluationLimits) {
    this.worker = new Worker(workerUrl(), {
      // Module code reads its inputs, not the user's environment (decision 0022).
      env: {},
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb },
    });
    // Module output is captured inside the isolate; anything else it prints is dropped here.
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    // Until `run`, remember a failure so it is reported by `run` and not lost.
    this.worker.once("error", (error) => (this.early ??= { error }));
    this.worker.once("exit", (exit) => (this.early ??= { exit }));
  }

  /** Ends the worker (idempotent); an isolate is used for one evaluation. */
  stop(): void {
    this.settled = true;
    void this.worker.terminate();
  }

  run(request: Omit<IsolateRequest, "state">): Promise<IsolateOutcome> {
    const { limits, slots, worker } = this;
    const describe = (): Where => {
      const module = request.modules[Atomics.load(slots, SLOT.module) - 1]?.file;
      const host = request.hosts[Atomics.load(slots, SLOT.host) - 1];
      const phase = PHASES[Atomics.load(slots, SLOT.phase)] ?? "evaluating";
      return { module, host, phase, configFile: request.configFile };
    };
    return new Promise<IsolateOutcome>((resolve) => {
      const start = Date.now();
      let seq = Atomics.load(slots, SLOT.seq);
      let since = start;
      const finish = (outcome: IsolateOutcome) => {
        if (this.settled) return;
        clearInterval(timer);
        this.stop();
        resolve(outcome);
      };
      const fail = (d: Diagnostic) => finish({ ok: false, diagnostic: d });
      const timer = setInterval(() => {
        const now = Date.now();
        const current = Atomics.load(slots, SLOT.seq);
        if (current !== seq) {
          seq = current;
          since = now;
        }
        const where = describe();
        if (where.module && now - since > limits.moduleTimeoutMs)
          fail(timeoutDiagnostic(where, limits.moduleTimeoutMs, "module"));
        else if (now - start > limits.timeoutMs)
          fail(timeoutDiagnostic(where, limits.timeoutMs, "evaluation"));
      }, POLL_MS);
      const onError = (error: unknown) => fail(crashDiagnostic(describe(), error, limits));
      const onExit = (code: number) => fail(exitDiagnostic(describe(), code));
      worker.on("message", (response: IsolateResponse) =>
        finish(
          response.kind === "done"
            ? { ok: true, response }
            : { ok: false, importFailed: response.message },
        ),
      );
      worker.on("error", onError);
      worker.on("exit", onExit);
      if (this.early?.error !== undefined) return onError(this.early.error);
      if (this.early?.exit !== undefined) return onExit(this.early.exit);
      worker.postMessage({ ...request, state: this.state } satisfies IsolateRequest);
    });
  }
}

interface Where {
  module?: string;
  host?: string;
  phase: string;
  configFile: string;
}

function doing(w: Where): string {
  const what =
    w.phase === "loading"
      ? "while loading"
      : w.phase === "evaluating"
        ? "while evaluating"
        : w.phase === "building its JSON Schema"
          ? "while building the config's JSON Schema"
          : `in \`${w.phase}\``;
  return w.host ? `${what} on host \`${w.host}\`` : what;
}

function located(w: Where): { location: { file: string }; host?: string } {
  return { location: { file: w.module ?? w.configFile }, ...(w.host ? { host: w.host } : {}) };
}

const seconds = (ms: number) => `${ms / 1000} s`;

function timeoutDiagnostic(w: Where, ms: number, limit: "module" | "evaluation"): Diagnostic {
  if (limit === "module")
    return diagnostic("module-timeout", `did not finish ${doing(w)} within ${seconds(ms)}`, {
      ...located(w),
      hint: `module code must return promptly: look for a loop that never ends; if it is only slow, raise the limit with \`--eval-timeout ${(2 * ms) / 1000}\` or \`"evaluation": { "moduleTimeout": ${(2 * ms) / 1000} }\` in ${CONFIG_FILE}`,
    });
  return diagnostic(
    "evaluation-timeout",
    `the evaluation did not finish within ${seconds(ms)} (${w.module ? `in ${w.module} ` : ""}${doing(w)})`,
    {
      ...located(w),
      hint: `raise the limit with \`"evaluation": { "timeout": ${(2 * ms) / 1000} }\` in ${CONFIG_FILE}, or evaluate fewer hosts with \`--host\``,
    },
  );
}

function crashDiagnostic(w: Where, error: unknown, limits: EvaluationLimits): Diagnostic {
  if ((error as { code?: string } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY")
    return diagnostic(
      "module-out-of-memory",
      `${w.module ? "" : "the evaluation "}used more than ${limits.memoryMb} MiB of memory ${doing(w)}`,
      {
        ...located(w),
        hint: `look for data that grows without bound${w.module ? " in this module" : ""}; if it really needs more, raise \`"evaluation": { "memory": ${limits.memoryMb * 2} }\` (MiB) in ${CONFIG_FILE}`,
      },
    );
  const text = error instanceof Error ? error.message : safeString(error);
  return diagnostic(
    w.module ? "module-crash" : "isolate-crash",
    `${w.module ? "" : "the evaluation "}crashed ${doing(w)}: ${text}`,
    {
      ...located(w),
      hint: w.module
        ? "something this module scheduled or started failed outside the functions setup-mac calls; a module must only return values"
        : "this is a bug in setup-mac; please report it with `setup-mac doctor`'s output",
    },
  );
}

function exitDiagnostic(w: Where, code: number): Diagnostic {
  return diagnostic(
    "module-exit",
    `${w.module ? "" : "the evaluation "}ended the evaluation (exit code ${code}) ${doing(w)}`,
    {
      ...located(w),
      hint: "a module must not end the process (`process.exit`): return its contribution, or throw an Error to report a problem",
    },
  );
}

function safeString(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return Object.prototype.toString.call(value);
  }
}
