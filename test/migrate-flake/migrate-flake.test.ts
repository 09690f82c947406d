/**
 * `migrate --from-flake` through a stand-in `nix` that asserts the exact argv and answers with
 * a captured real evaluation (test/fixtures/migrate/flake/captured.json): the modules it writes
 * check and build, a second run changes nothing, existing modules are kept without --force,
 * --dry-run writes nothing, and every error (no nix, a flake that does not evaluate, an unknown
 * host, a malformed reference) names the problem and the fix and writes nothing. With
 * NIXPKGS_LIB set to a nixpkgs.lib checkout, the same fixture flake is evaluated by the real
 * `nix` against the real `lib.evalModules` and must give the captured JSON.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { evaluateFlake } from "../../src/adapters/nix-flake.js";
import { NodeProcessRunner } from "../../src/adapters/node-runner.js";
import { build } from "../../src/api/build.js";
import { check } from "../../src/api/check.js";
import { fromFlakeFunction, migrate } from "../../src/api/migrate.js";
import { SetupMacError } from "../../src/errors/index.js";
import { parseFlakeRef } from "../../src/migrate/flake.js";
import { installNix } from "./standin.js";

const root = resolve(import.meta.dirname, "../..");
const fixture = join(root, "test/fixtures/migrate/flake");
const captured = join(fixture, "captured.json");
const fnFile = join(root, "src/migrate/from-flake.nix");
const scratch = mkdtempSync(join(tmpdir(), "sm-from-flake-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The user's flake (never written), its "store" copy, and the stand-in's environment. */
const flake = join(scratch, "dotfiles");
const store = join(scratch, "store/0123456789abcdfghijklmnpqrsvwxyz-source");
cpSync(join(fixture, "config"), flake, { recursive: true });
cpSync(join(fixture, "config"), store, { recursive: true });
const bin = installNix(join(scratch, "bin"));
const log = join(scratch, "nix.log");
const HOSTS = { darwin: ["mac"], nixos: ["desk"], home: ["lars@desk"] };

function runner(extra: Record<string, string> = {}, path = `${bin}:${process.env.PATH ?? ""}`) {
  return new NodeProcessRunner({
    baseEnv: {
      ...process.env,
      PATH: path,
      NIX_LOG: log,
      NIX_SOURCE: store,
      NIX_CAPTURED: captured,
      NIX_FN: fnFile,
      NIX_FLAKE: ".",
      NIX_HOSTS: JSON.stringify(HOSTS),
      ...extra,
    },
  });
}

function workspace(name: string): string {
  const ws = join(scratch, name);
  cpSync(join(root, "nix"), join(ws, "setup-mac/nix"), { recursive: true });
  writeFileSync(join(ws, "setup-mac.jsonc"), JSON.stringify({ hosts: {} }));
  return ws;
}

const calls = (): string[][] =>
  existsSync(log)
    ? readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[])
    : [];

const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => !f.startsWith(join("setup-mac", "nix")) && statSync(join(dir, f)).isFile())
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );

const FLAGS = ["--extra-experimental-features", "nix-command flakes"];

beforeEach(() => rmSync(log, { force: true }));

