/**
 * What changes between two states of one host (pure): programs added, removed and changed, and
 * within each the files, services, packages, environment, datasets, hooks and options that
 * differ. Used by `apply` (the plan), `diff` and `generations`.
 */
import { isDeepStrictEqual } from "node:util";
import type { HostLock, LevelLock, ProgramLock } from "../emit/lock-types.js";

export interface ItemChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ProgramChanges {
  name: string;
  kind: "added" | "removed" | "changed";
  /** Per aspect (`files`, `services`, `packages`, `env`, `options` …): what differs. */
  aspects: Record<string, ItemChanges>;
}

export interface HostChanges {
  host: string;
  programs: ProgramChanges[];
  /** Nothing differs at all (not even the order). */
  empty: boolean;
}

const LEVEL_KEYS = [
  "packages",
  "files",
  "env",
  "services",
  "permissions",
  "datasets",
  "wrappers",
  "hooks",
  "raw",
] as const;

function keyed(
  level: LevelLock | undefined,
  key: (typeof LEVEL_KEYS)[number],
  prefix: string,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const value = level?.[key];
  if (!value) return out;
  if (key === "packages") for (const p of value as string[]) out.set(p, true);
  else if (key === "raw")
    for (const r of value as { target: string; path: string[] }[])
      out.set(`${r.target}:${r.path.join(".")}`, r);
  else
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out.set(key === "files" ? prefix + k : k, v);
  return out;
}

function diffMaps(a: Map<string, unknown>, b: Map<string, unknown>): ItemChanges {
  const out: ItemChanges = { added: [], removed: [], changed: [] };
  for (const [k, v] of b) {
    if (!a.has(k)) out.added.push(k);
    else if (!isDeepStrictEqual(a.get(k), v)) out.changed.push(k);
  }
  for (const k of a.keys()) if (!b.has(k)) out.removed.push(k);
  out.added.sort();
  out.removed.sort();
  out.changed.sort();
  return out;
}

function aspects(
  a: ProgramLock | undefined,
  b: ProgramLock | undefined,
): Record<string, ItemChanges> {
  const out: Record<string, ItemChanges> = {};
  for (const key of LEVEL_KEYS) {
    const prefixes = { system: key === "files" ? "/etc/" : "", home: key === "files" ? "~/" : "" };
    const before = new Map([
      ...keyed(a?.system, key, prefixes.system),
      ...keyed(a?.home, key, prefixes.home),
    ]);
    const after = new Map([
      ...keyed(b?.system, key, prefixes.system),
      ...keyed(b?.home, key, prefixes.home),
    ]);
    const d = diffMaps(before, after);
    if (d.added.length || d.removed.length || d.changed.length) out[key] = d;
  }
  const options = diffMaps(
    new Map(Object.entries(a?.options ?? {})),
    new Map(Object.entries(b?.options ?? {})),
  );
  if (options.added.length || options.removed.length || options.changed.length)
    out.options = options;
  const health = diffMaps(
    new Map((a?.health ?? []).map((h) => [h.name, h])),
    new Map((b?.health ?? []).map((h) => [h.name, h])),
  );
  if (health.added.length || health.removed.length || health.changed.length) out.health = health;
  return out;
}

/** The changes from `before` (the last applied state, or none) to `after` for one host. */
export function hostChanges(
  host: string,
  before: HostLock | undefined,
  after: HostLock | undefined,
): HostChanges {
  const names = new Set([
    ...Object.keys(before?.programs ?? {}),
    ...Object.keys(after?.programs ?? {}),
  ]);
  const programs: ProgramChanges[] = [];
  for (const name of [...names].sort()) {
    const a = before?.programs[name];
    const b = after?.programs[name];
    if (a && b && isDeepStrictEqual(a, b)) continue;
    programs.push({
      name,
      kind: !a ? "added" : !b ? "removed" : "changed",
      aspects: aspects(a, b),
    });
  }
  return { host, programs, empty: programs.length === 0 && isDeepStrictEqual(before, after) };
}

/** One line per program: `+ vscode (files +2, services +1)`. */
export function summarizeChanges(changes: HostChanges): string[] {
  return changes.programs.map((p) => {
    const sign = p.kind === "added" ? "+" : p.kind === "removed" ? "-" : "~";
    const parts = Object.entries(p.aspects).map(([aspect, c]) => {
      const bits = [
        c.added.length ? `+${c.added.length}` : "",
        c.removed.length ? `-${c.removed.length}` : "",
        c.changed.length ? `~${c.changed.length}` : "",
      ].filter(Boolean);
      return `${aspect} ${bits.join(" ")}`;
    });
    return `${sign} ${p.name}${parts.length ? ` (${parts.join(", ")})` : ""}`;
  });
}
