/**
 * Reading `setup-mac.lock.json` back (status, doctor, rollback, diff): JSON with the lock's
 * format version, checked enough that a truncated, hand-edited or foreign file is reported with
 * its line and column and how to recover — never trusted, never overwritten.
 */
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import type { Lock } from "../emit/lock-types.js";
import { LOCK_VERSION } from "../emit/lock-types.js";
import { LOCK_FILE } from "../emit/lock.js";
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import { lineColumn, MAX_NESTING, tooDeep } from "./config.js";

const RECOVER =
  "run `setup-mac build` to write it again from setup-mac.jsonc (or `git checkout -- setup-mac.lock.json`)";

/** Parses a lock; every failure is a diagnostic with a location and a fix. */
export function parseLock(
  text: string,
  file: string = LOCK_FILE,
): { ok: true; lock: Lock } | { ok: false; diagnostics: Diagnostic[] } {
  const fail = (message: string, offset?: number): { ok: false; diagnostics: Diagnostic[] } => ({
    ok: false,
    diagnostics: [
      diagnostic("lock-invalid", message, {
        location: offset === undefined ? { file } : { file, ...lineColumn(text, offset) },
        hint: RECOVER,
      }),
    ],
  });
  if (text.trim() === "") return fail("the lock file is empty", 0);
  if (text.includes("\0"))
    return fail("the lock file contains a NUL byte: it is binary or corrupt", text.indexOf("\0"));
  // JSON.parse first (V8's parser is not recursive): scanning the text for its nesting with the
  // JSONC scanner costs more than parsing it, so the scan runs only when the value is too deep
  // or the text is not JSON (then, as always, the nesting is reported before the syntax).
  let value: unknown;
  let parseError: Error | undefined;
  try {
    value = JSON.parse(text);
  } catch (error) {
    parseError = error as Error;
  }
  if (parseError !== undefined || nestsDeeperThan(value, MAX_NESTING)) {
    const deep = tooDeep(text);
    if (deep !== undefined)
      return fail(`the lock file nests more than ${MAX_NESTING} levels deep: it is corrupt`, deep);
  }
  if (parseError !== undefined) {
    const position = /position (\d+)/.exec(parseError.message);
    return fail(
      `the lock file is not valid JSON (${parseError.message.replace(/ in JSON at position \d+.*$/, "")})`,
      position ? Number(position[1]) : text.length,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return fail("the lock file is not a JSON object", 0);
  const lock = value as Partial<Lock>;
  // Valid JSON nested within bounds from here on, so its tree can point at a key's line.
  // Only a failure needs it, and on a large lock it costs more than everything else here.
  let tree: ReturnType<typeof parseTree> | null = null;
  const at = (...path: string[]): number => {
    tree ??= parseTree(text);
    for (let n = path.length; n > 0; n--) {
      const node = tree && findNodeAtLocation(tree, path.slice(0, n));
      if (node) return node.parent?.type === "property" ? node.parent.offset : node.offset;
    }
    return 0;
  };
  if (lock.version !== LOCK_VERSION) {
    return fail(
      typeof lock.version === "number" && lock.version > LOCK_VERSION
        ? `the lock has format version ${lock.version}, newer than this setup-mac reads (${LOCK_VERSION}): upgrade setup-mac`
        : `the lock has format version ${JSON.stringify(lock.version) ?? "(none)"}, this setup-mac reads ${LOCK_VERSION}`,
      at("version"),
    );
  }
  if (typeof lock.hosts !== "object" || lock.hosts === null || Array.isArray(lock.hosts))
    return fail("the lock has no `hosts` object", at("hosts"));
  for (const [name, host] of Object.entries(lock.hosts)) {
    const h = host as unknown as Record<string, unknown>;
    if (
      typeof h !== "object" ||
      h === null ||
      typeof h.programs !== "object" ||
      h.programs === null ||
      !Array.isArray(h.order)
    ) {
      return fail(
        `host \`${name}\` in the lock is incomplete (no programs or order)`,
        at("hosts", name),
      );
    }
    for (const [program, p] of Object.entries(h.programs as Record<string, unknown>)) {
      if (typeof p !== "object" || p === null || !isRecord((p as { options?: unknown }).options)) {
        return fail(
          `program \`${program}\` of host \`${name}\` in the lock is incomplete`,
          at("hosts", name, "programs", program),
        );
      }
      // The readers of a lock walk these containers: a wrong shape is corruption, not data.
      for (const level of ["system", "home"] as const) {
        const l = (p as Record<string, unknown>)[level];
        if (l === undefined) continue;
        const bad =
          !isRecord(l) ||
          Object.entries(l).some(([key, v]) =>
            key === "packages" || key === "raw" ? !Array.isArray(v) : !isRecord(v),
          );
        if (bad)
          return fail(
            `the ${level} part of program \`${program}\` of host \`${name}\` in the lock is malformed`,
            at("hosts", name, "programs", program, level),
          );
      }
    }
  }
  return { ok: true, lock: value as Lock };
}

/** Whether a parsed JSON value has objects or lists nested more than `max` deep (iteratively). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const todo: [unknown, number][] = [[value, 1]];
  while (todo.length) {
    const [v, depth] = todo.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) todo.push([child, depth + 1]);
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
