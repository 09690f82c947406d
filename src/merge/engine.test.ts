import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mkAfter, mkBefore, mkDefault, mkForce, mkOverride } from "../define/priority.js";
import type { Definition } from "./engine.js";
import { mergeDefinitions, pathKey, strip } from "./engine.js";

const src = (file: string) => ({ file, what: "test" });
const def = (value: unknown, file = "a.ts", priority?: number): Definition => ({
  value,
  source: src(file),
  priority,
});

describe("scalars", () => {
  it("takes the best priority", () => {
    const r = mergeDefinitions([
      def(1, "a.ts"),
      def(mkDefault(2), "b.ts"),
      def(mkForce(3), "c.ts"),
    ]);
    expect(r.value).toBe(3);
    expect(r.conflicts).toEqual([]);
    expect(r.provenance.get("")!.from).toEqual([src("c.ts")]);
    expect(r.provenance.get("")!.overridden.map((o) => o.priority)).toEqual([100, 1000]);
  });

  it("reports two different values at the same priority, naming both", () => {
    const r = mergeDefinitions([def(1, "a.ts"), def(2, "b.ts")]);
    expect(r.conflicts).toEqual([
      {
        path: [],
        kind: "priority",
        priority: 100,
        definitions: [
          { source: src("a.ts"), value: 1 },
          { source: src("b.ts"), value: 2 },
        ],
      },
    ]);
  });

  it("accepts equal values at the same priority", () => {
    const r = mergeDefinitions([def("x", "a.ts"), def("x", "b.ts")]);
    expect(r.conflicts).toEqual([]);
    expect(r.provenance.get("")!.from).toHaveLength(2);
  });

  it("uses the definition's own priority when the value has none", () => {
    const r = mergeDefinitions([def(1, "a.ts", 1000), def(2, "b.ts")]);
    expect(r.value).toBe(2);
  });
});

describe("records", () => {
  it("merges key by key and keeps priorities per key", () => {
    const r = mergeDefinitions([def({ a: mkForce(1), b: 1 }), def({ a: 2, c: 3 }, "b.ts")]);
    expect(r.value).toEqual({ a: 1, b: 1, c: 3 });
    expect(r.conflicts).toEqual([]);
    expect(r.provenance.get("a")!.from).toEqual([src("a.ts")]);
    expect(r.provenance.get("c")!.from).toEqual([src("b.ts")]);
  });

  it("pushes a record's priority down to its keys", () => {
    const r = mergeDefinitions([def(mkDefault({ a: 1, b: 2 })), def({ a: 5 }, "b.ts")]);
    expect(r.value).toEqual({ a: 5, b: 2 });
  });

  it("reports conflicts with the full path", () => {
    const r = mergeDefinitions([def({ x: { y: 1 } }), def({ x: { y: 2 } }, "b.ts")]);
    expect(r.conflicts[0]!.path).toEqual(["x", "y"]);
  });

  it("escapes dots in provenance keys", () => {
    expect(pathKey(["editor.fontSize", "a"])).toBe("editor\\.fontSize.a");
  });
});

describe("lists", () => {
  it("concatenates in definition order, mkBefore first and mkAfter last", () => {
    const r = mergeDefinitions([
      def(mkAfter(["z"])),
      def(["a"], "b.ts"),
      def(mkBefore(["0"]), "c.ts"),
      def(["b"], "d.ts"),
    ]);
    expect(r.value).toEqual(["0", "a", "b", "z"]);
  });

  it("drops lists at a worse priority", () => {
    const r = mergeDefinitions([def(["a"]), def(mkForce(["b"]), "b.ts")]);
    expect(r.value).toEqual(["b"]);
  });
});

describe("atomic values", () => {
  it("never merges inside an atomic value", () => {
    const r = mergeDefinitions([def({ text: "a" }), def({ text: "b", mode: "0644" }, "b.ts")], {
      atomic: () => true,
    });
    expect(r.conflicts).toHaveLength(1);
  });
});

// Properties ----------------------------------------------------------------------------------

const scalar = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom("a", "b", "c"),
  fc.boolean(),
);
const priority = fc.constantFrom(50, 100, 1000);
const leaf = fc.tuple(scalar, priority).map(([v, p]) => mkOverride(p, v));
const record = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.oneof(leaf, scalar), {
  maxKeys: 4,
});