describe("migrate --from-flake", () => {
  const ws = workspace("one");
  const flakeBefore = snapshot(flake);
  let programs: string[] = [];

  it("asks nix for the metadata, the hosts of the kind and one evaluation, byte for byte", async () => {
    const r = await migrate([], {
      workspace: ws,
      cwd: flake,
      fromFlake: ".#darwinConfigurations.mac",
      runner: runner(),
    });
    const apply = `(${readFileSync(fnFile, "utf8").trim()}) "${store}" "darwin"`;
    expect(calls()).toEqual([
      [...FLAGS, "flake", "metadata", "--json", "--no-write-lock-file", "."],
      [
        ...FLAGS,
        "eval",
        "--json",
        "--no-write-lock-file",
        ".#darwinConfigurations",
        "--apply",
        "builtins.attrNames",
      ],
      [
        ...FLAGS,
        "eval",
        "--json",
        "--no-write-lock-file",
        '.#darwinConfigurations."mac"',
        "--apply",
        apply,
      ],
    ]);
    programs = r.modules.map((m) => m.program);
    expect(programs).toEqual([
      "fzf",
      "git",
      "notes-sync",
      "restic-backup",
      "ripgrep",
      "session-variables",
    ]);
    expect(r.configuration).toBe('.#darwinConfigurations."mac"');
    expect(r.sources).toEqual(["darwin.nix", "home.nix"]);
    expect(r.modules.every((m) => m.status === "created")).toBe(true);
    expect(snapshot(flake)).toEqual(flakeBefore);
  });

  it("takes evaluated values where the file's text is not literal, and the text where it is", async () => {
    const text = (p: string) => readFileSync(join(ws, `programs/home/${p}.ts`), "utf8");
    // `${colors.base02}` from an imported file: evaluated, not a placeholder.
    expect(text("fzf")).toContain('"--color=bg+:#313244"');
    // `lib.mkIf work { … }` and `lib.mkDefault editor` inside it: resolved by the module system.
    expect(text("git")).toContain('editor: "nvim"');
    expect(text("git")).toContain('userName: "Lars Artmann"');
  });

  it("reports packages, store strings and paths like unresolved references, with file:line", async () => {
    const r = await migrate([], {
      workspace: ws,
      cwd: flake,
      fromFlake: ".#darwinConfigurations.mac",
      runner: runner(),
      dryRun: true,
    });
    const lines = r.report.map((e) => `${e.file}:${e.line} ${e.kind} ${e.what}: ${e.detail}`);
    expect(lines).toMatchInlineSnapshot(`
      [
        "darwin.nix:5 typed package git: → packages",
        "darwin.nix:7 typed launchd.user.agents.restic-backup: → services.main (a user service: launchd agent on macOS, systemd on Linux)",
        "home.nix:13 not-migrated package <package ripgrep-14.1.0>: the package "ripgrep-14.1.0" (pname "ripgrep"): an evaluated derivation does not say its nixpkgs attribute; write \`pkgs.ripgrep\` if that is it",
        "home.nix:13 not-migrated package <package jq-1.7.1>: the package "jq-1.7.1" (pname "jq"): an evaluated derivation does not say its nixpkgs attribute; write \`pkgs.jq\` if that is it",
        "home.nix:13 not-migrated package <package fd-10.1.0>: the package "fd-10.1.0" (pname "fd"): an evaluated derivation does not say its nixpkgs attribute; write \`pkgs.fd\` if that is it",
        "home.nix:19 typed home.sessionVariables.EDITOR: session variable → env",
        "home.nix:20 typed home.sessionVariables.PAGER: session variable → env",
        "home.nix:21 placeholder home.sessionVariables.MANPAGER: option \`session-variables.manpager\` stands for \`"\${pkgs.bat}/bin/bat -plman"\`: the string interpolates values only Nix can compute",
        "home.nix:21 typed home.sessionVariables.MANPAGER: session variable → env",
        "home.nix:26 raw programs.fzf: kept as the upstream home-manager option \`programs.fzf\` with its values",
        "home.nix:30 placeholder programs.git.hooks.pre-commit: option \`git.hooksPreCommit\` stands for \`./hooks/pre-commit\`: a path (./hooks/pre-commit): copy the file into the workspace and give its text or source",
        "home.nix:30 raw programs.git: kept as the upstream home-manager option \`programs.git\` with its values",
        "home.nix:44 typed xdg.configFile."ripgrep/config": → files["~/.config/ripgrep/config"]",
        "home.nix:48 typed launchd.agents.notes-sync: → services.main (a user service: launchd agent on macOS, systemd on Linux)",
      ]
    `);
  });

  it("the migrated modules check and build on a host that enables them all", async () => {
    writeFileSync(
      join(ws, "setup-mac.jsonc"),
      JSON.stringify({
        hosts: {
          mac: {
            platform: "darwin",
            system: "aarch64-darwin",
            user: "lars",
            programs: Object.fromEntries(programs.map((p) => [p, true])),
          },
        },
      }),
    );
    const c = await check({ workspace: ws, cacheDir: join(scratch, "cache") });
    expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const b = await build({ workspace: ws, cacheDir: join(scratch, "cache") });
    expect(b.lock.hosts.mac).toBeDefined();
  });

  it("a second run is idempotent; an edited module is kept without --force; --dry-run writes nothing", async () => {
    const opts = { workspace: ws, cwd: flake, fromFlake: ".#darwinConfigurations.mac" };
    const again = await migrate([], { ...opts, runner: runner() });
    expect(again.modules.every((m) => m.status === "unchanged")).toBe(true);
    const git = join(ws, "programs/home/git.ts");
    writeFileSync(git, readFileSync(git, "utf8") + "// mine\n");
    const kept = await migrate([], { ...opts, runner: runner() });
    expect(kept.modules.find((m) => m.program === "git")!.status).toBe("kept");
    expect(readFileSync(git, "utf8")).toMatch(/\/\/ mine\n$/);
    const dry = await migrate([], { ...opts, runner: runner(), force: true, dryRun: true });
    expect(dry.modules.find((m) => m.program === "git")!.status).toBe("would-update");
    expect(readFileSync(git, "utf8")).toMatch(/\/\/ mine\n$/);
    const forced = await migrate([], { ...opts, runner: runner(), force: true });
    expect(forced.modules.find((m) => m.program === "git")!.status).toBe("updated");
    expect(readFileSync(git, "utf8")).not.toMatch(/mine/);
  });

  it("reads nixosConfigurations and homeConfigurations (a quoted name) too", async () => {
    const nixos = await migrate([], {
      workspace: workspace("nixos"),
      cwd: flake,
      fromFlake: ".#nixosConfigurations.desk",
      runner: runner(),
      dryRun: true,
    });
    expect(nixos.modules.map((m) => [m.program, m.status])).toEqual([["packages", "would-create"]]);
    const home = await migrate([], {
      workspace: workspace("home"),
      cwd: flake,
      fromFlake: '.#homeConfigurations."lars@desk"',
      runner: runner(),
      dryRun: true,
    });
    expect(home.modules.map((m) => m.program)).toEqual([
      "fzf",
      "git",
      "notes-sync",
      "ripgrep",
      "session-variables",
    ]);
    expect(calls().at(-1)![5]).toBe('.#homeConfigurations."lars@desk"');
  });
});

