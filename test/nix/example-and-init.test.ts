/**
 * The adapters on real workspaces: the bundled example's lock evaluates on every adapter of
 * every host, and a newcomer's path — `init` in a flake repo, two programs enabled, `build`, the
 * printed import line added — gives a flake that parses and adapters that evaluate.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Lock } from "../../src/emit/lock-types.js";
import { cli } from "../e2e/cli.js";

const root = resolve(import.meta.dirname, "../..");
const harness = join(root, "test/nix/harness");
const hasNix = spawnSync("nix-instantiate", ["--version"], { encoding: "utf8" }).status === 0;
const scratch = mkdtempSync(join(tmpdir(), "sm-nix-ws-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every nixpkgs attribute path a lock refers to. */
function packagePaths(lock: Lock): string[] {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.pkg === "string") out.add(o.pkg);
      Object.values(o).forEach(visit);
    }
  };
  for (const host of Object.values(lock.hosts)) {
    for (const p of Object.values(host.programs)) {
      for (const level of [p.system, p.home]) {
        for (const pkg of level?.packages ?? []) out.add(pkg);
        for (const w of Object.values(level?.wrappers ?? {})) out.add(w.package);
      }
      visit(p);
    }
  }
  return [...out].sort();
}

/** A pkgs stand-in with a fake derivation at every path the lock names. */
function pkgsExpression(paths: string[]): string {
  const tree: Record<string, unknown> = {};
  for (const path of paths) {
    const parts = path.split(".");
    let node = tree;
    parts.slice(0, -1).forEach((p) => (node = (node[p] ??= {}) as Record<string, unknown>));
    node[parts[parts.length - 1]!] = path;
  }
  const render = (node: Record<string, unknown>): string =>
    "{ " +
    Object.entries(node)
      .map(
        ([k, v]) =>
          `${JSON.stringify(k)} = ${typeof v === "string" ? `fake ${JSON.stringify(v)}` : render(v as Record<string, unknown>)};`,
      )
      .join(" ") +
    " }";
  return render(tree);
}

function evaluate(
  entry: string,
  lockFile: string,
  host: string,
  adapter: string,
  lock: Lock,
): { ok: boolean; value: unknown; stderr: string } {
  const expr = `
    let
      lib = import ${harness}/lib.nix;
      base = import ${harness}/pkgs.nix { inherit lib; };
      fake = name: { type = "derivation"; inherit name; outPath = "/nix/store/" + builtins.substring 0 32 (builtins.hashString "sha256" name) + "-" + name; };
      pkgs = ${pkgsExpression(packagePaths(lock))} // base;
      module = (import ${entry} { host = ${JSON.stringify(host)}; lockFile = ${lockFile}; }).${adapter};
    in import ${harness}/modules.nix { inherit lib pkgs; modules = [ module ]; }`;
  const r = spawnSync(
    "nix-instantiate",
    ["--eval", "--strict", "--json", "--store", "dummy://", "-E", expr],
    { encoding: "utf8" },
  );
  return {
    ok: r.status === 0,
    value: r.status === 0 ? (JSON.parse(r.stdout) as unknown) : undefined,
    stderr: r.stderr,
  };
}