describe("properties", () => {
  it("scalar result is the value of a best-priority definition, whatever the order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(scalar, priority), { minLength: 1, maxLength: 6 }), (pairs) => {
        const defs = pairs.map(([v, p], i) => def(mkOverride(p, v), `f${i}.ts`));
        const r = mergeDefinitions(defs);
        const best = Math.min(...pairs.map(([, p]) => p));
        const bestValues = pairs.filter(([, p]) => p === best).map(([v]) => v);
        if (new Set(bestValues).size === 1) {
          expect(r.conflicts).toEqual([]);
          expect(r.value).toBe(bestValues[0]);
        } else {
          expect(r.conflicts).toHaveLength(1);
        }
        // Order independence: reversed definitions give the same value and the same conflict count.
        const reversed = mergeDefinitions([...defs].reverse());
        expect(reversed.conflicts.length).toBe(r.conflicts.length);
        if (r.conflicts.length === 0) expect(reversed.value).toBe(r.value);
      }),
    );
  });

  it("records merge independently of definition order when there are no conflicts", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), (records) => {
        const defs = records.map((r, i) => def(r, `f${i}.ts`));
        const a = mergeDefinitions(defs);
        const b = mergeDefinitions([...defs].reverse());
        expect(b.conflicts.length).toBe(a.conflicts.length);
        if (a.conflicts.length === 0) expect(b.value).toEqual(a.value);
      }),
    );
  });

  it("is idempotent: merging a definition with itself changes nothing", () => {
    fc.assert(
      fc.property(record, (r) => {
        const once = mergeDefinitions([def(r)]);
        const twice = mergeDefinitions([def(r), def(r, "copy.ts")]);
        expect(twice.conflicts).toEqual([]);
        expect(twice.value).toEqual(once.value);
        expect(once.value).toEqual(strip(r));
      }),
    );
  });

  it("keeps list items and their relative order within each definition", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.array(fc.integer(), { maxLength: 4 }),
            fc.constantFrom("before", "plain", "after"),
          ),
          {
            maxLength: 5,
          },
        ),
        (lists) => {
          const defs = lists.map(([items, where], i) =>
            def(
              where === "before" ? mkBefore(items) : where === "after" ? mkAfter(items) : items,
              `f${i}.ts`,
            ),
          );
          if (defs.length === 0) return;
          const value = mergeDefinitions(defs).value as number[];
          const expected = [
            ...lists.filter(([, w]) => w === "before").flatMap(([i]) => i),
            ...lists.filter(([, w]) => w === "plain").flatMap(([i]) => i),
            ...lists.filter(([, w]) => w === "after").flatMap(([i]) => i),
          ];
          expect(value).toEqual(expected);
        },
      ),
    );
  });

  it("a mkForce definition always wins against plain ones", () => {
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 5 }), scalar, fc.nat(5), (plain, forced, at) => {
        const defs = plain.map((v, i) => def(v, `p${i}.ts`));
        defs.splice(Math.min(at, defs.length), 0, def(mkForce(forced), "force.ts"));
        const r = mergeDefinitions(defs);
        expect(r.conflicts).toEqual([]);
        expect(r.value).toBe(forced);
      }),
    );
  });
});

describe("priorities before kinds (as lib.evalModules)", () => {
  it("drops a losing scalar beside two records, then merges the records", () => {
    const r = mergeDefinitions([def(mkDefault("a")), def({ x: 1 }, "b.ts"), def({ y: 2 }, "c.ts")]);
    expect(r.conflicts).toEqual([]);
    expect(r.value).toEqual({ x: 1, y: 2 });
    expect(r.provenance.get("")!.overridden).toEqual([{ source: src("a.ts"), priority: 1000 }]);
  });

  it("does so nested, and beside lists", () => {
    const r = mergeDefinitions([
      def({ p: mkDefault(5), l: mkDefault("x") }),
      def({ p: { a: 1 }, l: ["a"] }, "b.ts"),
      def({ p: { b: 2 }, l: ["b"] }, "c.ts"),
    ]);
    expect(r.conflicts).toEqual([]);
    expect(r.value).toEqual({ p: { a: 1, b: 2 }, l: ["a", "b"] });
  });

  it("still reports kinds that differ at the best priority", () => {
    const r = mergeDefinitions([def({ p: 5 }), def({ p: { a: 1 } }, "b.ts")]);
    expect(r.conflicts.map((c) => [c.kind, c.path])).toEqual([["shape", ["p"]]]);
  });
});

describe("lines", () => {
  const lines = () => true;
  it("joins strings with newlines by priority, then order, then definition order", () => {
    const r = mergeDefinitions(
      [
        def(mkAfter("exit 0")),
        def("b", "b.ts"),
        def(mkBefore("set -e"), "c.ts"),
        def("d", "d.ts"),
        def(mkDefault("dropped"), "e.ts"),
      ],
      { lines },
    );
    expect(r.conflicts).toEqual([]);
    expect(r.value).toBe("set -e\nb\nd\nexit 0");
    expect(r.provenance.get("")!.from.map((s) => s.file)).toEqual(["c.ts", "b.ts", "d.ts", "a.ts"]);
  });

  it("only where the schema says lines: other strings still conflict", () => {
    const r = mergeDefinitions([def({ a: "x", b: "x" }), def({ a: "y", b: "y" }, "b.ts")], {
      lines: (path) => path[0] === "a",
    });
    expect(r.value).toEqual({ a: "x\ny", b: "x" });
    expect(r.conflicts.map((c) => c.path)).toEqual([["b"]]);
  });
});

describe("mkOrder on records", () => {
  it("ranks the record among the definitions, so its lists follow that order", () => {
    const r = mergeDefinitions(
      [
        def({ paths: ["/b"], init: "b" }),
        def(mkAfter({ paths: ["/c"], init: "c" }), "c.ts"),
        def(mkBefore({ paths: ["/a"], init: "a" }), "a.ts"),
      ],
      { lines: (path) => path[0] === "init" },
    );
    expect(r.value).toEqual({ paths: ["/a", "/b", "/c"], init: "a\nb\nc" });
  });

  it("keeps the list's own order inside an ordered record", () => {
    const r = mergeDefinitions([
      def({ xs: ["b"] }),
      def(mkBefore({ xs: mkAfter(["z"]), ys: ["1"] }), "a.ts"),
    ]);
    expect(r.value).toEqual({ xs: ["b", "z"], ys: ["1"] });
  });
});
