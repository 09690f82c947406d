/**
 * Drift of managed files (pure): does the text on disk still say what the lock wrote? A whole
 * file must match byte for byte; a merge-mode file (a settings file the program also writes to)
 * only has to keep every declared key at its declared value. See docs/decisions/0009.
 */
import { isDeepStrictEqual } from "node:util";
import { parse as parseIni } from "ini";
import { parse as parseJsonc, type ParseError } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import type { FileLock } from "../emit/lock-types.js";
import { formatKeyPath, type KeyPath } from "../emit/files/render.js";

/** The verdict on one managed file. */
export type FileDrift =
  | { state: "ok" }
  | { state: "missing" }
  | { state: "edited"; detail: string }
  | { state: "drifted"; detail: string };

/** Parses a live file in the lock's format; undefined when it does not parse. */
function parseLive(format: FileLock["format"], text: string): unknown {
  try {
    switch (format) {
      case "json": {
        // Editors write JSON with comments and trailing commas (VS Code's settings.json).
        const errors: ParseError[] = [];
        const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
        return errors.length ? undefined : value;
      }
      case "yaml":
        return parseYaml(text) as unknown;
      case "toml":
        return parseToml(text);
      case "ini":
        return parseIni(text);
      case "text":
        return text;
    }
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The first declared key whose live value differs, or undefined when `live` holds every key of
 * `declared` (recursively through objects; arrays and scalars must be equal).
 */
export function firstMismatch(
  declared: unknown,
  live: unknown,
  path: KeyPath = [],
): { path: KeyPath; missing: boolean } | undefined {
  if (isRecord(declared) && isRecord(live)) {
    for (const [key, value] of Object.entries(declared)) {
      if (!(key in live)) return { path: [...path, key], missing: true };
      const inner = firstMismatch(value, live[key], [...path, key]);
      if (inner) return inner;
    }
    return undefined;
  }
  return isDeepStrictEqual(declared, live) ? undefined : { path, missing: false };
}

/** The first line where two texts differ (1-based), to point at a hand edit. */
function firstDifferentLine(expected: string, actual: string): number {
  // Lines keep their newline, so a missing final newline counts on the last line.
  const a = expected.split(/(?<=\n)/);
  const b = actual.split(/(?<=\n)/);
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i + 1;
  return a.length;
}

/** Compares a managed file with its live text (`undefined`: the file does not exist). */
export function fileDrift(file: FileLock, live: string | undefined): FileDrift {
  if (live === undefined) return { state: "missing" };
  if (file.merge && file.value !== undefined) {
    const parsed = parseLive(file.format, live);
    if (parsed === undefined) return { state: "drifted", detail: `not valid ${file.format}` };
    const mismatch = firstMismatch(file.value, parsed);
    if (!mismatch) return { state: "ok" };
    const key = formatKeyPath(mismatch.path);
    return {
      state: "drifted",
      detail: mismatch.missing ? `${key} is missing` : `${key} differs from the declared value`,
    };
  }
  if (live === file.text) return { state: "ok" };
  return { state: "edited", detail: `differs from line ${firstDifferentLine(file.text, live)}` };
}
