/**
 * Type-checks each definition of a program's options against the option's schema before the
 * definitions are merged (pure), as the NixOS module system checks each definition against
 * the option's type: a value of the wrong type is reported with the one definition it came
 * from, and is left out of the merge, so it never shows up as a conflict and the other
 * definitions still merge (and still report their own conflicts).
 *
 * The walk follows the definition into records (`z.object`, `z.record`) and lists (`z.array`),
 * so a definition that sets a few keys of a record is checked key by key and need not be
 * complete; everything else (a scalar, a `lines` string, a union) is checked whole. Constraints
 * on the merged value (required keys, `.min()` on a list) are left to the parse after merging.
 */
import { z } from "zod";
import { isOrdered, isOverride, mkOrder, mkOverride, PRIORITY } from "../define/priority.js";
import { typeText } from "../emit/docs.js";
import type { Definition } from "../merge/engine.js";
import { isPlainRecord, strip } from "../merge/engine.js";

/** One definition's value that is not of its option's type. */
export interface TypeIssue {
  /** The definition it is in. */
  definition: Definition;
  /** Path inside the options record, e.g. `["fontSize"]`. */
  path: string[];
  /** The offending value, without priority markers. */
  value: unknown;
  /** The type it should have, in the words of `programs info` (`integer, 6–72`). */
  expected: string;
  /** What the schema says (zod's message). */
  message: string;
}

type Internals = {
  _zod: {
    def: {
      type: string;
      innerType?: z.core.$ZodType;
      shape?: Record<string, z.core.$ZodType>;
      catchall?: z.core.$ZodType;
      valueType?: z.core.$ZodType;
      element?: z.core.$ZodType;
    };
  };
};

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch"]);

function defOf(schema: z.core.$ZodType): Internals["_zod"]["def"] {
  return (schema as unknown as Internals)._zod.def;
}

/** The schema under `.optional()`, `.default()`, `.nullable()` and the like. */
function unwrapSchema(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(s);
    if (!WRAPPERS.has(def.type) || !def.innerType) break;
    s = def.innerType;
  }
  return s;
}

/** A value inside one definition, as the walk meets it. */
interface Item {
  value: unknown;
  priority: number;
  /** The definition it is in. */
  def: number;
}

/**
 * Checks the definitions against the options schema, with the engine's priority rules: as in
 * NixOS, only the definitions that survive priority filtering are checked (an ill-typed
 * `mkDefault` that a plain definition beats is never used, so never an error). Returns the
 * definitions with each ill-typed value left out (keys the schema does not know are kept: the
 * caller reports them) and the issues, in the order the walk meets them.
 */
export function checkDefinitions(
  definitions: readonly Definition[],
  schema: z.ZodObject | undefined,
): { definitions: Definition[]; issues: TypeIssue[] } {
  const issues: TypeIssue[] = [];
  if (!schema) return { definitions: [...definitions], issues };
  const bad: { def: number; path: string[] }[] = [];
  const items = definitions.map((d, def) => ({
    value: d.value,
    priority: d.priority ?? PRIORITY.plain,
    def,
  }));
  walk(items, schema, [], (item, path, issue) => {
    bad.push({ def: item.def, path });
    issues.push({ definition: definitions[item.def]!, ...issue });
  });
  const out = definitions.map((d, i) => {
    let value = d.value;
    for (const b of bad) if (b.def === i) value = replaceAt(value, b.path, DROP);
    const cleaned = clean(value);
    return cleaned === d.value ? d : { ...d, value: cleaned === DROP ? {} : cleaned };
  });
  return { definitions: out, issues };
}

type Report = (item: Item, path: string[], issue: Omit<TypeIssue, "definition">) => void;

function unwrapItem(item: Item): Item {
  let { value, priority } = item;
  let prioritySet = false;
  for (;;) {
    if (isOverride(value)) {
      if (!prioritySet) priority = value.priority;
      prioritySet = true;
      value = value.content;
    } else if (isOrdered(value)) value = value.content;
    else return { ...item, value, priority };
  }
}

