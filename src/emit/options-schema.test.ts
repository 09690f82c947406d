import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fastOptionsJsonSchema } from "./options-schema.js";
import { ZOD_JSON_SCHEMA } from "./schema.js";

/** What zod says, without `$schema` (the caller drops it either way). */
function zodJson(schema: z.ZodType): unknown {
  const json = z.toJSONSchema(schema, ZOD_JSON_SCHEMA) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

const word = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,8}$/);
const small = fc.integer({ min: -5, max: 50 });

/** Modifiers every kind may take: descriptions, metadata, optional, nullable, defaults. */
function decorated(base: fc.Arbitrary<z.ZodType>): fc.Arbitrary<z.ZodType> {
  const step = fc.oneof(
    fc.record({ kind: fc.constant("describe" as const), text: fc.string() }),
    fc.record({ kind: fc.constant("meta" as const), title: word, text: fc.string() }),
    fc.record({ kind: fc.constant("optional" as const) }),
    fc.record({ kind: fc.constant("nullable" as const) }),
    fc.record({ kind: fc.constant("readonly" as const) }),
    fc.record({ kind: fc.constant("default" as const), value: fc.jsonValue({ maxDepth: 2 }) }),
  );
  return fc.tuple(base, fc.array(step, { maxLength: 3 })).map(([schema, steps]) =>
    steps.reduce<z.ZodType>((s, st) => {
      switch (st.kind) {
        case "describe":
          return s.describe(st.text);
        case "meta":
          return s.meta({ title: st.title, description: st.text });
        case "optional":
          return s.optional();
        case "nullable":
          return s.nullable();
        case "readonly":
          return s.readonly();
        case "default":
          return (s as z.ZodType<unknown>).default(st.value as never);
      }
    }, schema),
  );
}

const stringSchema = fc
  .record({
    min: fc.option(fc.nat(5)),
    max: fc.option(fc.integer({ min: 5, max: 40 })),
    length: fc.option(fc.nat(9)),
    regex: fc.option(fc.constantFrom(/^[a-z]+$/, /x/i, /^\d{3}$/)),
    format: fc.constantFrom(undefined, "email", "url", "uuid", "ipv4"),
  })
  .map(({ min, max, length, regex, format }) => {
    let s: z.ZodString =
      format === "email"
        ? (z.email() as unknown as z.ZodString)
        : format === "url"
          ? (z.url() as unknown as z.ZodString)
          : format === "uuid"
            ? (z.uuid() as unknown as z.ZodString)
            : format === "ipv4"
              ? (z.ipv4() as unknown as z.ZodString)
              : z.string();
    if (min !== null) s = s.min(min);
    if (max !== null) s = s.max(max);
    if (length !== null) s = s.length(length);
    if (regex !== null) s = s.regex(regex);
    return s as z.ZodType;
  });

const numberSchema = fc
  .record({
    int: fc.boolean(),
    min: fc.option(small),
    max: fc.option(small),
    gt: fc.option(small),
    lt: fc.option(small),
    positive: fc.boolean(),
    multipleOf: fc.option(fc.integer({ min: 1, max: 5 })),
  })
  .map(({ int, min, max, gt, lt, positive, multipleOf }) => {
    let n = z.number();
    if (int) n = n.int();
    if (min !== null) n = n.min(min);
    if (max !== null) n = n.max(max);
    if (gt !== null) n = n.gt(gt);
    if (lt !== null) n = n.lt(lt);
    if (positive) n = n.positive();
    if (multipleOf !== null) n = n.multipleOf(multipleOf);
    return n as z.ZodType;
  });

const leaf: fc.Arbitrary<z.ZodType> = fc.oneof(
  stringSchema,
  numberSchema,
  fc.constant(z.boolean()),
  fc.constant(z.unknown()),
  fc.constant(z.any()),
  fc.constant(z.null()),
  fc.uniqueArray(word, { minLength: 1, maxLength: 4 }).map((v) => z.enum(v as [string])),
  fc.oneof(word, fc.integer(), fc.boolean()).map((v) => z.literal(v)),
);

