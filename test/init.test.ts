/**
 * `init` on fixture flakes: the hosts, systems and users it reads go into setup-mac.jsonc; what
 * the flake does not determine is asked (on a terminal), taken from --user, or left out with a
 * comment and a warning — and `check` then names the host and the field.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { InitQuestion } from "../src/api/init.js";
import { init } from "../src/api/init.js";
import { parse } from "jsonc-parser";
import { cli } from "./e2e/cli.js";

const fixtures = resolve(import.meta.dirname, "fixtures/flakes");
const scratch = mkdtempSync(join(tmpdir(), "sm-init-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function copy(name: string, as = name): string {
  const dir = join(scratch, as);
  cpSync(join(fixtures, name), dir, { recursive: true });
  return dir;
}

/** The hosts as written (a host may lack a field: the config is read as JSONC, not checked). */
function hostsOf(dir: string): Record<string, Record<string, unknown>> {
  const config = parse(readFileSync(join(dir, "setup-mac.jsonc"), "utf8")) as {
    hosts: Record<string, Record<string, unknown>>;
  };
  return config.hosts;
}

const env = { USER: "someone" };

describe("init on real-world flakes", () => {
  it("a flake-parts flake with let-bound users and mkHost helpers: every user and system right", async () => {
    const dir = copy("flake-parts");
    const r = await init({ workspace: dir, env });
    expect(r.warnings).toEqual([]);
    expect(hostsOf(dir)).toEqual({
      "evo-x2": { platform: "nixos", system: "x86_64-linux", user: "lars", programs: {} },
      macbook: { platform: "darwin", system: "aarch64-darwin", user: "lars", programs: {} },
      pi: { platform: "nixos", system: "aarch64-linux", user: "lars", programs: {} },
      "work-mac": { platform: "darwin", system: "x86_64-darwin", user: "lars.k", programs: {} },
    });
    expect(r.importLines["work-mac"]!.system).toBe(
      '(import ./setup-mac/nix { host = "work-mac"; }).darwin',
    );
  });

  it("standalone home-manager configurations become hosts that switch with home-manager", async () => {
    const dir = copy("home-configurations");
    await init({ workspace: dir, env });
    expect(hostsOf(dir)).toEqual({
      air: {
        platform: "darwin",
        system: "aarch64-darwin",
        user: "lars",
        switch: "home-manager",
        programs: {},
      },
      server: {
        platform: "nixos",
        system: "x86_64-linux",
        user: "ops",
        home: "/srv/ops",
        switch: "home-manager",
        programs: {},
      },
      thinkpad: {
        platform: "nixos",
        system: "x86_64-linux",
        user: "lars",
        switch: "home-manager",
        programs: {},
      },
    });
  });

  it("without a terminal, leaves out what it cannot determine, marks it and warns; check names the field", async () => {
    const dir = copy("unresolvable");
    const r = await init({ workspace: dir, env });
    expect(r.warnings).toEqual([
      'host box has no system: `builtins.readFile` reads data init does not evaluate (settings.nix:1). Set "system" for it in setup-mac.jsonc.',
      'host box has no user: the name `${config.my.user}` uses `config.my.user`, known only when Nix evaluates (box.nix:3). Set "user" for it in setup-mac.jsonc (or run init with --user).',
      'host mac has no user: `builtins.getEnv "USER"` reads the environment when Nix evaluates (flake.nix:9). Set "user" for it in setup-mac.jsonc (or run init with --user).',
      'host vm has no system: `import ./vm.nix`: there is no vm.nix (flake.nix:21). Set "system" for it in setup-mac.jsonc.',
      'host vm has no user: `import ./vm.nix`: there is no vm.nix (flake.nix:21). Set "user" for it in setup-mac.jsonc (or run init with --user).',
    ]);
    const text = readFileSync(join(dir, "setup-mac.jsonc"), "utf8");
    expect(text).toContain(
      `    "mac": {
      "platform": "darwin",
      "system": "aarch64-darwin",
      // "user" is not set: flake.nix:9: \`builtins.getEnv "USER"\` reads the environment when Nix evaluates. Set it, e.g. "user": "lars",
      "programs": {},
    },`,
    );
    expect(text).not.toMatch(/"user": "(user|someone)"/);
    // The built CLI: the same warnings on stderr, the import lines on stdout, exit 0.
    const again = copy("unresolvable", "cli");
    const run = cli(["--workspace", again, "init"], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(r.warnings.map((w) => `warning: ${w}\n`).join(""));
    expect(run.stdout).toContain(
      "Hosts found in flake.nix: box (nixos, system ?, user ?), mac (darwin, aarch64-darwin, user ?), vm (nixos, system ?, user ?)",
    );
    const check = cli(["--workspace", dir, "check"], {
      env: { SETUP_MAC_CACHE_DIR: join(scratch, "cache") },
    });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      'setup-mac.jsonc:10:5: error[config-invalid]: host box has no system\n  fix: set "system" on host box to its Nix system, e.g. "system": "aarch64-darwin"',
    );
  });

  it("asks on a terminal, offering $USER or the usual system; --user fills only what the flake leaves open", async () => {
    const dir = copy("unresolvable", "asked");
    const questions: InitQuestion[] = [];
    const answers: Record<string, string | undefined> = {
      "box system": "x86_64-linux",
      "box user": "ana",
      "mac user": undefined,
      "vm system": "aarch64-linux",
      "vm user": "ana",
    };
    const r = await init({
      workspace: dir,
      env,
      ask: async (q) => {
        questions.push(q);
        return answers[`${q.host} ${q.field}`];
      },
    });
    expect(questions.map((q) => [q.host, q.field, q.suggestion])).toEqual([
      ["box", "system", "x86_64-linux"],
      ["box", "user", "someone"],
      ["mac", "user", "someone"],
      ["vm", "system", "x86_64-linux"],
      ["vm", "user", "someone"],
    ]);
    expect(questions[2]!.why).toBe(
      'flake.nix:9: `builtins.getEnv "USER"` reads the environment when Nix evaluates',
    );
    expect(questions[0]!.valid("x86_64-linux")).toBe(true);
    expect(questions[0]!.valid("linux")).toBe(false);
    expect(r.warnings).toHaveLength(1);
    const hosts = hostsOf(dir);
    expect(hosts.box).toMatchObject({ system: "x86_64-linux", user: "ana" });
    expect(hosts.vm).toMatchObject({ system: "aarch64-linux", user: "ana" });
    expect(hosts.mac!.user).toBeUndefined();

    const flagged = copy("flake-parts", "flagged");
    await init({ workspace: flagged, env, user: "zoe" });
    expect(hostsOf(flagged)["work-mac"]!.user).toBe("lars.k");
    await expect(init({ workspace: flagged, env, user: "Bad User" })).rejects.toThrow(
      '--user "Bad User" is not a user name',
    );
    const open = copy("unresolvable", "flagged-open");
    const filled = await init({ workspace: open, env, user: "zoe" });
    expect(hostsOf(open).mac!.user).toBe("zoe");
    expect(filled.hosts.find((h) => h.name === "mac")).toMatchObject({ user: "zoe", missing: [] });
  });
});
