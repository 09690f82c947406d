/**
 * `apply` as a transaction: check → plan (the changes against the host's last generation) →
 * confirm → ZFS snapshots → pre-removal hooks → write the lock → the platform's switch → post-removal
 * hooks → restart the services whose definition changed → health checks → record the generation. If the switch fails, the previous lock is put
 * back and nothing is recorded; the error names the step and the log.
 */
import { readTextIfPresent } from "../adapters/node-fs.js";
import { createWriteStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sweepTempFiles, writeFileAtomic } from "../adapters/atomic-write.js";
import { NodeProcessRunner } from "../adapters/node-runner.js";
import { confineWrite } from "../adapters/confine.js";
import { withWorkspaceLock, type Owner } from "../adapters/workspace-lock.js";
import type { HookName } from "../define/types.js";
import type { ArgvLock, DatasetLock, HostLock, Lock } from "../emit/lock-types.js";
import { LOCK_FILE } from "../emit/lock.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import type { HostChanges } from "../apply/changes.js";
import { hostChanges } from "../apply/changes.js";
import type { Collision } from "../apply/collisions.js";
import {
  describeCollision,
  findCollisions,
  resolveCollisions,
  undoCollisions,
  unresolved,
} from "../apply/collisions.js";
import type { SwitchMode } from "../apply/platform.js";
import { buildCommand, onTarget, SUDO_CHECK, switchCommand } from "../apply/platform.js";
import { planBuild, type BuildPlan } from "./plan-build.js";
import { binResolver, hostProbes, probeDeps } from "../apply/runtime.js";
import type { GenerationRecord } from "../apply/store.js";
import {
  clearInProgress,
  GENERATIONS_DIR,
  IN_PROGRESS_FILE,
  lastGeneration,
  LOGS_DIR,
  nextGenerationNumber,
  readInProgress,
  recordGeneration,
  sweepGenerationTemps,
  writeInProgress,
} from "../apply/store.js";
import { SnapshotError, snapshotDatasets, type SnapshotResult } from "../apply/zfs.js";
import { plannedRestarts, type PlannedRestart } from "../apply/restarts.js";
import { restartServices, type ServiceActionResult } from "./services.js";
import type { Clock, ProcessRunner } from "../ports/index.js";
import type { ProbeDeps, ProbeResult } from "../probe/health.js";
import { runProbes } from "../probe/health.js";
import { computeBuild, keepCorruptLockAside } from "./build.js";
import { pickHost } from "./hosts.js";
import { parseLock } from "../load/lock.js";
import type { WorkspaceOptions } from "./workspace.js";
import { CONFIG_FILE, parseConfig } from "../load/config.js";

export interface ApplyPlan {
  host: string;
  changes: HostChanges;
  /** The generation the changes are measured against. */
  since?: number;
  switchArgv: string[];
  snapshots: string[];
  /** Files already standing where new home files go, and what will be done about each. */
  collisions: Collision[];
  /**
   * The hook commands apply itself runs, in order: `preRemove` before the switch and `postRemove`
   * after it for programs that leave, `postStart` for programs added or changed (bins unresolved).
   */
  hooks: PlannedHook[];
  /** Services applied before whose unit or plist changed: restarted after the switch. */
  restarts: PlannedRestart[];
  /** Whether they will be restarted (not with `noRestart`). */
  restart: boolean;
  /** The platform's build of the new configuration and its closure diff (not in a dry run). */
  build?: BuildPlan;
}

