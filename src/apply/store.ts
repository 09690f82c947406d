/**
 * The state store under `<workspace>/.setup-mac/`: generations (each a folder with the config,
 * the lock and a record), logs, and the marker of an apply in progress. A generation folder is
 * written under a temporary name and renamed into place, so it exists whole or not at all.
 * Corrupt records are reported with how to recover and are never overwritten.
 */
import { CONFIG_FILE } from "../load/config.js";
import { LOCK_FILE } from "../emit/lock.js";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../adapters/atomic-write.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import type { Lock } from "../emit/lock-types.js";
import { parseLock } from "../load/lock.js";
import type { HostChanges } from "./changes.js";
import { isAlive } from "../adapters/process-alive.js";

export const STATE_DIR = ".setup-mac";
export const GENERATIONS_DIR = `${STATE_DIR}/generations`;
export const LOGS_DIR = `${STATE_DIR}/logs`;
export const IN_PROGRESS_FILE = `${STATE_DIR}/apply-in-progress.json`;
export const GENERATION_FORMAT = 1;

export interface GenerationRecord {
  format: typeof GENERATION_FORMAT;
  number: number;
  host: string;
  /** ISO time the generation was recorded. */
  time: string;
  /** What made it: a plain apply, a whole rollback, or a per-program rollback. */
  kind: "apply" | "rollback" | "program-rollback";
  /** For rollbacks: the generation that was restored. */
  from?: number;
  /** For per-program rollbacks: the program. */
  program?: string;
  inputsHash: string;
  /** The platform command that switched, and its log (workspace-relative). */
  switch?: { argv: string[]; log: string };
  changes: HostChanges;
  /** Programs whose removal hooks ran. */
  removed: string[];
  health?: { ok: boolean; failed: string[] };
}

export interface Generation {
  record: GenerationRecord;
  dir: string;
  config: string;
  lock: string;
  /** The lock, parsed and checked. */
  lockData: Lock;
}

export interface GenerationList {
  generations: GenerationRecord[];
  /** Generations that could not be read, with how to recover. */
  problems: Diagnostic[];
}

/** Lists every readable generation, oldest first. */
export function listGenerations(root: string): GenerationList {
  const dir = join(root, GENERATIONS_DIR);
  const problems: Diagnostic[] = [];
  const generations: GenerationRecord[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return { generations, problems };
  }
  for (const name of names.filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b))) {
    const file = `${GENERATIONS_DIR}/${name}/generation.json`;
    try {
      const record = JSON.parse(readFileSync(join(root, file), "utf8")) as GenerationRecord;
      if (record.format !== GENERATION_FORMAT) {
        problems.push(
          diagnostic(
            "generation-format",
            `generation ${name} has format ${String(record.format)}, this setup-mac reads ${GENERATION_FORMAT}`,
            {
              location: { file },
              hint: "use the setup-mac version that wrote it, or move the folder out of .setup-mac/generations/",
              severity: "warning",
            },
          ),
        );
        continue;
      }
      const incomplete = recordProblem(record, Number(name));
      if (incomplete) throw new Error(incomplete);
      for (const part of [CONFIG_FILE, LOCK_FILE]) {
        if (!existsSync(join(root, GENERATIONS_DIR, name, part)))
          throw new Error(`${part} is missing`);
      }
      const lock = parseLock(readFileSync(join(root, GENERATIONS_DIR, name, LOCK_FILE), "utf8"));
      if (!lock.ok)
        throw new Error(`its setup-mac.lock.json is unreadable: ${lock.diagnostics[0]!.message}`);
      generations.push(record);
    } catch (error) {
      problems.push(
        diagnostic(
          "generation-corrupt",
          `generation ${name} cannot be read: ${(error as Error).message}`,
          {
            location: { file },
            hint: `it is left as it is; move ${GENERATIONS_DIR}/${name} aside to silence this, other generations still work`,
            severity: "warning",
          },
        ),
      );
    }
  }
  return { generations, problems };
}

