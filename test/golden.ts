/**
 * Golden files: compare generated text with a committed file; `UPDATE_GOLDEN=1` rewrites it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";

export function expectGolden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, "utf8");
  } catch {
    throw new Error(
      `golden file ${path} is missing: run the tests with UPDATE_GOLDEN=1 and review the diff`,
    );
  }
  expect(
    actual,
    `${path} differs: if the change is intended, run with UPDATE_GOLDEN=1 and review the diff`,
  ).toBe(expected);
}