export interface ApplyOptions extends WorkspaceOptions {
  host?: string;
  dryRun?: boolean;
  yes?: boolean;
  targetHost?: string;
  /** Leave services whose definition changed as the switch left them (no restart). */
  noRestart?: boolean;
  /** How long each restarted service may take to be ready (default 30 s). */
  restartTimeoutMs?: number;
  /** When health checks fail after the switch, go back to the previous generation. */
  rollbackOnFailure?: boolean;
  /** Apply even when a ZFS snapshot fails. */
  noSnapshot?: boolean;
  /** The switch's time limit (default one hour). */
  switchTimeoutMs?: number;
  /**
   * Build the configuration with the platform's own `build` first and show its closure diff
   * before asking (default true). A failed build stops apply before anything is switched.
   */
  build?: boolean;
  /** Whether setup-mac runs as root (default: asks the process); darwin-rebuild switch needs root. */
  root?: boolean;
  /** The running generation's store path (default: /run/current-system or home-manager's profile). */
  currentGeneration?: () => string | undefined;
  runner?: ProcessRunner;
  clock?: Clock;
  probeOverrides?: Partial<ProbeDeps>;
  /** Asked on a terminal; without it (and without `yes`) apply refuses to change anything. */
  confirm?: (plan: ApplyPlan) => Promise<boolean>;
  /** Called with the plan once it is known, before any confirmation or change. */
  onPlan?: (plan: ApplyPlan) => void;
  onStep?: (step: string, detail?: string) => void;
  onOutput?: (chunk: string) => void;
  /** Apply these exact bytes instead of building from the config (rollbacks). */
  restore?: {
    config: string;
    lock: string;
    kind: GenerationRecord["kind"];
    from: number;
    program?: string;
  };
  /** Move unmanaged files that stand in the way to `<file>.<ext>` (never overwriting a backup). */
  backupExt?: string;
  /** Replace these unmanaged files (`~/…` paths) that stand in the way. */
  forceFiles?: string[];
  /** The home directory on this machine (default: the host's `home`). */
  home?: string;
  /** Cancels a running switch (Ctrl-C): it is then a failed switch, and the lock goes back. */
  signal?: AbortSignal;
  /** Test-only: stop the process right after this step (crash tests). */
  crashAfter?: string;
}

/** A hook command apply will run: what is shown (`command`) and what is run (`argv`, unresolved). */
export interface PlannedHook {
  program: string;
  hook: HookName;
  /** The words shown in the plan (a package's binary by its name). */
  command: string[];
  argv: ArgvLock;
}

export interface ApplyResult {
  host: string;
  status: "applied" | "nothing-to-do" | "dry-run";
  plan: ApplyPlan;
  generation?: GenerationRecord;
  snapshots: SnapshotResult[];
  removed: string[];
  health: ProbeResult[];
  /** `postStart` hooks of programs this apply added or changed, in the host's order. */
  hooks: HookRun[];
  /** The services restarted because their definition changed, and whether each got ready. */
  restarts: ServiceActionResult[];
  log?: string;
  notes: string[];
}

/** One hook command `apply` ran (or had to leave out). */
export interface HookRun {
  program: string;
  hook: HookName;
  command: string[];
  ok: boolean;
  /** `exited 0`, `exited 3`, `not run: …`. */
  detail: string;
}

/** How a host is switched, from its entry in the config (`switch`, `targetHost`). */
export function hostModes(
  configText: string,
  host: string,
): { mode: SwitchMode; targetHost?: string } {
  const parsed = parseConfig(configText);
  const h = parsed.ok ? parsed.doc.config.hosts[host] : undefined;
  return { mode: h?.switch ?? "system", ...(h?.targetHost ? { targetHost: h.targetHost } : {}) };
}

function datasetsOf(lock: HostLock | undefined, programs: Iterable<string>): DatasetLock[] {
  const out: DatasetLock[] = [];
  for (const name of programs)
    for (const ds of Object.values(lock?.programs[name]?.system?.datasets ?? {})) out.push(ds);
  return out;
}

/** The hook commands `apply` will run for these changes (see `ApplyPlan.hooks`). */
function plannedHooks(
  changes: HostChanges,
  previous: HostLock | undefined,
  next: HostLock,
): ApplyPlan["hooks"] {
  const words = (argv: (string | { bin: string })[]) =>
    argv.map((a) => (typeof a === "string" ? a : a.bin));
  const removed = changes.programs.filter((p) => p.kind === "removed").map((p) => p.name);
  const touched = new Set(changes.programs.filter((p) => p.kind !== "removed").map((p) => p.name));
  const out: ApplyPlan["hooks"] = [];
  for (const hook of ["preRemove", "postRemove"] as const)
    for (const program of removed)
      for (const argv of hooksOf(previous, program, hook))
        out.push({ program, hook, command: words(argv), argv });
  for (const program of next.order.filter((p) => touched.has(p)))
    for (const argv of hooksOf(next, program, "postStart"))
      out.push({ program, hook: "postStart", command: words(argv), argv });
  return out;
}

