import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, copyExampleTo, EXAMPLE } from "./cli.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copyExample(): string {
  const dir = mkdtempSync(join(tmpdir(), "sm-e2e-"));
  temp.push(dir);
  copyExampleTo(dir);
  return dir;
}

const cache = mkdtempSync(join(tmpdir(), "sm-e2e-cache-"));
temp.push(cache);
const env = { SETUP_MAC_CACHE_DIR: cache };

describe("the CLI on the bundled example", () => {
  it("--help and --version exit 0", () => {
    const help = cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: setup-mac [options] [command]");
    expect(cli(["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("programs list shows every program and the hosts it is enabled on", () => {
    const r = cli(["--workspace", EXAMPLE, "programs", "list"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PROGRAM +CATEGORY +PLATFORMS +ENABLED ON +DESCRIPTION$/m);
    expect(r.stdout).toMatch(/^vscode +editors +darwin,nixos +evo-x2 macbook +Visual Studio Code/m);
    expect(r.stdout).toMatch(/^colima +containers +darwin +macbook /m);
    expect(r.stdout).not.toContain("\x1b[");
  });

  it("--json gives the same data, filtered by --enabled and --category", () => {
    const r = cli(
      ["--workspace", EXAMPLE, "--json", "programs", "list", "--enabled", "--category", "editors"],
      { env },
    );
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as {
      programs: { name: string; enabledOn: Record<string, unknown> }[];
    };
    expect(data.programs.map((p) => p.name)).toEqual(["vscode"]);
    expect(data.programs[0]!.enabledOn).toEqual({
      "evo-x2": { host: true },
      macbook: { host: true },
    });
  });

  it("programs info explains where each value comes from", () => {
    const r = cli(["--workspace", EXAMPLE, "--json", "programs", "info", "vscode"], { env });
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as {
      options: { name: string; values: Record<string, { value: unknown; from: string[] }> }[];
    };
    const fontSize = info.options.find((o) => o.name === "fontSize")!;
    expect(fontSize.values.macbook).toMatchObject({
      value: 15,
      from: ["setup-mac.jsonc (hosts.macbook.programs.vscode)"],
    });
  });

  it("check passes and build is byte-stable", () => {
    const dir = copyExample();
    expect(cli(["--workspace", dir, "check"], { env }).code).toBe(0);
    const first = cli(["--workspace", dir, "build"], { env });
    expect(first.code).toBe(0);
    const lock = readFileSync(join(dir, "setup-mac.lock.json"), "utf8");
    expect(lock).toBe(readFileSync(join(EXAMPLE, "setup-mac.lock.json"), "utf8"));
    const second = cli(["--workspace", dir, "build"], { env });
    expect(second.stdout).toContain("unchanged  setup-mac.lock.json");
    expect(readFileSync(join(dir, "setup-mac.lock.json"), "utf8")).toBe(lock);
  });

  it("build --out renders previews", () => {
    const dir = copyExample();
    const out = join(dir, "previews");
    const r = cli(["--workspace", dir, "build", "--out", out], { env });
    expect(r.code).toBe(0);
    expect(existsSync(join(out, "evo-x2/systemd/system/setup-mac-ollama-server.service"))).toBe(
      true,
    );
    expect(
      existsSync(join(out, "macbook/launchd/LaunchAgents/org.setup-mac.ollama.server.plist")),
    ).toBe(true);
  });
});

describe("programs disable", () => {
  it("removes the entry, and refuses when another program still requires it", () => {
    const dir = copyExample();
    const config = () => readFileSync(join(dir, "setup-mac.jsonc"), "utf8");
    // Both hosts enable fzf; only macbook's entry goes.
    const fzfEntries = () => config().split('"fzf": true').length - 1;
    expect(fzfEntries()).toBe(2);
    const fzf = cli(["--workspace", dir, "--host", "macbook", "programs", "disable", "fzf"], {
      env,
    });
    expect(fzf.code).toBe(0);
    expect(fzf.stdout).toContain("Disabled fzf (macbook)");
    expect(fzfEntries()).toBe(1);
    expect(
      cli(["--workspace", dir, "--json", "--host", "evo-x2", "programs", "list", "--enabled"], {
        env,
      }).stdout,
    ).toContain('"fzf"');

    const before = config();
    const git = cli(["--workspace", dir, "--host", "macbook", "programs", "disable", "git"], {
      env,
    });
    expect(git.code).toBe(1);
    expect(git.stderr).toContain(
      "error[required-but-disabled] (host macbook): `vscode` requires `git`, but the host turns `git` off",
    );
    expect(config()).toBe(before);
  });
});

describe("programs config --defaults", () => {
  it("edits the shared defaults without choosing a host, on a machine that is none of them", () => {
    const dir = copyExample();
    // Two hosts and this machine is neither: a host edit would have to ask which one.
    const noHost = { ...env, SETUP_MAC_HOST: "" };
    const set = cli(
      ["--workspace", dir, "programs", "config", "git", "set", "userName", "X Y", "--defaults"],
      { env: noHost },
    );
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("Set git.userName = X Y (defaults, for every host)");
    expect(readFileSync(join(dir, "setup-mac.jsonc"), "utf8")).toContain('"userName": "X Y",');
    const host = cli(["--workspace", dir, "programs", "config", "git", "set", "userName", "Z"], {
      env: noHost,
    });
    expect(host.code).toBe(2);
  });
});

describe("--timings", () => {
  it("reports the stages and the slowest modules on stderr, leaving stdout as it was", () => {
    const plain = cli(["--workspace", EXAMPLE, "check"], { env });
    // A cache of its own, so that every stage runs (a warm run reuses the whole answer).
    const cold = { SETUP_MAC_CACHE_DIR: mkdtempSync(join(tmpdir(), "sm-timings-")) };
    const timed = cli(["--workspace", EXAMPLE, "--timings", "check"], { env: cold });
    expect(timed.code).toBe(0);
    expect(timed.stdout).toBe(plain.stdout);
    expect(timed.stderr).toMatch(/^timings\n/);
    for (const stage of [
      "read config",
      "bundle 21 modules",
      "load 21 modules",
      "evaluate 2 hosts",
      "total",
    ]) {
      expect(timed.stderr).toMatch(new RegExp(`^ +[\\d.]+ ms  ${stage}`, "m"));
    }
    expect(timed.stderr).toMatch(
      /^module code: \d+ ms in 21 modules; slowest:\n +[\d.]+ ms {2}programs\/[a-z]+\/[a-z-]+\.ts {2}\(load [\d.]+, evaluate [\d.]+\)$/m,
    );
    expect(timed.stderr).toMatch(/^evaluation cache: 0 of 20 modules served from it, 20 ran$/m);

    const warm = cli(["--workspace", EXAMPLE, "--timings", "check"], { env: cold });
    expect(warm.stdout).toBe(plain.stdout);
    expect(warm.stderr).not.toMatch(/ms {2}load 21 modules/);
    expect(warm.stderr).toMatch(/^evaluation cache: 21 of 21 modules served from it, 0 ran$/m);
    rmSync(cold.SETUP_MAC_CACHE_DIR, { recursive: true, force: true });
  });
});

describe("stats", () => {
  it("says there is nothing yet, then shows each module's times after check, in a table and as JSON", () => {
    const own = { SETUP_MAC_CACHE_DIR: mkdtempSync(join(tmpdir(), "sm-stats-")) };
    temp.push(own.SETUP_MAC_CACHE_DIR);
    const empty = cli(["--workspace", EXAMPLE, "stats"], { env: own });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^No timings recorded for this workspace yet\./);

    expect(cli(["--workspace", EXAMPLE, "check"], { env: own }).code).toBe(0);
    expect(cli(["--workspace", EXAMPLE, "build", "--dry-run"], { env: own }).code).toBe(0);
    const r = cli(["--workspace", EXAMPLE, "stats"], { env: own });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^2 runs \(2 recorded, up to 50 kept\), [\d-]+ [\d:]+Z( to [\d-]+ [\d:]+Z)?: build 1, check 1$/m,
    );
    expect(r.stdout).toMatch(/^MODULE +LAST +MEDIAN +P95 +LOAD +EVALUATE +MEASURED +CACHE HITS$/m);
    expect(r.stdout).toMatch(
      /^programs\/[a-z]+\/[a-z-]+\.ts +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +1 +1\/2 \(50%\)$/m,
    );
    expect(r.stdout).toMatch(/^… 11 more modules \(--top 0 shows all\)$/m);
    expect(cli(["--workspace", EXAMPLE, "stats", "--top", "0"], { env: own }).stdout).toContain(
      "programs/vcs/delta.ts",
    );

    const json = cli(["--workspace", EXAMPLE, "--json", "stats", "--last", "1"], { env: own });
    const data = JSON.parse(json.stdout) as {
      runs: number;
      recorded: number;
      commands: Record<string, number>;
      modules: { file: string; measured: number }[];
      sections: unknown[];
    };
    expect(data).toMatchObject({ runs: 1, recorded: 2, commands: { build: 1 }, sections: [] });
    expect(data.modules).toHaveLength(21);

    const usage = cli(["--workspace", EXAMPLE, "stats", "--last", "0"], { env: own });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--last 0 is not a whole number of at least 1/);
  });

  it("check's slow-module warning never changes the exit status", () => {
    const own = { SETUP_MAC_CACHE_DIR: mkdtempSync(join(tmpdir(), "sm-stats-")) };
    temp.push(own.SETUP_MAC_CACHE_DIR);
    // A limit every module is over: each is warned about, and check still succeeds.
    const r = cli(["--workspace", EXAMPLE, "check", "--slow-module-ms", "0.001"], { env: own });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^programs\/maintenance\/restic-backup\.ts: warning\[slow-module\]: takes \d+ ms to load and evaluate \(in its last run\), over the 0\.001 ms limit$/m,
    );
    expect(r.stdout).toMatch(/^21 programs checked, 0 errors, 2\d warnings$/m);
  });
});

