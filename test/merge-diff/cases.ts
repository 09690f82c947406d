/**
 * Random merge cases for the differential test against the NixOS module system: an option type,
 * and the definitions of several modules (in module order). The same cases are evaluated by real
 * `lib.evalModules` (scripts/merge-diff/) and by the engine (merge-diff.test.ts).
 *
 * Values are JSON; priorities and orders are markers that both sides translate to their own:
 * `{ "$prio": 1000, "v": … }` is `mkOverride 1000 …`, `{ "$order": 500, "v": … }` is `mkOrder 500 …`.
 */

export type OptionType =
  | { t: "str" }
  | { t: "int" }
  | { t: "bool" }
  | { t: "lines" }
  | { t: "nullOr"; of: OptionType }
  | { t: "listOf"; of: OptionType }
  | { t: "attrsOf"; of: OptionType }
  | { t: "record"; fields: Record<string, OptionType> };

export interface MergeCase {
  id: number;
  type: OptionType;
  /** One definition per module, in module order (files m0.nix, m1.nix …). */
  defs: unknown[];
}

/** What `lib.evalModules` gave: the value, or that evaluation failed. */
export type Expected = { ok: true; value: unknown } | { ok: false };

/** mulberry32: small, seedable, the same sequence on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  subset<T>(items: readonly T[]): T[] {
    return items.filter(() => this.chance(0.5));
  }
}

const KEYS = ["a", "b", "c"] as const;
const PRIORITIES = [50, 100, 1000, 1500] as const;
const ORDERS = [500, 700, 1000, 1500] as const;

function genType(g: Gen, depth: number): OptionType {
  const leaves = ["str", "int", "bool", "lines"] as const;
  if (depth >= 3 || g.chance(0.35)) return { t: g.pick(leaves) };
  const kind = g.pick(["nullOr", "listOf", "attrsOf", "record", "record"] as const);
  if (kind === "record") {
    const fields: Record<string, OptionType> = {};
    const n = 1 + g.int(3);
    for (let i = 0; i < n; i++) fields[KEYS[i]!] = genType(g, depth + 1);
    return { t: "record", fields };
  }
  return { t: kind, of: genType(g, depth + 1) };
}

/** A value of the type; now and then one of the wrong type, to exercise type errors. */
function genPlain(g: Gen, type: OptionType, depth: number, markers: boolean): unknown {
  if (g.chance(0.04)) return g.pick(["oops", 7, true, ["x"], { a: "z" }]);
  switch (type.t) {
    case "str":
      return g.pick(["a", "b"]);
    case "lines":
      return g.pick(["one", "two", "three", "four\nfive"]);
    case "int":
      return g.pick([1, 2]);
    case "bool":
      return g.chance(0.5);
    case "nullOr":
      return g.chance(0.3) ? null : genPlain(g, type.of, depth, markers);
    case "listOf": {
      const n = g.int(3);
      return Array.from({ length: n }, () => genPlain(g, type.of, depth + 1, false));
    }
    case "attrsOf": {
      const out: Record<string, unknown> = {};
      for (const k of g.subset(["x", "y"])) out[k] = genDef(g, type.of, depth + 1, markers);
      return out;
    }
    case "record": {
      const out: Record<string, unknown> = {};
      for (const k of g.subset(Object.keys(type.fields)))
        out[k] = genDef(g, type.fields[k]!, depth + 1, markers);
      return out;
    }
  }
}

function isSubmodule(type: OptionType): boolean {
  return type.t === "record" || (type.t === "nullOr" && isSubmodule(type.of));
}

/** A definition: a value, maybe under `mkOrder`, maybe under `mkOverride` (outermost). */
function genDef(g: Gen, type: OptionType, depth: number, markers = true): unknown {
  let value = genPlain(g, type, depth, markers);
  if (!markers) return value;
  // Not on submodule records: Nix fails there (see deviations.ts), outside what `tryEval` catches.
  const orderable =
    !isSubmodule(type) &&
    (Array.isArray(value) ||
      (typeof value === "string" && type.t !== "str") ||
      (typeof value === "object" && value !== null));
  if (orderable && g.chance(0.3)) value = { $order: g.pick(ORDERS), v: value };
  if (g.chance(0.3)) value = { $prio: g.pick(PRIORITIES), v: value };
  return value;
}

/** `count` cases from `seed`: the same seed gives the same cases. */
export function generateCases(seed: number, count: number): MergeCase[] {
  const g = new Gen(random(seed));
  const cases: MergeCase[] = [];
  for (let id = 0; id < count; id++) {
    const type = genType(g, 0);
    const n = 1 + g.int(4);
    cases.push({ id, type, defs: Array.from({ length: n }, () => genDef(g, type, 0)) });
  }
  return cases;
}