function hooksOf(
  lock: HostLock | undefined,
  program: string,
  hook: HookName,
): (string | { bin: string; pkg: string })[][] {
  const p = lock?.programs[program];
  return [...(p?.system?.hooks?.[hook] ?? []), ...(p?.home?.hooks?.[hook] ?? [])];
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[:]/g, "-")
    .replace(/\.\d+Z$/, "Z");
}

/** Applies the workspace to one host as a transaction. */
export async function apply(options: ApplyOptions = {}): Promise<ApplyResult> {
  const runner = options.runner ?? new NodeProcessRunner();
  const clock = options.clock ?? { now: () => new Date() };
  const step = (name: string, detail?: string) => options.onStep?.(name, detail);
  const notes: string[] = [];

  step("check");
  const computed = options.restore
    ? {
        root: (await import("node:path")).resolve(options.workspace ?? "."),
        configText: options.restore.config,
        lockText: options.restore.lock,
        lock: JSON.parse(options.restore.lock) as Lock,
      }
    : await computeBuild(options);
  const root = computed.root;
  const host = pickHost(Object.keys(computed.lock.hosts), options.host, {
    verb: options.restore ? "programs rollback" : "apply",
  });
  const next = computed.lock.hosts[host]!;

  // A dry run only reads: it takes no lock and leaves no trace, not even the state folder.
  const locked = <T>(fn: (lock: { reclaimed?: Owner }) => Promise<T>): Promise<T> =>
    options.dryRun
      ? fn({})
      : withWorkspaceLock(root, options.restore ? "programs rollback" : "apply", fn);
  return locked(async ({ reclaimed }: { reclaimed?: Owner }) => {
    if (reclaimed)
      notes.push(
        `Reclaimed the workspace lock of \`setup-mac ${reclaimed.command}\` (pid ${reclaimed.pid}), which had stopped.`,
      );
    if (!options.dryRun) {
      // Everything apply writes is checked before it does anything.
      for (const [path, what] of [
        [CONFIG_FILE, "the config file"],
        [LOCK_FILE, "the lock file"],
        [GENERATIONS_DIR, "the generations folder"],
        [LOGS_DIR, "the logs folder"],
        [IN_PROGRESS_FILE, "the apply marker"],
      ] as const)
        confineWrite(root, path, { what });
      sweepGenerationTemps(root);
      await sweepTempFiles(root, LOCK_FILE).catch(() => undefined);
      await sweepTempFiles(root, CONFIG_FILE).catch(() => undefined);
    }
    const lockPath = join(root, LOCK_FILE);
    const configPath = join(root, CONFIG_FILE);

    // An apply that was interrupted left its marker: put the lock back as it was before it.
    const interrupted = readInProgress(root);
    if (interrupted) {
      if (!options.dryRun) {
        if (interrupted.previousLock === null) rmSync(lockPath, { force: true });
        else await writeFileAtomic(lockPath, interrupted.previousLock);
        clearInProgress(root);
      }
      notes.push(
        `An earlier apply to ${interrupted.host} (pid ${interrupted.pid}, ${interrupted.started}) stopped during "${interrupted.step}"; ${options.dryRun ? "its lock would be restored" : "its previous lock was restored"}. This apply finishes the job; \`setup-mac programs rollback\` goes back instead.`,
      );
    }

    const last = lastGeneration(root, host);
    const previous = last?.lockData.hosts[host];
    const changes = hostChanges(host, previous, next);
    const { mode, targetHost: configuredTarget } = hostModes(computed.configText, host);
    const targetHost = options.targetHost ?? configuredTarget;
    const asRoot = options.root ?? process.getuid?.() === 0;
    const switchArgv = switchCommand(host, next, mode, targetHost, { root: asRoot });
    const touched = changes.programs.map((p) => p.name);
    const snapshotTargets =
      next.zfs && !options.noSnapshot
        ? [...datasetsOf(previous, touched), ...datasetsOf(next, touched)]
        : [];
    const plan: ApplyPlan = {
      host,
      changes,
      hooks: plannedHooks(changes, previous, next),
      restarts: plannedRestarts(previous, next),
      restart: !options.noRestart,
      ...(last ? { since: last.record.number } : {}),
      switchArgv,
      snapshots: [...new Set(snapshotTargets.map((d) => d.dataset))],
      // Only this machine's files can be checked; a remote target is left to home-manager.
      collisions: targetHost
        ? []
        : findCollisions(next, previous, {
            home: options.home ?? next.home,
            backupExt: options.backupExt,
            force: options.forceFiles,
          }),
    };
    const result: ApplyResult = {
      host,
      status: "dry-run",
      plan,
      snapshots: [],
      removed: [],
      health: [],
      hooks: [],
      restarts: [],
      notes,
    };

    if (changes.empty && !options.restore) {
      result.status = "nothing-to-do";
      return result;
    }
    const blocking = unresolved(plan.collisions);
    if (blocking.length && !options.dryRun) options.onPlan?.(plan);
    if (blocking.length && !options.dryRun) {
      throw new SetupMacError(
        diagnostic(
          "files-in-the-way",
          `${blocking.length === 1 ? "a file stands" : `${blocking.length} files stand`} where ${host} gets managed files; nothing was changed:\n` +
            blocking.map((c) => `  ${describeCollision(c)}`).join("\n"),
          {
            hint: blocking.some((c) => c.kind === "escapes-home")
              ? "a symlinked folder must not lead a managed file out of the home directory: replace the link with a real folder"
              : "keep a copy with `--backup-ext bak`, or replace one with `--force-file ~/path` (repeatable); or remove the file yourself",
          },
        ),
      );
    }
    if (options.dryRun) {
      options.onPlan?.(plan);
      return result;
    }
    // Without a way to ask, refuse before building: nothing could come of the build.
    if (!options.yes && !options.confirm) {
      options.onPlan?.(plan);
      throw confirmationRequired(host);
    }
    // nix-darwin activates only as root: find out now, before anything is built or changed.
    if (switchArgv[0] === "sudo") await requireSudo(runner, switchArgv);

    const previousLockText = readTextIfPresent(lockPath) ?? null;
    // The lock is written for the build (the flake reads it); until the switch, an interruption
    // puts the previous one back through the in-progress marker.
    const putBackLock = async () => {
      if (previousLockText === null) rmSync(lockPath, { force: true });
      else await writeFileAtomic(lockPath, previousLockText);
      clearInProgress(root);
    };
    if (options.build !== false) {
      writeInProgress(root, {
        pid: process.pid,
        host,
        started: clock.now().toISOString(),
        step: "build",
        previousLock: previousLockText,
      });
      step("build", buildCommand(host, next, mode, targetHost).join(" "));
      try {
        plan.build = await planBuild({
          runner,
          root,
          host,
          lock: next,
          lockText: computed.lockText,
          previousLockText,
          keep: true,
          mode,
          ...(targetHost ? { targetHost } : {}),
          ...(options.currentGeneration ? { currentGeneration: options.currentGeneration } : {}),
          ...(options.switchTimeoutMs ? { timeoutMs: options.switchTimeoutMs } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onOutput ? { onOutput: options.onOutput } : {}),
        });
      } catch (error) {
        // planBuild put the previous lock back; nothing else was touched.
        clearInProgress(root);
        throw error;
      }
    }
    options.onPlan?.(plan);
    if (!options.yes) {
      if (!(await options.confirm!(plan))) {
        await putBackLock();
        throw new SetupMacError(
          diagnostic("cancelled", "apply cancelled; nothing was changed", { severity: "error" }),
        );
      }
    }

    const generationNumber = nextGenerationNumber(root);
    const previousConfigText = readFileSync(configPath, "utf8");
    mkdirSync(join(root, LOGS_DIR), { recursive: true });
    const logRel = `${LOGS_DIR}/${stamp(clock.now())}-${host}-${options.restore ? "rollback" : "apply"}.log`;
    const log = createWriteStream(join(root, logRel), { flags: "a" });
    const logLine = (text: string) => log.write(text.endsWith("\n") ? text : text + "\n");
    result.log = logRel;
    const marker = (s: string) =>
      writeInProgress(root, {
        pid: process.pid,
        host,
        started: clock.now().toISOString(),
        step: s,
        previousLock: previousLockText,
      });
    const crash = async (s: string) => {
      if (options.crashAfter === s) {
        await new Promise<void>((resolve) => log.end(resolve));
        process.kill(process.pid, "SIGKILL");
      }
    };
    const adoptedTexts = new Map(
      plan.collisions
        .filter((c) => c.action === "adopt")
        .map((c) => [c.path, readFileSync(c.path, "utf8")]),
    );
    const restoreFiles = async () => {
      for (const line of undoCollisions(plan.collisions, adoptedTexts)) logLine(line);
      if (previousLockText === null) rmSync(lockPath, { force: true });
      else await writeFileAtomic(lockPath, previousLockText);
      if (options.restore) await writeFileAtomic(configPath, previousConfigText);
    };
    const fail = (code: string, what: string, hint: string): never => {
      throw new SetupMacError(diagnostic(code, `${what}\n  full log: ${logRel}`, { hint }));
    };

    try {
      await marker("snapshot");
      if (snapshotTargets.length) {
        step("snapshot", plan.snapshots.join(", "));
        try {
          result.snapshots = await snapshotDatasets(snapshotTargets, {
            runner,
            generation: generationNumber,
            now: clock.now(),
            targetHost,
          });
          for (const s of result.snapshots)
            logLine(
              s.snapshot
                ? `snapshot ${s.snapshot}`
                : `snapshot skipped for ${s.dataset}: ${s.skipped}`,
            );
        } catch (error) {
          if (!(error instanceof SnapshotError)) throw error;
          logLine(error.message);
          fail(
            "snapshot-failed",
            `step "snapshot" failed: ${error.message}; nothing was changed`,
            "fix ZFS (is the pool imported, may this user snapshot?) or run again with --no-snapshot to apply without a snapshot",
          );
        }
      }
      await crash("snapshot");

      const removedPrograms = changes.programs
        .filter((p) => p.kind === "removed")
        .map((p) => p.name);
      const resolvePrevious = previous
        ? binResolver(previous)
        : (a: string | { bin: string }) => (typeof a === "string" ? a : a.bin);
      /** Runs one hook command; returns why it failed, or undefined. */
      const runHook = async (
        program: string,
        hook: HookName,
        command: string[],
      ): Promise<string | undefined> => {
        step(hook, `${program}: ${command.join(" ")}`);
        logLine(`${hook} ${program}: ${JSON.stringify(command)}`);
        try {
          const r = await runner.run(command, {
            cwd: root,
            timeoutMs: 10 * 60_000,
            onOutput: (c) => logLine(c),
          });
          if (r.exitCode !== 0)
            return `${program}'s ${hook} hook \`${command.join(" ")}\` exited ${r.timedOut ? "after timing out" : String(r.exitCode)}`;
        } catch (error) {
          return `${program}'s ${hook} hook \`${command.join(" ")}\` could not start: ${(error as Error).message}`;
        }
        return undefined;
      };
      // Removal hooks come from the plan, with the binaries of the generation that had them.
      const runHooks = async (hook: "preRemove" | "postRemove"): Promise<string | undefined> => {
        for (const h of plan.hooks.filter((p) => p.hook === hook)) {
          const failure = await runHook(
            h.program,
            hook,
            onTarget(h.argv.map(resolvePrevious), targetHost),
          );
          if (failure) return failure;
        }
        return undefined;
      };
      await marker("preRemove");
      const preFailure = await runHooks("preRemove");
      if (preFailure)
        fail(
          "hook-failed",
          `step "preRemove" failed: ${preFailure}; nothing was switched`,
          "fix the hook or the program, then apply again",
        );

      for (const line of resolveCollisions(plan.collisions)) {
        step("files", line);
        logLine(line);
      }
      await marker("lock");
      step("lock", LOCK_FILE);
      // An unreadable lock is kept aside (never silently replaced); the restore path needs none.
      if (previousLockText !== null && !parseLock(previousLockText).ok) {
        const kept = keepCorruptLockAside(root, clock.now());
        if (kept)
          notes.push(`The old ${LOCK_FILE} could not be read; it was kept as ${kept.aside}.`);
      }
      if (options.restore) await writeFileAtomic(configPath, computed.configText);
      await writeFileAtomic(lockPath, computed.lockText);
      await crash("lock");

      await marker("switch");
      step("switch", switchArgv.join(" "));
      logLine(`$ ${switchArgv.join(" ")}`);
      let switchError: string | undefined;
      try {
        const r = await runner.run(switchArgv, {
          cwd: root,
          ...(options.signal ? { signal: options.signal } : {}),
          timeoutMs: options.switchTimeoutMs ?? 60 * 60_000,
          onOutput: (chunk) => {
            log.write(chunk);
            options.onOutput?.(chunk);
          },
        });
        if (r.cancelled) switchError = `\`${switchArgv.join(" ")}\` was interrupted`;
        else if (r.timedOut)
          switchError = `\`${switchArgv.join(" ")}\` did not finish within ${Math.round((options.switchTimeoutMs ?? 3_600_000) / 1000)} s and was stopped`;
        else if (r.exitCode !== 0)
          switchError = `\`${switchArgv.join(" ")}\` ${r.exitCode === null ? `was killed (${r.signal ?? "signal"})` : `exited ${r.exitCode}`}`;
      } catch (error) {
        switchError = (error as Error).message;
      }
      await crash("switch");
      if (switchError) {
        logLine(`switch failed: ${switchError}`);
        await restoreFiles();
        clearInProgress(root);
        fail(
          "switch-failed",
          `step "switch" failed: ${switchError}. The previous ${LOCK_FILE} is back; no generation was recorded`,
          "read the log, fix the cause (often a Nix evaluation error naming the program), then apply again",
        );
      }

      await marker("postRemove");
      const postFailure = await runHooks("postRemove");
      if (postFailure) notes.push(`Warning: ${postFailure} (the switch itself succeeded).`);
      result.removed = removedPrograms;

      await marker("restart");
      if (plan.restarts.length && plan.restart) {
        const names = plan.restarts.map((r) => r.name);
        step("restart", names.join(", "));
        try {
          result.restarts = await restartServices(names, {
            host,
            lock: next,
            runner,
            ...(targetHost ? { targetHost } : {}),
            ...(options.probeOverrides ? { probeOverrides: options.probeOverrides } : {}),
            ...(options.restartTimeoutMs ? { waitTimeoutMs: options.restartTimeoutMs } : {}),
          });
        } catch (error) {
          // The switch is done: a service manager that cannot be asked is reported, not fatal.
          if (!(error instanceof SetupMacError)) throw error;
          const why = error.diagnostics[0]?.message ?? error.message;
          result.restarts = names.map((name) => ({
            name,
            verb: "restart" as const,
            commands: [],
            ok: false,
            detail: `not restarted: ${why}`,
          }));
        }
        for (const r of result.restarts)
          logLine(`restart ${r.ok ? "ok" : "FAILED"} ${r.name}: ${r.detail}`);
        const failed = result.restarts.filter((r) => !r.ok);
        if (failed.length)
          notes.push(
            `Restarting failed (the switch itself succeeded): ${failed.map((r) => `${r.name} — ${r.detail}`).join("; ")}. \`setup-mac services status ${failed[0]!.name}\` and \`services logs\` say why.`,
          );
      } else if (plan.restarts.length) {
        notes.push(
          `Not restarted (--no-restart): ${plan.restarts.map((r) => r.name).join(", ")} still run their previous definition until \`setup-mac services restart ${plan.restarts.map((r) => r.name).join(" ")}\`.`,
        );
      }

      await marker("health");
      if (targetHost)
        notes.push(
          `Health checks were not run: they probe this machine, and the target is ${targetHost}.`,
        );
      const probes = targetHost ? [] : hostProbes(next);
      if (probes.length) {
        step("health", `${probes.length} checks`);
        result.health = await runProbes(
          probes.map((p) => p.probe),
          probeDeps(next, runner, options.probeOverrides),
        );
        for (const h of result.health)
          logLine(`health ${h.ok ? "ok" : "FAILED"} ${h.name}: ${h.detail}`);
      }
      const failedHealth = result.health.filter((h) => !h.ok);
      if (failedHealth.length && options.rollbackOnFailure) {
        step("rollback", last ? `to generation ${last.record.number}` : "to the previous lock");
        await restoreFiles();
        const back = await runner.run(switchArgv, {
          cwd: root,
          timeoutMs: options.switchTimeoutMs ?? 3_600_000,
          onOutput: (c) => log.write(c),
        });
        clearInProgress(root);
        fail(
          "health-failed",
          `health checks failed after the switch: ${failedHealth.map((h) => `${h.name} (${h.detail})`).join("; ")}. ` +
            (back.exitCode === 0
              ? `Rolled back: the previous ${LOCK_FILE} is back and switched; no generation was recorded`
              : `Rolling back failed too (\`${switchArgv.join(" ")}\` exited ${String(back.exitCode)}): the previous ${LOCK_FILE} is back, switch again by hand`),
          "fix the failing program, then apply again",
        );
      }

      // postStart: programs added or changed, once their services answer (health above).
      await marker("postStart");
      const unhealthy = new Set(
        probes.filter((_, i) => result.health[i] && !result.health[i]!.ok).map((p) => p.program),
      );
      const resolveNext = binResolver(next);
      const failedPrograms = new Map<string, string>();
      for (const h of plan.hooks.filter((p) => p.hook === "postStart")) {
        const { program } = h;
        const command = onTarget(h.argv.map(resolveNext), targetHost);
        const skip = unhealthy.has(program)
          ? "not run: the program's health check failed"
          : failedPrograms.get(program);
        if (skip) {
          result.hooks.push({ program, hook: "postStart", command, ok: false, detail: skip });
          continue;
        }
        const failure = await runHook(program, "postStart", command);
        result.hooks.push({
          program,
          hook: "postStart",
          command,
          ok: !failure,
          detail: failure ?? "exited 0",
        });
        // Later commands may build on earlier ones (pull, then warm up): stop at a failure.
        if (failure) failedPrograms.set(program, "not run: an earlier postStart command failed");
      }
      const failedHooks = result.hooks.filter((h) => !h.ok);
      if (failedHooks.length)
        notes.push(
          `postStart hooks failed or were left out (the switch itself succeeded): ${failedHooks
            .map((h) => `${h.program}: ${h.command.join(" ")} — ${h.detail}`)
            .join(
              "; ",
            )}. Fix the cause and apply again after changing the program, or run them by hand.`,
        );

      await marker("record");
      step("record");
      result.generation = await recordGeneration(
        root,
        {
          host,
          time: clock.now().toISOString(),
          kind: options.restore?.kind ?? "apply",
          ...(options.restore ? { from: options.restore.from } : {}),
          ...(options.restore?.program ? { program: options.restore.program } : {}),
          inputsHash: computed.lock.inputsHash,
          switch: { argv: switchArgv, log: logRel },
          changes,
          removed: removedPrograms,
          ...(result.health.length
            ? { health: { ok: failedHealth.length === 0, failed: failedHealth.map((h) => h.name) } }
            : {}),
        },
        { config: computed.configText, lock: computed.lockText },
      );
      clearInProgress(root);
      result.status = "applied";
      return result;
    } finally {
      await new Promise<void>((resolve) => log.end(resolve));
    }
  });
}

