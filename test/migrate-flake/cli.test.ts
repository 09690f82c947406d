/**
 * The built CLI with `--from-flake`, as a user runs it inside their flake with the bundled
 * example as the workspace: the evaluation function ships in dist/, exit codes and messages.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, copyExampleTo } from "../e2e/cli.js";
import { installNix } from "./standin.js";

const root = resolve(import.meta.dirname, "../..");
const fixture = join(root, "test/fixtures/migrate/flake");
const scratch = mkdtempSync(join(tmpdir(), "sm-from-flake-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ws = join(scratch, "ws");
copyExampleTo(ws);
const flake = join(scratch, "dotfiles");
cpSync(join(fixture, "config"), flake, { recursive: true });
const env = {
  PATH: `${installNix(join(scratch, "bin"))}:${process.env.PATH ?? ""}`,
  NIX_LOG: join(scratch, "nix.log"),
  NIX_SOURCE: flake,
  NIX_CAPTURED: join(fixture, "captured.json"),
  NIX_FN: join(root, "src/migrate/from-flake.nix"),
  NIX_FLAKE: ".",
  NIX_HOSTS: JSON.stringify({ darwin: ["mac"], home: ["lars@desk"] }),
};
const run = (...args: string[]) =>
  cli(["--workspace", ws, "migrate", ...args], { cwd: flake, env });

describe("setup-mac migrate --from-flake (built CLI)", () => {
  it("migrates into the example, keeping its own modules, and prints the enable line", () => {
    const r = run("--from-flake", ".#darwinConfigurations.mac");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "kept      programs/cli/fzf.ts (exists with other text; --force replaces it)\n",
    );
    expect(r.stdout).toContain("created   programs/services/notes-sync.ts\n");
    expect(r.stdout).toContain(
      '6 modules from 2 files (.#darwinConfigurations."mac"): 7 typed, 2 raw, 2 options to set, 3 left out\n',
    );
    expect(r.stdout).toContain(
      "next: setup-mac programs enable fzf git notes-sync restic-backup ripgrep session-variables\n",
    );
    const again = run("--from-flake", ".#darwinConfigurations.mac", "--json");
    const json = JSON.parse(again.stdout) as { modules: { program: string; status: string }[] };
    expect(json.modules.find((m) => m.program === "notes-sync")!.status).toBe("unchanged");
    expect(readFileSync(join(ws, "programs/services/notes-sync.ts"), "utf8")).toContain(
      "home.nix:48 (launchd.agents.notes-sync)",
    );
  });

  it("exits 1 for an unknown host and 2 for a malformed reference", () => {
    const host = run("--from-flake", ".#darwinConfigurations.laptop");
    expect(host.code).toBe(1);
    expect(host.stderr).toBe(
      "error[migrate-flake-host]: the flake `.` has no configuration `laptop` in darwinConfigurations\n  fix: name one that exists: `--from-flake .#darwinConfigurations.mac`\n",
    );
    const bad = run("--from-flake", "darwinConfigurations.mac");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "error[usage]: `--from-flake darwinConfigurations.mac` is not a flake reference to one configuration\n",
    );
  });
});
