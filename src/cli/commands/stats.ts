import { stats } from "../../api/stats.js";
import { telemetryReport } from "../../telemetry/index.js";
import { usageSection } from "../../telemetry/section.js";
import { UsageError } from "../../errors/index.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, formatTime, table, toJson } from "../render.js";

export interface StatsFlags {
  last?: string;
  top?: string;
  slowModuleMs?: string;
}

/** Rows shown without `--top`. */
const TOP = 10;

function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(
      `${flag} ${value} is not a whole number${min > 0 ? ` of at least ${min}` : ""}`,
      `e.g. \`${flag} 10\``,
    );
  return n;
}

const ms = (n: number | null) => (n === null ? "-" : `${n.toFixed(n < 10 ? 1 : 0)} ms`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export async function run(ctx: CommandContext, flags: StatsFlags): Promise<void> {
  const { globals, output } = ctx;
  const last = count("--last", flags.last, 1);
  const top = count("--top", flags.top, 0) ?? TOP;
  let slowModuleMs: number | undefined;
  if (flags.slowModuleMs !== undefined) {
    slowModuleMs = Number(flags.slowModuleMs);
    if (!(slowModuleMs > 0))
      throw new UsageError(
        `--slow-module-ms ${flags.slowModuleMs} is not a positive number`,
        "e.g. `--slow-module-ms 100`",
      );
  }
  const report = await stats({
    workspace: globals.workspace,
    sections: [() => usageSection(telemetryReport(ctx.env))],
    ...(last !== undefined ? { last } : {}),
    ...(slowModuleMs !== undefined ? { slowModuleMs } : {}),
  });
  if (globals.json) {
    output.out(toJson(report));
    return;
  }
  const c = colors(output);
  const blocks: string[] = [];
  if (report.runs === 0) {
    blocks.push(
      "No timings recorded for this workspace yet. Every command that evaluates hosts records them\n" +
        "(check, build, apply, diff, programs status…): run `setup-mac check`, then `setup-mac stats`.",
    );
  } else {
    const [from, to] = [formatTime(report.from!), formatTime(report.to!)];
    const span = from === to ? from : `${from} to ${to}`;
    const verbs = Object.entries(report.commands)
      .map(([verb, n]) => `${verb} ${n}`)
      .join(", ");
    blocks.push(
      `${c.bold(`${plural(report.runs, "run")}`)} (${report.recorded} recorded, up to ${report.keep} kept), ${span}: ${verbs}`,
    );
    const slow = new Set(report.slow.map((s) => s.file));
    const shown = top === 0 ? report.modules : report.modules.slice(0, top);
    const rows = shown.map((m) => [
      slow.has(m.file) ? c.yellow(m.file) : m.file,
      ms(m.lastMs),
      ms(m.medianMs),
      ms(m.p95Ms),
      ms(m.loadMs),
      ms(m.evaluateMs),
      String(m.measured),
      hitCell(m, c),
    ]);
    const lines = [
      table(
        ["MODULE", "LAST", "MEDIAN", "P95", "LOAD", "EVALUATE", "MEASURED", "CACHE HITS"],
        rows,
        c,
      ),
    ];
    const hidden = report.modules.length - shown.length;
    if (hidden > 0) lines.push(c.dim(`… ${plural(hidden, "more module")} (--top 0 shows all)`));
    lines.push(
      c.dim(
        "Times are each module's own code (load + evaluate, on every host), over the runs in which it ran;\n" +
          "MEASURED counts those runs, CACHE HITS the runs that took its output from the evaluation cache.",
      ),
    );
    blocks.push(lines.join("\n"));
    blocks.push(
      report.slow.length
        ? c.yellow(
            `${plural(report.slow.length, "module")} over the ${report.slowModuleMs} ms limit (check warns):\n` +
              report.slow
                .map(
                  (s) =>
                    `  ${s.file}: ${ms(s.ms)}, ${s.basis === "median" ? `the median of ${s.runs} runs` : "in its last run"}`,
                )
                .join("\n"),
          )
        : c.green(`No module over the ${report.slowModuleMs} ms limit.`),
    );
  }
  for (const section of report.sections) {
    const lines = [c.bold(section.title), table(section.columns, section.rows, c)];
    for (const note of section.notes ?? []) lines.push(c.dim(note));
    blocks.push(lines.join("\n"));
  }
  output.out(blocks.join("\n\n"));
}

function hitCell(m: { hits: number; misses: number; hitRate: number | null }, c: Colors): string {
  if (m.hitRate === null) return c.dim("-");
  return `${m.hits}/${m.hits + m.misses} (${Math.round(m.hitRate * 100)}%)`;
}
