import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { nixParser } from "../adapters/nix-grammar.js";
import { analyze } from "./analyze.js";
import type { Evaluation, StaticFile } from "./flake.js";
import {
  applyExpression,
  evaluationSchema,
  flakeSources,
  nixString,
  parseFlakeRef,
} from "./flake.js";
import { moduleValue } from "./nix-value.js";

const fixture = resolve(import.meta.dirname, "../../test/fixtures/migrate/flake");
const SOURCE = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-source";
const captured = JSON.parse(
  readFileSync(join(fixture, "captured.json"), "utf8").split("@SOURCE@").join(SOURCE),
) as Record<"darwin" | "nixos" | "home", unknown>;
const parser = await nixParser();

/** The fixture's own files, parsed, as the adapter reads them from the store copy. */
function fromFixture(rel: string): StaticFile {
  const tree = parser.parse(readFileSync(join(fixture, "config", rel), "utf8"))!;
  const value = moduleValue(tree.rootNode);
  tree.delete();
  return { shown: rel, value };
}

describe("parseFlakeRef", () => {
  it("reads the three kinds, bare names, quoted names and remote flakes", () => {
    expect(parseFlakeRef(".#darwinConfigurations.mac")).toEqual({
      flake: ".",
      kind: "darwin",
      name: "mac",
    });
    expect(parseFlakeRef('../dots#homeConfigurations."lars@desk.local"')).toEqual({
      flake: "../dots",
      kind: "home",
      name: "lars@desk.local",
    });
    expect(parseFlakeRef("github:lars/dots#nixosConfigurations.evo-x2")).toEqual({
      flake: "github:lars/dots",
      kind: "nixos",
      name: "evo-x2",
    });
    expect(parseFlakeRef(".#mac")).toEqual({ flake: ".", name: "mac" });
  });

  it("refuses what is not one configuration, naming the forms", () => {
    for (const bad of [
      "darwinConfigurations.mac",
      "#darwinConfigurations.mac",
      ".#",
      ".#darwinConfigurations",
      ".#packages.x86_64-linux.hello",
      '.#darwinConfigurations."unterminated',
    ]) {
      expect(() => parseFlakeRef(bad), bad).toThrow(
        `\`--from-flake ${bad}\` is not a flake reference to one configuration`,
      );
    }
  });
});

describe("the --apply expression", () => {
  it("escapes what a Nix string literal must", () => {
    expect(nixString('a"b\\c${d}$e')).toBe('"a\\"b\\\\c\\${d}$e"');
    expect(applyExpression("source: level: c: c\n", SOURCE, "home")).toBe(
      `(source: level: c: c) "${SOURCE}" "home"`,
    );
  });
});

