/**
 * The evaluation isolate's entry (a worker thread, see decision 0022): the only place program
 * module code runs. It imports the bundle, instantiates the modules, evaluates the hosts it is
 * asked for and posts back data only. The CLI watches the shared slots and ends this thread when
 * a module runs too long; an `exit` or a crash here ends this thread, never the CLI.
 */
import { performance } from "node:perf_hooks";
import { parentPort } from "node:worker_threads";
import { z } from "zod";
import * as api from "../api-surface.js";
import { timings } from "../adapters/timings.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { buildConfigSchema, serializeSchema } from "../emit/schema.js";
import { fastOptionsJsonSchema } from "../emit/options-schema.js";
import { cachedArtifact } from "../load/artifacts.js";
import { API_GLOBAL, importBundle, moduleRequire, REQUIRE_GLOBAL } from "../load/bundle.js";
import { parseConfig } from "../load/config.js";
import { instantiateModules, programFacts, wrapFunctions } from "../load/instantiate.js";
import type { Evaluation, HostEvaluation, ProgramMemo, ProgramSource } from "../plan/evaluate.js";
import { evaluateHost } from "../plan/evaluate.js";
import type { IsolateRequest, IsolateResponse, MemoResponse, ModuleOutput } from "./protocol.js";
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
  const enter = (index: number, what: string) => {
    stack.push({
      module: Atomics.load(slots, SLOT.module),
      phase: Atomics.load(slots, SLOT.phase),
      index,
      loading: what === "loading",
      start: performance.now(),
      inner: 0,
    });
    set(index + 1, phaseIndex(what));
  };
  const leave = () => {
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
  };
  const instantiated = await timings.span(`load ${request.modules.length} modules`, () =>
    instantiateModules(request.modules, loaders, {
      enter: (i) => enter(i, "loading"),
      leave,
    }),
  );

  const programs = new Map<string, ProgramSource>();
  for (const [name, { program, index }] of instantiated.programs) {
    const mod = request.modules[index]!;
    const wrapped = wrapFunctions(program, (fn, what) => marked(fn, index, what));
    programs.set(name, {
      program: wrapped,
      file: mod.file,
      category: mod.category,
      sha256: request.hashes[mod.file] ?? "",
    });
  }
  function marked<F extends (...args: never[]) => unknown>(fn: F, index: number, what: string): F {
    return ((...args: Parameters<F>) => {
      enter(index, what);
      try {
        return fn(...args);
      } finally {
        leave();
      }
    }) as F;
  }

  const parsed = parseConfig(request.configText, request.configFile);
  const hosts = new Map<string, HostEvaluation>();
  const evalDiagnostics: Diagnostic[] = [];
  const memoOut: MemoResponse | undefined = request.memo && { entries: {}, cache: {} };
  const memo: ProgramMemo | undefined = request.memo && {
    version: request.memo.version,
    code: (file) => request.memo!.code[file],
    get: (host, name, key) => {
      const entry = request.memo!.entries[host]?.[name];
      const file = programs.get(name)?.file;
      if (!entry || entry[0] !== key) {
        if (file) memoOut!.cache[file] = "miss";
        return undefined;
      }
      (memoOut!.entries[host] ??= {})[name] = entry;
      if (file) memoOut!.cache[file] ??= "hit";
      return entry[1];
    },
    set: (host, name, key, lock) => {
      (memoOut!.entries[host] ??= {})[name] = [key, lock];
    },
  };
  if (parsed.ok) {
    const input = { config: parsed.doc, programs, ...(memo ? { memo } : {}) };
    await timings.span(
      `evaluate ${request.hosts.length} host${request.hosts.length === 1 ? "" : "s"}`,
      () => {
        request.hosts.forEach((host, i) => {
          Atomics.store(slots, SLOT.host, i + 1);
          Atomics.add(slots, SLOT.seq, 1);
          const evaluated = evaluateHost(input, host);
          hosts.set(host, evaluated);
          evalDiagnostics.push(...evaluated.diagnostics);
        });
        Atomics.store(slots, SLOT.host, 0);
      },
    );
  }
  const evaluation: Evaluation = { hosts, diagnostics: evalDiagnostics };

  let schemaText: string | undefined;
  if (request.schema) {
    set(0, PHASES.indexOf("building its JSON Schema"));
    schemaText = await timings.span("JSON schema", () =>
      cachedArtifact(request.cached, "schema.json", () =>
        serializeSchema(buildConfigSchema(programs)),
      ),
    );
    set(0, 0);
  }
  const optionSchemas: Record<string, Record<string, unknown>> = {};
  for (const name of request.optionSchemas) {
    const options = programs.get(name)?.program.options;
    if (options)
      optionSchemas[name] = (fastOptionsJsonSchema(options as z.ZodObject) ??
        z.toJSONSchema(options as z.ZodObject, {
          io: "input",
          unrepresentable: "any",
        })) as Record<string, unknown>;
  }

  if (memoOut) {
    // A module that writes output is evaluated every time, so its output is reported every time.
    const noisy = new Set(output.map((o) => o.file));
    for (const entries of Object.values(memoOut.entries))
      for (const name of Object.keys(entries))
        if (noisy.has(programs.get(name)?.file ?? "")) delete entries[name];
    for (const host of request.hosts) memoOut.entries[host] ??= {};
  }
  const diagnostics = [...instantiated.diagnostics, ...outputDiagnostics(output)];
  return {
    kind: "done",
    programs: [...instantiated.programs.values()].map(({ program, index }) => ({
      facts: programFacts(program),
      index,
    })),
    diagnostics,
    evaluation,
    ...(schemaText !== undefined ? { schemaText } : {}),
    optionSchemas,
    output,
    moduleTimes: [...moduleTimes].map(([index, [load, evaluate]]) => [
      request.modules[index]!.file,
      load,
      evaluate,
    ]),
    ...(timings.enabled ? { timings: { spans: timings.spans } } : {}),
    ...(memoOut ? { memo: memoOut } : {}),
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
