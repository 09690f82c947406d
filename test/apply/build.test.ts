/**
 * apply and diff --build with the platform's own build first: stand-in darwin-rebuild,
 * nixos-rebuild, home-manager, nix and sudo assert the exact argv; the closure diff they feed is
 * what Nix 2.8 printed for two real closures.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { apply } from "../../src/api/apply.js";
import { diff } from "../../src/api/history.js";
import { makeFixture, program, resetCalls, runnerWith, type Fixture } from "./fixture.js";

const DIFF = fileURLToPath(new URL("../fixtures/closure/diff-closures-2.8.txt", import.meta.url));
const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => rmSync(f.root, { recursive: true, force: true })));

function workspace(host: Record<string, unknown> = {}): Fixture {
  const f = makeFixture(
    {
      web: program(
        "web",
        `config: () => ({ packages: ["nginx"], files: { "~/.config/web/title": { text: "hi" } } })`,
      ),
    },
    { web: true },
  );
  f.setConfig(
    JSON.stringify({
      hosts: {
        box: {
          platform: "nixos",
          system: "x86_64-linux",
          user: "lars",
          programs: { web: true },
          ...host,
        },
      },
    }),
  );
  fixtures.push(f);
  return f;
}

/** Gives program web one more package: a change to apply. */
function changeWeb(f: Fixture): void {
  const file = join(f.root, "programs/test/web.ts");
  writeFileSync(file, readFileSync(file, "utf8").replace('["nginx"]', '["nginx", "curl"]'));
}

/** A stand-in for the running system: a folder the stand-in nix compares with ./result. */
function runningSystem(f: Fixture): string {
  const dir = join(f.bin, "store", "system-running");
  mkdirSync(dir, { recursive: true });
  return dir;
}

const base = (f: Fixture, extra: Record<string, string> = {}) => ({
  workspace: f.root,
  cacheDir: f.cache,
  host: "box",
  yes: true,
  home: join(f.root, "home"),
  runner: runnerWith(f, { NIX_DIFF_FILE: DIFF, ...extra }),
});

const lockPath = (f: Fixture) => join(f.root, "setup-mac.lock.json");
const generationsOf = (f: Fixture) =>
  existsSync(join(f.root, ".setup-mac/generations"))
    ? readdirSync(join(f.root, ".setup-mac/generations")).sort()
    : [];

