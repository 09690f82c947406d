import { describe, expect, it } from "vitest";
import { z } from "zod";
import { lines } from "../define/lines.js";
import { isOrdered, isOverride, mkBefore, mkDefault, mkForce } from "../define/priority.js";
import type { Definition } from "../merge/engine.js";
import { mergeDefinitions } from "../merge/engine.js";
import { checkDefinitions } from "./definitions.js";

const schema = z.object({
  name: z.string().default(""),
  port: z.number().int().min(1).max(65535).default(80),
  paths: z.array(z.string()).default([]),
  init: lines().default(""),
  listen: z.object({ host: z.string(), port: z.number() }).optional(),
  env: z.record(z.string(), z.string()).default({}),
});

const defs = (...values: unknown[]): Definition[] =>
  values.map((value, i) => ({ value, source: { file: `m${i}.ts`, what: "contributes.x" } }));

const summary = (r: ReturnType<typeof checkDefinitions>) =>
  r.issues.map((i) => `${i.definition.source.file} ${i.path.join(".")}: ${i.expected}`);

describe("checkDefinitions", () => {
  it("reports each ill-typed value with its definition, in the option's type words", () => {
    const r = checkDefinitions(defs({ name: 5, paths: ["a", 3] }, { port: "80", init: 1 }), schema);
    expect(summary(r)).toEqual([
      "m0.ts name: string",
      "m0.ts paths.1: string",
      "m1.ts port: integer, 1–65535",
      "m1.ts init: lines",
    ]);
    expect(r.issues[0]!.message).toBe("Invalid input: expected string, received number");
    expect(r.issues[1]!.value).toBe(3);
    expect(r.definitions.map((d) => d.value)).toEqual([{ paths: ["a"] }, {}]);
  });

  it("leaves the ill-typed value out, so it is not a conflict, and keeps the markers of the rest", () => {
    const r = checkDefinitions(
      defs({ name: 5, paths: mkBefore(["a", 2, "b"]) }, { name: "n", port: mkForce(8) }),
      schema,
    );
    expect(summary(r)).toEqual(["m0.ts name: string", "m0.ts paths.1: string"]);
    const paths = (r.definitions[0]!.value as { paths: unknown }).paths;
    expect(isOrdered(paths) && paths.content).toEqual(["a", "b"]);
    expect(isOverride((r.definitions[1]!.value as { port: unknown }).port)).toBe(true);
    const merged = mergeDefinitions(r.definitions);
    expect(merged.conflicts).toEqual([]);
    expect(merged.value).toEqual({ paths: ["a", "b"], name: "n", port: 8 });
  });

  it("checks only what survives priorities, as NixOS does: a beaten mkDefault is never used", () => {
    const r = checkDefinitions(defs({ name: mkDefault(5) }, { name: "a" }), schema);
    expect(r.issues).toEqual([]);
    // Beaten values of another kind too: a list at mkDefault under a plain string.
    expect(checkDefinitions(defs({ port: mkDefault([1]) }, { port: 8 }), schema).issues).toEqual(
      [],
    );
    // The winner is checked, whatever it beats.
    expect(summary(checkDefinitions(defs({ name: mkForce(5) }, { name: "a" }), schema))).toEqual([
      "m0.ts name: string",
    ]);
  });

  it("goes into records: a record may be given in parts, keys inherit the record's priority", () => {
    expect(
      checkDefinitions(defs({ listen: { host: "::1" } }, { listen: { port: 80 } }), schema).issues,
    ).toEqual([]);
    const r = checkDefinitions(
      defs(mkDefault({ env: { A: 1 } }), { env: { A: "x", B: false } }),
      schema,
    );
    // A's mkDefault 1 loses to the plain "x" and is not checked; B is.
    expect(summary(r)).toEqual(["m1.ts env.B: string"]);
    expect(r.definitions[1]!.value).toEqual({ env: { A: "x" } });
  });

  it("a value of the wrong kind where a record belongs is reported whole", () => {
    const r = checkDefinitions(defs({ listen: "localhost" }, { env: ["A=1"] }), schema);
    expect(summary(r)).toEqual([
      "m0.ts listen: object with host, port",
      "m1.ts env: map of string → string",
    ]);
  });

  it("keeps keys the schema does not know, for the caller to name", () => {
    const r = checkDefinitions(defs({ nmae: 5, listen: { hots: 1 } }), schema);
    expect(r.issues).toEqual([]);
    expect(r.definitions[0]!.value).toEqual({ nmae: 5, listen: { hots: 1 } });
  });
});
