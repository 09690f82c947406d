import type { Severity } from "../../api/doctor.js";
import { doctor } from "../../api/doctor.js";
import { EXIT_STATUS } from "../../errors/exit.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, table, toJson } from "../render.js";

function severityCell(s: Severity, c: Colors): string {
  if (s === "ok") return c.green("ok");
  if (s === "info") return c.cyan("info");
  if (s === "warning") return c.yellow("warning");
  return c.red(c.bold("error"));
}

export async function run(ctx: CommandContext): Promise<void> {
  const { globals, output, env } = ctx;
  const result = await doctor({
    workspace: globals.workspace,
    ...(env.SETUP_MAC_HOST ? { localHost: env.SETUP_MAC_HOST } : {}),
  });
  if (!result.ok) ctx.exitCode = EXIT_STATUS.config;
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  const lines = table(
    ["", "CHECK", "FINDING"],
    result.findings.map((f) => [severityCell(f.severity, c), f.check, f.message]),
    c,
  ).split("\n");
  // The fix goes under its finding, indented to the FINDING column.
  const indent = " ".repeat(
    Math.max(...result.findings.map((f) => f.severity.length)) +
      2 +
      Math.max("CHECK".length, ...result.findings.map((f) => f.check.length)) +
      2,
  );
  output.out(lines[0]!);
  result.findings.forEach((f, i) => {
    output.out(lines[i + 1]!);
    if (f.fix) output.out(indent + c.cyan("fix: ") + f.fix.split("\n").join(`\n${indent}     `));
  });
  const count = (s: Severity) => result.findings.filter((f) => f.severity === s).length;
  output.out("");
  const errors = count("error");
  const warnings = count("warning");
  if (!errors && !warnings) output.out(c.green("No problems found."));
  else
    output.out(
      (errors ? c.red(`${errors} error${errors === 1 ? "" : "s"}`) : c.green("no errors")) +
        (warnings ? `, ${c.yellow(`${warnings} warning${warnings === 1 ? "" : "s"}`)}` : ""),
    );
}
