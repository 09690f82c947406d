/**
 * What a module returns is code's output, not data yet: it may hold getters that throw, Proxies,
 * cycles, class instances or millions of items. Everything after evaluation (strip, merge, zod,
 * the renderers, JSON) walks values recursively and trusts them to be finite trees. So the result
 * of `config`, an override or a contribution is first copied here, once, into plain data — or
 * refused with the path of the first value that is not data. Pure.
 */
import { isOrdered, isOverride, mkOrder, mkOverride } from "../define/priority.js";

/** Deeper than any real configuration; far below what would overflow the stack. */
export const MAX_DEPTH = 100;
/** Values (records, lists, scalars) in one result; a real one has hundreds. */
export const MAX_VALUES = 200_000;

export type Snapshot = { ok: true; value: unknown } | { ok: false; problem: string };

class NotData extends Error {}

/** Copies a module's result into plain, acyclic, bounded data, keeping priority and order markers. */
export function snapshot(value: unknown): Snapshot {
  let count = 0;
  const ancestors = new Set<object>();
  const at = (path: string) => (path === "" ? "the result" : `\`${path}\``);

  const copy = (v: unknown, path: string, depth: number): unknown => {
    if (++count > MAX_VALUES)
      throw new NotData(`the result holds more than ${MAX_VALUES} values (at ${at(path)})`);
    if (depth > MAX_DEPTH)
      throw new NotData(`${at(path)} nests more than ${MAX_DEPTH} levels deep`);
    if (v === null || v === undefined) return v;
    switch (typeof v) {
      case "string":
      case "number":
      case "boolean":
        return v;
      case "function":
        throw new NotData(`${at(path)} is a function, not a value (did you mean to call it?)`);
      case "bigint":
      case "symbol":
        throw new NotData(`${at(path)} is a ${typeof v}, which cannot be written to the lock`);
    }
    const object = v as object;
    if (ancestors.has(object))
      throw new NotData(`${at(path)} refers back to a value that contains it (a cycle)`);
    ancestors.add(object);
    try {
      if (isOverride(object)) {
        return mkOverride(object.priority, copy(object.content, path, depth + 1));
      }
      if (isOrdered(object)) {
        const content = copy(object.content, path, depth + 1);
        if (!Array.isArray(content) && typeof content !== "string" && !isPlainData(content))
          throw new NotData(`${at(path)}: mkOrder needs a list, a string or a record`);
        return mkOrder(object.order, content as never);
      }
      if (Array.isArray(object)) {
        const out: unknown[] = [];
        for (let i = 0; i < object.length; i++)
          out.push(copy(object[i], path ? `${path}[${i}]` : `[${i}]`, depth + 1));
        return out;
      }
      const proto = Object.getPrototypeOf(object) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const kind = (object as { constructor?: { name?: unknown } }).constructor?.name;
        throw new NotData(
          `${at(path)} is ${typeof kind === "string" && kind ? `a ${kind}` : "an object with a prototype"}, not plain data` +
            (kind === "Promise" ? " (`config` must not be async)" : ""),
        );
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(object)) {
        const inner = path ? `${path}.${key}` : key;
        if (key === "__proto__")
          throw new NotData(`${at(inner)} is a key that JavaScript reads as a prototype`);
        const item = copy((object as Record<string, unknown>)[key], inner, depth + 1);
        if (item !== undefined) out[key] = item;
      }
      return out;
    } finally {
      ancestors.delete(object);
    }
  };

  try {
    return { ok: true, value: copy(value, "", 0) };
  } catch (error) {
    if (error instanceof NotData) return { ok: false, problem: error.message };
    // A getter or a Proxy trap threw while the value was read.
    return { ok: false, problem: `reading the result throws: ${describeError(error)}` };
  }
}

/** An error's message, even when the thrown value is itself hostile. */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "(an error that cannot be described)";
  }
}

function isPlainData(value: unknown): boolean {
  return typeof value === "object" && value !== null && !isOverride(value) && !isOrdered(value);
}