describe("failures: exit codes and messages", () => {
  it("an error in the config exits 1, names file:line:col, and writes nothing", () => {
    const dir = copyExample();
    const config = join(dir, "setup-mac.jsonc");
    writeFileSync(config, readFileSync(config, "utf8").replace('"fish": true,', '"fsh": true,'));
    const lockBefore = readFileSync(join(dir, "setup-mac.lock.json"), "utf8");
    rmSync(join(dir, "setup-mac/schema.json"));
    const r = cli(["--workspace", dir, "build"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^setup-mac\.jsonc:\d+:\d+: error\[unknown-program\] \(host \w[\w-]*\): unknown program `fsh`\n {2}fix: did you mean `fish`\?/m,
    );
    expect(readFileSync(join(dir, "setup-mac.lock.json"), "utf8")).toBe(lockBefore);
    expect(existsSync(join(dir, "setup-mac/schema.json"))).toBe(false);
    const check = cli(["--workspace", dir, "--json", "check"], { env });
    expect(check.code).toBe(1);
    expect((JSON.parse(check.stdout) as { ok: boolean }).ok).toBe(false);
  });

  it("check reports type errors and merge conflicts of a host together, each with its file", () => {
    const dir = copyExample();
    const edit = (file: string, from: string, to: string) => {
      const path = join(dir, file);
      const text = readFileSync(path, "utf8");
      expect(text).toContain(from);
      writeFileSync(path, text.replace(from, to));
    };
    // An ill-typed list item, two programs setting one scalar, and an ill-typed host value.
    edit(
      "programs/shell/direnv.ts",
      'fish: { interactiveInit: "direnv hook fish | source" },\n    git: { ignores: [".direnv/"] },',
      'fish: { interactiveInit: "direnv hook fish | source", greeting: "direnv" },\n    git: { ignores: [".direnv/", 7] },',
    );
    edit(
      "programs/shell/atuin.ts",
      'fish: { interactiveInit: mkAfter("atuin init fish | source") },',
      'fish: { interactiveInit: mkAfter("atuin init fish | source"), greeting: "atuin" },',
    );
    edit("setup-mac.jsonc", '"fish": true,', '"fish": { "greeting": 5 },');
    const r = cli(["--workspace", dir, "check"], { env });
    expect(r.code).toBe(1);
    // Every error of the host, in one run: the first `"fish": true` is macbook's.
    const errors = r.stderr.trimEnd().split(/\n(?=\S)/);
    expect(errors.filter((e) => e.includes("(host macbook)"))).toEqual([
      "setup-mac.jsonc:58:19: error[invalid-option] (host macbook): option `fish.greeting` is not of type `string`: 5 from setup-mac.jsonc (hosts.macbook.programs.fish) (Invalid input: expected string, received number)\n" +
        "  fix: `setup-mac programs info fish` shows the option's type",
      "programs/shell/atuin.ts: error[option-conflict] (host macbook): option `fish.greeting` has conflicting definition values at plain (100):\n" +
        '  "atuin" from programs/shell/atuin.ts (contributes.fish)\n' +
        '  "direnv" from programs/shell/direnv.ts (contributes.fish)\n' +
        "  fix: make one definition win: wrap it in `mkForce(...)`, or wrap the other in `mkDefault(...)` (in the config file, set the value on the host to override a shared default)",
      "programs/shell/direnv.ts: error[invalid-option] (host macbook): option `git.ignores.1` is not of type `string`: 7 from programs/shell/direnv.ts (contributes.git) (Invalid input: expected string, received number)\n" +
        "  fix: `setup-mac programs info git` shows the option's type",
    ]);
    // evo-x2 has the conflict and the list item too (its fish entry is untouched).
    expect(errors.filter((e) => e.includes("(host evo-x2)"))).toHaveLength(2);
    expect(r.stdout).toMatch(/^21 programs checked, 5 errors, 0 warnings$/m);
  });

  it("a usage error exits 2", () => {
    expect(cli(["programs", "frobnicate"]).code).toBe(2);
    expect(cli(["--no-such-flag"]).code).toBe(2);
    expect(cli(["programs", "info"]).code).toBe(2);
  });

  it("a folder without a config says how to start", () => {
    const dir = mkdtempSync(join(tmpdir(), "sm-empty-"));
    temp.push(dir);
    const r = cli(["--workspace", dir, "check"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `setup-mac.jsonc: error[config-missing]: no setup-mac.jsonc in ${dir}\n  fix: run \`setup-mac init\` in your flake repository, or pass \`--workspace DIR\`\n`,
    );
  });

  it("an unknown host is a clear error with a suggestion", () => {
    const r = cli(["--workspace", EXAMPLE, "--host", "macbok", "check"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "setup-mac.jsonc: error[unknown-host]: there is no host `macbok` in setup-mac.jsonc\n  fix: did you mean `macbook`?\n",
    );
  });
});