/** What is wrong with a record's fields, if anything (a readable file may still be incomplete). */
function recordProblem(record: Partial<GenerationRecord>, number: number): string | undefined {
  if (record.number !== number) return `its record says it is generation ${String(record.number)}`;
  if (typeof record.host !== "string" || typeof record.time !== "string")
    return "its record has no host or time";
  if (!["apply", "rollback", "program-rollback"].includes(String(record.kind)))
    return "its record has no known kind";
  const changes = record.changes as Partial<HostChanges> | undefined;
  if (!changes || !Array.isArray(changes.programs)) return "its record has no list of changes";
  if (!Array.isArray(record.removed)) return "its record has no list of removed programs";
  return undefined;
}

/** Reads one generation whole (record, config and lock). */
export function readGeneration(root: string, number: number): Generation | undefined {
  const dir = join(root, GENERATIONS_DIR, String(number));
  try {
    const record = JSON.parse(
      readFileSync(join(dir, "generation.json"), "utf8"),
    ) as GenerationRecord;
    if (record.format !== GENERATION_FORMAT || recordProblem(record, number)) return undefined;
    const lock = readFileSync(join(dir, LOCK_FILE), "utf8");
    const parsed = parseLock(lock);
    if (!parsed.ok) return undefined;
    const config = readFileSync(join(dir, CONFIG_FILE), "utf8");
    return { record, dir, config, lock, lockData: parsed.lock };
  } catch {
    return undefined;
  }
}

/** The newest generation of a host, if any. */
export function lastGeneration(root: string, host: string): Generation | undefined {
  const list = listGenerations(root).generations.filter((g) => g.host === host);
  const last = list[list.length - 1];
  return last ? readGeneration(root, last.number) : undefined;
}

/** The next free generation number (numbers are global to the workspace). */
export function nextGenerationNumber(root: string): number {
  const dir = join(root, GENERATIONS_DIR);
  let max = 0;
  try {
    for (const n of readdirSync(dir)) if (/^\d+$/.test(n)) max = Math.max(max, Number(n));
  } catch {
    /* none yet */
  }
  return max + 1;
}

/** Records a generation: written into a temporary folder, then renamed into place. */
export async function recordGeneration(
  root: string,
  record: Omit<GenerationRecord, "number" | "format">,
  files: { config: string; lock: string },
): Promise<GenerationRecord> {
  const number = nextGenerationNumber(root);
  const full: GenerationRecord = { format: GENERATION_FORMAT, number, ...record };
  const base = join(root, GENERATIONS_DIR);
  const tmp = join(base, `.tmp-${number}-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  await writeFileAtomic(join(tmp, CONFIG_FILE), files.config);
  await writeFileAtomic(join(tmp, LOCK_FILE), files.lock);
  await writeFileAtomic(join(tmp, "generation.json"), JSON.stringify(full, null, 2) + "\n");
  renameSync(tmp, join(base, String(number)));
  return full;
}

/** Removes temporary generation folders left by a killed process. */
export function sweepGenerationTemps(root: string): string[] {
  const base = join(root, GENERATIONS_DIR);
  const removed: string[] = [];
  try {
    for (const name of readdirSync(base)) {
      if (!name.startsWith(".tmp-")) continue;
      const pid = Number(name.split("-").pop());
      if (pid && pid !== process.pid && isAlive(pid)) continue;
      rmSync(join(base, name), { recursive: true, force: true });
      removed.push(name);
    }
  } catch {
    /* nothing to sweep */
  }
  return removed;
}

export interface InProgress {
  pid: number;
  host: string;
  started: string;
  step: string;
  /** The lock's bytes before the apply started, to restore. */
  previousLock: string | null;
}

/** Reads the marker of an unfinished apply, if any. */
export function readInProgress(root: string): InProgress | undefined {
  try {
    return JSON.parse(readFileSync(join(root, IN_PROGRESS_FILE), "utf8")) as InProgress;
  } catch {
    return undefined;
  }
}

export async function writeInProgress(root: string, value: InProgress): Promise<void> {
  mkdirSync(join(root, STATE_DIR), { recursive: true });
  await writeFileAtomic(join(root, IN_PROGRESS_FILE), JSON.stringify(value, null, 2) + "\n");
}

export function clearInProgress(root: string): void {
  rmSync(join(root, IN_PROGRESS_FILE), { force: true });
}