describe("flakeSources on the captured evaluation", () => {
  const darwin = evaluationSchema.parse(captured.darwin);

  it("groups definitions by file and level, and only the flake's own files", () => {
    const r = flakeSources(darwin, SOURCE, fromFixture);
    expect(r.sources.map((s) => [s.file, s.level])).toEqual([
      ["darwin.nix", "darwin"],
      ["home.nix", "home"],
    ]);
    expect(r.files).toEqual(["darwin.nix", "home.nix"]);
    expect(r.report).toEqual([]);
  });

  it("keeps the file's literal text (pkgs.x, lines) and the evaluated value elsewhere", () => {
    const a = analyze(flakeSources(darwin, SOURCE, fromFixture).sources);
    const fzf = a.programs.find((p) => p.name === "fzf")!;
    expect(fzf.raw.home).toEqual({
      "programs.fzf": {
        defaultCommand: "fd --type f",
        defaultOptions: ["--height 40%", "--color=bg+:#313244"],
        enable: true,
      },
    });
    const git = a.programs.find((p) => p.name === "git")!;
    // environment.systemPackages = [ pkgs.git ] is literal: the package goes to git's module.
    expect(git.packages).toEqual(["git"]);
    expect(git.sources).toContainEqual({ file: "darwin.nix", line: 5, what: "packages" });
    const agent = a.programs.find((p) => p.name === "restic-backup")!;
    expect(agent.services.main).toMatchObject({
      command: [expect.anything(), "backup", "/Users/lars/Documents"],
    });
    // Not enabled, so never read.
    expect(a.programs.some((p) => p.name === "bat")).toBe(false);
  });

  it("without the file's text the evaluated values still migrate; packages are reported", () => {
    const a = analyze(flakeSources(darwin, SOURCE, (rel) => ({ shown: rel })).sources);
    const fzf = a.programs.find((p) => p.name === "fzf")!;
    expect((fzf.raw.home!["programs.fzf"] as { defaultOptions: string[] }).defaultOptions).toEqual([
      "--height 40%",
      "--color=bg+:#313244",
    ]);
    const pkgs = a.report.filter((e) => e.what.startsWith("package "));
    expect(pkgs.map((e) => [e.file, e.kind, e.what])).toEqual([
      ["darwin.nix", "not-migrated", "package <package git-2.45.2>"],
      ["home.nix", "not-migrated", "package <package ripgrep-14.1.0>"],
      ["home.nix", "not-migrated", "package <package jq-1.7.1>"],
      ["home.nix", "not-migrated", "package <package fd-10.1.0>"],
    ]);
    // A store string without its text becomes a placeholder, never the store path as data.
    const env = a.programs.find((p) => p.name === "session-variables")!;
    expect(env.placeholders.map((o) => [o.name, o.nix])).toEqual([
      ["manpager", expect.stringContaining("-bat-0.24.0/bin/bat -plman")],
    ]);
    expect(JSON.stringify(env.env)).not.toContain("/nix/store");
  });

  it("a function or an mkIf inside a value becomes a placeholder with why", () => {
    const ev: Evaluation = {
      notes: [],
      definitions: [
        {
          level: "home",
          option: ["programs", "kitty", "settings"],
          file: `${SOURCE}/kitty.nix`,
          value: { font_size: 13, theme: { __setupMac: "property", property: "if" } },
        },
        {
          level: "home",
          option: ["programs", "kitty", "extraConfig"],
          file: `${SOURCE}/kitty.nix`,
          value: { __setupMac: "function" },
        },
        {
          level: "home",
          option: ["programs", "kitty", "enable"],
          file: `${SOURCE}/kitty.nix`,
          value: true,
        },
      ],
    };
    const a = analyze(flakeSources(ev, SOURCE, (rel) => ({ shown: rel })).sources);
    const kitty = a.programs.find((p) => p.name === "kitty")!;
    expect(kitty.placeholders.map((o) => [o.name, o.why])).toEqual([
      ["settingsTheme", "a `if` inside the value, which only the module system resolves"],
      ["extraConfig", "a function, which only Nix can call"],
    ]);
    expect(kitty.raw.home!["programs.kitty"]).toMatchObject({
      enable: true,
      settings: { font_size: 13 },
    });
  });

  it("two definitions of one option in a file merge; a home-manager user's inline text is found", () => {
    const darwinText = `{ pkgs, ... }: {
  home-manager.users.lars = {
    programs.fzf.enable = true;
    programs.fzf.defaultOptions = [ "--height 40%" ];
  };
}`;
    const tree = parser.parse(darwinText)!;
    const value = moduleValue(tree.rootNode);
    tree.delete();
    const ev: Evaluation = {
      notes: [],
      definitions: [
        {
          level: "home",
          user: "lars",
          option: ["programs", "fzf", "enable"],
          file: `${SOURCE}/darwin.nix`,
          value: true,
        },
        {
          level: "home",
          user: "lars",
          option: ["programs", "fzf", "defaultOptions"],
          file: `${SOURCE}/darwin.nix`,
          value: ["--height 40%"],
        },
        {
          level: "home",
          user: "lars",
          option: ["programs", "fzf", "defaultOptions"],
          file: `${SOURCE}/darwin.nix`,
          value: ["--reverse"],
        },
      ],
    };
    const r = flakeSources(ev, SOURCE, (rel) => ({ shown: rel, value }));
    const a = analyze(r.sources);
    const fzf = a.programs.find((p) => p.name === "fzf")!;
    expect(fzf.raw.home!["programs.fzf"]).toEqual({
      enable: true,
      defaultOptions: ["--height 40%", "--reverse"],
    });
    expect(fzf.sources[0]!.line).toBe(3);
  });

  it("a lib without valueMeta is reported, not silently empty", () => {
    const r = flakeSources(
      {
        definitions: [],
        notes: [{ level: "darwin", what: "home-manager.users", detail: "no valueMeta" }],
      },
      SOURCE,
      (rel) => ({ shown: rel }),
    );
    expect(r.report).toEqual([
      {
        kind: "not-migrated",
        file: "(flake)",
        line: 0,
        what: "home-manager.users",
        detail:
          "no valueMeta; migrate the home-manager files directly: `setup-mac migrate home.nix`",
      },
    ]);
  });
});
