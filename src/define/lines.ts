/**
 * `lines`: a string option that several definitions extend, like NixOS `types.lines`. The
 * definitions at the best priority are joined with "\n" in `mkOrder`, then definition order:
 * `mkBefore("set -e")`, plain text, `mkAfter("exit 0")`.
 *
 * It is a zod string with a metadata mark, so descriptions, defaults, JSON Schema and docs work
 * as for any string; the mark shows in JSON Schema as `"x-setup-mac-merge": "lines"`.
 */
import { z } from "zod";

/** The metadata key that marks a `lines` option. */
export const MERGE_META = "x-setup-mac-merge";

/** A string option whose definitions are joined with newlines: `init: lines().default("")`. */
export function lines(): z.ZodString {
  return z.string().meta({ [MERGE_META]: "lines" });
}

type Inner = { _zod: { def: { type: string; innerType?: unknown } } };

/** Looks through `.optional()`, `.default()`, `.nullable()` and the like. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema as unknown as Inner;
  for (let i = 0; i < 16 && s._zod.def.innerType; i++) s = s._zod.def.innerType as Inner;
  return s as unknown as z.core.$ZodType;
}

/** Whether a schema (through its wrappers) is a `lines()` option. */
export function isLines(schema: z.core.$ZodType): boolean {
  for (let s: z.core.$ZodType | undefined = schema, i = 0; s && i < 16; i++) {
    const meta = z.globalRegistry.get(s) as Record<string, unknown> | undefined;
    if (meta?.[MERGE_META] === "lines") return true;
    s = (s as unknown as Inner)._zod.def.innerType as z.core.$ZodType | undefined;
  }
  return false;
}

/**
 * The `lines` predicate of an options schema, for `MergeOptions.lines`: follows the path through
 * objects (by key) and records (any key). Memoised per path, so a merge stays linear.
 */
export function linesPredicate(schema: z.core.$ZodType | undefined): (path: string[]) => boolean {
  if (!schema) return () => false;
  const cache = new Map<string, boolean>();
  return (path) => {
    const key = JSON.stringify(path);
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = linesAt(schema, path);
      cache.set(key, hit);
    }
    return hit;
  };
}

function linesAt(schema: z.core.$ZodType, path: readonly string[]): boolean {
  let s: z.core.$ZodType | undefined = schema;
  for (const segment of path) {
    const inner = unwrap(s) as unknown as {
      _zod: {
        def: { type: string; shape?: Record<string, z.core.$ZodType>; valueType?: z.core.$ZodType };
      };
    };
    const def = inner._zod.def;
    if (def.type === "object") s = def.shape?.[segment];
    else if (def.type === "record") s = def.valueType;
    else return false;
    if (!s) return false;
  }
  return isLines(s);
}