/**
 * `sudo -n` runs the switch only when sudo asks no password: the switch has no terminal to ask
 * on. When it would ask, apply stops here with the ways out.
 */
async function requireSudo(runner: ProcessRunner, switchArgv: string[]): Promise<void> {
  let said = "";
  let ok = false;
  try {
    const r = await runner.run(SUDO_CHECK, { timeoutMs: 30_000 });
    ok = r.exitCode === 0;
    said = (r.stderr || r.stdout).trim().split("\n").at(-1) ?? "";
  } catch (error) {
    said = (error as Error).message;
  }
  if (ok) return;
  const command = switchArgv.filter((a) => a !== "-n").join(" ");
  throw new SetupMacError(
    diagnostic(
      "root-required",
      `nix-darwin switches only as root (\`${command}\`), and sudo would ask for a password that setup-mac cannot pass on${said ? ` (${said})` : ""}; nothing was built or changed`,
      {
        hint:
          "let your user run darwin-rebuild through sudo without a password — in the nix-darwin configuration: " +
          'security.sudo.extraConfig = "<user> ALL=(root) NOPASSWD: /run/current-system/sw/bin/darwin-rebuild"; ' +
          "— or run `sudo setup-mac apply` (as root the switch needs no sudo)",
      },
    ),
  );
}

function confirmationRequired(host: string): SetupMacError {
  return new SetupMacError(
    diagnostic(
      "confirmation-required",
      `applying to ${host} changes the machine and needs a confirmation, but there is no terminal to ask on`,
      {
        hint: "review the plan above and run again with --yes (or run on a terminal); --dry-run shows the plan only",
      },
    ),
  );
}
