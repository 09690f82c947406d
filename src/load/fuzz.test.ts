/**
 * Fuzzing the readers of state a person or a crash may have mangled: `setup-mac.jsonc`, the lock,
 * and the config editor. Whatever the text, they answer — a value, or diagnostics that point
 * inside the text — and never throw anything but setup-mac's own errors.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  getOption,
  getProgramEntry,
  setOption,
  setProgramEnabled,
  unsetOption,
} from "../config/edit.js";
import type { Diagnostic } from "../errors/index.js";
import { SetupMacError } from "../errors/index.js";
import { MAX_NESTING, parseConfig } from "./config.js";
import { parseLock } from "./lock.js";

const example = (file: string) =>
  readFileSync(new URL(`../../examples/workstation/${file}`, import.meta.url));
const CONFIG = example("setup-mac.jsonc");
const LOCK = example("setup-mac.lock.json");

const runs = { numRuns: 300 };

/** Every location is in the text: line 1…lines, column 1…that line's length + 1. */
function expectInside(text: string, diagnostics: Diagnostic[]): void {
  expect(diagnostics.length).toBeGreaterThan(0);
  const lines = text.split("\n");
  for (const d of diagnostics) {
    expect(d.message).not.toBe("");
    expect(d.hint).toBeTruthy();
    if (d.location?.line === undefined) continue;
    expect(d.location.line).toBeGreaterThanOrEqual(1);
    expect(d.location.line).toBeLessThanOrEqual(lines.length);
    expect(d.location.column).toBeGreaterThanOrEqual(1);
    expect(d.location.column).toBeLessThanOrEqual(lines[d.location.line - 1]!.length + 1);
  }
}

function checkConfig(text: string): void {
  const result = parseConfig(text);
  if (!result.ok) expectInside(text, result.diagnostics);
}

function checkLock(text: string): void {
  const result = parseLock(text);
  if (!result.ok) expectInside(text, result.diagnostics);
}

/** Bytes as the CLI reads them: decoded as UTF-8, invalid sequences replaced. */
const decode = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

/** A valid file, then cut short, bit-flipped, spliced or with a run of bytes overwritten. */
function mutated(original: Buffer): fc.Arbitrary<string> {
  const n = original.length;
  return fc.oneof(
    fc.nat({ max: n }).map((end) => decode(original.subarray(0, end))),
    fc
      .array(fc.tuple(fc.nat({ max: n - 1 }), fc.integer({ min: 0, max: 7 })), {
        minLength: 1,
        maxLength: 8,
      })
      .map((flips) => {
        const copy = Buffer.from(original);
        for (const [at, bit] of flips) copy[at] = copy[at]! ^ (1 << bit);
        return decode(copy);
      }),
    fc
      .tuple(fc.nat({ max: n }), fc.nat({ max: n }), fc.uint8Array({ maxLength: 64 }))
      .map(([from, len, bytes]) =>
        decode(Buffer.concat([original.subarray(0, from), bytes, original.subarray(from + len)])),
      ),
  );
}

/** Nesting deeper than the readers accept, in the shapes a corrupt file takes. */
const deep = fc
  .tuple(
    fc.integer({ min: MAX_NESTING - 2, max: 20_000 }),
    fc.constantFrom("[", '{"a":', '{"hosts":'),
  )
  .map(([n, open]) => open.repeat(n) + "1");

