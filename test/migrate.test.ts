/**
 * migrate on fixtures in the shape of real configurations: each migrates into a fresh workspace
 * whose modules check and build at once; a second run changes nothing; existing modules are kept
 * without --force; --dry-run writes nothing; the sources are never written. Where the values are
 * literal, the home adapter evaluates the migrated lock with real Nix to the original's values.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { build } from "../src/api/build.js";
import { check } from "../src/api/check.js";
import { migrate } from "../src/api/migrate.js";

const root = resolve(import.meta.dirname, "..");
const fixtures = join(root, "test/fixtures/migrate/nix");
const harness = join(root, "test/nix/harness");
const scratch = mkdtempSync(join(tmpdir(), "sm-migrate-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const hasNix = spawnSync("nix-instantiate", ["--version"]).status === 0;

function workspace(name: string): { ws: string; src: string } {
  const ws = join(scratch, name);
  const src = join(scratch, `${name}-src`);
  cpSync(fixtures, src, { recursive: true });
  cpSync(join(root, "nix"), join(ws, "setup-mac/nix"), { recursive: true });
  writeFileSync(join(ws, "setup-mac.jsonc"), JSON.stringify({ hosts: {} }));
  return { ws, src };
}

const snapshot = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

describe("migrate", () => {
  const { ws, src } = workspace("one");
  const before = snapshot(src);
  let programs: string[] = [];

  it("writes one module per program and reports every kind, with file and line", async () => {
    const r = await migrate([src], { workspace: ws });
    programs = r.modules.map((m) => m.program);
    expect(programs).toEqual([
      "bat",
      "direnv",
      "fzf",
      "git",
      "kitty",
      "notes-sync",
      "packages",
      "rg",
      "session-variables",
      "starship",
      "syncthing",
    ]);
    expect(r.modules.every((m) => m.status === "created")).toBe(true);
    const at = (file: string, line: number) =>
      r.report.filter((e) => e.file.endsWith(file) && e.line === line);
    expect(at("home.nix", 31)[0]).toMatchObject({ kind: "placeholder", program: "fzf" });
    expect(at("home.nix", 19)[0]).toMatchObject({ kind: "not-migrated" });
    expect(at("home.nix", 18)[0]).toMatchObject({
      kind: "typed",
      what: "package python3Packages.black",
    });
    expect(at("wrappers.nix", 18)[0]!.detail).toBe(
      "`--prefix PATH : ${pkgs.less}/bin` has no place in a setup-mac wrapper (addFlags and env); add it by hand",
    );
    expect(r.enable).toBe(`setup-mac programs enable ${programs.join(" ")}`);
    expect(snapshot(src)).toEqual(before);
    // Home folders written out in the sources follow each host's home in the modules.
    const rg = r.modules.find((m) => m.program === "rg")!.text;
    expect(rg).toContain("config: ({ host }) => ({");
    expect(rg).toContain("RIPGREP_CONFIG_PATH: `${host.home}/.config/ripgrep/config`");
    const modules = r.modules.map((m) => m.text).join("\n");
    expect(modules).not.toMatch(/\/(home|Users)\/lars/);
  });

  it("the migrated modules check and build on a host that enables them all", async () => {
    writeFileSync(
      join(ws, "setup-mac.jsonc"),
      JSON.stringify({
        hosts: {
          desk: {
            platform: "nixos",
            system: "x86_64-linux",
            user: "lars",
            programs: Object.fromEntries(programs.map((p) => [p, true])),
          },
        },
      }),
    );
    const c = await check({ workspace: ws, cacheDir: join(scratch, "cache") });
    expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const b = await build({ workspace: ws, cacheDir: join(scratch, "cache") });
    expect(b.lock.hosts.desk).toBeDefined();
  });

  it("a second run is idempotent; an edited module is kept without --force", async () => {
    const again = await migrate([src], { workspace: ws });
    expect(again.modules.every((m) => m.status === "unchanged")).toBe(true);
    const git = join(ws, "programs/home/git.ts");
    writeFileSync(git, readFileSync(git, "utf8") + "// mine\n");
    const kept = await migrate([src], { workspace: ws });
    expect(kept.modules.find((m) => m.program === "git")!.status).toBe("kept");
    expect(readFileSync(git, "utf8")).toMatch(/\/\/ mine\n$/);
    const dry = await migrate([src], { workspace: ws, force: true, dryRun: true });
    expect(dry.modules.find((m) => m.program === "git")!.status).toBe("would-update");
    expect(readFileSync(git, "utf8")).toMatch(/\/\/ mine\n$/);
    const forced = await migrate([src], { workspace: ws, force: true });
    expect(forced.modules.find((m) => m.program === "git")!.status).toBe("updated");
    expect(readFileSync(git, "utf8")).not.toMatch(/mine/);
  });

  it.skipIf(!hasNix)("the home adapter gives the original's literal option values", async () => {
    await build({ workspace: ws, cacheDir: join(scratch, "cache") });
    const expr = (modules: string) => `
      let lib = import ${harness}/lib.nix;
          base = import ${harness}/pkgs.nix { inherit lib; };
          fake = n: { type = "derivation"; name = n; outPath = "/nix/store/" + builtins.substring 0 32 (builtins.hashString "sha256" n) + "-" + n; };
          pkgs = base // builtins.listToAttrs (map (n: { name = n; value = fake n; }) [ "fd" "rclone" "tree" "less" ]);
          c = import ${harness}/modules.nix { inherit lib pkgs; modules = ${modules}; };
      in { inherit (c.programs) git direnv; vars = { inherit (c.home.sessionVariables) EDITOR PAGER; }; }`;
    const nix = (e: string) => {
      const r = spawnSync(
        "nix-instantiate",
        ["--eval", "--strict", "--json", "--store", "dummy://", "-E", e],
        { encoding: "utf8" },
      );
      expect(r.stderr).toBe("");
      return JSON.parse(r.stdout) as unknown;
    };
    const original = nix(expr(`[ ${join(src, "home.nix")} ]`));
    const migrated = nix(
      expr(
        `[ (import ${ws}/setup-mac/nix { host = "desk"; lockFile = ${ws}/setup-mac.lock.json; }).home ]`,
      ),
    );
    expect(migrated).toEqual(original);
  });
});
