#!/usr/bin/env node
// Regenerates test/merge-diff/fixture.json: random merge cases evaluated by the real
// `lib.evalModules`. Needs nix-instantiate and a nixpkgs lib checkout (not part of this repo,
// not needed by CI): NIXPKGS_LIB=/path/to/nixpkgs.lib node scripts/merge-diff/run.mjs [count] [seed]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const lib = process.env.NIXPKGS_LIB;
if (!lib) {
  console.error("error: set NIXPKGS_LIB to a nixpkgs lib checkout (the folder that holds lib/)");
  process.exit(2);
}
const count = Number(process.argv[2] ?? 10000);
const seed = Number(process.argv[3] ?? 11);
const tmp = mkdtempSync(join(tmpdir(), "merge-diff-"));
try {
  await build({
    entryPoints: [join(root, "test/merge-diff/cases.ts")],
    outfile: join(tmp, "cases.mjs"),
    bundle: true,
    format: "esm",
    platform: "node",
    logLevel: "error",
  });
  const { generateCases } = await import(pathToFileURL(join(tmp, "cases.mjs")).href);
  const cases = generateCases(seed, count);
  writeFileSync(join(tmp, "cases.json"), JSON.stringify(cases));
  const stdout = execFileSync(
    "nix-instantiate",
    [
      "--eval",
      "--strict",
      "--json",
      "--store",
      "dummy://",
      join(root, "scripts/merge-diff/eval.nix"),
      "--arg",
      "lib",
      `import ${resolve(lib)}/lib`,
      "--arg",
      "cases",
      join(tmp, "cases.json"),
    ],
    { maxBuffer: 1 << 28, encoding: "utf8" },
  );
  const results = JSON.parse(stdout);
  const expected = Object.fromEntries(results.map((r) => [r.id, r.expected]));
  const fixture = {
    about:
      "Merge cases evaluated by nixpkgs lib.evalModules; regenerate with scripts/merge-diff/run.mjs",
    seed,
    count,
    cases: cases.map((c) => ({ ...c, expected: expected[c.id] })),
  };
  const target = join(root, "test/merge-diff/fixture.json");
  writeFileSync(target + ".tmp", JSON.stringify(fixture) + "\n");
  renameSync(target + ".tmp", target);
  const failed = results.filter((r) => !r.expected.ok).length;
  console.log(
    `${cases.length} cases written (${cases.length - failed} evaluate, ${failed} fail in Nix)`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
