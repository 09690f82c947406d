/**
 * The evaluation isolate's entry (a worker thread, see decision 0022): the only place program
 * module code runs. It imports the bundle, instantiates the modules, evaluates the hosts it is
 * asked for and posts back data only. The CLI watches the shared slots and ends this thread when
 * a module runs too long; an `exit` or a crash here ends this thread, never the CLI.
 */
import { performance } from "node:perf_hooks";
import { parentPort } from "node:worker_threads";
import * as api from "../api-surface.js";
import { timings } from "../adapters/timings.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { API_GLOBAL, importBundle, moduleRequire, REQUIRE_GLOBAL } from "../load/bundle.js";
import { parseConfig } from "../load/config.js";
import { evaluateLoaded, type Marks } from "./evaluate-loaded.js";
import type { IsolateRequest, IsolateResponse, ModuleOutput } from "./protocol.js";
import { PHASES, phaseIndex, SLOT } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("setup-mac's isolate runs as a worker thread");

port.once("message", (request: IsolateRequest) => {
  void run(request).then(
    (response) => port.postMessage(response),
    (error: unknown) => {
      // Our own failure (not a module's): surface it as the thread's uncaught error.
      throw error;
    },
  );
});

async function run(request: IsolateRequest): Promise<IsolateResponse> {
  const slots = new Int32Array(request.state);
  const set = (module: number, phase: number) => {
    Atomics.store(slots, SLOT.module, module);
    Atomics.store(slots, SLOT.phase, phase);
    Atomics.add(slots, SLOT.seq, 1);
  };
  timings.enabled = request.timings;

  // What module code may reach: the API, the pure built-ins, no network (decision 0022).
  const scope = globalThis as Record<symbol | string, unknown>;
  scope[Symbol.for(API_GLOBAL)] = api;
  scope[Symbol.for(REQUIRE_GLOBAL)] = moduleRequire();
  for (const name of ["fetch", "WebSocket", "EventSource"]) delete scope[name];
  const output = captureOutput(slots, request.modules);

  let loaders: (() => unknown)[];
  try {
    loaders = await timings.span("import bundle", () => importBundle(request.source));
  } catch (error) {
    // Module code runs only when a loader is called, so this is the bundle's text itself.
    return { kind: "import-failed", message: (error as Error).message ?? String(error) };
  }

  // Module code runs only inside these marks: the CLI always knows whose code is running, and
  // each module's own time is measured (always: a clock read per call is cheap, and the timing
  // history behind `stats` and `check`'s slow-module warning needs it). A call nested in another
  // (a module's function calling its own wrapped function) counts once, as the inner call's.
  interface Frame {
    module: number;
    phase: number;
    index: number;
    loading: boolean;
    start: number;
    inner: number;
  }
  const stack: Frame[] = [];
  const moduleTimes = new Map<number, [load: number, evaluate: number]>();
  const marks: Marks = {
    enter: (index, what) => {
      stack.push({
        module: Atomics.load(slots, SLOT.module),
        phase: Atomics.load(slots, SLOT.phase),
        index,
        loading: what === "loading",
        start: performance.now(),
        inner: 0,
      });
      set(index + 1, phaseIndex(what));
    },
    leave: () => {
      const top = stack.pop();
      if (!top) return set(0, 0);
      const took = performance.now() - top.start;
      const own = took - top.inner;
      const parent = stack.at(-1);
      if (parent) parent.inner += took;
      const times = moduleTimes.get(top.index) ?? [0, 0];
      times[top.loading ? 0 : 1] += own;
      moduleTimes.set(top.index, times);
      set(top.module, top.phase);
    },
    host: (index) => {
      Atomics.store(slots, SLOT.host, index);
      Atomics.add(slots, SLOT.seq, 1);
    },
    schema: (on) => set(0, on ? PHASES.indexOf("building its JSON Schema") : 0),
  };

  const parsed = parseConfig(request.configText, request.configFile);
  const done = await evaluateLoaded(
    request,
    parsed.ok ? parsed.doc : undefined,
    loaders,
    marks,
    output,
  );
  return {
    ...done,
    diagnostics: [...done.diagnostics, ...outputDiagnostics(output)],
    moduleTimes: [...moduleTimes].map(([index, [load, evaluate]]) => [
      request.modules[index]!.file,
      load,
      evaluate,
    ]),
    ...(timings.enabled ? { timings: { spans: timings.spans } } : {}),
  };
}

/**
 * Writes to stdout and stderr while module code runs are kept as that module's output: they
 * never reach the terminal raw, and never mix into `--json`.
 */
function captureOutput(slots: Int32Array, modules: IsolateRequest["modules"]): ModuleOutput[] {
  const output: ModuleOutput[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    const target = process[stream] as { write: (...args: unknown[]) => boolean };
    target.write = (chunk: unknown, ...rest: unknown[]) => {
      const index = Atomics.load(slots, SLOT.module) - 1;
      const file = modules[index]?.file ?? "(no module)";
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString();
      const last = output.at(-1);
      if (last && last.file === file && last.stream === stream) last.text += text;
      else output.push({ file, stream, text });
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    };
  }
  return output;
}

/** Output is not an error, but the author should know their module is not quiet. */
const SHOWN_LINES = 5;
function outputDiagnostics(output: readonly ModuleOutput[]): Diagnostic[] {
  return output.map((o) => {
    const lines = o.text.replace(/\n$/, "").split("\n");
    const shown = lines.slice(0, SHOWN_LINES).map((l) => `  | ${l}`);
    if (lines.length > SHOWN_LINES) shown.push(`  | … ${lines.length - SHOWN_LINES} more lines`);
    return diagnostic(
      "module-output",
      `wrote to ${o.stream} while evaluating:\n${shown.join("\n")}`,
      {
        severity: "warning",
        location: { file: o.file },
        hint: "module code runs at every evaluation and its output is not shown as is; return values instead, or throw an error to report a problem",
      },
    );
  });
}
