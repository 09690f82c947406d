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
  const deep = tooDeep(text);
  if (deep !== undefined)
    return fail(`the lock file nests more than ${MAX_NESTING} levels deep: it is corrupt`, deep);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    return fail(
      `the lock file is not valid JSON (${(error as Error).message.replace(/ in JSON at position \d+.*$/, "")})`,
      position ? Number(position[1]) : text.length,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return fail("the lock file is not a JSON object", 0);
  const lock = value as Partial<Lock>;
  // Valid JSON nested within bounds from here on, so its tree can point at a key's line.
  const tree = parseTree(text);
  const at = (...path: string[]): number => {
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
