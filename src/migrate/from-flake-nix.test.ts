/**
 * from-flake.nix evaluated by the real Nix against a hand-made configuration (no nixpkgs lib:
 * the option records are written out), so CI checks the filtering and the tagging wherever
 * `nix-instantiate` is installed. The real `lib.evalModules` is test/migrate-flake's job.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const fn = resolve(import.meta.dirname, "from-flake.nix");
const hasNix = spawnSync("nix-instantiate", ["--version"]).status === 0;

const configuration = `
  let
    option = defs: { _type = "option"; definitionsWithLocations = defs; };
    pkg = derivation { name = "jq-1.7.1"; pname = "jq"; system = "x86_64-linux"; builder = "/bin/sh"; };
  in {
    options = {
      home.packages = option [
        { file = "/src/home.nix"; value = [ pkg ]; }
        { file = "/upstream/fzf.nix"; value = throw "an upstream definition is never forced"; }
      ];
      home.sessionVariables = option [
        { file = "/src/home.nix"; value = {
            EDITOR = { _type = "override"; priority = 1000; content = "nvim"; };
            PAGER = { _type = "if"; condition = true; content = "less"; };
          }; }
      ];
      home.file = option [ { file = "/src-other/x.nix"; value = { a.text = "not ours: the prefix is /src/"; }; } ];
      programs.fzf = {
        enable = option [ { file = "/src/home.nix"; value = true; } ];
        fileWidgetCommand = option [ { file = "/src/home.nix"; value = x: x; } ];
        hooks.pre = option [ { file = "/src/home.nix"; value = /src/hooks/pre; } ];
      };
      programs.bat.enable = option [ { file = "/src/home.nix"; value = throw "bat is not enabled, so never read"; } ];
    };
    config.programs = { fzf.enable = true; bat.enable = false; };
  }`;

describe.skipIf(!hasNix)("from-flake.nix", () => {
  it("reads only the flake's own definitions of enabled programs, tagged, never forcing the rest", () => {
    const r = spawnSync(
      "nix-instantiate",
      [
        "--eval",
        "--strict",
        "--json",
        "--store",
        "dummy://",
        "-E",
        `(import ${fn}) "/src" "home" (${configuration})`,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      notes: [],
      definitions: [
        {
          level: "home",
          option: ["home", "packages"],
          file: "/src/home.nix",
          value: [{ __setupMac: "package", name: "jq-1.7.1", pname: "jq" }],
        },
        {
          level: "home",
          option: ["home", "sessionVariables"],
          file: "/src/home.nix",
          value: { EDITOR: "nvim", PAGER: { __setupMac: "property", property: "if" } },
        },
        {
          level: "home",
          option: ["programs", "fzf", "enable"],
          file: "/src/home.nix",
          value: true,
        },
        {
          level: "home",
          option: ["programs", "fzf", "fileWidgetCommand"],
          file: "/src/home.nix",
          value: { __setupMac: "function" },
        },
        {
          level: "home",
          option: ["programs", "fzf", "hooks", "pre"],
          file: "/src/home.nix",
          value: { __setupMac: "path", path: "/src/hooks/pre" },
        },
      ],
    });
  });
});
