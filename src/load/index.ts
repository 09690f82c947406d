/**
 * Loading a workspace: read the config, discover and bundle the modules, check each default
 * export. This is an IO stage; everything after it (resolve, merge, emit) is pure.
 */
import { readFileSync } from "node:fs";
import { join, basename } from "node:path";
import { isProgram, type AnyProgram } from "../define/program.js";
import { timings } from "../adapters/timings.js";
import * as api from "../api-surface.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import { programShape } from "../schema/contribution.js";
import { bundleModules, API_GLOBAL, type BundleResult, type CachedBundle } from "./bundle.js";
import { storeCatalog } from "./catalog.js";
import { CONFIG_FILE, parseConfig, type ConfigDocument } from "./config.js";
import { discoverModules } from "./discover.js";

export interface LoadedProgram {
  program: AnyProgram;
  /** Workspace-relative path of the module file. */
  file: string;
  category: string;
  /** sha256 of the module file's bytes. */
  sha256: string;
}

/** Everything the pure stages need, read from disk once. */
export interface Workspace {
  root: string;
  config: ConfigDocument;
  programs: Map<string, LoadedProgram>;
  /** Problems with individual modules; the other modules still load. */
  diagnostics: Diagnostic[];
  cache: BundleResult["cache"];
  /** The cached bundle the modules came from, when there is one (for derived caches). */
  cached?: CachedBundle;
}

export interface LoadOptions {
  /** Cache directory; `null` disables the cache. */
  cacheDir?: string | null;
  /** Use this text as the config instead of reading the file (to evaluate an edit before writing it). */
  configText?: string;
}

/** Reads the config of a workspace; throws a SetupMacError naming the file on any problem. */
export function readConfig(root: string, configText?: string): ConfigDocument {
  let text: string;
  if (configText !== undefined) {
    const parsed = parseConfig(configText, CONFIG_FILE);
    if (!parsed.ok) throw new SetupMacError(parsed.diagnostics);
    return parsed.doc;
  }
  try {
    text = readFileSync(join(root, CONFIG_FILE), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SetupMacError(
      diagnostic(
        "config-missing",
        code === "ENOENT"
          ? `no ${CONFIG_FILE} in ${root}`
          : `cannot read ${CONFIG_FILE}: ${(error as Error).message}`,
        {
          location: { file: CONFIG_FILE },
          hint:
            code === "ENOENT"
              ? "run `setup-mac init` in your flake repository, or pass `--workspace DIR`"
              : "check the file's permissions",
        },
      ),
    );
  }
  const parsed = parseConfig(text, CONFIG_FILE);
  if (!parsed.ok) throw new SetupMacError(parsed.diagnostics);
  return parsed.doc;
}

/** Loads the config and every program module of a workspace. */
export async function loadWorkspace(root: string, options: LoadOptions = {}): Promise<Workspace> {
  const config = await timings.span("read config", () => readConfig(root, options.configText));
  const discovered = await timings.span("discover modules", () => discoverModules(root));
  (globalThis as Record<symbol, unknown>)[Symbol.for(API_GLOBAL)] = api;
  const bundle = await timings.span(`bundle ${discovered.length} modules`, () =>
    bundleModules(root, discovered, { cacheDir: options.cacheDir }),
  );
  const loadStart = timings.now();
  const diagnostics: Diagnostic[] = [...bundle.diagnostics];
  const programs = new Map<string, LoadedProgram>();
  if (bundle.loaders.length === discovered.length) {
    discovered.forEach((mod, i) => {
      const started = timings.enabled ? timings.now() : 0;
      const evaluated = evaluateModule(mod.file, bundle.loaders[i]!, diagnostics);
      if (timings.enabled) timings.addModule(mod.file, timings.now() - started);
      const loaded = evaluated && timings.enabled ? timed(evaluated, mod.file) : evaluated;
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
      programs.set(loaded.name, {
        program: loaded,
        file: mod.file,
        category: mod.category,
        sha256: bundle.hashes.get(mod.file) ?? "",
      });
    });
  }
  if (timings.enabled)
    timings.spans.push({
      name: `load ${discovered.length} modules`,
      ms: timings.now() - loadStart,
    });
  if (bundle.cached) storeCatalog(bundle.cached, programs, diagnostics);
  return {
    root,
    config,
    programs,
    diagnostics,
    cache: bundle.cache,
    ...(bundle.cached ? { cached: bundle.cached } : {}),
  };
}

/** The same program with its functions timed per module (only with `--timings`). */
function timed(program: AnyProgram, file: string): AnyProgram {
  const wrapAll = <T extends Record<string, unknown>>(record: T | undefined): T | undefined =>
    record &&
    (Object.fromEntries(
      Object.entries(record).map(([k, v]) => [
        k,
        typeof v === "function" ? timings.wrap(file, v as () => unknown) : v,
      ]),
    ) as T);
  return {
    ...program,
    ...(program.config ? { config: timings.wrap(file, program.config) } : {}),
    ...(program.overrides ? { overrides: wrapAll(program.overrides) } : {}),
    ...(program.contributes ? { contributes: wrapAll(program.contributes) } : {}),
  };
}

function evaluateModule(
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