/** The field schema of a key of a record type, or undefined when the schema does not go inside. */
function fieldOf(schema: z.core.$ZodType, key: string): z.core.$ZodType | undefined {
  const inner = defOf(unwrapSchema(schema));
  if (inner.type === "object")
    return Object.prototype.hasOwnProperty.call(inner.shape ?? {}, key)
      ? inner.shape![key]
      : inner.catchall;
  if (inner.type === "record") return inner.valueType;
  return undefined;
}

function walk(input: Item[], schema: z.core.$ZodType, path: string[], report: Report): void {
  const items = input.map(unwrapItem);
  if (items.length === 0) return;
  const inner = defOf(unwrapSchema(schema));
  const goesInside = inner.type === "object" || inner.type === "record";
  // The engine merges records of any priorities key by key (keys inherit the record's
  // priority); otherwise only the best priority counts.
  let live = items;
  if (!(goesInside && items.every((d) => isPlainRecord(d.value)))) {
    const best = Math.min(...items.map((d) => d.priority));
    live = items.filter((d) => d.priority === best);
  }
  const records = goesInside ? live.filter((d) => isPlainRecord(d.value)) : [];
  if (records.length) {
    const keys = new Set(records.flatMap((d) => Object.keys(d.value as object)));
    for (const key of keys) {
      const field = fieldOf(schema, key);
      // Unknown keys stay: the caller (or the parse after merging) names them.
      if (!field) continue;
      const children = records.flatMap((d) => {
        const v = (d.value as Record<string, unknown>)[key];
        return Object.prototype.hasOwnProperty.call(d.value, key) && v !== undefined
          ? [{ value: v, priority: d.priority, def: d.def }]
          : [];
      });
      walk(children, field, [...path, key], report);
    }
  }
  for (const d of live) {
    if (records.includes(d)) continue;
    if (inner.type === "array" && inner.element && Array.isArray(d.value)) {
      d.value.forEach((item, i) =>
        walk(
          [{ value: item, priority: d.priority, def: d.def }],
          inner.element!,
          [...path, String(i)],
          report,
        ),
      );
      continue;
    }
    const plain = strip(d.value);
    const parsed = (schema as z.ZodType).safeParse(plain, { jitless: true });
    if (parsed.success) continue;
    const first = parsed.error.issues[0]!;
    report(d, path, {
      path: [...path, ...first.path.map(String)],
      value: valueAt(plain, first.path),
      expected: describeType(schema),
      message: first.message,
    });
  }
}

const DROP = Symbol("dropped");

/** The value with the part at `path` (through priority and order markers) replaced. */
function replaceAt(value: unknown, path: readonly string[], by: unknown): unknown {
  if (path.length === 0) return by;
  if (isOverride(value)) return mkOverride(value.priority, replaceAt(value.content, path, by));
  if (isOrdered(value)) return mkOrder(value.order, replaceAt(value.content, path, by) as never);
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) {
    const out = [...value];
    out[Number(head)] = replaceAt(out[Number(head)], rest, by);
    return out;
  }
  if (isPlainRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      define(out, k, k === head ? replaceAt(v, rest, by) : v);
    return out;
  }
  return value;
}

/** Removes dropped parts: from lists and records, and markers around them. */
function clean(value: unknown): unknown {
  if (value === DROP) return DROP;
  if (isOverride(value)) {
    const content = clean(value.content);
    if (content === DROP) return DROP;
    return content === value.content ? value : mkOverride(value.priority, content);
  }
  if (isOrdered(value)) {
    const content = clean(value.content);
    if (content === DROP) return DROP;
    return content === value.content ? value : mkOrder(value.order, content as never);
  }
  if (Array.isArray(value)) {
    const items = value.map(clean);
    return items.every((v, i) => v === value[i] && v !== DROP)
      ? value
      : items.filter((v) => v !== DROP);
  }
  if (isPlainRecord(value)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const c = clean(v);
      if (c !== v || c === DROP) changed = true;
      if (c !== DROP) define(out, k, c);
    }
    return changed ? out : value;
  }
  return value;
}

function define(out: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a `__proto__` key stays data instead of replacing the prototype.
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== "object") return v;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** The option's type in the words of `programs info`, without its default or description. */
function describeType(schema: z.core.$ZodType): string {
  try {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
      string,
      unknown
    >;
    return typeText(json);
  } catch {
    return defOf(unwrapSchema(schema)).type;
  }
}
