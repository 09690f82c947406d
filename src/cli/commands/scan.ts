import { scan } from "../../api/scan.js";
import type { ScanSeverity } from "../../scan/index.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, toJson } from "../render.js";
import { toSarif } from "../../scan/sarif.js";
import { VERSION } from "../../version.js";

export interface ScanFlags {
  strict?: boolean;
  sarif?: boolean;
}

function severityCell(s: ScanSeverity | "allowed", c: Colors): string {
  if (s === "error") return c.red(c.bold("error"));
  if (s === "warning") return c.yellow("warning");
  if (s === "info") return c.cyan("info");
  return c.dim("allowed");
}

export async function run(ctx: CommandContext, flags: ScanFlags): Promise<void> {
  const { globals, output } = ctx;
  const result = await scan({
    workspace: globals.workspace,
    hosts: globals.host,
    strict: flags.strict,
  });
  ctx.exitCode = result.ok ? 0 : 1;
  if (flags.sarif) {
    output.out(JSON.stringify(toSarif(result.findings, VERSION), null, 2));
    return;
  }
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  for (const f of result.findings) {
    const head = `${severityCell(f.allowed ? "allowed" : f.severity, c)}  ${c.bold(f.rule)}  ${f.host}/${f.program}  ${f.where}`;
    output.out(head);
    output.out(`    ${f.message}`);
    output.out(c.dim(`    in ${f.module}`));
    if (f.allowed) output.out(c.dim(`    allowed: ${f.allowed}`));
    else output.out(`    ${c.cyan("fix:")} ${f.fix}`);
  }
  for (const a of result.unusedAllows) {
    output.out(
      `${c.yellow("warning")}  ${c.bold("unused-allow")}  scan.allow ${JSON.stringify({ rule: a.rule, ...(a.program ? { program: a.program } : {}), ...(a.host ? { host: a.host } : {}) })}`,
    );
    output.out("    accepts no finding any more");
    output.out(`    ${c.cyan("fix:")} remove it from setup-mac.jsonc`);
  }
  const open = result.findings.filter((f) => !f.allowed);
  const count = (s: ScanSeverity) => open.filter((f) => f.severity === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const allowed = result.findings.length - open.length;
  const summary =
    `${result.hosts.join(", ")}: ${plural(count("error"), "error")}, ` +
    `${plural(count("warning") + result.unusedAllows.length, "warning")}, ${count("info")} info` +
    (allowed ? `, ${allowed} allowed` : "");
  if (result.findings.length || result.unusedAllows.length) output.out("");
  output.out(result.ok ? c.green(summary) : c.red(summary));
}
