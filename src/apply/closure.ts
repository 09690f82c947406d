/**
 * The plan from the real build (pure): `nix store diff-closures` output parsed into package
 * changes, closure sizes, where the current generation lives, and a Nix build error traced back
 * to the program that caused it. The commands themselves run in `system-build.ts`.
 */
import type { HostLock } from "../emit/lock-types.js";
import type { SwitchMode } from "./platform.js";

/** One package whose versions or size changed between the current and the built closure. */
export interface PackageChange {
  name: string;
  /** `added` (∅ before), `removed` (∅ after), `changed` (versions differ), `size` (same versions). */
  kind: "added" | "removed" | "changed" | "size";
  /** The versions only the current closure has (`""` for a path without a version, Nix's ε). */
  before: string[];
  /** The versions only the built closure has. */
  after: string[];
  /** The change of its store paths' size in KiB, when Nix shows one (it does from 8 KiB on). */
  sizeDeltaKiB?: number;
}

/** What the build changes in the system's closure. */
export interface ClosureDiff {
  packages: PackageChange[];
  /** Lines Nix printed that are not in the format this parser knows: shown as they are. */
  other: string[];
}

/** The closure diff and sizes of a build against the running generation. */
export interface ClosureReport extends ClosureDiff {
  /** The running generation's store path. */
  before: string;
  /** The build's store path. */
  after: string;
  /** Closure sizes in bytes (`nix path-info -S`), when Nix reported them. */
  sizeBefore?: number;
  sizeAfter?: number;
}

// Nix colours the size (red for growth, green for shrinking) whether or not stdout is a terminal.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const EMPTY = "∅";
const NO_VERSION = "ε";
const SIZE = /^([+-]\d+(?:\.\d+)?) KiB$/;
const LINE = /^(.+?): (.*?) → (.*?)(?:, ([+-]\d+(?:\.\d+)?) KiB)?$/;

function versions(text: string): string[] {
  if (text === EMPTY) return [];
  return text.split(", ").map((v) => (v === NO_VERSION ? "" : v));
}

/**
 * Parses `nix store diff-closures BEFORE AFTER` (Nix 2.4 and later: one line per package,
 * `name: 1.0 → 1.1, +13.9 KiB`, `name: ∅ → 2.0`, `name: +12.6 KiB`).
 */
export function parseClosureDiff(text: string): ClosureDiff {
  const packages: PackageChange[] = [];
  const other: string[] = [];
  for (const raw of text.replace(ANSI, "").split("\n")) {
    const line = raw.trimEnd();
    if (!line.trim()) continue;
    const colon = line.indexOf(": ");
    const sizeOnly = colon > 0 ? SIZE.exec(line.slice(colon + 2)) : null;
    if (sizeOnly) {
      packages.push({
        name: line.slice(0, colon),
        kind: "size",
        before: [],
        after: [],
        sizeDeltaKiB: Number(sizeOnly[1]),
      });
      continue;
    }
    const m = LINE.exec(line);
    if (!m) {
      other.push(line);
      continue;
    }
    const before = versions(m[2]!);
    const after = versions(m[3]!);
    packages.push({
      name: m[1]!,
      kind: m[2] === EMPTY ? "added" : m[3] === EMPTY ? "removed" : "changed",
      before,
      after,
      ...(m[4] !== undefined ? { sizeDeltaKiB: Number(m[4]) } : {}),
    });
  }
  return { packages, other };
}

/** The closure sizes `nix path-info -S --json A B` reported, by store path. */
export function parseClosureSizes(json: string): Map<string, number> {
  const out = new Map<string, number>();
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return out;
  }
  // Nix 2.8 prints a list of objects; Nix 2.19 and later an object keyed by store path.
  const entries = Array.isArray(data)
    ? data.map((e: { path?: string; closureSize?: number }) => [e.path, e.closureSize] as const)
    : Object.entries((data ?? {}) as Record<string, { closureSize?: number }>).map(
        ([path, e]) => [path, e?.closureSize] as const,
      );
  for (const [path, size] of entries)
    if (typeof path === "string" && typeof size === "number") out.set(path, size);
  return out;
}

