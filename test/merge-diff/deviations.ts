/**
 * Every deliberate difference between the engine and `lib.evalModules`, by rule, in one place
 * (decision 0002 explains each with an example). A case is left out of the comparison only when
 * one of these predicates holds for it; nothing is excluded by case id.
 */
import { isDeepStrictEqual } from "node:util";
import type { MergeCase, OptionType } from "./cases.js";

export interface Deviation {
  /** Short name, used in the test's counts. */
  rule: string;
  /** The section of decision 0002 that explains it. */
  decision: string;
  applies: (c: MergeCase) => boolean;
}

interface Marked {
  value: unknown;
  priority: number;
  /** Whether the priority was written on this value (not inherited from a record). */
  explicit?: boolean;
}

function unwrap(value: unknown, inherited: number): Marked {
  let priority = inherited;
  let explicit = false;
  for (;;) {
    if (isMarker(value, "$prio")) {
      if (!explicit) priority = value.$prio as number;
      explicit = true;
      value = value.v;
    } else if (isMarker(value, "$order")) value = value.v;
    else return { value, priority, explicit };
  }
}

/** The definitions that win, with the engine's priorities or with Nix's (inherited ones plain). */
function winnersOf(defs: readonly Marked[], nix: boolean): Set<number> {
  const prio = (d: Marked) => (nix && !d.explicit ? 100 : d.priority);
  const best = Math.min(...defs.map(prio));
  return new Set(defs.flatMap((d, i) => (prio(d) === best ? [i] : [])));
}

function isMarker(value: unknown, key: string): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && key in value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function childType(type: OptionType | undefined, key: string): OptionType | undefined {
  if (!type) return undefined;
  if (type.t === "nullOr") return childType(type.of, key);
  if (type.t === "attrsOf") return type.of;
  if (type.t === "record") return type.fields[key];
  return undefined;
}

/**
 * Walks the definitions the way the engine does and reports whether, at some path, records of
 * different priorities meet (so the engine merges them key by key where NixOS keeps only the
 * best-priority records).
 */
function recordsOfMixedPriority(defs: readonly Marked[]): boolean {
  const unwrapped = defs.map((d) => unwrap(d.value, d.priority));
  if (unwrapped.length === 0) return false;
  if (!isDeepStrictEqual(winnersOf(unwrapped, false), winnersOf(unwrapped, true))) return true;
  let records = unwrapped;
  if (!unwrapped.every((d) => isRecord(d.value))) {
    const best = Math.min(...unwrapped.map((d) => d.priority));
    records = unwrapped.filter((d) => d.priority === best);
    if (!records.every((d) => isRecord(d.value))) return false;
  } else if (new Set(unwrapped.map((d) => d.priority)).size > 1) return true;
  const keys = new Set(records.flatMap((d) => Object.keys(d.value as object)));
  for (const key of keys) {
    const children = records
      .filter((d) => key in (d.value as object))
      .map((d) => ({ value: (d.value as Record<string, unknown>)[key], priority: d.priority }));
    if (recordsOfMixedPriority(children)) return true;
  }
  return false;
}

/**
 * Whether, below a submodule record, two or more winning definitions meet in a list or `lines`:
 * NixOS evaluates a submodule's definitions as sibling modules, which merge last-first, so the
 * order flips at each submodule level; the engine keeps definition order at every level.
 */
function orderedBelowSubmodule(
  defs: readonly Marked[],
  type: OptionType | undefined,
  inRecord: boolean,
): boolean {
  if (!type) return false;
  const unwrapped = defs.map((d) => unwrap(d.value, d.priority));
  if (unwrapped.length === 0) return false;
  const allRecords = unwrapped.every((d) => isRecord(d.value));
  const best = Math.min(...unwrapped.map((d) => d.priority));
  const winners = allRecords ? unwrapped : unwrapped.filter((d) => d.priority === best);
  const leaf = type.t === "nullOr" ? type.of : type;
  if (leaf.t === "listOf" || leaf.t === "lines") {
    const contributing = winners.filter((d) =>
      Array.isArray(d.value) ? d.value.length > 0 : true,
    );
    return inRecord && contributing.length > 1;
  }
  if (!winners.every((d) => isRecord(d.value))) return false;
  const below = inRecord || leaf.t === "record";
  const keys = new Set(winners.flatMap((d) => Object.keys(d.value as object)));
  for (const key of keys) {
    const children = winners
      .filter((d) => key in (d.value as object))
      .map((d) => ({ value: (d.value as Record<string, unknown>)[key], priority: d.priority }));
    if (orderedBelowSubmodule(children, childType(leaf, key), below)) return true;
  }
  return false;
}

export const DEVIATIONS: readonly Deviation[] = [
  {
    rule: "record priorities are inherited per key",
    decision: "0002: Priorities on records",
    applies: (c) => recordsOfMixedPriority(c.defs.map((value) => ({ value, priority: 100 }))),
  },
  {
    rule: "definition order is kept inside submodules",
    decision: "0002: Order of definitions",
    applies: (c) =>
      orderedBelowSubmodule(
        c.defs.map((value) => ({ value, priority: 100 })),
        c.type,
        false,
      ),
  },
];

/** The first rule that explains a case, if any. */
export function deviationOf(c: MergeCase): Deviation | undefined {
  return DEVIATIONS.find((d) => d.applies(c));
}

export { childType };
