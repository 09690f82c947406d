/**
 * Loading a workspace: read the config, discover and bundle the modules, and hand the bundle to
 * the evaluation isolate (src/isolate/), the only place module code runs. What comes back is data:
 * each program's facts and, when asked for, the evaluated hosts and the JSON Schemas.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { timings } from "../adapters/timings.js";
import { recordTimingRun } from "../adapters/timing-history.js";
import { buildRun, type TimingRun } from "../stats/history.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import type { EvaluationLimits } from "../isolate/run.js";
import { commandLineLimits, DEFAULT_LIMITS, Isolate } from "../isolate/run.js";
import type { Evaluation } from "../plan/evaluate.js";
import { BUILD_ID } from "../version.js";
import { sha256 } from "../emit/hash.js";
import type { IsolateResponse } from "../isolate/protocol.js";
import {
  currentSummaries,
  hasRun,
  programsPath,
  readPrevious,
  readRun,
  storeEvaluation,
} from "./eval-cache.js";
import type { Done, evaluateLoaded } from "../isolate/evaluate-loaded.js";
import {
  bundleModules,
  realRoot,
  removeCachedBundle,
  workspaceCacheDir,
  type BundleResult,
  type CachedBundle,
} from "./bundle.js";
import { storeCatalog } from "./catalog.js";
import { CONFIG_FILE, parseConfig, type ConfigDocument } from "./config.js";
import { discoverModules } from "./discover.js";
import type { ProgramFacts } from "./instantiate.js";

export type { ProgramFacts };

export interface LoadedProgram {
  program: ProgramFacts;
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
  /**
   * The hosts asked for (`hosts`), evaluated. Missing when the isolate failed (a module hung,
   * ran out of memory, exited or crashed): `diagnostics` then says which and why.
   */
  evaluation?: Evaluation;
  /** The config's JSON Schema, when asked for (`schema`). */
  schemaText?: string;
  /** The options' JSON Schema of the programs asked for (`optionSchemas`). */
  optionSchemas: Record<string, Record<string, unknown>>;
  /**
   * What this load measured of each module (decision 0029), when hosts were evaluated; also
   * added to the workspace's timing history when the cache is on.
   */
  timingRun?: TimingRun;
}

export interface LoadOptions {
  /** Cache directory; `null` disables the cache. */
  cacheDir?: string | null;
  /** Use this text as the config instead of reading the file (to evaluate an edit before writing it). */
  configText?: string;
  /** Limits for module code (default: the config's `evaluation`, then `DEFAULT_LIMITS`). */
  limits?: Partial<EvaluationLimits>;
  /** The build the evaluation cache is keyed on (default: this one; tests pass another). */
  buildId?: string;
}

/** What to compute in the isolate besides loading the modules. */
export interface LoadWants {
  /** The hosts to evaluate, chosen from the config (may throw a SetupMacError); default none. */
  hosts?: (config: ConfigDocument) => readonly string[];
  schema?: boolean;
  optionSchemas?: readonly string[];
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

/** The limits an evaluation runs under: the options', the command line's, the config's, the defaults. */
export function evaluationLimits(
  config: ConfigDocument | undefined,
  given: Partial<EvaluationLimits> = {},
): EvaluationLimits {
  const fromConfig = config?.config.evaluation;
  const ms = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000));
  const pick = <K extends keyof EvaluationLimits>(key: K, configValue: number | undefined) =>
    given[key] ?? commandLineLimits[key] ?? configValue ?? DEFAULT_LIMITS[key];
  return {
    moduleTimeoutMs: pick("moduleTimeoutMs", ms(fromConfig?.moduleTimeout)),
    timeoutMs: pick("timeoutMs", ms(fromConfig?.timeout)),
    memoryMb: pick("memoryMb", fromConfig?.memory),
  };
}