describe("apply builds first, then shows the closure diff, then asks", () => {
  it("builds with nixos-rebuild build, diffs against the running system, asks, switches", async () => {
    const f = workspace();
    const running = runningSystem(f);
    const order: string[] = [];
    const result = await apply({
      ...base(f),
      yes: false,
      currentGeneration: () => running,
      onStep: (s) => order.push(s),
      confirm: async (plan) => {
        // Asked after the build: the plan holds the closure diff, and nothing was switched yet.
        order.push("confirm");
        expect(f.calls().some((c) => c[1] === "switch")).toBe(false);
        expect(plan.build!.closure!.packages.map((p) => `${p.kind} ${p.name}`)).toEqual([
          "removed gone",
          "changed hello",
          "changed openssl",
          "changed system",
          "added tool",
          "size zsh",
        ]);
        return true;
      },
    });
    expect(result.status).toBe("applied");
    expect(order).toEqual(["check", "build", "confirm", "lock", "switch", "record"]);
    const built = result.plan.build!.result;
    expect(f.calls()).toEqual([
      ["nixos-rebuild", "build", "--flake", ".#box"],
      [
        "nix",
        "--extra-experimental-features",
        "nix-command",
        "store",
        "diff-closures",
        running,
        built,
      ],
      [
        "nix",
        "--extra-experimental-features",
        "nix-command",
        "path-info",
        "--closure-size",
        "--json",
        running,
        built,
      ],
      ["nixos-rebuild", "switch", "--flake", ".#box"],
    ]);
    expect([result.plan.build!.closure!.sizeBefore, result.plan.build!.closure!.sizeAfter]).toEqual(
      [1048576, 1153434],
    );
  });

  it("a failing build stops before anything is switched or recorded, naming the program", async () => {
    const f = workspace();
    await apply({ ...base(f), currentGeneration: () => undefined });
    const lockBefore = readFileSync(lockPath(f), "utf8");
    const gensBefore = generationsOf(f);
    changeWeb(f);
    resetCalls(f);
    const trace = [
      "error:",
      "       … while evaluating the attribute 'config.system.build.toplevel'",
      "         at /nix/store/0a1b-source/nixos/modules/system/activation/top-level.nix:71:12:",
      "       … while evaluating definitions from `/nix/store/9f8e-source/setup-mac/nix/nixos.nix (setup-mac, host box)':",
      "",
      "       error: setup-mac: program 'web' needs package 'nginx', which is not in nixpkgs",
      "",
    ].join("\n");
    const error = (await apply({
      ...base(f, { BUILD_EXIT: "1", BUILD_STDERR: trace }),
    }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      'error[build-failed]: step "build" failed: `nixos-rebuild build --flake .#box` exited 1; nothing was switched or recorded\n' +
        "  error: setup-mac: program 'web' needs package 'nginx', which is not in nixpkgs\n" +
        "  from program web (programs/test/web.ts)\n" +
        "  fix: fix program web in programs/test/web.ts (or its options in setup-mac.jsonc), then apply again; `setup-mac build --out DIR` shows what it generates",
    );
    // Lock, generations and the machine (the stand-in switch) untouched; no marker left.
    expect(readFileSync(lockPath(f), "utf8")).toBe(lockBefore);
    expect(generationsOf(f)).toEqual(gensBefore);
    expect(f.calls()).toEqual([["nixos-rebuild", "build", "--flake", ".#box"]]);
    expect(existsSync(join(f.root, ".setup-mac/apply-in-progress.json"))).toBe(false);
  });

  it("a cancelled confirmation puts the lock back as it was (none)", async () => {
    const f = workspace();
    await expect(
      apply({
        ...base(f),
        yes: false,
        currentGeneration: () => undefined,
        confirm: async () => false,
      }),
    ).rejects.toThrow("apply cancelled; nothing was changed");
    expect(existsSync(lockPath(f))).toBe(false);
    expect(f.calls()).toEqual([["nixos-rebuild", "build", "--flake", ".#box"]]);
  });

  it("home-manager hosts build with home-manager build; a target host with --target-host", async () => {
    const hm = workspace({ switch: "home-manager" });
    const r1 = await apply({ ...base(hm), currentGeneration: () => undefined });
    expect(r1.plan.build!.closureNote).toBe(
      "no closure diff: no home-manager generation on this machine yet (first switch)",
    );
    expect(hm.calls()).toEqual([
      ["home-manager", "build", "--flake", ".#lars@box"],
      ["home-manager", "switch", "--flake", ".#lars@box"],
    ]);
    const remote = workspace({ targetHost: "root@box" });
    const r2 = await apply(base(remote));
    expect(r2.plan.build!.closureNote).toBe(
      "no closure diff: the running system is on root@box, not in this machine's store",
    );
    expect(remote.calls().filter((c) => c[0] === "nixos-rebuild")).toEqual([
      ["nixos-rebuild", "build", "--flake", ".#box", "--target-host", "root@box"],
      ["nixos-rebuild", "switch", "--flake", ".#box", "--target-host", "root@box"],
    ]);
  });
});

describe("nix-darwin switches as root", () => {
  const mac = () => workspace({ platform: "darwin", system: "aarch64-darwin" });

  it("off root, the switch runs through sudo -n after checking sudo asks nothing", async () => {
    const f = mac();
    await apply({ ...base(f), root: false, currentGeneration: () => undefined });
    expect(f.calls()).toEqual([
      ["sudo", "-n", "-l", "darwin-rebuild"],
      ["darwin-rebuild", "build", "--flake", ".#box"],
      ["sudo", "-n", "darwin-rebuild", "switch", "--flake", ".#box"],
      ["darwin-rebuild", "switch", "--flake", ".#box"],
    ]);
  });

  it("when sudo would ask for a password, apply stops before building, saying what to do", async () => {
    const f = mac();
    await expect(
      apply({ ...base(f, { SUDO_ASKS: "1" }), root: false, currentGeneration: () => undefined }),
    ).rejects.toThrow(
      "error[root-required]: nix-darwin switches only as root (`sudo darwin-rebuild switch --flake .#box`), and sudo would ask for a password that setup-mac cannot pass on (sudo: a password is required); nothing was built or changed",
    );
    expect(f.calls()).toEqual([["sudo", "-n", "-l", "darwin-rebuild"]]);
    expect(existsSync(lockPath(f))).toBe(false);
  });

  it("as root, darwin-rebuild switch runs directly", async () => {
    const f = mac();
    await apply({ ...base(f), root: true, currentGeneration: () => undefined });
    expect(f.calls().at(-1)).toEqual(["darwin-rebuild", "switch", "--flake", ".#box"]);
    expect(f.calls().some((c) => c[0] === "sudo")).toBe(false);
  });
});

describe("diff --build", () => {
  it("builds with the new lock in place, then puts the old lock back; nothing is switched", async () => {
    const f = workspace();
    await apply({ ...base(f), currentGeneration: () => undefined });
    const lockBefore = readFileSync(lockPath(f), "utf8");
    changeWeb(f);
    resetCalls(f);
    const running = runningSystem(f);
    const result = await diff({
      workspace: f.root,
      cacheDir: f.cache,
      host: "box",
      build: true,
      runner: runnerWith(f, { NIX_DIFF_FILE: DIFF }),
      currentGeneration: () => running,
    });
    expect(result.build!.closure!.packages).toHaveLength(6);
    expect(readFileSync(lockPath(f), "utf8")).toBe(lockBefore);
    expect(f.calls().map((c) => c.slice(0, 5))).toEqual([
      ["nixos-rebuild", "build", "--flake", ".#box"],
      ["nix", "--extra-experimental-features", "nix-command", "store", "diff-closures"],
      ["nix", "--extra-experimental-features", "nix-command", "path-info", "--closure-size"],
    ]);
  });
});
