/**
 * The merge engine: the NixOS module system's rules applied to plain TypeScript values.
 *
 * Every definition is `{ value, source }`; a value may carry `mkOverride` priorities and
 * `mkOrder` list orderings anywhere inside. The rules go by the shape of the value, never by its
 * path:
 * - scalar: the best (lowest) priority wins; different values at the best priority conflict;
 * - list: the definitions at the best priority are concatenated, ordered by `mkOrder` and then by
 *   definition order;
 * - record: merged key by key; a priority on a whole record is inherited by its keys, so
 *   `mkDefault({ a: 1, b: 2 })` and `{ a: 5 }` give `{ a: 5, b: 2 }` (NixOS would drop the whole
 *   `mkDefault` record; per-key is what people expect and what DESIGN promises);
 * - atomic (file targets, services): a whole value with one owner, decided like a scalar.
 *
 * Pure: no IO. Conflicts are collected, never thrown, so every one is reported at once.
 */
import { isDeepStrictEqual } from "node:util";
import { isOrdered, isOverride, ORDER, PRIORITY } from "../define/priority.js";

/** Where a definition came from, for provenance and error messages. */
export interface Source {
  /** The file that holds the definition, relative to the workspace. */
  file: string;
  /** What in that file: `program vscode`, `hosts.macbook.programs.vscode`, `contributes.git` … */
  what: string;
}

export interface Definition {
  value: unknown;
  source: Source;
  /** A priority the whole value starts with (before any `mkOverride` inside it). Default: plain (100). */
  priority?: number;
}

/** The definitions that decided one leaf value. */
export interface Provenance {
  priority: number;
  /** The definitions that gave the final value (several when they agree, or list items from many). */
  from: Source[];
  /** Definitions that lost on priority. */
  overridden: { source: Source; priority: number }[];
}

export interface MergeConflict {
  /** Dotted path of the value inside what was merged. */
  path: string[];
  kind: "priority" | "shape";
  priority: number;
  definitions: { source: Source; value: unknown }[];
}

export interface MergeResult {
  value: unknown;
  /** Provenance per leaf path (`"settings.editor\\.fontSize"` style keys are built with `pathKey`). */
  provenance: Map<string, Provenance>;
  conflicts: MergeConflict[];
}

export interface MergeOptions {
  /** Paths (as `pathKey`) whose values are atomic: one owner, never merged inside. */
  atomic?: (path: string[]) => boolean;
  /**
   * Paths of `lines` options: strings joined with "\n" in priority, then `mkOrder`, then
   * definition order (NixOS `types.lines`) instead of conflicting.
   */
  lines?: (path: string[]) => boolean;
}

interface Def {
  value: unknown;
  source: Source;
  priority: number;
  /** `mkOrder` of the definition (plain 1000); lists and lines merge by it, then by `index`. */
  order: number;
  index: number;
}

/** Joins a value path into one provenance key; dots inside keys are escaped. */
export function pathKey(path: readonly string[]): string {
  return path.map((p) => p.replace(/\\/g, "\\\\").replace(/\./g, "\\.")).join(".");
}

/** Merges definitions of one value. */
export function mergeDefinitions(
  definitions: readonly Definition[],
  options: MergeOptions = {},
): MergeResult {
  const state: MergeState = { provenance: new Map(), conflicts: [], options };
  const defs = definitions.map((d, index) => ({
    value: d.value,
    source: d.source,
    priority: d.priority ?? PRIORITY.plain,
    order: ORDER.plain,
    index,
  }));
  const value = merge(defs, [], state);
  return { value, provenance: state.provenance, conflicts: state.conflicts };
}

interface MergeState {
  provenance: Map<string, Provenance>;
  conflicts: MergeConflict[];
  options: MergeOptions;
}

/**
 * Removes `mkOverride` and `mkOrder` wrappers at the top of a value; the outermost of each
 * counts. The order does not pass to the keys of a record: it ranks the record among the other
 * definitions, which is what orders its lists (as NixOS sorts definitions before zipping them).
 */
function unwrap(def: Def): Def {
  let { value, priority } = def;
  let order: number = ORDER.plain;
  let prioritySet = false;
  let orderSet = false;
  for (;;) {
    if (isOverride(value)) {
      if (!prioritySet) priority = value.priority;
      prioritySet = true;
      value = value.content;
    } else if (isOrdered(value)) {
      if (!orderSet) order = value.order;
      orderSet = true;
      value = value.content;
    } else break;
  }
  return { ...def, value, priority, order };
}

