import { check } from "../../api/check.js";
import { exitStatus } from "../../errors/exit.js";
import { UsageError } from "../../errors/index.js";
import type { CommandContext } from "../context.js";
import { colors, formatDiagnostic, toJson } from "../render.js";

export async function run(ctx: CommandContext, flags: { slowModuleMs?: string }): Promise<void> {
  const { globals, output } = ctx;
  const slowModuleMs = flags.slowModuleMs === undefined ? undefined : Number(flags.slowModuleMs);
  if (slowModuleMs !== undefined && !(slowModuleMs > 0))
    throw new UsageError(
      `--slow-module-ms ${flags.slowModuleMs} is not a positive number`,
      "e.g. `--slow-module-ms 100`",
    );
  const result = await check({
    workspace: globals.workspace,
    hosts: globals.host,
    ...(slowModuleMs !== undefined ? { slowModuleMs } : {}),
  });
  ctx.exitCode = result.ok ? 0 : exitStatus(result.diagnostics) || 1;
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  for (const d of result.diagnostics) output.err(formatDiagnostic(d, c) + "\n");
  for (const h of result.hosts) {
    const mark = h.ok ? c.green("ok") : c.red("failed");
    output.out(
      `${mark}  ${c.bold(h.name)} ${c.dim(`(${h.platform})`)}: ${h.enabled} program${h.enabled === 1 ? "" : "s"} enabled`,
    );
  }
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.length - errors;
  const summary = `${result.programs} program${result.programs === 1 ? "" : "s"} checked, ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
  output.out(result.ok ? c.green(summary) : c.red(summary));
}
