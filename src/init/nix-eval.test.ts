import { describe, expect, it } from "vitest";
import { nixParser } from "../adapters/nix-grammar.js";
import type { Value } from "./nix-eval.js";
import { apply, evaluateFile, newContext, ready } from "./nix-eval.js";

/** Evaluates `text` and turns the result into plain data, deeply (unknowns as `?why`). */
async function run(text: string, files: Record<string, string> = {}): Promise<unknown> {
  const parser = await nixParser();
  // Like the flake's loader: a folder means its default.nix.
  const ctx = newContext((path) => {
    const file = path in files ? path : `${path}/default.nix`;
    const source = files[file];
    return source === undefined
      ? { error: `there is no ${path}` }
      : { root: parser.parse(source)!.rootNode, file };
  });
  let v = evaluateFile(parser.parse(text)!.rootNode, "flake.nix", ctx);
  // A function is called as a flake's outputs: with its inputs, known only to Nix.
  if (v.kind === "lambda") v = apply(v, ready({ kind: "ref", path: [], at: v.at }), ctx, v.at);
  return plain(v, 0);
}

function plain(v: Value, depth: number): unknown {
  if (depth > 8) return "…";
  switch (v.kind) {
    case "string":
    case "number":
    case "bool":
      return v.value;
    case "null":
      return null;
    case "path":
      return `path:${v.path}`;
    case "list":
      return v.items.map((t) => plain(t.force(), depth + 1));
    case "attrs":
      return Object.fromEntries([...v.entries].map(([k, t]) => [k, plain(t.force(), depth + 1)]));
    case "ref":
      return `ref:${v.path.join(".")}`;
    case "call":
      return `call:${v.fn.join(".")}/${v.args.length}`;
    case "unknown":
      return `?${v.why} @${v.at.file}:${v.at.line}`;
    default:
      return v.kind;
  }
}

describe("the flake evaluator", () => {
  it("computes let (nested, inherit, inherit from), rec, attribute paths and their merging", async () => {
    expect(
      await run(`let
        a = "x";
        s = { b = "y"; c.d = 1; };
        inner = let inherit a; inherit (s) b; in a + b;
      in rec {
        inherit inner;
        p.q = 1;
        p = { r = 2; };
        self = p.r + 1;
        "quoted name" = s.c.d;
      }`),
    ).toEqual({ inner: "xy", p: { q: 1, r: 2 }, self: 3, "quoted name": 1 });
  });

  it("applies functions: formals with defaults, @-patterns, currying, helpers from let", async () => {
    expect(
      await run(`let
        mk = { name, system ? "x86_64-linux", ... }@args: { inherit name system; n = args.name; };
        add = a: b: a + b;
      in { one = mk { name = "a"; }; two = mk { name = "b"; system = "aarch64-darwin"; }; sum = add 1 2; }`),
    ).toEqual({
      one: { name: "a", system: "x86_64-linux", n: "a" },
      two: { name: "b", system: "aarch64-darwin", n: "b" },
      sum: 3,
    });
  });

  it("interpolates known strings, computes names, operators, if and with", async () => {
    expect(
      await run(`let user = "lars"; sets = { a = 1; } // { b = 2; }; in with sets; {
        home = "/Users/\${user}";
        users.\${user}.x = true;
        both = [ 1 ] ++ [ 2 ];
        pick = if user == "lars" then "yes" else "no";
        fromWith = a + b;
        not = !(1 < 2);
        escaped = "a\\\${b}\\n";
        one = ''plain'';
        has = sets ? a;
        or = sets.zzz or "fallback";
      }`),
    ).toEqual({
      home: "/Users/lars",
      users: { lars: { x: true } },
      both: [1, 2],
      pick: "yes",
      fromWith: 3,
      not: false,
      escaped: "a${b}\n",
      one: "plain",
      has: true,
      or: "fallback",
    });
  });

  it("runs the builtins and lib functions flakes build hosts with", async () => {
    expect(
      await run(`{ nixpkgs, ... }: let lib = nixpkgs.lib; in {
        mapped = builtins.mapAttrs (name: v: name + v) { a = "1"; };
        listed = builtins.listToAttrs (map (n: lib.nameValuePair n n) [ "x" ]);
        generated = lib.genAttrs [ "p" ] (n: n + "!");
        names = builtins.attrNames { b = 1; a = 2; };
        suffix = lib.hasSuffix "darwin" "aarch64-darwin";
        dflt = lib.mkDefault "v";
        optional = lib.optionalAttrs false { x = 1; };
        system = nixpkgs.lib.nixosSystem { };
      }`),
    ).toEqual({
      mapped: { a: "a1" },
      listed: { x: "x" },
      generated: { p: "p!" },
      names: ["a", "b"],
      suffix: true,
      dflt: "v",
      optional: {},
      system: "call:nixpkgs.lib.nixosSystem/1",
    });
  });

  it("reads the local files a flake imports, resolved from the importing file", async () => {
    expect(
      await run(`{ hosts = import ./hosts; }`, {
        "hosts/default.nix": `{ desk = import ./desk.nix; }`,
        "hosts/desk.nix": `{ system = "x86_64-linux"; up = ../top.nix; }`,
      }),
    ).toEqual({ hosts: { desk: { system: "x86_64-linux", up: "path:top.nix" } } });
    expect(
      await run(`let n = "a"; in { p = ./hosts/\${n}/x.nix; q = ./\${builtins.getEnv "H"}; }`),
    ).toEqual({
      p: "path:hosts/a/x.nix",
      q: '?`builtins.getEnv "H"` reads the environment when Nix evaluates @flake.nix:1',
    });
  });

  it("says why, and where, for what only Nix knows", async () => {
    expect(
      await run(`{ self, nixpkgs, ... }: let
        user = builtins.getEnv "USER";
        loop = loop;
      in {
        user = user;
        home = "/home/\${user}";
        loop = loop;
        here = builtins.currentSystem;
        file = import ./missing.nix;
        arg = nixpkgs.x + "y";
        undefinedName = nope;
        store = "\${./x}";
      }`),
    ).toEqual({
      user: '?`builtins.getEnv "USER"` reads the environment when Nix evaluates @flake.nix:2',
      home: '?`builtins.getEnv "USER"` reads the environment when Nix evaluates @flake.nix:2',
      loop: "?it refers to itself (infinite recursion) @flake.nix:3",
      here: "?`builtins.currentSystem` is the system of the machine that evaluates the flake @flake.nix:8",
      file: "?`import ./missing.nix`: there is no missing.nix @flake.nix:9",
      arg: "?one side of `+` uses `nixpkgs.x`, known only when Nix evaluates @flake.nix:10",
      undefinedName: "?`nope` is not defined in flake.nix @flake.nix:11",
      store: "?`${./x}` is a store path, known only when Nix evaluates @flake.nix:12",
    });
  });
});
