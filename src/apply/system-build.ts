/**
 * Builds a host's configuration with the platform's own command and compares the result with
 * the running generation through Nix (`nix store diff-closures`, `nix path-info -S`). Nothing
 * here activates anything: `build` leaves a `./result` link and the machine as it was.
 */
import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { HostLock } from "../emit/lock-types.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import type { ProcessRunner } from "../ports/index.js";
import {
  currentGenerationCandidates,
  firstNixError,
  locateBuildError,
  parseClosureDiff,
  parseClosureSizes,
  type ClosureReport,
} from "./closure.js";
import type { SwitchMode } from "./platform.js";

const NIX = ["nix", "--extra-experimental-features", "nix-command"];

export interface SystemBuildOptions {
  runner: ProcessRunner;
  root: string;
  host: string;
  lock: HostLock;
  argv: string[];
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
  /** Where the failure is written in full (workspace-relative), named in the error. */
  log?: string;
}

/**
 * Runs the build; returns the store path of `./result`. A failed build throws `build-failed`
 * with Nix's first error and, when it comes from a program's adapter output, the program.
 */
export async function buildSystem(o: SystemBuildOptions): Promise<string> {
  let output = "";
  const shown = o.argv.join(" ");
  let why: string | undefined;
  try {
    const r = await o.runner.run(o.argv, {
      cwd: o.root,
      timeoutMs: o.timeoutMs ?? 60 * 60_000,
      ...(o.signal ? { signal: o.signal } : {}),
      onOutput: (chunk) => {
        output += chunk;
        o.onOutput?.(chunk);
      },
    });
    if (r.cancelled) why = `\`${shown}\` was interrupted`;
    else if (r.timedOut) why = `\`${shown}\` did not finish in time and was stopped`;
    else if (r.exitCode !== 0)
      why = `\`${shown}\` ${r.exitCode === null ? `was killed (${r.signal ?? "signal"})` : `exited ${r.exitCode}`}`;
  } catch (error) {
    why = (error as Error).message;
  }
  const result = join(o.root, "result");
  if (!why && !existsSync(result)) why = `\`${shown}\` succeeded but left no ./result link`;
  if (why) {
    const nixError = firstNixError(output);
    const origin = locateBuildError(output, o.lock);
    throw new SetupMacError(
      diagnostic(
        "build-failed",
        `step "build" failed: ${why}; nothing was switched or recorded` +
          (nixError ? `\n  ${nixError}` : "") +
          (origin
            ? `\n  from program ${origin.program} (${origin.file})` +
              (origin.evidence === nixError ? "" : `: ${origin.evidence}`)
            : "") +
          (o.log ? `\n  full log: ${o.log}` : ""),
        {
          hint: origin
            ? `fix program ${origin.program} in ${origin.file} (or its options in setup-mac.jsonc), then apply again; \`setup-mac build --out DIR\` shows what it generates`
            : `read the Nix error above; \`${shown} --show-trace\` shows where it comes from`,
        },
      ),
    );
  }
  return realpathSync(result);
}

/** The running generation's store path, or undefined on a machine that has none yet. */
export function currentGeneration(
  mode: SwitchMode,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  for (const candidate of currentGenerationCandidates(mode, env))
    if (existsSync(candidate)) return realpathSync(candidate);
  return undefined;
}

/**
 * The closure diff between two store paths and their closure sizes. Throws when Nix cannot
 * compare them; the caller decides whether that stops anything (it does not: the build is fine).
 */
export async function closureReport(
  runner: ProcessRunner,
  before: string,
  after: string,
): Promise<ClosureReport> {
  const diff = await runner.run([...NIX, "store", "diff-closures", before, after], {
    timeoutMs: 5 * 60_000,
  });
  if (diff.exitCode !== 0)
    throw new Error(
      `\`nix store diff-closures\` exited ${String(diff.exitCode)}: ${(firstNixError(diff.stderr) ?? diff.stderr.trim().split("\n").at(-1)) || "no message"}`,
    );
  const sizes = await runner.run([...NIX, "path-info", "--closure-size", "--json", before, after], {
    timeoutMs: 5 * 60_000,
  });
  const bySize = sizes.exitCode === 0 ? parseClosureSizes(sizes.stdout) : new Map<string, number>();
  const sizeBefore = bySize.get(before);
  const sizeAfter = bySize.get(after);
  return {
    ...parseClosureDiff(diff.stdout),
    before,
    after,
    ...(sizeBefore !== undefined ? { sizeBefore } : {}),
    ...(sizeAfter !== undefined ? { sizeAfter } : {}),
  };
}
