import { migrate } from "../../api/migrate.js";
import type { CommandContext } from "../context.js";
import { colors, table, toJson } from "../render.js";

const KIND_LABEL = {
  typed: "typed",
  raw: "raw",
  placeholder: "option",
  "not-migrated": "left",
} as const;

export async function run(
  ctx: CommandContext,
  inputs: string[],
  opts: { dryRun?: boolean; force?: boolean; fromFlake?: string },
): Promise<void> {
  const { globals, output } = ctx;
  const result = await migrate(inputs, {
    workspace: globals.workspace,
    dryRun: opts.dryRun,
    force: opts.force,
    fromFlake: opts.fromFlake,
  });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  if (opts.dryRun) {
    for (const m of result.modules) {
      output.out(c.bold(`// ${m.file} (${m.status})`));
      output.out(m.text);
    }
  }
  output.out(
    table(
      ["WHERE", "KIND", "PROGRAM", "WHAT"],
      result.report.map((r) => [
        `${r.file}:${r.line}`,
        r.kind === "not-migrated" ? c.yellow(KIND_LABEL[r.kind]) : KIND_LABEL[r.kind],
        r.program ?? "-",
        `${r.what}: ${r.detail}`,
      ]),
      c,
    ),
  );
  output.out("");
  for (const m of result.modules) {
    const status =
      m.status === "kept"
        ? c.yellow(`kept      ${m.file} (exists with other text; --force replaces it)`)
        : `${m.status.padEnd(9)} ${m.file}`;
    const extra = m.placeholders.length
      ? c.dim(` (options to set: ${m.placeholders.join(", ")})`)
      : "";
    output.out(status + extra);
  }
  const count = (k: string) => result.report.filter((r) => r.kind === k).length;
  const from = result.configuration ? ` (${result.configuration})` : "";
  output.out(
    `${result.modules.length} modules from ${result.sources.length} files${from}: ${count("typed")} typed, ${count("raw")} raw, ${count("placeholder")} options to set, ${count("not-migrated")} left out`,
  );
  if (result.enable) output.out(`next: ${result.enable}`);
}
