/**
 * The plan from the real build, shared by `apply` and `diff --build`: put the new lock where the
 * flake reads it, build the host with the platform's own command, compare the result with the
 * running generation. A failed build puts the previous lock back before the error leaves.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../adapters/atomic-write.js";
import type { ClosureReport } from "../apply/closure.js";
import type { SwitchMode } from "../apply/platform.js";
import { buildCommand } from "../apply/platform.js";
import { buildSystem, closureReport, currentGeneration } from "../apply/system-build.js";
import type { HostLock } from "../emit/lock-types.js";
import { LOCK_FILE } from "../emit/lock.js";
import type { ProcessRunner } from "../ports/index.js";

export interface BuildPlan {
  /** The build command that ran. */
  argv: string[];
  /** The built system's store path (`./result`). */
  result: string;
  /** The closure diff against the running generation, when there is one to compare with. */
  closure?: ClosureReport;
  /** Why there is no closure diff. */
  closureNote?: string;
}

export interface PlanBuildOptions {
  runner: ProcessRunner;
  root: string;
  host: string;
  lock: HostLock;
  lockText: string;
  /** The lock's bytes before (null: there was none), put back after a failure (or always, `keep: false`). */
  previousLockText: string | null;
  /** Keep the new lock after a successful build (apply) or put the old one back (diff). */
  keep: boolean;
  mode: SwitchMode;
  targetHost?: string;
  /** The running generation's store path (default: looked up on this machine). */
  currentGeneration?: () => string | undefined;
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
  log?: string;
}

/** Writes the lock, builds, compares; see the module comment. */
export async function planBuild(o: PlanBuildOptions): Promise<BuildPlan> {
  const lockPath = join(o.root, LOCK_FILE);
  const putBack = async () => {
    if (o.previousLockText === null) rmSync(lockPath, { force: true });
    else await writeFileAtomic(lockPath, o.previousLockText);
  };
  const argv = buildCommand(o.host, o.lock, o.mode, o.targetHost);
  let result: string;
  try {
    // The flake reads the lock from the work tree: the build must see the new one.
    await writeFileAtomic(lockPath, o.lockText);
    result = await buildSystem({
      runner: o.runner,
      root: o.root,
      host: o.host,
      lock: o.lock,
      argv,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onOutput ? { onOutput: o.onOutput } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
  } catch (error) {
    await putBack();
    throw error;
  }
  // A preview (`diff --build`): the lock goes back as it was.
  if (!o.keep) await putBack();
  return { argv, result, ...(await compare(o, result)) };
}

async function compare(
  o: PlanBuildOptions,
  result: string,
): Promise<Pick<BuildPlan, "closure" | "closureNote">> {
  if (o.targetHost)
    return {
      closureNote: `no closure diff: the running system is on ${o.targetHost}, not in this machine's store`,
    };
  const before = (o.currentGeneration ?? (() => currentGeneration(o.mode)))();
  if (!before)
    return {
      closureNote:
        o.mode === "home-manager"
          ? "no closure diff: no home-manager generation on this machine yet (first switch)"
          : "no closure diff: there is no /run/current-system on this machine (first switch)",
    };
  try {
    return { closure: await closureReport(o.runner, before, result) };
  } catch (error) {
    return { closureNote: `no closure diff: ${(error as Error).message}` };
  }
}
