/**
 * The shell the adapters generate, run for real: the wrapper's makeWrapper call and the
 * merge-mode file script (with the machine's jq standing in for nixpkgs' jq).
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const harness = join(root, "test/nix/harness");

const hasNix = spawnSync("nix-instantiate", ["--version"], { encoding: "utf8" }).status === 0;
const jq = spawnSync("sh", ["-c", "command -v jq"], { encoding: "utf8" }).stdout.trim();
if (!hasNix) console.warn("test/nix: skipped, nix-instantiate is not installed");
if (hasNix && jq === "") console.warn("test/nix: merge script run skipped, jq is not installed");

const scratch = mkdtempSync(join(tmpdir(), "setup-mac-scripts-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Evaluates `body` with `sm` bound to nix/lib.nix over the harness lib and pkgs. */
function nixLib(body: string, pkgsExtra = "{ }"): unknown {
  const expr = `let
    lib = import ${harness}/lib.nix;
    pkgs = import ${harness}/pkgs.nix { inherit lib; } // ${pkgsExtra};
    sm = import ${root}/nix/lib.nix { inherit lib pkgs; };
  in ${body}`;
  const r = spawnSync(
    "nix-instantiate",
    ["--eval", "--strict", "--json", "--store", "dummy://", "-E", expr],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as unknown;
}

function sh(
  script: string,
  args: string[] = [],
): { status: number | null; out: string; err: string } {
  const r = spawnSync("bash", ["-c", script, "bash", ...args], { encoding: "utf8" });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!hasNix)("wrapper packages (skipped when nix-instantiate is missing)", () => {
  const flags = ["--smart-case", "--glob=!.git/*", "it's $HOME", "a  b"];
  let postBuild = "";
  beforeAll(() => {
    postBuild = nixLib(
      `(sm.wrapperPackage "ripgrep" "rg" {
        package = "ripgrep"; binary = "rg";
        addFlags = builtins.fromJSON ${JSON.stringify(JSON.stringify(flags))};
        env = { RIPGREP_CONFIG_PATH = "/etc/rip grep rc"; };
      }).postBuild`,
    ) as string;
  });

  it("calls wrapProgram with the flags as one shell string that makeWrapper re-reads literally", () => {
    // makeWrapper pastes the --add-flags string into the wrapper script, where the shell splits it.
    const r = sh(
      `out=/out
       wrapProgram() { while [ $# -gt 0 ]; do
         case $1 in --add-flags) eval "printf 'flag:%s\\n' $2"; shift 2;;
           *) printf 'arg:%s\\n' "$1"; shift;; esac; done; }
       ${postBuild}`,
    );
    expect(r.err).toBe("");
    expect(r.out.split("\n").filter(Boolean)).toEqual([
      "arg:/out/bin/rg",
      ...flags.map((f) => `flag:${f}`),
      "arg:--set",
      "arg:RIPGREP_CONFIG_PATH",
      "arg:/etc/rip grep rc",
    ]);
  });
});

describe.skipIf(!hasNix || jq === "")(
  "merge-mode files (skipped when nix-instantiate or jq is missing)",
  () => {
    let script = "";
    let declared = "";
    beforeAll(() => {
      const prefix = dirname(dirname(jq));
      const text = nixLib(
        "sm.mergeScript.text",
        `{ jq = { type = "derivation"; name = "jq"; outPath = ${JSON.stringify(prefix)}; }; }`,
      ) as string;
      script = join(scratch, "merge-file");
      writeFileSync(script, `#!/usr/bin/env bash\n${text}`, { mode: 0o755 });
      declared = join(scratch, "declared.json");
      writeFileSync(
        declared,
        JSON.stringify({ "editor.fontSize": 14, nested: { a: 1 }, list: ["declared"] }),
      );
    });

    const run = (target: string, mode?: string) =>
      spawnSync(script, ["json", declared, target, ...(mode ? [mode] : [])], { encoding: "utf8" });

    it("merges declared keys into the live file: declared keys win, the app's other keys stay", () => {
      const dir = mkdtempSync(join(scratch, "live-"));
      const target = join(dir, "settings.json");
      writeFileSync(
        target,
        JSON.stringify({
          "editor.fontSize": 12,
          "workbench.colorTheme": "Solarized",
          nested: { a: 0, b: 2 },
          list: ["app"],
        }),
      );
      const r = run(target, "0600");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(JSON.parse(readFileSync(target, "utf8"))).toEqual({
        "editor.fontSize": 14,
        "workbench.colorTheme": "Solarized",
        nested: { a: 1, b: 2 },
        list: ["declared"],
      });
      expect(statSync(target).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual(["settings.json"]);
    });

    it("creates a missing file (and its folder) from the declared keys", () => {
      const target = join(scratch, "new", "deeper", "settings.json");
      const r = run(target);
      expect(r.status).toBe(0);
      expect(JSON.parse(readFileSync(target, "utf8"))).toEqual({
        "editor.fontSize": 14,
        nested: { a: 1 },
        list: ["declared"],
      });
    });

    it("replaces a read-only link left by an earlier generation with a writable file", () => {
      const dir = mkdtempSync(join(scratch, "link-"));
      const store = join(dir, "store-copy.json");
      writeFileSync(store, JSON.stringify({ old: true }), { mode: 0o444 });
      const target = join(dir, "settings.json");
      spawnSync("ln", ["-s", store, target]);
      const r = run(target);
      expect(r.status).toBe(0);
      expect(statSync(target).isFile()).toBe(true);
      expect(JSON.parse(readFileSync(target, "utf8"))).toMatchObject({
        old: true,
        nested: { a: 1 },
      });
      expect(JSON.parse(readFileSync(store, "utf8"))).toEqual({ old: true });
    });

    it("leaves a live file it cannot read untouched, with a warning, and does not fail", () => {
      const dir = mkdtempSync(join(scratch, "broken-"));
      const target = join(dir, "settings.json");
      writeFileSync(target, "{ // comments are not JSON\n");
      const r = run(target);
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`setup-mac: cannot merge into ${target}; left unchanged`);
      expect(readFileSync(target, "utf8")).toBe("{ // comments are not JSON\n");
      expect(readdirSync(dir)).toEqual(["settings.json"]);
      expect(existsSync(target)).toBe(true);
    });
  },
);
