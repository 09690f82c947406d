import { apply, type ApplyPlan } from "../../api/apply.js";
import { summarizeChanges } from "../../apply/changes.js";
import { summarizeClosure } from "../../apply/closure.js";
import type { BuildPlan } from "../../api/plan-build.js";
import { exitStatus } from "../../errors/exit.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, toJson } from "../render.js";
import { askYesNo } from "../prompt.js";

export interface ApplyFlags {
  dryRun?: boolean;
  yes?: boolean;
  targetHost?: string;
  rollbackOnFailure?: boolean;
  snapshot?: boolean;
  restart?: boolean;
  build?: boolean;
  timeout?: string;
  backupExt?: string;
  forceFile?: string[];
}

/** What the platform's build changes in the closure (`nix store diff-closures`), coloured. */
export function printBuild(build: BuildPlan, c: Colors, out: (t: string) => void): void {
  out(c.bold("Closure") + c.dim(` (${build.argv.join(" ")})`));
  if (!build.closure) {
    out(c.dim(`  ${build.closureNote ?? "no closure diff"}`));
    return;
  }
  const lines = summarizeClosure(build.closure);
  if (!lines.length) out("  no package changes");
  for (const line of lines) {
    const colour = line.startsWith("+")
      ? c.green
      : line.startsWith("-")
        ? c.red
        : line.startsWith("~")
          ? c.yellow
          : c.dim;
    out("  " + colour(line));
  }
}

export function printPlan(plan: ApplyPlan, c: Colors, out: (t: string) => void): void {
  if (plan.build) printBuild(plan.build, c, out);
  const since = plan.since ? `since generation ${plan.since}` : "first apply";
  out(c.bold(`Plan for ${plan.host}`) + c.dim(` (${since})`));
  if (plan.changes.programs.length === 0)
    out("  no program changes (the lock is rewritten and switched)");
  for (const line of summarizeChanges(plan.changes)) {
    const colour = line.startsWith("+") ? c.green : line.startsWith("-") ? c.red : c.yellow;
    out("  " + colour(line));
  }
  for (const col of plan.collisions) {
    const fix =
      col.action === "adopt"
        ? "adopted: same content"
        : col.action === "backup"
          ? `moved to ${col.backup}`
          : col.action === "replace"
            ? "replaced (--force-file)"
            : "in the way";
    out("  " + (col.action ? c.dim : c.red)(`file ${col.target}: ${fix}`));
  }
  if (plan.snapshots.length) out(c.dim(`  ZFS snapshots first: ${plan.snapshots.join(", ")}`));
  const hooks = (which: string) =>
    plan.hooks
      .filter((h) => h.hook === which)
      .forEach((h) => out(c.dim(`  ${which} ${h.program}: ${h.command.join(" ")}`)));
  hooks("preRemove");
  out(c.dim(`  then: ${plan.switchArgv.join(" ")}`));
  hooks("postRemove");
  if (plan.restarts.length)
    out(
      c.dim(
        plan.restart
          ? `  restart (definition changed): ${plan.restarts.map((r) => r.name).join(", ")}`
          : `  not restarted (--no-restart), definition changed: ${plan.restarts.map((r) => r.name).join(", ")}`,
      ),
    );
  hooks("postStart");
}

export async function run(ctx: CommandContext, flags: ApplyFlags): Promise<void> {
  const { globals, output } = ctx;
  const c = colors(output);
  const interactive = output.tty && Boolean(process.stdin.isTTY) && !globals.json;
  let planShown = false;
  const showPlan = (plan: ApplyPlan) => {
    if (planShown || globals.json) return;
    planShown = true;
    printPlan(plan, c, output.out);
  };
  const timeoutMs = flags.timeout ? Number(flags.timeout) * 1000 : undefined;
  // Ctrl-C stops a running switch (its process group does not get the signal by itself).
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once("SIGINT", onSigint);
  const result = await apply({
    workspace: globals.workspace,
    host: globals.host?.[0],
    signal: interrupt.signal,
    backupExt: flags.backupExt,
    forceFiles: flags.forceFile,
    ...(ctx.env.SETUP_MAC_HOME ? { home: ctx.env.SETUP_MAC_HOME } : {}),
    ...(ctx.env.SETUP_MAC_TEST_CRASH_AFTER
      ? { crashAfter: ctx.env.SETUP_MAC_TEST_CRASH_AFTER }
      : {}),
    dryRun: flags.dryRun,
    yes: flags.yes,
    targetHost: flags.targetHost,
    rollbackOnFailure: flags.rollbackOnFailure,
    noSnapshot: flags.snapshot === false,
    noRestart: flags.restart === false,
    build: flags.build !== false,
    ...(timeoutMs && timeoutMs > 0 ? { switchTimeoutMs: timeoutMs } : {}),
    onPlan: showPlan,
    confirm: interactive
      ? async (plan) => askYesNo(`Apply these changes to ${plan.host}?`)
      : undefined,
    onStep: (step, detail) => {
      if (!globals.json) output.err(c.cyan(`→ ${step}`) + (detail ? c.dim(` ${detail}`) : ""));
    },
    onOutput: (chunk) => {
      if (!globals.json) process.stderr.write(output.tty ? c.dim(chunk) : chunk);
    },
  });
  process.off("SIGINT", onSigint);
  // Unhealthy after the switch, or a postStart hook that failed, is a failure however reported.
  const exit = exitStatus([
    ...(result.health.some((h) => !h.ok) ? [{ code: "health-failed" }] : []),
    ...(result.hooks.some((h) => !h.ok) ? [{ code: "hook-failed" }] : []),
    ...(result.restarts.some((r) => !r.ok) ? [{ code: "restart-failed" }] : []),
  ]);
  if (exit) ctx.exitCode = exit;
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  if (result.status !== "nothing-to-do") showPlan(result.plan);
  for (const note of result.notes) output.out(c.yellow("note: ") + note);
  if (result.status === "nothing-to-do") {
    output.out(`Nothing to apply: ${result.host} is as generation ${result.plan.since} left it.`);
    return;
  }
  if (result.status === "dry-run") {
    output.out(c.dim("dry run: nothing was changed"));
    return;
  }
  for (const s of result.snapshots) if (s.snapshot) output.out(c.dim(`snapshot ${s.snapshot}`));
  for (const r of result.restarts)
    output.out(
      `${r.ok ? c.green("restarted") : c.red("failed")}  ${r.name}${c.dim(` — ${r.detail}`)}`,
    );
  for (const h of result.health)
    output.out(
      `${h.ok ? c.green("healthy") : c.red("unhealthy")}  ${h.name}${h.ok ? "" : c.dim(` — ${h.detail}`)}`,
    );
  for (const h of result.hooks)
    output.out(
      `${h.ok ? c.green("ran") : c.red("failed")}  ${h.program} postStart: ${h.command.join(" ")}${h.ok ? "" : c.dim(` — ${h.detail}`)}`,
    );
  if (result.removed.length)
    output.out(`removed: ${result.removed.join(", ")} (their removal hooks ran)`);
  output.out(
    c.green(`Applied to ${result.host}: generation ${result.generation!.number}`) +
      c.dim(` (log: ${result.log})`),
  );
  if (exit) ctx.exitCode = exit;
}
