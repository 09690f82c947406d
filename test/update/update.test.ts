import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NodeProcessRunner } from "../../src/adapters/node-runner.js";
import { update } from "../../src/api/update.js";
import { SetupMacError } from "../../src/errors/index.js";
import { calls, cliAsync, standins } from "../status/standins.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

const node = (rev: string, narHash: string, lastModified: number) => ({
  locked: { lastModified, narHash, owner: "o", repo: "r", rev, type: "github" },
  original: { owner: "o", repo: "r", type: "github" },
});

function flakeLock(nixpkgsRev: string, hmRev: string): string {
  return (
    JSON.stringify(
      {
        nodes: {
          nixpkgs: node(
            nixpkgsRev,
            `sha256-${nixpkgsRev}`,
            nixpkgsRev.startsWith("aaa") ? 1761955200 : 1764028800,
          ),
          "home-manager": {
            ...node(hmRev, `sha256-${hmRev}`, 1762041600),
            inputs: { nixpkgs: ["nixpkgs"] },
          },
          root: { inputs: { nixpkgs: "nixpkgs", "home-manager": "home-manager" } },
        },
        root: "root",
        version: 7,
      },
      null,
      2,
    ) + "\n"
  );
}

const OLD = flakeLock(
  "aaaaaaa1111111111111111111111111111111111",
  "ccccccc3333333333333333333333333333333333",
);
const NEW = flakeLock(
  "bbbbbbb2222222222222222222222222222222222",
  "ccccccc3333333333333333333333333333333333",
);

function setup(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "sm-update-"));
  temp.push(dir);
  const ws = join(dir, "ws");
  const bin = join(dir, "bin");
  standins(bin, ["nix"]);
  mkdirSync(ws);
  writeFileSync(join(ws, "flake.nix"), "{ outputs = _: { }; }\n");
  writeFileSync(join(ws, "flake.lock"), OLD);
  writeFileSync(join(dir, "new.lock"), NEW);
  const log = join(dir, "calls.log");
  const fullEnv = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    STANDIN_LOG: log,
    NEW_FLAKE_LOCK: join(dir, "new.lock"),
    ...env,
  };
  return {
    ws,
    log,
    env: fullEnv,
    runner: new NodeProcessRunner({ baseEnv: { ...process.env, ...fullEnv } }),
  };
}

const NIX = ["nix", "--extra-experimental-features", "nix-command flakes"];

describe("programs update", () => {
  it("reports the input whose revision moved, old → new with dates (CLI)", async () => {
    const s = setup();
    const r = await cliAsync(["--workspace", s.ws, "programs", "update"], s.env);
    expect(r.code).toBe(0);
    expect(calls(s.log)).toEqual([
      ["nix", "--version"],
      [...NIX, "flake", "update"],
    ]);
    expect(r.stdout).toContain(
      [
        "Ran (Nix 2.8.0): nix --extra-experimental-features 'nix-command flakes' flake update",
        "INPUT    CHANGE   FROM                  TO",
        "nixpkgs  updated  aaaaaaa (2025-11-01)  bbbbbbb (2025-11-25)",
      ].join("\n"),
    );
    expect(r.stdout).not.toContain("home-manager");
    expect(r.stdout).toContain("note: Package versions are not compared here");
    expect(readFileSync(join(s.ws, "flake.lock"), "utf8")).toBe(NEW);
  });

  it("updates named inputs with `flake lock --update-input` before Nix 2.19", async () => {
    const s = setup();
    const result = await update({ workspace: s.ws, inputs: ["nixpkgs"], runner: s.runner });
    expect(calls(s.log)[1]).toEqual([...NIX, "flake", "lock", "--update-input", "nixpkgs"]);
    expect(result.changes).toEqual([
      {
        input: "nixpkgs",
        direct: true,
        kind: "updated",
        old: {
          rev: "aaaaaaa1111111111111111111111111111111111",
          short: "aaaaaaa",
          narHash: "sha256-aaaaaaa1111111111111111111111111111111111",
          date: "2025-11-01",
        },
        new: {
          rev: "bbbbbbb2222222222222222222222222222222222",
          short: "bbbbbbb",
          narHash: "sha256-bbbbbbb2222222222222222222222222222222222",
          date: "2025-11-25",
        },
      },
    ]);
  });

  it("passes input names to `nix flake update` from Nix 2.19 on", async () => {
    const s = setup({ NIX_VERSION: "2.24.10" });
    const result = await update({
      workspace: s.ws,
      inputs: ["nixpkgs", "home-manager"],
      runner: s.runner,
    });
    expect(result.nixVersion).toBe("2.24.10");
    expect(calls(s.log)[1]).toEqual([...NIX, "flake", "update", "nixpkgs", "home-manager"]);
  });

  it("falls back to the older form when the version is unknown and input names are refused", async () => {
    const s = setup({ NIX_VERSION: "unknown", NIX_REJECT_INPUTS: "1" });
    const result = await update({ workspace: s.ws, inputs: ["nixpkgs"], runner: s.runner });
    expect(result.argv).toEqual([
      [...NIX, "flake", "update", "nixpkgs"],
      [...NIX, "flake", "lock", "--update-input", "nixpkgs"],
    ]);
    expect(result.changes.map((c) => c.input)).toEqual(["nixpkgs"]);
  });

  it("--dry-run shows the command and runs nothing but `nix --version`", async () => {
    const s = setup();
    const r = await cliAsync(
      ["--workspace", s.ws, "programs", "update", "--dry-run", "nixpkgs"],
      s.env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "Would run (Nix 2.8.0): nix --extra-experimental-features 'nix-command flakes' flake lock --update-input nixpkgs\ndry run: nothing was changed\n",
    );
    expect(calls(s.log)).toEqual([["nix", "--version"]]);
    expect(readFileSync(join(s.ws, "flake.lock"), "utf8")).toBe(OLD);
  });

  it("rejects an unknown input with a suggestion, before running Nix (exit 2)", async () => {
    const s = setup();
    const r = await cliAsync(["--workspace", s.ws, "programs", "update", "nixpgks"], s.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "flake.lock: error[unknown-input]: flake.nix has no input `nixpgks`\n  fix: did you mean `nixpkgs`?\n",
    );
    expect(calls(s.log)).toEqual([]);
  });

  it("a failing Nix is reported with what it said", async () => {
    const s = setup({ NIX_FAIL: "1" });
    const error = await update({ workspace: s.ws, runner: s.runner }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetupMacError);
    expect((error as SetupMacError).diagnostics[0]).toMatchObject({
      code: "update-failed",
      message:
        "`nix --extra-experimental-features 'nix-command flakes' flake update` exited 1\nerror: unable to download 'https://github.com/...': Couldn't resolve host name",
    });
  });
});
