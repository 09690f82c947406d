/**
 * Terminal output: colour (off with NO_COLOR, --no-color or a non-TTY), tables, diagnostics.
 */
import pc from "picocolors";
import type { Diagnostic } from "../errors/index.js";
import { formatLocation } from "../errors/index.js";

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
  json: boolean;
  /** stdout is a terminal. */
  tty: boolean;
}

export type Colors = ReturnType<typeof pc.createColors>;

export function colors(output: Pick<Output, "color">): Colors {
  return pc.createColors(output.color);
}

/** A diagnostic as the CLI prints it: `file:line:col: error[code]: message` and a `fix:` line. */
export function formatDiagnostic(d: Diagnostic, c: Colors): string {
  const where = d.location ? c.bold(formatLocation(d.location)) + ": " : "";
  const sev = d.severity === "error" ? c.red(c.bold("error")) : c.yellow(c.bold("warning"));
  const host = d.host ? c.dim(` (host ${d.host})`) : "";
  const lines = [`${where}${sev}${c.dim(`[${d.code}]`)}${host}: ${d.message}`];
  if (d.hint) lines.push(`  ${c.cyan("fix:")} ${d.hint.split("\n").join("\n       ")}`);
  return lines.join("\n");
}

// eslint-disable-next-line no-control-regex -- matching colour escapes is the point
const ansi = /\x1b\[[0-9;]*m/g;
function width(text: string): number {
  return [...text.replace(ansi, "")].length;
}

/** A left-aligned table with a dim header; cells may hold colour codes. */
export function table(header: string[], rows: string[][], c: Colors): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : cell + " ".repeat(widths[i]! - width(cell)),
      )
      .join("  ")
      .trimEnd();
  return [c.dim(line(header)), ...rows.map(line)].join("\n");
}

/** JSON for `--json`: two-space indented, newline-terminated. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** A stored ISO time as people read it: `2026-11-25 22:51:07Z`. */
export function formatTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
