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

export interface Instantiated {
  /** By program name: the program, and its module's index in discovery order and file. */
  programs: Map<string, { program: AnyProgram; index: number; file: string }>;
  diagnostics: Diagnostic[];
}

/**
 * Calls the loader of every module, in discovery order. `enter(i)` is called before module `i`'s code runs and `leave()` after.
 */
export function instantiateModules(
  modules: readonly DiscoveredModule[],
  loaders: readonly (() => unknown)[],
  marks: { enter(index: number): void; leave(): void },
): Instantiated {
  const diagnostics: Diagnostic[] = [];
  const programs: Instantiated["programs"] = new Map();
  modules.forEach((mod, index) => {
    marks.enter(index);
    let loaded: AnyProgram | undefined;
    try {
      loaded = checkExport(mod.file, loaders[index]!, diagnostics);
    } finally {
      marks.leave();
    }
    if (!loaded) return;
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
    programs.set(loaded.name, { program: loaded, index, file: mod.file });
  });
  return { programs, diagnostics };
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
