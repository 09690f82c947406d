/**
 * Instantiating the bundled modules: call each module's loader, check its default export, and
 * keep the programs by name. Runs only inside the evaluation isolate (see src/isolate/): this is
 * where module code first runs.
 */
import { basename } from "node:path";
import { isProgram, type AnyProgram, type ProgramDefinition } from "../define/program.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { programShape } from "../schema/contribution.js";
import type { DiscoveredModule } from "./discover.js";

/** What the CLI keeps of a program: data only, so it crosses out of the isolate. */
export type ProgramFacts = Pick<
  ProgramDefinition,
  "name" | "description" | "homepage" | "platforms" | "requires" | "conflicts"
> & {
  /** The programs it contributes to, sorted. */
  contributesTo: string[];
};

export function programFacts(p: AnyProgram): ProgramFacts {
  return {
    name: p.name,
    description: p.description,
    ...(p.homepage ? { homepage: p.homepage } : {}),
    ...(p.platforms ? { platforms: [...p.platforms] } : {}),
    ...(p.requires ? { requires: [...p.requires] } : {}),
    ...(p.conflicts ? { conflicts: [...p.conflicts] } : {}),
    contributesTo: Object.keys(p.contributes ?? {}).sort(),
  };
}

/**
 * What a module's code says about its program, kept in the evaluation cache by the hash of the
 * module and its helpers (decision 0031), so that an unchanged module's code need not run to know
 * it: its facts, which of its contributions are computed, and its options' part of schema.json.
 */
export interface ModuleSummary {
  facts: ProgramFacts;
  /** Per program it contributes to (defined contributions only): computed (a function) or a value. */
  contributes: Record<string, "function" | "value">;
  /** Its entry in the config's JSON Schema, once a load has made it. */
  optionsSchema?: Record<string, unknown>;
}

/** The summary of a loaded program (see `ModuleSummary`). */
export function summarize(p: AnyProgram): ModuleSummary {
  const contributes: ModuleSummary["contributes"] = {};
  for (const [target, c] of Object.entries(p.contributes ?? {}))
    if (c !== undefined) contributes[target] = typeof c === "function" ? "function" : "value";
  return { facts: programFacts(p), contributes };
}

/**
 * A program known from its summary whose code runs only when something needs more than the
 * summary holds: its options' schema, its `config`, its overrides or its contributions' values.
 */
export function lazyProgram(summary: ModuleSummary, load: () => AnyProgram): AnyProgram {
  let real: AnyProgram | undefined;
  const { contributesTo: _targets, ...facts } = summary.facts;
  const out: Record<string, unknown> = { ...facts };
  for (const key of ["options", "config", "overrides", "contributes"] as const)
    Object.defineProperty(out, key, { enumerable: true, get: () => (real ??= load())[key] });
  return Object.freeze(out) as unknown as AnyProgram;
}

export interface Instantiated {
  /**
   * By program name: the program, its module's index in discovery order and file, and its summary.
   * A program whose summary was known is lazy (`lazyProgram`): its module runs when first needed.
   */
  programs: Map<
    string,
    { program: AnyProgram; index: number; file: string; summary: ModuleSummary; lazy: boolean }
  >;
  /** By module index: the summary of every module that loaded (also one named wrongly or twice). */
  summaries: (ModuleSummary | undefined)[];
  diagnostics: Diagnostic[];
}

/**
 * Calls the loader of every module, in discovery order, except those whose summary `known`
 * gives: they load when first needed. `enter(i)` is called before module `i`'s code runs and
 * `leave()` after; `wrap` is applied to every program once it is loaded.
 */