describe.skipIf(!hasNix)(
  "the adapters on real workspaces (skipped without nix-instantiate)",
  () => {
    it("the bundled example's lock evaluates on every adapter of both hosts", () => {
      const lockFile = join(root, "examples/workstation/setup-mac.lock.json");
      const lock = JSON.parse(readFileSync(lockFile, "utf8")) as Lock;
      const cases: [string, string][] = [
        ["evo-x2", "nixos"],
        ["evo-x2", "home"],
        ["macbook", "darwin"],
        ["macbook", "home"],
      ];
      for (const [host, adapter] of cases) {
        const r = evaluate(join(root, "nix"), lockFile, host, adapter, lock);
        expect(r.stderr, `${adapter} for ${host}`).not.toMatch(/error/);
        expect(r.ok, `${adapter} for ${host}: ${r.stderr}`).toBe(true);
        const config = r.value as Record<string, Record<string, unknown>>;
        if (adapter === "nixos") {
          const units = Object.keys((config.systemd as { services: object }).services);
          expect(units).toEqual(
            expect.arrayContaining(["setup-mac-ollama-server", "setup-mac-nix-gc-collect"]),
          );
          expect(Object.keys((config.systemd as { timers: object }).timers)).toEqual(
            expect.arrayContaining(["setup-mac-nix-gc-collect"]),
          );
        }
        if (adapter === "darwin") {
          expect(Object.keys((config.launchd as { daemons: object }).daemons)).toEqual(
            expect.arrayContaining(["org.setup-mac.nix-gc.collect"]),
          );
        }
        if (adapter === "home") {
          const file = (config.home as { file: Record<string, { text?: string }> }).file;
          expect(Object.keys(file)).toEqual(expect.arrayContaining([".config/git/config"]));
          // fish's interactiveInit is lines(): direnv, fzf, atuin and starship each add one,
          // the prompt last (mkAfter); Nix must write them in that order into config.fish.
          const fish = file[".config/fish/config.fish"]?.text ?? "";
          expect(
            fish.split("\n").filter((l) => / init fish| hook fish|fzf --fish/.test(l)),
            `config.fish for ${host}`,
          ).toEqual([
            "    direnv hook fish | source",
            "    fzf --fish | source",
            "    atuin init fish | source",
            "    starship init fish | source",
          ]);
        }
      }
    });

    it("init → enable two programs → build → the printed line: the flake parses and the adapters evaluate", () => {
      const ws = join(scratch, "flake-repo");
      mkdirSync(ws, { recursive: true });
      const flake = `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin";
  outputs = { self, nixpkgs, nix-darwin, ... }: {
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./hosts/desk.nix
      ];
    };
    darwinConfigurations."work-mac" = nix-darwin.lib.darwinSystem {
      system = "aarch64-darwin";
      modules = [ ./hosts/work-mac.nix ];
    };
  };
}
`;
      writeFileSync(join(ws, "flake.nix"), flake);
      const env = { SETUP_MAC_CACHE_DIR: join(scratch, "cache"), USER: "lars" };
      // The host files are not in this repository, so the flake does not say the user: --user does.
      const init = cli(["--workspace", ws, "init", "--user", "lars"], { env });
      expect(init.code).toBe(0);
      expect(init.stderr).toBe("");
      expect(init.stdout).toContain('(import ./setup-mac/nix { host = "desk"; }).nixos');
      expect(init.stdout).toContain('(import ./setup-mac/nix { host = "work-mac"; }).darwin');
      expect(readFileSync(join(ws, "flake.nix"), "utf8")).toBe(flake);
      // The second run changes nothing.
      expect(cli(["--workspace", ws, "init"], { env }).stdout).not.toMatch(/^created|^updated/m);

      for (const name of ["git", "ripgrep"]) {
        mkdirSync(join(ws, "programs/tools"), { recursive: true });
        cpSync(
          join(root, `examples/workstation/programs/${name === "git" ? "vcs" : "cli"}/${name}.ts`),
          join(ws, `programs/tools/${name}.ts`),
        );
      }
      expect(
        cli(
          ["--workspace", ws, "--host", "desk,work-mac", "programs", "enable", "git", "ripgrep"],
          { env },
        ).code,
      ).toBe(0);
      const build = cli(["--workspace", ws, "build"], { env });
      expect(build.stderr).toBe("");
      expect(build.code).toBe(0);

      // Add the printed lines, as the README says, and check the flake still parses.
      const edited = flake
        .replace(
          "./hosts/desk.nix\n",
          './hosts/desk.nix\n        (import ./setup-mac/nix { host = "desk"; }).nixos\n',
        )
        .replace(
          "[ ./hosts/work-mac.nix ]",
          '[ ./hosts/work-mac.nix (import ./setup-mac/nix { host = "work-mac"; }).darwin ]',
        );
      writeFileSync(join(ws, "flake.nix"), edited);
      const parsed = spawnSync(
        "nix-instantiate",
        ["--parse", "--store", "dummy://", join(ws, "flake.nix")],
        {
          encoding: "utf8",
        },
      );
      expect(parsed.stderr).toBe("");
      // init now sees the lines in place.
      const again = cli(["--workspace", ws, "init"], { env });
      expect(again.stdout).toContain("Every host already imports the adapter:");
      expect(again.stdout).toContain("✓ desk already imports .nixos");

      const lock = JSON.parse(readFileSync(join(ws, "setup-mac.lock.json"), "utf8")) as Lock;
      for (const [host, adapter] of [
        ["desk", "nixos"],
        ["desk", "home"],
        ["work-mac", "darwin"],
      ] as const) {
        // The adapters as init wrote them, with the lock at its default place next to them.
        const r = evaluate(
          join(ws, "setup-mac/nix"),
          join(ws, "setup-mac.lock.json"),
          host,
          adapter,
          lock,
        );
        expect(r.ok, `${adapter} for ${host}: ${r.stderr}`).toBe(true);
        const text = JSON.stringify(r.value);
        expect(text).toMatch(adapter === "home" ? /ripgreprc/ : /-ripgrep/);
      }
    });
  },
);
