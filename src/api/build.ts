/**
 * `build`: write the lock and the config's JSON Schema (and, with `out`, previews). Writes
 * nothing unless the whole workspace evaluates without errors.
 */
import { constants, copyFileSync, existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { sweepTempFiles, writeFileAtomic } from "../adapters/atomic-write.js";
import { confineWrite } from "../adapters/confine.js";
import { withWorkspaceLock } from "../adapters/workspace-lock.js";
import type { Diagnostic } from "../errors/index.js";
import { SetupMacError } from "../errors/index.js";
import { buildLock, LOCK_FILE, serializeLock } from "../emit/lock.js";
import type { Lock } from "../emit/lock-types.js";
import { SCHEMA_FILE } from "../emit/schema.js";
import { parseLock } from "../load/lock.js";
import type { WorkspaceOptions } from "./workspace.js";
import type { Workspace } from "../load/index.js";
import { errors, evaluateWorkspace } from "./workspace.js";
import { timings } from "../adapters/timings.js";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { compactUtc } from "../time.js";

export interface BuildResult {
  lock: Lock;
  lockText: string;
  schemaText: string;
  /** Files written (workspace-relative), and whether each changed. */
  written: { file: string; changed: boolean }[];
  warnings: Diagnostic[];
  /** The unreadable lock that was found, and where it was kept before a new one was written. */
  keptAside?: KeptAside;
}

/** A lock that could not be read, copied aside (byte for byte) before it was replaced. */
export interface KeptAside {
  file: string;
  /** Workspace-relative name of the copy: `setup-mac.lock.json.corrupt-<time>`. */
  aside: string;
  /** Why the lock could not be read. */
  problem: Diagnostic;
}

/**
 * Before the lock is replaced: when the one on disk cannot be read (truncated, binary, from a newer
 * setup-mac), copy it to `setup-mac.lock.json.corrupt-<UTC time>` so nobody loses it — it may be
 * the only record of what a newer version or a hand edit held. The lock is derived output, so
 * replacing it is fine once a copy exists. Returns undefined for a readable or missing lock.
 */
export function keepCorruptLockAside(root: string, now: Date = new Date()): KeptAside | undefined {
  const path = join(root, LOCK_FILE);
  const text = readTextIfPresent(path);
  if (text === undefined) return undefined;
  const parsed = parseLock(text);
  if (parsed.ok) return undefined;
  const stamp = compactUtc(now);
  let aside = `${LOCK_FILE}.corrupt-${stamp}`;
  for (let n = 2; existsSync(join(root, aside)); n++) aside = `${LOCK_FILE}.corrupt-${stamp}-${n}`;
  // Exclusive: an earlier copy is never overwritten, even in a race with another process.
  copyFileSync(path, join(root, aside), constants.COPYFILE_EXCL);
  return { file: LOCK_FILE, aside, problem: parsed.diagnostics[0]! };
}

export interface BuildOptions extends WorkspaceOptions {
  /** Compute everything but write nothing. */
  dryRun?: boolean;
}

export interface Computed {
  root: string;
  configText: string;
  lock: Lock;
  lockText: string;
  /** The JSON Schema's bytes (only when computed with `schema`: build and docs use it). */
  readonly schemaText: string;
  warnings: Diagnostic[];
  /** The loaded programs the lock was made from. */
  programs: Workspace["programs"];
}

/** Evaluates every host into the lock's and the schema's bytes, writing nothing; throws on errors. */
export async function computeBuild(options: WorkspaceOptions = {}): Promise<Computed> {
  // The lock always holds every host: a partial lock would drop the others' configuration.
  const evaluated = await evaluateWorkspace({
    ...options,
    hosts: undefined,
    // JSON Schema of 1,000 programs costs ~0.15 s: only build and docs ask for it.
    schema: options.schema ?? false,
  });
  const problems = errors(evaluated.diagnostics);
  if (problems.length) throw new SetupMacError(problems);
  const { workspace } = evaluated;
  const lock = buildLock({ config: workspace.config }, evaluated.evaluation);
  return {
    root: workspace.root,
    configText: workspace.config.text,
    lock,
    lockText: await timings.span("serialize lock", () => serializeLock(lock)),
    get schemaText() {
      if (workspace.schemaText === undefined)
        throw new Error("internal: computeBuild was asked for no schema (`schema: false`)");
      return workspace.schemaText;
    },
    warnings: evaluated.diagnostics.filter((d) => d.severity === "warning"),
    programs: workspace.programs,
  };
}

/** Evaluates every host and writes `setup-mac.lock.json` and `setup-mac/schema.json`. */
export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const computed = await computeBuild({ ...options, schema: true });
  const written: BuildResult["written"] = [];
  let keptAside: KeptAside | undefined;
  const write = async () => {
    for (const [file, text] of [
      [SCHEMA_FILE, computed.schemaText],
      [LOCK_FILE, computed.lockText],
    ] as const) {
      const path = confineWrite(computed.root, file, {
        what: file === LOCK_FILE ? "the lock file" : "the config's JSON Schema",
      });
      // A killed earlier write leaves `<file>.<digits>` next to a whole file: sweep it.
      if (!options.dryRun) await sweepTempFiles(dirname(path), basename(path)).catch(() => []);
      const changed = readTextIfPresent(path) !== text;
      if (changed && !options.dryRun) {
        if (file === LOCK_FILE) keptAside = keepCorruptLockAside(computed.root);
        mkdirSync(dirname(path), { recursive: true });
        await writeFileAtomic(path, text);
      }
      written.push({ file, changed });
    }
  };
  // The lock is also written by apply: never both at once.
  if (options.dryRun) await write();
  else await withWorkspaceLock(computed.root, "build", write, { waitMs: 15_000 });
  return {
    lock: computed.lock,
    lockText: computed.lockText,
    schemaText: computed.schemaText,
    written,
    warnings: computed.warnings,
    ...(keptAside ? { keptAside } : {}),
  };
}
