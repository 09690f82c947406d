import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { nixParser } from "../adapters/nix-grammar.js";
import type { NixValue } from "./nix-value.js";
import { moduleValue, syntaxProblems } from "./nix-value.js";

async function value(text: string): Promise<NixValue> {
  const tree = (await nixParser()).parse(text)!;
  expect(syntaxProblems(tree.rootNode)).toEqual([]);
  return moduleValue(tree.rootNode);
}

const hasNix = spawnSync("nix-instantiate", ["--version"]).status === 0;

/** Strings as real Nix reads them. */
function nixString(text: string): unknown {
  const r = spawnSync(
    "nix-instantiate",
    ["--eval", "--strict", "--json", "--store", "dummy://", "-E", text],
    {
      encoding: "utf8",
    },
  );
  return JSON.parse(r.stdout) as unknown;
}

const STRINGS = [
  `"plain \\"quoted\\" \\\${not} \\n \\t end"`,
  `''\n    two\n      indented\n    lines\n  ''`,
  `''  first line kept\n  second''`,
  `''\n  dollar ''\${x} quote ''' tab''\\t\n''`,
  `let a = "A"; in "x\${a}y\${toString 3}"`,
];

describe("strings", () => {
  it.skipIf(!hasNix).each(STRINGS)("%s reads as Nix reads it", async (text) => {
    const v = await value(text);
    if (text.includes("toString")) {
      expect(v.kind).toBe("interpolated");
      return;
    }
    expect(v).toMatchObject({ kind: "string", value: nixString(text) });
  });
});

describe("references", () => {
  it("pkgs.x and names under with pkgs; are packages, config is an argument", async () => {
    const v = await value(
      `{ config, pkgs, ... }: { a = pkgs.ripgrep; b = with pkgs; [ jq python3Packages.black ]; c = config.x; }`,
    );
    if (v.kind !== "attrs") throw new Error(v.kind);
    expect(v.entries.get("a")).toMatchObject({ kind: "pkg", path: "ripgrep" });
    expect(v.entries.get("b")).toMatchObject({
      kind: "list",
      items: [
        { kind: "pkg", path: "jq" },
        { kind: "pkg", path: "python3Packages.black" },
      ],
    });
    expect(v.entries.get("c")).toMatchObject({ kind: "expr", line: 1, text: "config.x" });
  });

  it("nested attribute paths merge; a let binding that refers to itself is not resolved", async () => {
    const v = await value(`let x = x; in { a.b = 1; a = { c = 2; }; d = x; }`);
    if (v.kind !== "attrs") throw new Error(v.kind);
    const a = v.entries.get("a");
    expect(a?.kind === "attrs" && [...a.entries.keys()]).toEqual(["b", "c"]);
    expect(v.entries.get("d")).toMatchObject({ kind: "expr", why: "`x` refers to itself" });
  });

  it("leaves to Nix what Nix would not coerce, and indented strings with escaped newlines", async () => {
    expect(await value(`let n = 3; in "v\${n}"`)).toMatchObject({ kind: "interpolated" });
    expect(await value(`''\n  a''\\nb\n''`)).toMatchObject({ kind: "expr" });
  });

  it("reports syntax errors with their line", async () => {
    const tree = (await nixParser()).parse("{\n  a = ;\n}")!;
    expect(syntaxProblems(tree.rootNode)[0]!.line).toBe(2);
  });

  it("accepts a trailing comma after a function's last argument, as nixfmt writes it", async () => {
    const parser = await nixParser();
    expect(syntaxProblems(parser.parse("{\n  a,\n  b ? 1,\n}:\na")!.rootNode)).toEqual([]);
    expect(syntaxProblems(parser.parse("{ a, , b }: a")!.rootNode)).not.toEqual([]);
  });
});
