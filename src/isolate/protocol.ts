/**
 * What the CLI and its evaluation isolate say to each other (see decision 0022). The request and
 * the response are structured-cloned; a shared array of four integers tells the CLI, at every
 * moment, which module is running on which host and doing what, so it can stop it and say so.
 */
import type { Diagnostic } from "../errors/index.js";
import type { BundleSource, CachedBundle } from "../load/bundle.js";
import type { DiscoveredModule } from "../load/discover.js";
import type { ModuleSummary, ProgramFacts } from "../load/instantiate.js";
import type { Evaluation, ResolvedOptions } from "../plan/evaluate.js";
import type { Span } from "../adapters/timings.js";
import type { ProgramLock } from "../emit/lock-types.js";

/** Indexes into the shared `Int32Array`. */
export const SLOT = {
  /** 1 + the index of the running module in `modules`; 0 when no module code runs. */
  module: 0,
  /** 1 + the index of the host being evaluated in `hosts`; 0 while modules load. */
  host: 1,
  /** What the running code is: an index into `PHASES`. */
  phase: 2,
  /** Bumped whenever one of the others changes, so the CLI sees time spent in one place. */
  seq: 3,
} as const;
export const SLOTS = 4;

/** What module code can be doing, as the messages say it. */
export const PHASES = [
  "evaluating",
  "loading",
  "config",
  "contributes",
  "overrides",
  "building its JSON Schema",
] as const;

export function phaseIndex(what: string): number {
  const head = what.split(".")[0]!;
  const i = (PHASES as readonly string[]).indexOf(head);
  return i < 0 ? 0 : i;
}

export interface IsolateRequest {
  root: string;
  source: BundleSource;
  modules: DiscoveredModule[];
  /** sha256 of each module file's bytes (they go into the lock). */
  hashes: Record<string, string>;
  configText: string;
  configFile: string;
  /** Hosts to evaluate, in this order. */
  hosts: string[];
  /** Also render the config's JSON Schema (cached next to the bundle when there is one). */
  schema: boolean;
  /** Programs whose options' JSON Schema to return. */
  optionSchemas: string[];
  cached?: CachedBundle;
  timings: boolean;
  /** Earlier lock entries to reuse (decision 0027); absent: evaluate every program. */
  memo?: MemoRequest;
  state: SharedArrayBuffer;
}

/** Per host, per program: the memo key and the lock entry it was made with. */
export type MemoEntries = Record<string, Record<string, [key: string, lock: ProgramLock]>>;

/** Per host, per program: the options memo key and the resolved options it was made with. */
export type OptionEntries = Record<string, Record<string, [key: string, options: ResolvedOptions]>>;

export interface MemoRequest {
  version: string;
  /** Per module file: the hash of its bytes and its helpers'. */
  code: Record<string, string>;
  entries: MemoEntries;
  options: OptionEntries;
  /** Per module file: its summary, when its code hash is the one it was made from. */
  summaries: Record<string, ModuleSummary>;
}

export interface MemoResponse {
  /** The entries of the evaluated hosts, as they are now (reused and new). */
  entries: MemoEntries;
  options: OptionEntries;
  /** Per module file: its summary now (reused or made by loading it). */
  summaries: Record<string, ModuleSummary>;
  /** Whether anything here is new (else there is nothing to write). */
  dirty: boolean;
  /** Per module file: whether its lock entries came from the memo (on every host it is on). */
  cache: Record<string, "hit" | "miss">;
}

/** Something module code wrote to stdout or stderr. */
export interface ModuleOutput {
  file: string;
  stream: "stdout" | "stderr";
  text: string;
}

export type IsolateResponse =
  | {
      kind: "done";
      programs: { facts: ProgramFacts; index: number }[];
      diagnostics: Diagnostic[];
      evaluation: Evaluation;
      schemaText?: string;
      optionSchemas: Record<string, Record<string, unknown>>;
      output: ModuleOutput[];
      /**
       * Per module file whose code ran: milliseconds of its own code while loading (its top
       * level) and while evaluating (`config`, `contributes`, `overrides`, on every host).
       */
      moduleTimes: [file: string, loadMs: number, evaluateMs: number][];
      /** The isolate's stages, with `--timings`. */
      timings?: { spans: Span[] };
      memo?: MemoResponse;
    }
  /** The bundle itself would not import (a corrupt cache file): bundle again and retry. */
  | { kind: "import-failed"; message: string };