describe("migrate --from-flake errors: the problem, the fix, nothing written", () => {
  const ws = workspace("errors");
  const before = snapshot(ws);
  const fail = async (ref: string, r: NodeProcessRunner): Promise<SetupMacError> => {
    const error = await migrate([], { workspace: ws, cwd: flake, fromFlake: ref, runner: r }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SetupMacError);
    expect(snapshot(ws)).toEqual(before);
    return error as SetupMacError;
  };

  it("no nix on PATH", async () => {
    const empty = join(scratch, "empty-bin");
    mkdirSync(empty, { recursive: true });
    const e = await fail(".#darwinConfigurations.mac", runner({}, empty));
    expect(e.diagnostics[0]).toMatchObject({
      code: "migrate-no-nix",
      message: "`nix` is not on PATH: --from-flake evaluates the flake with it",
      hint: "install Nix (https://nixos.org/download) or put it on PATH; without Nix, migrate the .nix files themselves: `setup-mac migrate home.nix`",
    });
  });

  it("a flake that does not evaluate shows the tail of nix's stderr", async () => {
    const broken = [
      "error: syntax error, unexpected end of file",
      "",
      "       at /nix/store/ys7fjwbf7krnvl0vw8pj2h29g1kzhb58-source/home.nix:1:6:",
      "",
      "            1| { x =",
      "             |      ^",
      "(use '--show-trace' to show detailed location information)",
    ].join("\n");
    const e = await fail(".#darwinConfigurations.mac", runner({ NIX_BROKEN: broken }));
    expect(e.diagnostics[0]!.message).toBe(
      [
        "the flake `.` does not evaluate (reading its metadata, nix exited with 1):",
        "error: syntax error, unexpected end of file",
        "       at /nix/store/ys7fjwbf7krnvl0vw8pj2h29g1kzhb58-source/home.nix:1:6:",
        "            1| { x =",
        "             |      ^",
        "(use '--show-trace' to show detailed location information)",
      ].join("\n"),
    );
    expect(e.diagnostics[0]!.hint).toBe(
      "fix the error above so that `nix eval .#…` works, or migrate the .nix files themselves: `setup-mac migrate <files>`",
    );
  });

  it("an unknown host lists the configurations that exist", async () => {
    const e = await fail(".#darwinConfigurations.laptop", runner());
    expect(e.diagnostics[0]).toMatchObject({
      code: "migrate-flake-host",
      message: "the flake `.` has no configuration `laptop` in darwinConfigurations",
      hint: "name one that exists: `--from-flake .#darwinConfigurations.mac`",
    });
    const bare = await fail(".#laptop", runner());
    expect(bare.diagnostics[0]!.hint).toBe(
      "name one that exists: `--from-flake .#darwinConfigurations.mac`, `--from-flake .#nixosConfigurations.desk`, `--from-flake .#homeConfigurations.lars@desk`",
    );
    const none = await fail(".#nixosConfigurations.desk", runner({ NIX_HOSTS: "{}" }));
    expect(none.diagnostics[0]!.hint).toBe(
      "the flake has no nixosConfigurations: point --from-flake at the flake that defines them",
    );
  });

  it("a malformed reference is a usage error, and nix is never run", async () => {
    for (const ref of ["darwinConfigurations.mac", ".#darwinConfigurations", ".#", ".#a.b.c"]) {
      const e = await fail(ref, runner());
      expect(e.exitCode).toBe(2);
      expect(e.diagnostics[0]!.message).toBe(
        `\`--from-flake ${ref}\` is not a flake reference to one configuration`,
      );
    }
    expect(calls()).toEqual([]);
  });

  it("files and --from-flake together are a usage error", async () => {
    await expect(migrate(["home.nix"], { workspace: ws, fromFlake: ".#mac" })).rejects.toThrow(
      "--from-flake reads the configuration, not files: home.nix would be ignored",
    );
  });
});