describe("parseConfig", () => {
  it("answers any string with a config or diagnostics inside the text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), checkConfig), runs);
  });

  it("answers any JSON value (and any JSON object under `hosts`)", () => {
    fc.assert(fc.property(fc.json(), checkConfig), runs);
    fc.assert(
      fc.property(fc.jsonValue(), (hosts) => checkConfig(JSON.stringify({ hosts }))),
      runs,
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (host) =>
        checkConfig(JSON.stringify({ hosts: { h: host } })),
      ),
      runs,
    );
  });

  it("answers the example's config truncated, bit-flipped and spliced", () => {
    fc.assert(fc.property(mutated(CONFIG), checkConfig), runs);
  });

  it("refuses nesting too deep to parse, with its place, instead of overflowing the stack", () => {
    fc.assert(fc.property(deep, checkConfig), { numRuns: 20 });
    const result = parseConfig("[".repeat(50_000));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.diagnostics[0]!.message).toBe(
      `values nest more than ${MAX_NESTING} levels deep: the file is corrupt, not a config`,
    );
  });
});

describe("parseLock", () => {
  it("answers any string with a lock or diagnostics inside the text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), checkLock), runs);
  });

  it("answers any JSON value, and locks whose hosts or programs are anything", () => {
    fc.assert(fc.property(fc.json(), checkLock), runs);
    fc.assert(
      fc.property(fc.jsonValue(), (hosts) =>
        checkLock(JSON.stringify({ version: 1, inputsHash: "", hosts })),
      ),
      runs,
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (programs, system) =>
        checkLock(
          JSON.stringify({
            version: 1,
            hosts: {
              h: { programs, order: [] },
              g: { programs: { p: { options: {}, system } }, order: [] },
            },
          }),
        ),
      ),
      runs,
    );
  });

  it("answers the example's lock truncated, bit-flipped and spliced", () => {
    fc.assert(fc.property(mutated(LOCK), checkLock), runs);
  });

  it("refuses nesting too deep, with its place", () => {
    fc.assert(fc.property(deep, checkLock), { numRuns: 20 });
  });
});

describe("the config editor on arbitrary text", () => {
  // Readers return a value; writers return the config's new text.
  const reads: ((text: string) => unknown)[] = [
    (t) => getProgramEntry(t, "evo-x2", "git"),
    (t) => getOption(t, null, "git", ["userEmail"]),
  ];
  const writes: ((text: string) => string)[] = [
    (t) => setProgramEnabled(t, "evo-x2", "git", true),
    (t) => setProgramEnabled(t, "evo-x2", "git", false, { keepFalse: true }),
    (t) => setProgramEnabled(t, "macbook", "vscode", false),
    (t) => setOption(t, "evo-x2", "git", ["userName"], "Lars"),
    (t) => setOption(t, null, "vscode", ["settings", "editor.tabSize"], 2),
    (t) => unsetOption(t, "evo-x2", "vscode", ["fontSize"]),
  ];
  const edits = [...reads, ...writes];
  const syntaxErrors = (text: string) => {
    const parsed = parseConfig(text);
    return parsed.ok ? [] : parsed.diagnostics.filter((d) => d.code === "config-syntax");
  };

  /** Returns text (or a value) or throws setup-mac's own error; anything else is a bug. */
  function checkEdits(text: string): void {
    for (const edit of edits) {
      try {
        const out = edit(text);
        // An edit may leave a config the schema refuses, but a config that parsed still parses.
        if (writes.includes(edit as (text: string) => string)) {
          expect(typeof out).toBe("string");
          if (syntaxErrors(text).length === 0) expect(syntaxErrors(out as string)).toEqual([]);
        }
      } catch (error) {
        if (!(error instanceof SetupMacError)) throw error;
        expect(error.diagnostics.length).toBeGreaterThan(0);
      }
    }
  }

  it("returns text or throws SetupMacError for any string", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), checkEdits), runs);
  });

  it("does the same for JSON values and the mutated example", () => {
    fc.assert(fc.property(fc.json(), checkEdits), runs);
    fc.assert(
      fc.property(fc.jsonValue(), (programs) =>
        checkEdits(JSON.stringify({ hosts: { "evo-x2": { programs } } })),
      ),
      runs,
    );
    fc.assert(fc.property(mutated(CONFIG), checkEdits), runs);
    fc.assert(fc.property(deep, checkEdits), { numRuns: 10 });
  });
});
