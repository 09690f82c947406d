/**
 * User errors: each has a permanent code, says what is wrong, where (file, line, column) and how
 * to fix it. Internal bugs are plain `Error`s and print a stack; these never do.
 */

export interface Location {
  /** Relative to the workspace where possible. */
  file: string;
  line?: number;
  column?: number;
}

export interface Diagnostic {
  /** Permanent, kebab-case: `unknown-program`, `option-conflict` … */
  code: string;
  /** What is wrong, one or more lines. */
  message: string;
  location?: Location;
  /** The edit or command that fixes it. */
  hint?: string;
  /** The host this diagnostic is about, when it is about one. */
  host?: string;
  severity: "error" | "warning";
}

import { exitStatus } from "./exit.js";

/** Thrown by library functions for problems the user can fix; carries one or more diagnostics. */
export class SetupMacError extends Error {
  readonly diagnostics: Diagnostic[];
  /** The process exit code the CLI uses: by default {@link exitStatus} of the diagnostics. */
  readonly exitCode: number;

  constructor(diagnostics: Diagnostic | Diagnostic[], exitCode?: number) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    exitCode ??= exitStatus(list) || 1;
    super(list.map(formatDiagnosticPlain).join("\n\n"));
    this.name = "SetupMacError";
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
}

/** A usage error (bad flags or arguments): exit code 2. */
export class UsageError extends SetupMacError {
  constructor(message: string, hint?: string) {
    super({ code: "usage", message, hint, severity: "error" }, 2);
    this.name = "UsageError";
  }
}

export function diagnostic(
  code: string,
  message: string,
  extra: { location?: Location; hint?: string; host?: string; severity?: "error" | "warning" } = {},
): Diagnostic {
  return { code, message, severity: extra.severity ?? "error", ...withoutUndefined(extra) };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function formatLocation(location: Location): string {
  let out = location.file;
  if (location.line !== undefined) {
    out += `:${location.line}`;
    if (location.column !== undefined) out += `:${location.column}`;
  }
  return out;
}

/** `file:line:col: error[code]: message` followed by an indented `fix:` line, without colour. */
export function formatDiagnosticPlain(d: Diagnostic): string {
  const where = d.location ? `${formatLocation(d.location)}: ` : "";
  const host = d.host ? ` (host ${d.host})` : "";
  const lines = [`${where}${d.severity}[${d.code}]${host}: ${d.message}`];
  if (d.hint) lines.push(`  fix: ${d.hint.split("\n").join("\n       ")}`);
  return lines.join("\n");
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a small edit distance, if any. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}