/** `1.2 MiB`, `812.0 KiB`, `3.4 GiB` (binary units, as Nix prints them). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? "-" : "";
  return unit === 0 ? `${sign}${value} B` : `${sign}${value.toFixed(1)} ${units[unit]}`;
}

/** The closure report as lines for the plan: added, removed, changed, then the size. */
export function summarizeClosure(report: ClosureReport): string[] {
  const kib = (p: PackageChange) =>
    p.sizeDeltaKiB === undefined
      ? ""
      : `, ${p.sizeDeltaKiB > 0 ? "+" : ""}${formatBytes(p.sizeDeltaKiB * 1024)}`;
  const v = (list: string[]) => list.map((x) => x || NO_VERSION).join(", ");
  const lines: string[] = [];
  for (const p of report.packages.filter((x) => x.kind === "added"))
    lines.push(`+ ${p.name} ${v(p.after)}${kib(p)}`);
  for (const p of report.packages.filter((x) => x.kind === "removed"))
    lines.push(`- ${p.name} ${v(p.before)}${kib(p)}`);
  for (const p of report.packages.filter((x) => x.kind === "changed"))
    lines.push(`~ ${p.name} ${v(p.before)} → ${v(p.after)}${kib(p)}`);
  const sized = report.packages.filter((x) => x.kind === "size");
  if (sized.length)
    lines.push(
      `  ${sized.length} package${sized.length === 1 ? "" : "s"} changed in size only: ${sized.map((p) => p.name).join(", ")}`,
    );
  for (const o of report.other) lines.push(`  ${o}`);
  if (report.sizeBefore !== undefined && report.sizeAfter !== undefined) {
    const delta = report.sizeAfter - report.sizeBefore;
    lines.push(
      `closure ${formatBytes(report.sizeBefore)} → ${formatBytes(report.sizeAfter)} (${delta >= 0 ? "+" : ""}${formatBytes(delta)})`,
    );
  }
  return lines;
}

/**
 * Where the running generation of a host is, newest layout first: the system profile for
 * nix-darwin and NixOS, home-manager's profile (its own lookup order) for standalone home-manager.
 */
export function currentGenerationCandidates(
  mode: SwitchMode,
  env: { HOME?: string; USER?: string; XDG_STATE_HOME?: string; NIX_STATE_DIR?: string },
): string[] {
  if (mode === "system") return ["/run/current-system"];
  const stateHome = env.XDG_STATE_HOME || (env.HOME ? `${env.HOME}/.local/state` : undefined);
  const global = env.NIX_STATE_DIR || "/nix/var/nix";
  return [
    ...(stateHome ? [`${stateHome}/nix/profiles/home-manager`] : []),
    ...(env.USER ? [`${global}/profiles/per-user/${env.USER}/home-manager`] : []),
  ];
}

/** A program a Nix error came from, and the module that defines it. */
export interface ErrorOrigin {
  program: string;
  /** The module's file, workspace-relative (from the lock). */
  file: string;
  /** The line of the Nix output that named it. */
  evidence: string;
}

/**
 * The first `error:` line of Nix's output that says something (without colours): newer Nix opens
 * a trace with a bare `error:` and puts the message itself at the end, after the frames.
 */
export function firstNixError(output: string): string | undefined {
  const line = output
    .replace(ANSI, "")
    .split("\n")
    .find((l) => /^\s*error:\s*\S/.test(l));
  return line?.trim();
}

/**
 * Which program a failed build's Nix output points at, when the failure comes from what the
 * adapters generated for it: the adapters' own messages (`setup-mac: program 'x' …`), an attribute
 * path into the lock (`programs.x`, `setup-mac.programs.x`), or a generated name
 * (`setup-mac-x-server`, `org.setup-mac.x.server`). Only programs of the host count.
 */
export function locateBuildError(output: string, lock: HostLock): ErrorOrigin | undefined {
  const names = Object.keys(lock.programs).sort((a, b) => b.length - a.length);
  const known = new Set(names);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const patterns: ((line: string) => string | undefined)[] = [
    (l) => /setup-mac: [^']*program '([^']+)'/.exec(l)?.[1],
    (l) =>
      /(?:setup-mac\.)?programs\.(?:"([^"]+)"|([A-Za-z0-9_+-]+))/.exec(l)?.slice(1).find(Boolean),
    (l) => /org\.setup-mac\.([A-Za-z0-9_+-]+)\./.exec(l)?.[1],
    (l) => names.find((n) => new RegExp(`setup-mac-${escape(n)}(?:-|\\b)`).test(l)),
  ];
  const lines = output.replace(ANSI, "").split("\n");
  // The adapters' own messages are the surest; then traces, from the innermost (last) frame.
  for (const pattern of patterns)
    for (const line of pattern === patterns[0] ? lines : [...lines].reverse()) {
      const program = pattern(line);
      if (program && known.has(program))
        return { program, file: lock.programs[program]!.source.path, evidence: line.trim() };
    }
  return undefined;
}