// The real thing: the fixture flake evaluated by the real nix against a nixpkgs.lib checkout
// (a folder, e.g. extracted with `git archive`). CI has none; scripts/from-flake-capture.sh
// wrote captured.json from exactly this evaluation.
const lib = process.env.NIXPKGS_LIB;
describe.skipIf(!lib)("migrate --from-flake with the real nix and nixpkgs lib", () => {
  it("evaluates each configuration to the captured JSON", async () => {
    const dir = join(scratch, "real");
    cpSync(join(fixture, "upstream"), join(dir, "upstream"), { recursive: true });
    cpSync(join(fixture, "config"), join(dir, "config"), { recursive: true });
    writeFileSync(
      join(dir, "config/flake.nix"),
      readFileSync(join(fixture, "config/flake.nix.in"), "utf8")
        .replace("@LIB@", resolve(lib!))
        .replace("@UPSTREAM@", join(dir, "upstream")),
    );
    rmSync(join(dir, "config/flake.nix.in"));
    const want = JSON.parse(readFileSync(captured, "utf8")) as Record<string, unknown>;
    const real = new NodeProcessRunner();
    for (const [kind, name] of [
      ["darwin", "mac"],
      ["nixos", "desk"],
      ["home", "lars@desk"],
    ] as const) {
      const got = await evaluateFlake(
        real,
        parseFlakeRef(`.#${kind}Configurations.${JSON.stringify(name)}`),
        { cwd: join(dir, "config"), fn: fromFlakeFunction() },
      );
      expect(got.kind).toBe(kind);
      const text = JSON.stringify(got.evaluation).split(got.source).join("@SOURCE@");
      expect(JSON.parse(text)).toEqual(want[kind]);
    }
    // The whole of migrate with the real nix writes what it writes with the stand-in.
    const ref = ".#darwinConfigurations.mac";
    const withReal = await migrate([], {
      workspace: workspace("real-ws"),
      cwd: join(dir, "config"),
      fromFlake: ref,
      runner: real,
      dryRun: true,
    });
    const withStandIn = await migrate([], {
      workspace: workspace("stand-in-ws"),
      cwd: flake,
      fromFlake: ref,
      runner: runner(),
      dryRun: true,
    });
    expect(withReal.modules).toEqual(withStandIn.modules);
    expect(withReal.report).toEqual(withStandIn.report);
    // Nothing was written into the flake: no flake.lock.
    expect(existsSync(join(dir, "config/flake.lock"))).toBe(false);
  });
});
