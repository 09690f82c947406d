/**
 * `check`: evaluate every host and report every problem; nothing is written.
 */
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { applyAllows, scanHost } from "../scan/index.js";
import { readTimingHistory } from "../adapters/timing-history.js";
import { realRoot, workspaceCacheDir } from "../load/bundle.js";
import type { Workspace } from "../load/index.js";
import type { TimingRun } from "../stats/history.js";
import { DEFAULT_SLOW_MODULE_MS, JUDGED_RUNS, slowModules } from "../stats/outliers.js";
import type { Evaluated, WorkspaceOptions } from "./workspace.js";
import { errors, evaluateWorkspace } from "./workspace.js";

export interface CheckOptions extends WorkspaceOptions {
  /**
   * Warn about a module whose own load + evaluate time is over this many ms (default: the config's
   * `evaluation.slowModuleMs`, else 50); judged over the timing history (decision 0029).
   */
  slowModuleMs?: number;
}

export interface CheckResult {
  ok: boolean;
  programs: number;
  hosts: { name: string; platform: string; enabled: number; ok: boolean }[];
  diagnostics: Diagnostic[];
}

/**
 * Validates every module and host: conflicts, options, paths, ownership — and the security scan
 * of every host that evaluated cleanly (its errors are errors here, its warnings warnings; what
 * `scan.allow` accepts is left out).
 */
export async function check(options: CheckOptions = {}): Promise<CheckResult> {
  const evaluated = await evaluateWorkspace(options);
  const { workspace, evaluation, hosts } = evaluated;
  const scan = scanDiagnostics(evaluated);
  const limit =
    options.slowModuleMs ??
    workspace.config.config.evaluation?.slowModuleMs ??
    DEFAULT_SLOW_MODULE_MS;
  const diagnostics = [
    ...evaluated.diagnostics,
    ...scan,
    ...slowModuleDiagnostics(timingHistory(workspace, options.cacheDir), limit),
  ];
  return {
    ok: errors(diagnostics).length === 0,
    programs: workspace.programs.size,
    hosts: hosts.map((name) => {
      const h = evaluation.hosts.get(name)!;
      return {
        name,
        platform: workspace.config.config.hosts[name]!.platform,
        enabled: h.enabled.size,
        // A host the isolate never finished evaluating is not ok, whichever host it stopped on.
        ok:
          workspace.evaluation !== undefined &&
          errors([...h.diagnostics, ...scan.filter((d) => d.host === name)]).length === 0,
      };
    }),
    diagnostics,
  };
}

/** The workspace's recorded runs, ending with this load's (also when it could not be recorded). */
function timingHistory(workspace: Workspace, cacheDir: string | null | undefined): TimingRun[] {
  const run = workspace.timingRun;
  if (!run) return [];
  const dir = workspaceCacheDir(realRoot(workspace.root), cacheDir);
  const runs = dir ? readTimingHistory(dir, { last: JUDGED_RUNS, ran: true }) : [];
  // This run is in the file unless it could not be written (or ran no code, and was skipped).
  const last = runs.at(-1);
  return last?.at === run.at && last.command === run.command ? runs : [...runs, run];
}

/**
 * A warning per module whose own time is over the limit: by its median over the newest recorded
 * runs (three or more measured), else by its last run. A warning only: the exit status never changes for it.
 */
export function slowModuleDiagnostics(
  history: readonly TimingRun[],
  limitMs: number,
): Diagnostic[] {
  return slowModules(history, limitMs).map((s) =>
    diagnostic(
      "slow-module",
      `takes ${Math.round(s.ms)} ms to load and evaluate (${s.basis === "median" ? `the median of its last ${s.runs} runs` : "in its last run"}), over the ${limitMs} ms limit`,
      {
        severity: "warning",
        location: { file: s.file },
        hint: `module code runs at every evaluation: move heavy work out of it (compute data once, at authoring time); \`setup-mac stats\` shows its load and evaluate times; the limit is \`"evaluation": { "slowModuleMs": ${limitMs} }\` in setup-mac.jsonc`,
      },
    ),
  );
}

/** The scan's open errors and warnings as diagnostics (`scan-<rule>`), pointing at the module. */
function scanDiagnostics({ workspace, evaluation, hosts }: Evaluated): Diagnostic[] {
  const scanned = hosts.filter((h) => evaluation.hosts.get(h)?.lock);
  const findings = scanned.flatMap((h) => scanHost(h, evaluation.hosts.get(h)!.lock!));
  const { findings: marked } = applyAllows(
    findings,
    workspace.config.config.scan?.allow ?? [],
    scanned,
  );
  return marked
    .filter((f) => !f.allowed && f.severity !== "info")
    .map((f) =>
      diagnostic(`scan-${f.rule}`, `${f.program}: \`${f.where}\` ${f.message}`, {
        severity: f.severity === "error" ? "error" : "warning",
        host: f.host,
        location: { file: f.module },
        hint: `${f.fix} (or accept it under \`scan.allow\` with a reason)`,
      }),
    );
}
