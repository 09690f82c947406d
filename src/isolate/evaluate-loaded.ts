/**
 * From a bundle's module loaders to the isolate's answer: instantiate the modules (those the
 * evaluation cache summarises only when first needed, decision 0031), evaluate the hosts asked
 * for with the memo of earlier results, and build the schemas. Runs in the isolate; the CLI runs
 * it too with loaders that refuse to run anything (`NeedsCode`), to answer from the cache alone.
 */
import { z } from "zod";
import { timings } from "../adapters/timings.js";
import type { AnyProgram } from "../define/program.js";
import type { Diagnostic } from "../errors/index.js";
import { buildConfigSchema, programOptionsSchema, serializeSchema } from "../emit/schema.js";
import { fastOptionsJsonSchema } from "../emit/options-schema.js";
import { cachedArtifact } from "../load/artifacts.js";
import type { ConfigDocument } from "../load/config.js";
import { instantiateModules, wrapFunctions, type ModuleSummary } from "../load/instantiate.js";
import type { Evaluation, HostEvaluation, ProgramMemo, ProgramSource } from "../plan/evaluate.js";
import { evaluateHost } from "../plan/evaluate.js";
import type { IsolateRequest, IsolateResponse, MemoResponse, ModuleOutput } from "./protocol.js";

export type Done = Extract<IsolateResponse, { kind: "done" }>;

/** Where module code runs and which host is evaluated, for the isolate's shared slots. */
export interface Marks {
  enter(index: number, what: string): void;
  leave(): void;
  host(index: number): void;
  schema(on: boolean): void;
}

export const NO_MARKS: Marks = { enter() {}, leave() {}, host() {}, schema() {} };

/** Evaluates loaded modules; `output` is what module code wrote, filled while this runs. */
export async function evaluateLoaded(
  request: Omit<IsolateRequest, "state" | "source" | "configText">,
  config: ConfigDocument | undefined,
  loaders: readonly (() => unknown)[],
  marks: Marks,
  output: readonly ModuleOutput[],
): Promise<Done> {
  const summaries = request.memo?.summaries ?? {};
  const wrap = (program: AnyProgram, index: number) =>
    wrapFunctions(program, (fn, what) => marked(fn, index, what));
  function marked<F extends (...args: never[]) => unknown>(fn: F, index: number, what: string): F {
    return ((...args: Parameters<F>) => {
      marks.enter(index, what);
      try {
        return fn(...args);
      } finally {
        marks.leave();
      }
    }) as F;
  }
  const instantiated = await timings.span(`load ${request.modules.length} modules`, () =>
    instantiateModules(
      request.modules,
      loaders,
      { enter: (i) => marks.enter(i, "loading"), leave: () => marks.leave() },
      { known: (i) => summaries[request.modules[i]!.file], wrap },
    ),
  );

  const programs = new Map<string, ProgramSource>();
  for (const [name, { program, index, summary, lazy }] of instantiated.programs) {
    const mod = request.modules[index]!;
    programs.set(name, {
      program,
      file: mod.file,
      category: mod.category,
      sha256: request.hashes[mod.file] ?? "",
      ...(lazy ? { contributions: summary.contributes } : {}),
    });
  }

  const hosts = new Map<string, HostEvaluation>();
  const evalDiagnostics: Diagnostic[] = [];
  let dirty = false;
  const memoOut: MemoResponse | undefined = request.memo && {
    entries: {},
    options: {},
    summaries: {},
    cache: {},
    dirty: false,
  };
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
      dirty = true;
      (memoOut!.entries[host] ??= {})[name] = [key, lock];
    },
    getOptions: (host, name, key) => {
      const entry = request.memo!.options[host]?.[name];
      if (!entry || entry[0] !== key) return undefined;
      (memoOut!.options[host] ??= {})[name] = entry;
      return entry[1];
    },
    setOptions: (host, name, key, options) => {
      dirty = true;
      (memoOut!.options[host] ??= {})[name] = [key, options];
    },
  };
  if (config) {
    const input = { config, programs, ...(memo ? { memo } : {}) };
    await timings.span(
      `evaluate ${request.hosts.length} host${request.hosts.length === 1 ? "" : "s"}`,
      () => {
        request.hosts.forEach((host, i) => {
          marks.host(i + 1);
          const evaluated = evaluateHost(input, host);
          hosts.set(host, evaluated);
          evalDiagnostics.push(...evaluated.diagnostics);
        });
        marks.host(0);
      },
    );
  }
  const evaluation: Evaluation = { hosts, diagnostics: evalDiagnostics };

  // Each program's part of the JSON Schema is kept in its summary: after an edit only the edited
  // modules' schemas are made again (the rest needs no module code).
  const schemaOf = (name: string): Record<string, unknown> => {
    const entry = instantiated.programs.get(name)!;
    if (entry.summary.optionsSchema) return entry.summary.optionsSchema;
    dirty = true;
    const made = programOptionsSchema(entry.program);
    entry.summary = { ...entry.summary, optionsSchema: made };
    instantiated.summaries[entry.index] = entry.summary;
    return made;
  };
  let schemaText: string | undefined;
  if (request.schema) {
    marks.schema(true);
    schemaText = await timings.span("JSON schema", () =>
      cachedArtifact(request.cached, "schema.json", () =>
        serializeSchema(
          buildConfigSchema(
            new Map(
              [...programs].map(([name, p]) => [
                name,
                { description: p.program.description, options: schemaOf(name) },
              ]),
            ),
          ),
        ),
      ),
    );
    marks.schema(false);
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
    for (const entries of [...Object.values(memoOut.entries), ...Object.values(memoOut.options)])
      for (const name of Object.keys(entries))
        if (noisy.has(programs.get(name)?.file ?? "")) delete entries[name];
    for (const host of request.hosts) {
      memoOut.entries[host] ??= {};
      memoOut.options[host] ??= {};
    }
    instantiated.summaries.forEach((summary, index) => {
      const file = request.modules[index]!.file;
      if (!summary || noisy.has(file) || request.memo!.code[file] === undefined) return;
      if (summaries[file] !== summary) dirty = true;
      memoOut.summaries[file] = summary;
    });
    memoOut.dirty = dirty;
  }
  return {
    kind: "done",
    programs: [...instantiated.programs.values()].map(({ summary, index }) => ({
      facts: summary.facts,
      index,
    })),
    diagnostics: instantiated.diagnostics,
    evaluation,
    ...(schemaText !== undefined ? { schemaText } : {}),
    optionSchemas,
    output: [...output],
    // The marks measure module time; the isolate's worker fills this from them.
    moduleTimes: [],
    ...(memoOut ? { memo: memoOut } : {}),
  };
}

export type { ModuleSummary };
