/**
 * The differential test: the engine against the NixOS module system on generated merge cases
 * whose expected results come from real `lib.evalModules` (fixture.json, written by
 * scripts/merge-diff/run.mjs). Every difference must be explained by a rule in deviations.ts.
 */
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { lines, linesPredicate } from "../../src/define/lines.js";
import { mkOrder, mkOverride } from "../../src/define/priority.js";
import { mergeDefinitions } from "../../src/merge/engine.js";
import { checkDefinitions } from "../../src/plan/definitions.js";
import type { Expected, MergeCase, OptionType } from "./cases.js";
import { generateCases } from "./cases.js";
import { deviationOf } from "./deviations.js";

const fixture = JSON.parse(readFileSync(new URL("./fixture.json", import.meta.url), "utf8")) as {
  seed: number;
  count: number;
  cases: (MergeCase & { expected: Expected })[];
};

function schemaOf(type: OptionType): z.ZodType {
  switch (type.t) {
    case "str":
      return z.string();
    case "lines":
      return lines();
    case "int":
      return z.number().int();
    case "bool":
      return z.boolean();
    case "nullOr":
      return schemaOf(type.of).nullable();
    case "listOf":
      return z.array(schemaOf(type.of));
    case "attrsOf":
      return z.record(z.string(), schemaOf(type.of));
    case "record":
      return z.strictObject(
        Object.fromEntries(
          Object.entries(type.fields).map(([k, t]) => [k, schemaOf(t).optional()]),
        ),
      );
  }
}

function toEngine(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toEngine);
  if (typeof value !== "object" || value === null) return value;
  const v = value as Record<string, unknown>;
  if ("$prio" in v) return mkOverride(v.$prio as number, toEngine(v.v));
  if ("$order" in v) return mkOrder(v.$order as number, toEngine(v.v) as never);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toEngine(x)]));
}

/**
 * The engine's answer, as evaluation computes it: each definition checked against the option's
 * type, then merged, then the merged value parsed.
 */
function engine(c: MergeCase): Expected {
  const schema = z.object({ v: schemaOf(c.type) });
  const checked = checkDefinitions(
    c.defs.map((d, i) => ({ value: { v: toEngine(d) }, source: { file: `m${i}.nix`, what: "v" } })),
    schema,
  );
  if (checked.issues.length) return { ok: false };
  const merged = mergeDefinitions(checked.definitions, { lines: linesPredicate(schema) });
  if (merged.conflicts.length) return { ok: false };
  const parsed = schema.safeParse(merged.value);
  return parsed.success ? { ok: true, value: parsed.data.v } : { ok: false };
}

describe("merging agrees with lib.evalModules", () => {
  it("the fixture is the generator's output for its seed", () => {
    const cases = generateCases(fixture.seed, fixture.count);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(2000);
    expect(fixture.cases.map(({ expected: _, ...c }) => c)).toEqual(cases);
  });

  it("every disagreement is a documented deviation", () => {
    const counts: Record<string, number> = {};
    let agree = 0;
    const undocumented: unknown[] = [];
    for (const c of fixture.cases) {
      const got = engine(c);
      if (isDeepStrictEqual(got, c.expected)) {
        agree++;
        continue;
      }
      const rule = deviationOf(c);
      if (rule) counts[rule.rule] = (counts[rule.rule] ?? 0) + 1;
      else undocumented.push({ case: c, engine: got });
    }
    console.log(
      `merge-diff: ${fixture.cases.length} cases, ${agree} agree, deviations ${JSON.stringify(counts)}, undocumented ${undocumented.length}`,
    );
    expect(undocumented.slice(0, 6)).toEqual([]);
    expect(agree).toBeGreaterThan(fixture.cases.length * 0.8);
  });
});