/** Loads the config and every program module of a workspace, in the isolate. */
export async function loadWorkspace(
  root: string,
  options: LoadOptions & LoadWants = {},
): Promise<Workspace> {
  const config = await timings.span("read config", () => readConfig(root, options.configText));
  timings.counts.hosts = Object.keys(config.config.hosts).length;
  const limits = evaluationLimits(config, options.limits);
  const hosts = [...(options.hosts?.(config) ?? [])];
  const wants = {
    hosts,
    schema: options.schema ?? false,
    optionSchemas: [...(options.optionSchemas ?? [])],
  };
  const version = options.buildId ?? BUILD_ID;
  const cacheDir = workspaceCacheDir(realRoot(root), options.cacheDir);
  // The isolate boots while the modules are found and bundled, unless the last answer for these
  // wants is likely to be reused, or the evaluation cache may answer without it (then it starts
  // only when it must).
  let isolate: Isolate | undefined =
    cacheDir && (hasRun(cacheDir, wants) || existsSync(programsPath(cacheDir)))
      ? undefined
      : new Isolate(limits);
  try {
    const discovered = await timings.span("discover modules", () => discoverModules(root));
    timings.counts.modules = discovered.length;
    for (let attempt = 0; ; attempt++) {
      const bundle = await timings.span(`bundle ${discovered.length} modules`, () =>
        bundleModules(root, discovered, {
          cacheDir: attempt ? null : options.cacheDir,
          // A module or helper changed: its code will have to run, so the isolate boots now,
          // while the edited modules are bundled.
          onStale: () => (isolate ??= new Isolate(limits)),
        }),
      );
      const base = {
        root,
        config,
        programs: new Map<string, LoadedProgram>(),
        diagnostics: [...bundle.diagnostics],
        cache: bundle.cache,
        ...(bundle.cached ? { cached: bundle.cached } : {}),
        optionSchemas: {},
      };
      if (!bundle.source) return base;
      const runKey = bundle.cached
        ? sha256(
            JSON.stringify([
              version,
              bundle.cached.bundle,
              discovered.map((m) => [m.file, m.category]),
              config.file,
              config.text,
            ]),
          )
        : undefined;
      const reused =
        cacheDir && runKey !== undefined ? readRun(cacheDir, wants, runKey) : undefined;
      let response: Extract<IsolateResponse, { kind: "done" }>;
      const previous = cacheDir
        ? readPrevious(cacheDir, version)
        : { entries: {}, options: {}, modules: {} };
      const request = {
        root,
        modules: discovered,
        hashes: Object.fromEntries(bundle.hashes),
        configFile: config.file,
        ...wants,
        ...(bundle.cached ? { cached: bundle.cached } : {}),
        timings: timings.enabled,
        ...(cacheDir
          ? {
              memo: {
                version,
                code: Object.fromEntries(bundle.closures),
                entries: Object.fromEntries(hosts.map((h) => [h, previous.entries[h] ?? {}])),
                options: Object.fromEntries(hosts.map((h) => [h, previous.options[h] ?? {}])),
                summaries: currentSummaries(previous, bundle.closures),
              },
            }
          : {}),
      };
      // Every module summarised and nothing asked for that needs their code: the evaluation
      // cache may answer alone (decision 0031); it says so only when no module had to run.
      const summarised =
        !reused &&
        request.memo !== undefined &&
        bundle.cache !== "off" &&
        wants.optionSchemas.length === 0 &&
        discovered.every((m) => request.memo!.summaries[m.file] !== undefined);
      if (!reused && !summarised) isolate ??= new Isolate(limits);
      const fromCache = summarised
        ? await timings.span("answer from the evaluation cache", () =>
            answerFromCache(request, config),
          )
        : undefined;
      let cacheOfRun: Record<string, "hit" | "miss">;
      if (reused || fromCache) {
        response = (reused ?? fromCache)!;
        cacheOfRun = Object.fromEntries(
          response.programs.map(({ index }) => [discovered[index]!.file, "hit" as const]),
        );
        if (fromCache && cacheDir && runKey !== undefined) {
          const warning = storeEvaluation(cacheDir, version, previous, undefined, {
            wants,
            key: runKey,
            response,
          });
          if (warning) base.diagnostics.push(warning);
        }
      } else {
        isolate ??= new Isolate(limits);
        const outcome = await timings.span("isolate", () =>
          isolate!.run({ ...request, source: bundle.source!, configText: config.text }),
        );
        if (!outcome.ok && "importFailed" in outcome) {
          // A cached bundle that does not import (truncated, edited): drop it and bundle again.
          if (attempt === 0 && bundle.cached) {
            removeCachedBundle(bundle.cached);
            isolate = new Isolate(limits);
            continue;
          }
          throw new Error(`the modules' bundle does not import: ${outcome.importFailed}`);
        }
        if (!outcome.ok) return { ...base, diagnostics: [...base.diagnostics, outcome.diagnostic] };
        response = outcome.response;
        if (response.timings) timings.spans.push(...response.timings.spans);
        for (const [file, load, evaluate] of response.moduleTimes) {
          timings.addModule(file, load, "load");
          timings.addModule(file, evaluate, "evaluate");
        }
        cacheOfRun = response.memo?.cache ?? {};
        // With the bundle cache off (its folder cannot be made) the load already said nothing more
        // is cached; the evaluation cache stays quiet too.
        if (cacheDir && bundle.cache !== "off") {
          const changed =
            response.memo !== undefined &&
            (response.memo.dirty ||
              hosts.some(
                (h) =>
                  Object.keys(response.memo!.entries[h] ?? {}).length !==
                    Object.keys(previous.entries[h] ?? {}).length ||
                  Object.keys(response.memo!.options[h] ?? {}).length !==
                    Object.keys(previous.options[h] ?? {}).length,
              ) ||
              Object.keys(response.memo.summaries).length !== Object.keys(previous.modules).length);
          const warning = storeEvaluation(
            cacheDir,
            version,
            previous,
            changed ? { memo: response.memo!, code: bundle.closures } : undefined,
            runKey !== undefined ? { wants, key: runKey, response } : undefined,
          );
          if (warning) base.diagnostics.push(warning);
        }
      }
      for (const [file, hit] of Object.entries(cacheOfRun)) timings.cache.set(file, hit);
      let timingRun: TimingRun | undefined;
      if (hosts.length) {
        timingRun = buildRun({
          at: new Date(),
          command: timings.command ?? "library",
          hosts: hosts.length,
          times: reused || fromCache ? [] : response.moduleTimes,
          cache: cacheOfRun,
        });
        if (cacheDir) recordTimingRun(cacheDir, timingRun);
      }
      for (const { facts, index } of response.programs) {
        const mod = discovered[index]!;
        base.programs.set(facts.name, {
          program: facts,
          file: mod.file,
          category: mod.category,
          sha256: bundle.hashes.get(mod.file) ?? "",
        });
      }
      base.diagnostics.push(...response.diagnostics);
      if (bundle.cached) storeCatalog(bundle.cached, base.programs, base.diagnostics);
      return {
        ...base,
        evaluation: response.evaluation,
        ...(response.schemaText !== undefined ? { schemaText: response.schemaText } : {}),
        optionSchemas: response.optionSchemas,
        ...(timingRun ? { timingRun } : {}),
      };
    }
  } finally {
    isolate?.stop();
  }
}

/** Module code was needed: the answer is not the cache's alone. */
class NeedsCode extends Error {}

/**
 * The isolate's answer made from the evaluation cache alone, without running module code: every
 * module is known from its summary and every program's options and lock entry from the memo.
 * Undefined as soon as anything needs a module's code (then the isolate evaluates).
 */
async function answerFromCache(
  request: Parameters<typeof evaluateLoaded>[0],
  config: ConfigDocument,
): Promise<Done | undefined> {
  // Loaded on demand: verbs that never evaluate (`programs list`) do not pay for this code.
  const { evaluateLoaded, NO_MARKS } = await import("../isolate/evaluate-loaded.js");
  // Its stages are part of this answer's span, not stages of their own: `--timings` shows modules
  // loaded and hosts evaluated only when module code ran.
  const shown = timings.spans.length;
  let needed = false;
  const loaders = request.modules.map(() => () => {
    needed = true;
    throw new NeedsCode();
  });
  try {
    const done = await evaluateLoaded(request, config, loaders, NO_MARKS, []);
    return needed || done.memo?.dirty ? undefined : done;
  } catch (error) {
    if (needed || error instanceof NeedsCode) return undefined;
    throw error;
  } finally {
    timings.spans.length = shown;
  }
}
