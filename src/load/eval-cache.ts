/**
 * The evaluation cache (decision 0027), in the workspace's folder of the load cache:
 *
 * - `eval/programs.bin`: per host, per program, the lock entry its `config` made and the key of
 *   everything that `config` could see. The isolate reuses an entry whose key is unchanged and
 *   runs the module's `config` only for the others.
 * - `eval/run-<wants>.bin`: the isolate's whole answer for the last load with these wants, keyed
 *   by the exact bundle (every module and helper byte), the config's text, the hosts asked for
 *   and setup-mac's build. When it matches, no module code runs and the isolate is not started.
 *
 * Entries are v8-serialized (Maps and Sets survive) and written atomically. A missing, corrupt,
 * foreign or unwritable file only means evaluating again; an unwritable cache warns once.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { writeCacheFile } from "../adapters/atomic-write.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { sha256 } from "../emit/hash.js";
import type {
  IsolateResponse,
  MemoEntries,
  MemoResponse,
  OptionEntries,
} from "../isolate/protocol.js";
import type { ModuleSummary } from "./instantiate.js";

/** Bumped whenever an entry's shape changes, so old entries are never read. */
const EVAL_CACHE_FORMAT = 3;

type Done = Extract<IsolateResponse, { kind: "done" }>;

interface ProgramsFile {
  format: number;
  version: string;
  entries: MemoEntries;
  /** Per host, per program: resolved options by their key (decision 0031). */
  options: OptionEntries;
  /** Per module file: the hash of its code and helpers, and its summary (decision 0031). */
  modules: Record<string, [code: string, summary: ModuleSummary]>;
}

/** What earlier loads evaluated (empty when nothing usable is stored). */
export type Previous = Pick<ProgramsFile, "entries" | "options" | "modules">;

interface RunFile {
  format: number;
  key: string;
  response: Done;
}

export const programsPath = (dir: string) => join(dir, "eval", "programs.bin");
export const runPath = (dir: string, wants: unknown) =>
  join(dir, "eval", `run-${sha256(JSON.stringify(wants)).slice(0, 16)}.bin`);

function read(path: string): unknown {
  try {
    return deserialize(readFileSync(path));
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The programs' entries, options and module summaries written by this build, or none. */
export function readPrevious(dir: string, version: string): Previous {
  const file = read(programsPath(dir));
  const none: Previous = { entries: {}, options: {}, modules: {} };
  if (!isRecord(file) || file.format !== EVAL_CACHE_FORMAT || file.version !== version) return none;
  if (!isRecord(file.entries) || !isRecord(file.options) || !isRecord(file.modules)) return none;
  return file as unknown as Previous;
}

/** The summaries of the modules whose code is still what they were made from. */
export function currentSummaries(
  previous: Previous,
  code: ReadonlyMap<string, string>,
): Record<string, ModuleSummary> {
  const out: Record<string, ModuleSummary> = {};
  for (const [file, hash] of code) {
    const kept = previous.modules[file];
    if (Array.isArray(kept) && kept[0] === hash && isRecord(kept[1])) out[file] = kept[1];
  }
  return out;
}

/** The isolate's last answer for these wants, when its key is `key`. */
export function readRun(dir: string, wants: unknown, key: string): Done | undefined {
  // The key is written in front of the answer: an answer for other inputs (every edit) is
  // recognised without deserializing it, which at 1,000 modules costs tens of milliseconds.
  let bytes: Buffer;
  try {
    bytes = readFileSync(runPath(dir, wants));
  } catch {
    return undefined;
  }
  const head = Buffer.from(`${key}\n`);
  if (bytes.length <= head.length || !bytes.subarray(0, head.length).equals(head)) return undefined;
  let file: unknown;
  try {
    file = deserialize(bytes.subarray(head.length));
  } catch {
    return undefined;
  }
  if (!isRecord(file) || file.format !== EVAL_CACHE_FORMAT || file.key !== key) return undefined;
  const response = file.response as Done | undefined;
  return isRecord(response) && response.kind === "done" ? response : undefined;
}

/** Whether an answer for these wants was stored (so the isolate may well not be needed). */
export function hasRun(dir: string, wants: unknown): boolean {
  return existsSync(runPath(dir, wants));
}

let warned = false;

/** Writes what this load evaluated; returns a warning the first time the cache is unwritable. */
export function storeEvaluation(
  dir: string,
  version: string,
  previous: Previous,
  fresh: { memo: MemoResponse; code: ReadonlyMap<string, string> } | undefined,
  run: { wants: unknown; key: string; response: Done } | undefined,
): Diagnostic | undefined {
  try {
    mkdirSync(join(dir, "eval"), { recursive: true });
    if (fresh) {
      // Hosts not evaluated this time keep their entries; the modules are the ones loaded now.
      const modules: ProgramsFile["modules"] = {};
      for (const [file, summary] of Object.entries(fresh.memo.summaries)) {
        const code = fresh.code.get(file);
        if (code !== undefined) modules[file] = [code, summary];
      }
      const file: ProgramsFile = {
        format: EVAL_CACHE_FORMAT,
        version,
        entries: { ...previous.entries, ...fresh.memo.entries },
        options: { ...previous.options, ...fresh.memo.options },
        modules,
      };
      writeCacheFile(programsPath(dir), serialize(file));
    }
    if (run) {
      // What one run measured is not part of the answer: a reused answer ran no module code.
      const { timings: _t, memo: _m, moduleTimes: _mt, ...response } = run.response;
      const file: RunFile = {
        format: EVAL_CACHE_FORMAT,
        key: run.key,
        response: { ...response, moduleTimes: [] },
      };
      writeCacheFile(
        runPath(dir, run.wants),
        Buffer.concat([Buffer.from(`${run.key}\n`), serialize(file)]),
      );
    }
    return undefined;
  } catch (error) {
    if (warned) return undefined;
    warned = true;
    return diagnostic(
      "cache-unwritable",
      `cannot write the evaluation cache in ${dir}: ${(error as Error).message}`,
      {
        severity: "warning",
        hint: "every module is evaluated each time until it is writable; point SETUP_MAC_CACHE_DIR at a writable folder",
      },
    );
  }
}

/** For tests: warn again. */
export function resetCacheWarning(): void {
  warned = false;
}