const tree = fc.letrec<{ node: z.ZodType; object: z.ZodType }>((tie) => ({
  node: decorated(
    fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      tie("node").map((e) => z.array(e)),
      fc
        .tuple(tie("node"), fc.option(fc.nat(3)), fc.option(fc.integer({ min: 3, max: 9 })))
        .map(([e, min, max]) => {
          let a = z.array(e);
          if (min !== null) a = a.min(min);
          if (max !== null) a = a.max(max);
          return a as z.ZodType;
        }),
      tie("node").map((v) => z.record(z.string(), v)),
      fc
        .tuple(fc.uniqueArray(word, { minLength: 1, maxLength: 3 }), tie("node"))
        .map(([keys, v]) => z.record(z.enum(keys as [string]), v)),
      fc.array(tie("node"), { minLength: 1, maxLength: 3 }).map((o) => z.union(o as [z.ZodType])),
      tie("object"),
    ),
  ),
  object: fc
    .tuple(
      fc.dictionary(word, tie("node"), { maxKeys: 4 }),
      fc.constantFrom("object", "strict", "loose"),
    )
    .map(([shape, kind]) =>
      kind === "strict"
        ? z.strictObject(shape)
        : kind === "loose"
          ? z.looseObject(shape)
          : z.object(shape),
    ),
}));

describe("fastOptionsJsonSchema", () => {
  it("says what z.toJSONSchema says, on every kind it handles", () => {
    let handled = 0;
    fc.assert(
      fc.property(
        tree.object.map((o) => o as z.ZodObject),
        (schema) => {
          const fast = fastOptionsJsonSchema(schema);
          if (fast === undefined) return;
          handled++;
          expect(fast).toEqual(zodJson(schema));
        },
      ),
      { numRuns: 1500 },
    );
    // The comparison must not pass by skipping: nearly every generated schema is handled.
    expect(handled).toBeGreaterThan(1400);
  });

  it("handles the shapes the example's programs use", () => {
    const options = z.object({
      port: z.number().int().min(1).max(65535).default(8080).describe("Port"),
      theme: z.enum(["dark", "light"]).default("dark").describe("Colour theme"),
      extra: z.array(z.string().min(1)).default([]).describe("Extra flags"),
      env: z.record(z.string(), z.string()).optional(),
      url: z.url().optional(),
      email: z.email().describe("Where mail goes"),
      retries: z.number().int().positive().optional(),
      name: z.string().regex(/^[a-z]+$/),
      settings: z.unknown(),
      mode: z.union([z.literal("auto"), z.boolean()]).default("auto"),
    });
    expect(fastOptionsJsonSchema(options)).toEqual(zodJson(options));
  });

  it("leaves to zod what it does not know", () => {
    const cases: z.ZodObject[] = [
      z.object({ n: z.string().transform((s) => s.length) }),
      z.object({ p: z.string().pipe(z.string()) }),
      z.object({ d: z.date() }),
      z.object({ t: z.tuple([z.string(), z.number()]) }),
      z.object({ i: z.intersection(z.object({ a: z.string() }), z.object({ b: z.string() })) }),
      z.object({ l: z.lazy(() => z.string()) }),
      z.object({ r: z.record(z.number(), z.string()) }),
      z.object({ s: z.string().startsWith("x") }),
      z.object({ s: z.string().trim() }),
      z.object({ c: z.string().catch("x") }),
      z.object({ m: z.number().multipleOf(2).multipleOf(3) }),
      z.object({ b: z.bigint() }),
    ];
    for (const schema of cases) expect(fastOptionsJsonSchema(schema)).toBeUndefined();
  });

  it("leaves schemas with an id to zod, which moves them under $defs", () => {
    const shared = z.string().meta({ id: "options-schema-test-shared" });
    try {
      expect(fastOptionsJsonSchema(z.object({ a: shared }))).toBeUndefined();
    } finally {
      z.globalRegistry.remove(shared);
    }
    expect(fastOptionsJsonSchema(z.object({ a: z.string() }))).toEqual({
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
    });
  });
});
