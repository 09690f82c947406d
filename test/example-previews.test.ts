import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parsePlist } from "plist";
import { describe, expect, it } from "vitest";
import { parseLock } from "../src/load/lock.js";
import { renderPreviews } from "../src/emit/previews.js";
import { expectGolden } from "./golden.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const expectedDir = join(root, "test/fixtures/workstation-previews");

function lock() {
  const parsed = parseLock(
    readFileSync(join(root, "examples/workstation/setup-mac.lock.json"), "utf8"),
  );
  if (!parsed.ok) throw new Error("the example's lock does not parse");
  return parsed.lock;
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe("previews of the bundled example", () => {
  const previews = renderPreviews(lock());

  it("match the committed golden files, file by file", () => {
    for (const [path, text] of previews) expectGolden(join(expectedDir, path), text);
    if (!process.env.UPDATE_GOLDEN)
      expect(listFiles(expectedDir).sort()).toEqual([...previews.keys()].sort());
  });

  it("plists parse back and carry the namespaced label", () => {
    const plists = [...previews].filter(([p]) => p.endsWith(".plist"));
    expect(plists.length).toBeGreaterThan(0);
    for (const [path, text] of plists) {
      const value = parsePlist(text) as { Label: string; ProgramArguments: string[] };
      expect(path.endsWith(`${value.Label}.plist`)).toBe(true);
      expect(value.Label).toMatch(/^org\.setup-mac\.[a-z0-9-]+\.[A-Za-z0-9._-]+$/);
      expect(value.ProgramArguments.length).toBeGreaterThan(0);
    }
  });

  it("the activation previews are valid POSIX shell", () => {
    for (const [path, text] of previews) {
      if (!path.endsWith("activation.sh")) continue;
      execFileSync("sh", ["-n", "-c", text]);
    }
  });
});