export function instantiateModules(
  modules: readonly DiscoveredModule[],
  loaders: readonly (() => unknown)[],
  marks: { enter(index: number): void; leave(): void },
  lazy: {
    known?: (index: number) => ModuleSummary | undefined;
    wrap?: (program: AnyProgram, index: number) => AnyProgram;
  } = {},
): Instantiated {
  const diagnostics: Diagnostic[] = [];
  const programs: Instantiated["programs"] = new Map();
  const summaries: Instantiated["summaries"] = [];
  const load = (index: number, into: Diagnostic[]): AnyProgram | undefined => {
    marks.enter(index);
    try {
      return checkExport(modules[index]!.file, loaders[index]!, into);
    } finally {
      marks.leave();
    }
  };
  modules.forEach((mod, index) => {
    const known = lazy.known?.(index);
    let loaded: AnyProgram | undefined;
    let summary: ModuleSummary;
    if (known) {
      summary = known;
      loaded = lazyProgram(known, () => {
        // It loaded cleanly before with the same code and inputs: module code is pure.
        const problems: Diagnostic[] = [];
        const program = load(index, problems);
        if (!program)
          throw new Error(
            `${mod.file} no longer loads as it did: ${problems[0]?.message ?? "no program"}`,
          );
        return lazy.wrap ? lazy.wrap(program, index) : program;
      });
    } else {
      loaded = load(index, diagnostics);
      if (!loaded) return;
      summary = summarize(loaded);
      if (lazy.wrap) loaded = lazy.wrap(loaded, index);
    }
    summaries[index] = summary;
    const expected = basename(mod.file, ".ts");
    if (loaded.name !== expected) {
      diagnostics.push(
        diagnostic(
          "program-name-mismatch",
          `defines program \`${loaded.name}\` but the file is named ${expected}.ts`,
          {
            location: { file: mod.file },
            hint: `rename the file to ${loaded.name}.ts or the program to "${expected}"`,
          },
        ),
      );
      return;
    }
    const existing = programs.get(loaded.name);
    if (existing) {
      diagnostics.push(
        diagnostic(
          "program-duplicate",
          `program \`${loaded.name}\` is defined twice: here and in ${existing.file}`,
          {
            location: { file: mod.file },
            hint: "program names are unique in a workspace; remove or rename one of them",
          },
        ),
      );
      return;
    }
    programs.set(loaded.name, {
      program: loaded,
      index,
      file: mod.file,
      summary,
      lazy: known !== undefined,
    });
  });
  return { programs, summaries, diagnostics };
}

/** The same program with each of its functions wrapped (to mark and time the module's code). */
export function wrapFunctions(
  program: AnyProgram,
  wrap: <F extends (...args: never[]) => unknown>(fn: F, what: string) => F,
): AnyProgram {
  const wrapAll = <T extends Record<string, unknown>>(
    record: T | undefined,
    what: string,
  ): T | undefined =>
    record &&
    (Object.fromEntries(
      Object.entries(record).map(([k, v]) => [
        k,
        typeof v === "function" ? wrap(v as () => unknown, `${what}.${k}`) : v,
      ]),
    ) as T);
  return Object.freeze({
    ...program,
    ...(program.config ? { config: wrap(program.config, "config") } : {}),
    ...(program.overrides ? { overrides: wrapAll(program.overrides, "overrides") } : {}),
    ...(program.contributes ? { contributes: wrapAll(program.contributes, "contributes") } : {}),
  });
}

function checkExport(
  file: string,
  load: () => unknown,
  diagnostics: Diagnostic[],
): AnyProgram | undefined {
  let namespace: unknown;
  try {
    namespace = load();
  } catch (error) {
    diagnostics.push(
      diagnostic(
        "module-throws",
        `throws while loading: ${error instanceof Error ? error.message : String(error)}`,
        {
          location: { file },
          hint: "a module must only define its program; move side effects out of the top level",
        },
      ),
    );
    return undefined;
  }
  const exported = (namespace as { default?: unknown } | null)?.default;
  if (!isProgram(exported)) {
    diagnostics.push(
      diagnostic(
        "module-no-program",
        exported === undefined
          ? "has no default export"
          : "does not export a program as its default export",
        {
          location: { file },
          hint: "end the module with `export default defineProgram({ name, description, … })`",
        },
      ),
    );
    return undefined;
  }
  const shape = programShape.safeParse(exported);
  if (!shape.success) {
    for (const issue of shape.error.issues) {
      diagnostics.push(
        diagnostic("module-invalid", `\`${issue.path.join(".") || "program"}\` ${issue.message}`, {
          location: { file },
          hint: "see the ProgramDefinition type for every field",
        }),
      );
    }
    return undefined;
  }
  return exported;
}
