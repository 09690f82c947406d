import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { summarizeChanges } from "../../apply/changes.js";
import {
  diff as diffApi,
  generations as generationsApi,
  rollback,
  rollbackProgram,
  systemRollback,
} from "../../api/history.js";
import { UsageError } from "../../errors/index.js";
import type { CommandContext } from "../context.js";
import { colors, formatDiagnostic, formatTime, table, toJson } from "../render.js";
import { askYesNo } from "../prompt.js";
import { printBuild, printPlan } from "./apply.js";

export async function generations(ctx: CommandContext): Promise<void> {
  const { globals, output } = ctx;
  const result = generationsApi({ workspace: globals.workspace, hosts: globals.host });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  for (const p of result.problems) output.err(formatDiagnostic(p, c));
  if (!result.generations.length) {
    output.out("No generations yet: `setup-mac apply` records one each time it changes a host.");
    return;
  }
  const rows = result.generations.map((g) => {
    const what =
      g.kind === "apply"
        ? "apply"
        : g.kind === "rollback"
          ? `rollback to ${g.from}`
          : `rollback ${g.program} to ${g.from}`;
    const changes = summarizeChanges(g.changes);
    const count = (kind: string) => g.changes.programs.filter((p) => p.kind === kind).length;
    const brief =
      changes.length > 3
        ? `+${count("added")} -${count("removed")} ~${count("changed")} programs: ${g.changes.programs
            .map((p) => p.name)
            .slice(0, 4)
            .join(", ")}, …`
        : changes.join("; ");
    const time = formatTime(g.time);
    return [String(g.number), g.host, time, what, brief || c.dim("no program changes")];
  });
  output.out(table(["GEN", "HOST", "TIME", "KIND", "CHANGES"], rows, c));
}

export async function diff(
  ctx: CommandContext,
  opts: { from?: string; build?: boolean; against?: string },
): Promise<void> {
  const { globals, output } = ctx;
  const from = opts.from === undefined ? undefined : Number(opts.from);
  if (from !== undefined && !Number.isInteger(from))
    throw new UsageError(`--from takes a generation number, not \`${opts.from}\``);
  if (opts.against && !opts.build) throw new UsageError("--against needs --build");
  const against = opts.against ? resolve(opts.against) : undefined;
  const c = colors(output);
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  if (opts.build) process.once("SIGINT", onSigint);
  const result = await diffApi({
    workspace: globals.workspace,
    host: globals.host?.[0],
    from,
    build: opts.build,
    ...(against ? { currentGeneration: () => realpathIfThere(against) } : {}),
    signal: interrupt.signal,
    onOutput: (chunk) => {
      if (!globals.json) process.stderr.write(output.tty ? c.dim(chunk) : chunk);
    },
  }).finally(() => process.off("SIGINT", onSigint));
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  if (result.build) printBuild(result.build, c, output.out);
  output.out(
    c.bold(`${result.host}: `) +
      (result.from ? `against generation ${result.from}` : "nothing applied yet"),
  );
  if (!result.changes.programs.length) output.out(c.dim("  no changes"));
  for (const p of result.changes.programs) {
    const colour = p.kind === "added" ? c.green : p.kind === "removed" ? c.red : c.yellow;
    output.out("  " + colour(summarizeChanges({ ...result.changes, programs: [p] })[0]!));
    for (const [aspect, ch] of Object.entries(p.aspects)) {
      for (const a of ch.added) output.out(c.green(`      + ${aspect} ${a}`));
      for (const r of ch.removed) output.out(c.red(`      - ${aspect} ${r}`));
      for (const m of ch.changed) output.out(c.yellow(`      ~ ${aspect} ${m}`));
    }
  }
}

export async function rollbackCommand(
  ctx: CommandContext,
  program: string | undefined,
  opts: { to?: string; system?: boolean; yes?: boolean; dryRun?: boolean },
): Promise<void> {
  const { globals, output } = ctx;
  const c = colors(output);
  const host = globals.host?.[0];
  if (opts.system) {
    if (program) throw new UsageError("--system rolls back the whole system; it takes no program");
    const r = await systemRollback({
      workspace: globals.workspace,
      host,
      onOutput: (chunk) => process.stderr.write(chunk),
    });
    if (globals.json) output.out(toJson(r));
    else output.out(c.green(`Rolled back with ${r.argv.map((a) => a.join(" ")).join(", then ")}`));
    return;
  }
  const to = opts.to === undefined ? undefined : Number(opts.to);
  if (opts.to !== undefined && !Number.isInteger(to))
    throw new UsageError(`--to takes a generation number, not \`${opts.to}\``);
  const interactive = output.tty && Boolean(process.stdin.isTTY) && !globals.json;
  const common = {
    workspace: globals.workspace,
    host,
    yes: opts.yes,
    dryRun: opts.dryRun,
    onPlan: (plan: Parameters<typeof printPlan>[0]) => {
      if (!globals.json) printPlan(plan, c, output.out);
    },
    confirm: interactive ? async () => askYesNo("Roll back?") : undefined,
    onStep: (step: string, detail?: string) => {
      if (!globals.json) output.err(c.cyan(`→ ${step}`) + (detail ? c.dim(` ${detail}`) : ""));
    },
    onOutput: (chunk: string) => {
      if (!globals.json) process.stderr.write(chunk);
    },
  };
  if (program) {
    if (to === undefined)
      throw new UsageError(
        "a per-program rollback needs --to N",
        "`setup-mac generations` lists them",
      );
    const r = await rollbackProgram(program, { ...common, to });
    if (globals.json) output.out(toJson(r));
    else {
      if (r.pinned)
        output.out(
          c.yellow(
            `note: ${program}'s options of generation ${to} were written out in full, since its entry alone no longer gives them`,
          ),
        );
      output.out(
        r.generation
          ? c.green(`Rolled ${program} back to generation ${to}: generation ${r.generation.number}`)
          : c.dim("dry run: nothing was changed"),
      );
    }
    return;
  }
  const r = await rollback({ ...common, ...(to !== undefined ? { to } : {}) });
  if (globals.json) output.out(toJson(r));
  else
    output.out(
      r.generation
        ? c.green(
            `Rolled ${r.host} back to generation ${r.generation.from}: generation ${r.generation.number}`,
          )
        : c.dim("dry run: nothing was changed"),
    );
}

/** The store path a profile link points to; the path itself when it is not there (Nix says why). */
function realpathIfThere(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
