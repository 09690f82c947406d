/**
 * A fast path for the JSON Schema of a program's options (pure). `z.toJSONSchema` costs about
 * 0.2 ms per program — a quarter of a cold `build` of 1,000 modules — because it is general: a
 * map of every schema it has seen, `$ref` extraction, cycle detection, a JSON round trip. Program
 * options are small trees of a few kinds, so this walks the tree once and builds the same JSON.
 *
 * It produces exactly what `z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target:
 * "draft-2020-12" })` does, minus `$schema`, and returns `undefined` for anything it does not
 * know (transforms, pipes, lazy and recursive schemas, tuples, intersections, metadata with an
 * `id`, custom JSON Schema hooks …): the caller then asks zod. The differential test in
 * options-schema.test.ts holds the two to the same output on every supported kind.
 */
import { z } from "zod";

type Json = Record<string, unknown>;
type Schema = z.core.$ZodType;
type Check = { _zod: { def: Record<string, unknown> & { check: string } } };

class Unsupported extends Error {}

/** The input JSON Schema of `schema`, or undefined when zod must make it. */
export function fastOptionsJsonSchema(schema: z.ZodType): Json | undefined {
  // An `id` anywhere puts schemas under `$defs` with references: zod's job.
  if (z.globalRegistry._idmap.size > 0) return undefined;
  try {
    const json = convert(schema);
    // zod's output has been through JSON: dates become strings, undefined entries vanish.
    return JSON.parse(JSON.stringify(json)) as Json;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

const unsupported = (): never => {
  throw new Unsupported();
};

function convert(schema: Schema): Json {
  const internals = schema._zod as Schema["_zod"] & { toJSONSchema?: unknown };
  // A schema with its own JSON Schema hook says what it is; only zod asks it.
  if (internals.toJSONSchema) unsupported();
  const def = internals.def as unknown as Record<string, unknown> & { type: string };
  let json: Json;
  switch (def.type) {
    case "string":
      json = stringJson(schema);
      break;
    case "number":
      json = numberJson(schema);
      break;
    case "boolean":
      json = { type: "boolean" };
      break;
    case "null":
      json = { type: "null" };
      break;
    case "any":
    case "unknown":
      json = {};
      break;
    case "never":
      json = { not: {} };
      break;
    case "enum":
      json = enumJson(def.entries as Record<string, string | number>);
      break;
    case "literal":
      json = literalJson(def.values as unknown[]);
      break;
    case "array":
      json = arrayJson(schema, def.element as Schema);
      break;
    case "object":
      json = objectJson(def as unknown as ObjectDef);
      break;
    case "record":
      json = recordJson(def as unknown as RecordDef);
      break;
    case "union":
      json = unionJson(def as unknown as UnionDef);
      break;
    case "nullable":
      json = { anyOf: [convert(def.innerType as Schema), { type: "null" }] };
      break;
    case "optional":
    case "default":
    case "readonly": {
      // zod merges the inner schema's keywords under the wrapper's own.
      const own: Json = {};
      if (def.type === "default") {
        const value = def.defaultValue;
        if (value === undefined || containsBigInt(value)) unsupported();
        own.default = JSON.parse(JSON.stringify(value)) as unknown;
      }
      if (def.type === "readonly") own.readOnly = true;
      json = { ...convert(def.innerType as Schema), ...withMeta(schema, own) };
      compactTypeUnion(json);
      return json;
    }
    default:
      return unsupported();
  }
  json = withMeta(schema, json);
  compactTypeUnion(json);
  return json;
}

/** The schema's metadata (`.describe`, `.meta`, inherited from what it was cloned from) on top. */
function withMeta(schema: Schema, json: Json): Json {
  const meta = z.globalRegistry.get(schema) as Json | undefined;
  if (!meta) return json;
  for (const key of Reflect.ownKeys(meta)) {
    if (typeof key !== "string") return unsupported();
    if (Object.prototype.propertyIsEnumerable.call(meta, key)) assign(json, key, meta[key]);
  }
  return json;
}

/** Sets an own property, even `__proto__`. */
function assign(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

function containsBigInt(value: unknown): boolean {
  let found = false;
  JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") found = true;
    return typeof v === "bigint" ? null : v;
  });
  return found;
}

// ------------------------------------------------------------------------------- checks

interface Aggregate {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number[];
  format?: string;
  isInt?: boolean;
  patterns?: Set<RegExp>;
}

const NUMBER_FORMATS: Record<string, [number, number]> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

function narrowMin(agg: Aggregate, key: "minimum" | "exclusiveMinimum", value: number): void {
  if (agg[key] === undefined || value > agg[key]!) agg[key] = value;
}
function narrowMax(agg: Aggregate, key: "maximum" | "exclusiveMaximum", value: number): void {
  if (agg[key] === undefined || value < agg[key]!) agg[key] = value;
}

/** What a schema's checks say, as zod's `aggregateChecks` folds them. */
function aggregate(schema: Schema, allowedFormats: ReadonlySet<string>): Aggregate {
  const agg: Aggregate = {};
  const internals = schema._zod as Schema["_zod"] & {
    traits: Set<string>;
    bag: Record<string, unknown>;
  };
  const def = internals.def as unknown as { checks?: Check[] };
  const checks: Check[] = internals.traits.has("$ZodCheck")
    ? [schema as unknown as Check, ...(def.checks ?? [])]
    : (def.checks ?? []);
  for (const check of checks) {
    const c = check._zod.def;
    switch (c.check) {
      case "greater_than":
        narrowMin(agg, c.inclusive ? "minimum" : "exclusiveMinimum", c.value as number);
        break;
      case "less_than":
        narrowMax(agg, c.inclusive ? "maximum" : "exclusiveMaximum", c.value as number);
        break;
      case "multiple_of":
        agg.multipleOf ??= [];
        if (!agg.multipleOf.includes(c.value as number)) agg.multipleOf.push(c.value as number);
        break;
      case "number_format": {
        const range = NUMBER_FORMATS[c.format as string];
        if (!range) unsupported();
        agg.format = c.format as string;
        if ((c.format as string).includes("int")) agg.isInt = true;
        narrowMin(agg, "minimum", range![0]);
        narrowMax(agg, "maximum", range![1]);
        break;
      }
      case "min_length":
      case "min_size":
        narrowMin(agg, "minimum", c.minimum as number);
        break;
      case "max_length":
      case "max_size":
        narrowMax(agg, "maximum", c.maximum as number);
        break;
      case "length_equals":
        narrowMin(agg, "minimum", c.length as number);
        narrowMax(agg, "maximum", c.length as number);
        break;
      case "string_format":
        if (!allowedFormats.has(c.format as string) || c.local || c.precision === -1) unsupported();
        agg.format = c.format as string;
        if (c.pattern) (agg.patterns ??= new Set()).add(c.pattern as RegExp);
        break;
      case "custom":
        break; // refinements have no JSON Schema
      default:
        unsupported();
    }
  }
  // zod folds the bag back in; for its own checks it adds nothing the checks did not.
  const bag = internals.bag;
  if (typeof bag.minimum === "number") narrowMin(agg, "minimum", bag.minimum);
  if (typeof bag.exclusiveMinimum === "number")
    narrowMin(agg, "exclusiveMinimum", bag.exclusiveMinimum);
  if (typeof bag.maximum === "number") narrowMax(agg, "maximum", bag.maximum);
  if (typeof bag.exclusiveMaximum === "number")
    narrowMax(agg, "exclusiveMaximum", bag.exclusiveMaximum);
  if (bag.multipleOf !== undefined) {
    agg.multipleOf ??= [];
    if (!agg.multipleOf.includes(bag.multipleOf as number))
      agg.multipleOf.push(bag.multipleOf as number);
  }
  if (typeof bag.format === "string") {
    agg.format ??= bag.format;
    if (bag.format.includes("int")) agg.isInt = true;
  }
  if (bag.mime || bag.contentEncoding) unsupported();
  for (const pattern of (bag.patterns as Set<RegExp> | undefined) ?? [])
    (agg.patterns ??= new Set()).add(pattern);
  return agg;
}

// ------------------------------------------------------------------------------- kinds

/** String formats whose JSON Schema is a plain `format` (and their zod pattern). */
const FORMAT_NAMES: Record<string, string | undefined> = {
  regex: undefined,
  email: "email",
  url: "uri",
  uuid: "uuid",
  guid: "uuid",
  ipv4: "ipv4",
  ipv6: "ipv6",
  date: "date",
  duration: "duration",
};
const STRING_FORMATS = new Set(Object.keys(FORMAT_NAMES));
const NO_FORMATS = new Set<string>();

function stringJson(schema: Schema): Json {
  const json: Json = { type: "string" };
  const agg = aggregate(schema, STRING_FORMATS);
  if (agg.exclusiveMinimum !== undefined || agg.exclusiveMaximum !== undefined || agg.multipleOf)
    unsupported();
  if (agg.minimum !== undefined) json.minLength = agg.minimum;
  if (agg.maximum !== undefined) json.maxLength = agg.maximum;
  if (agg.format) {
    const name = FORMAT_NAMES[agg.format];
    if (name) json.format = name;
  }
  const patterns = [...(agg.patterns ?? [])];
  if (patterns.length === 1) json.pattern = patterns[0]!.source;
  else if (patterns.length > 1) json.allOf = patterns.map((p) => ({ pattern: p.source }));
  return json;
}

function numberJson(schema: Schema): Json {
  const agg = aggregate(schema, NO_FORMATS);
  if (agg.patterns) unsupported();
  const json: Json = { type: agg.isInt ? "integer" : "number" };
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = agg;
  if (
    typeof exclusiveMinimum === "number" &&
    exclusiveMinimum >= (minimum ?? Number.NEGATIVE_INFINITY)
  )
    json.exclusiveMinimum = exclusiveMinimum;
  else if (typeof minimum === "number") json.minimum = minimum;
  if (
    typeof exclusiveMaximum === "number" &&
    exclusiveMaximum <= (maximum ?? Number.POSITIVE_INFINITY)
  )
    json.exclusiveMaximum = exclusiveMaximum;
  else if (typeof maximum === "number") json.maximum = maximum;
  if (agg.multipleOf) {
    const divisors = agg.multipleOf;
    if (divisors.length !== 1 || !Number.isFinite(divisors[0]) || divisors[0] === 0) unsupported();
    json.multipleOf = Math.abs(divisors[0]!);
  }
  return json;
}

function enumJson(entries: Record<string, string | number>): Json {
  const numeric = Object.values(entries).filter((v) => typeof v === "number");
  const values = Object.entries(entries)
    .filter(([k]) => !numeric.includes(+k))
    .map(([, v]) => v);
  if (values.length === 0) return { not: {} };
  const json: Json = {};
  if (values.every((v) => typeof v === "number")) json.type = "number";
  if (values.every((v) => typeof v === "string")) json.type = "string";
  json.enum = values;
  return json;
}

function literalJson(values: unknown[]): Json {
  if (values.length !== 1) unsupported();
  const value = values[0];
  if (typeof value === "string") return { type: "string", const: value };
  if (typeof value === "boolean") return { type: "boolean", const: value };
  if (typeof value === "number" && Number.isFinite(value)) return { type: "number", const: value };
  if (value === null) return { type: "null", const: null };
  return unsupported();
}

function arrayJson(schema: Schema, element: Schema): Json {
  const agg = aggregate(schema, NO_FORMATS);
  const json: Json = {};
  if (agg.minimum !== undefined) json.minItems = agg.minimum;
  if (agg.maximum !== undefined) json.maxItems = agg.maximum;
  if (agg.exclusiveMinimum !== undefined || agg.exclusiveMaximum !== undefined || agg.patterns)
    unsupported();
  json.type = "array";
  json.items = convert(element);
  return json;
}

interface ObjectDef {
  shape: Record<string, Schema>;
  catchall?: Schema;
}

/** Whether a key may be left out of the input: zod's `optin`. */
function optionalInput(schema: Schema): boolean {
  return (schema._zod as { optin?: string }).optin !== undefined;
}

function objectJson(def: ObjectDef): Json {
  if (Object.getOwnPropertySymbols(def.shape).length) unsupported();
  const properties: Json = {};
  const required: string[] = [];
  for (const key of Object.keys(def.shape)) {
    const field = def.shape[key]!;
    assign(properties, key, convert(field));
    if (!optionalInput(field)) required.push(key);
  }
  const json: Json = { type: "object", properties };
  if (required.length) json.required = required;
  if (def.catchall) {
    const type = (def.catchall._zod.def as { type: string }).type;
    json.additionalProperties = type === "never" ? false : convert(def.catchall);
  }
  return json;
}

interface RecordDef {
  keyType: Schema;
  valueType: Schema;
  mode?: string;
  partial?: boolean;
}

function recordJson(def: RecordDef): Json {
  const key = def.keyType._zod.def as unknown as Record<string, unknown> & { type: string };
  // Numeric keys, unions of keys and loose records with patterns are rewritten by zod: its job.
  if (key.type !== "string" && key.type !== "enum") unsupported();
  if (
    key.type === "enum" &&
    Object.values(key.entries as object).some((v) => typeof v !== "string")
  )
    unsupported();
  if (def.mode === "loose") unsupported();
  const propertyNames = convert(def.keyType);
  const json: Json = {
    type: "object",
    propertyNames,
    additionalProperties: convert(def.valueType),
  };
  const values = (def.keyType._zod as { values?: Set<unknown> }).values;
  if (values && !def.partial && !optionalInput(def.valueType)) {
    const names = [...values].filter((v) => typeof v === "string" || typeof v === "number");
    if (names.length) json.required = names.map(String);
  }
  return json;
}

interface UnionDef {
  options: Schema[];
  inclusive?: boolean;
}

function unionJson(def: UnionDef): Json {
  const options = def.options.map(convert);
  return def.inclusive === false ? { oneOf: options } : { anyOf: options };
}

/** `anyOf` of bare types becomes one `type` list, as zod spells it. */
function compactTypeUnion(json: Json): void {
  const options = json.anyOf;
  if (!Array.isArray(options) || options.length === 0 || json.type !== undefined) return;
  const types: string[] = [];
  for (const option of options as unknown[]) {
    if (!option || typeof option !== "object") return;
    compactTypeUnion(option as Json);
    const keys = Object.keys(option);
    if (keys.length !== 1 || keys[0] !== "type") return;
    const type = (option as Json).type;
    for (const member of Array.isArray(type) ? (type as unknown[]) : [type]) {
      if (typeof member !== "string") return;
      if (!types.includes(member)) types.push(member);
    }
  }
  delete json.anyOf;
  json.type = types.length === 1 ? types[0] : types;
}