/** Definition order after `mkOrder`: stable, equal orders keep the order they came in. */
function byOrder(a: Def, b: Def): number {
  return a.order - b.order || a.index - b.index;
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (isOverride(value) || isOrdered(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function merge(input: Def[], path: string[], state: MergeState): unknown {
  const defs = input.map(unwrap);
  if (defs.length === 0) return undefined;
  if (state.options.atomic?.(path)) return mergeScalar(defs, path, state);
  // Records of one priority or of many: keys inherit the record's priority (decision 0002).
  if (defs.every((d) => isPlainRecord(d.value))) return mergeRecord(defs, path, state);
  // Otherwise priorities decide first, as in NixOS: the definitions that lose are dropped
  // before their kinds are compared, so `mkDefault("a")` beside two records is no conflict.
  const best = bestPriority(defs);
  const winners = defs.filter((d) => d.priority === best);
  if (winners.length < defs.length) {
    if (winners.every((d) => isPlainRecord(d.value))) {
      const merged = mergeRecord(winners, path, state);
      addOverridden(state, path, defs, best);
      return merged;
    }
  }
  if (winners.every((d) => Array.isArray(d.value))) return mergeList(defs, path, state);
  if (state.options.lines?.(path) && winners.every((d) => typeof d.value === "string"))
    return mergeLines(defs, path, state);
  if (winners.length > 1 && winners.some((d) => typeof d.value === "object" && d.value !== null)) {
    if (winners.every((d) => isDeepStrictEqual(strip(d.value), strip(winners[0]!.value)))) {
      return mergeScalar(defs, path, state);
    }
    state.conflicts.push({
      path,
      kind: "shape",
      priority: best,
      definitions: winners.map((d) => ({ source: d.source, value: strip(d.value) })),
    });
    return strip(winners[0]!.value);
  }
  return mergeScalar(defs, path, state);
}

function bestPriority(defs: Def[]): number {
  return Math.min(...defs.map((d) => d.priority));
}

function mergeScalar(defs: Def[], path: string[], state: MergeState): unknown {
  const best = bestPriority(defs);
  const winners = defs.filter((d) => d.priority === best);
  const losers = defs.filter((d) => d.priority !== best);
  const first = strip(winners[0]!.value);
  const distinct = winners.filter((d, i) => i === 0 || !isDeepStrictEqual(strip(d.value), first));
  if (distinct.length > 1) {
    state.conflicts.push({
      path,
      kind: "priority",
      priority: best,
      definitions: winners.map((d) => ({ source: d.source, value: strip(d.value) })),
    });
  }
  state.provenance.set(pathKey(path), {
    priority: best,
    from: winners.map((d) => d.source),
    overridden: losers.map((d) => ({ source: d.source, priority: d.priority })),
  });
  return first;
}

/** Records that beat other definitions: the losers show in the provenance of the record's path. */
function addOverridden(state: MergeState, path: string[], defs: Def[], best: number): void {
  const losers = defs.filter((d) => d.priority !== best);
  const key = pathKey(path);
  const existing = state.provenance.get(key);
  const overridden = losers.map((d) => ({ source: d.source, priority: d.priority }));
  if (existing) existing.overridden.push(...overridden);
  else state.provenance.set(key, { priority: best, from: [], overridden });
}

function mergeRecord(input: Def[], path: string[], state: MergeState): Record<string, unknown> {
  const defs = input.some((d) => d.order !== ORDER.plain) ? [...input].sort(byOrder) : input;
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const d of defs) {
    for (const k of Object.keys(d.value as Record<string, unknown>)) {
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const children: Def[] = [];
    for (let rank = 0; rank < defs.length; rank++) {
      const d = defs[rank]!;
      const record = d.value as Record<string, unknown>;
      if (Object.prototype.hasOwnProperty.call(record, key) && record[key] !== undefined) {
        children.push({
          value: record[key],
          source: d.source,
          priority: d.priority,
          order: ORDER.plain,
          // The record's place among its siblings, after their own `mkOrder`.
          index: rank,
        });
      }
    }
    if (children.length === 0) continue;
    const merged = merge(children, [...path, key], state);
    // defineProperty: a `__proto__` key stays data instead of replacing the prototype.
    if (merged !== undefined)
      Object.defineProperty(out, key, {
        value: merged,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

function mergeList(defs: Def[], path: string[], state: MergeState): unknown[] {
  const best = bestPriority(defs);
  const winners = defs.filter((d) => d.priority === best).sort(byOrder);
  const items: unknown[] = [];
  for (const d of winners) for (const item of d.value as unknown[]) items.push(strip(item));
  state.provenance.set(pathKey(path), {
    priority: best,
    from: winners.filter((d) => (d.value as unknown[]).length > 0).map((d) => d.source),
    overridden: defs
      .filter((d) => d.priority !== best)
      .map((d) => ({ source: d.source, priority: d.priority })),
  });
  return items;
}

/** `lines`: the best-priority strings in `mkOrder`, then definition order, joined with "\n". */
function mergeLines(defs: Def[], path: string[], state: MergeState): string {
  const best = bestPriority(defs);
  const winners = defs.filter((d) => d.priority === best).sort(byOrder);
  state.provenance.set(pathKey(path), {
    priority: best,
    from: winners.map((d) => d.source),
    overridden: defs
      .filter((d) => d.priority !== best)
      .map((d) => ({ source: d.source, priority: d.priority })),
  });
  return winners.map((d) => d.value as string).join("\n");
}

/**
 * Removes every priority and order marker inside a value, keeping the content: the plain value
 * a single definition stands for.
 */
export function strip(value: unknown): unknown {
  if (isOverride(value)) return strip(value.content);
  if (isOrdered(value)) return strip(value.content);
  if (Array.isArray(value)) return value.map(strip);
  if (isPlainRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = strip(v);
    return out;
  }
  return value;
}
