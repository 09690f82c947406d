import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NodeProcessRunner } from "../../src/adapters/node-runner.js";
import type { DoctorResult } from "../../src/api/doctor.js";
import { doctor, findAdapterImports } from "../../src/api/doctor.js";
import { copyExampleTo } from "../e2e/cli.js";
import { calls, cliAsync, standins } from "../status/standins.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ADAPTER = "{ host }: { }\n";

interface Setup {
  dir: string;
  bin: string;
  env: Record<string, string>;
}

/** A copy of the example with adapters as `init` leaves them, and stand-ins for this machine. */
function setup(commands = ["nix", "nixos-rebuild", "systemctl", "zfs"]): Setup {
  const base = mkdtempSync(join(tmpdir(), "sm-doctor-"));
  temp.push(base);
  const dir = join(base, "ws");
  copyExampleTo(dir);
  mkdirSync(join(dir, "setup-mac/nix"), { recursive: true });
  writeFileSync(join(dir, "setup-mac/nix/host.nix"), ADAPTER);
  writeFileSync(
    join(dir, "setup-mac/nix/setup-mac-adapters.json"),
    JSON.stringify({
      files: { "host.nix": createHash("sha256").update(ADAPTER).digest("hex") },
    }),
  );
  const bin = join(base, "bin");
  standins(bin, commands);
  return {
    dir,
    bin,
    env: {
      // The stand-ins only: no real nix, nixos-rebuild or zfs leaks in from this machine.
      PATH: `${bin}:${process.execPath.replace(/\/node$/, "")}`,
      SETUP_MAC_CACHE_DIR: join(base, "cache"),
      SETUP_MAC_HOST: "evo-x2",
    },
  };
}

const run = (s: Setup, extra: string[] = [], env: Record<string, string> = {}) =>
  cliAsync(["--workspace", s.dir, ...extra, "doctor"], { ...s.env, ...env });

describe("doctor", () => {
  it("finds nothing wrong with the example on its NixOS host", async () => {
    const s = setup();
    const r = await run(s);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok +nix +Nix 2\.8\.0$/m);
    expect(r.stdout).toMatch(
      /^ok +adapter-import +evo-x2 imports the adapter \(\.nixos, \.home\) in flake\.nix$/m,
    );
    expect(r.stdout).toMatch(/^ok +lock +setup-mac\.lock\.json is in sync with the config$/m);
    expect(r.stdout).toMatch(
      /^ok +adapters +1 adapter files in setup-mac\/nix\/ as setup-mac wrote them$/m,
    );
    expect(r.stdout).toMatch(/^ok +commands +nixos-rebuild is .*\/bin\/nixos-rebuild$/m);
    expect(r.stdout).toMatch(/^ok +commands +zfs is .*\/bin\/zfs$/m);
    expect(r.stdout.trimEnd().endsWith("No problems found.")).toBe(true);
  });

  it("names the host whose configuration lacks the import, with the exact line to add", async () => {
    const s = setup();
    const flake = join(s.dir, "flake.nix");
    writeFileSync(
      flake,
      readFileSync(flake, "utf8").replace(
        '(import ./setup-mac/nix { host = "evo-x2"; }).nixos',
        "",
      ),
    );
    const r = await run(s);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      [
        "error  adapter-import  evo-x2's configuration does not import the setup-mac adapter (system level): its programs are not applied",
        "                       fix: add this line to the modules list of nixosConfigurations.evo-x2 in flake.nix:",
        '                              (import ./setup-mac/nix { host = "evo-x2"; }).nixos',
      ].join("\n"),
    );
    // The other host, and evo-x2's home level, are still fine.
    expect(r.stdout).toMatch(/^ok +adapter-import +macbook imports the adapter/m);
    expect(r.stdout.trimEnd().endsWith("1 error")).toBe(true);

    const json = JSON.parse((await run(s, ["--json"])).stdout) as DoctorResult;
    expect(json.ok).toBe(false);
    expect(json.findings.filter((f) => f.severity === "error")).toEqual([
      {
        check: "adapter-import",
        severity: "error",
        host: "evo-x2",
        file: "flake.nix",
        message:
          "evo-x2's configuration does not import the setup-mac adapter (system level): its programs are not applied",
        fix: 'add this line to the modules list of nixosConfigurations.evo-x2 in flake.nix:\n  (import ./setup-mac/nix { host = "evo-x2"; }).nixos',
      },
    ]);
  });

  it("reports a missing platform command, a stale lock, edited and missing adapters, an interrupted apply", async () => {
    const s = setup(["nix", "nixos-rebuild", "systemctl"]);
    const config = join(s.dir, "setup-mac.jsonc");
    writeFileSync(config, readFileSync(config, "utf8").replace('"fontSize": 13', '"fontSize": 12'));
    writeFileSync(join(s.dir, "setup-mac/nix/host.nix"), "# mine\n" + ADAPTER);
    mkdirSync(join(s.dir, ".setup-mac"));
    writeFileSync(
      join(s.dir, ".setup-mac/apply-in-progress.json"),
      JSON.stringify({
        pid: 999999,
        host: "evo-x2",
        started: "2026-11-20T10:00:00.000Z",
        step: "switch",
        previousLock: null,
      }),
    );
    const r = await run(s);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^error +commands +`zfs` is not on PATH, and evo-x2 needs it$/m);
    expect(r.stdout).toContain(
      'fix: enable ZFS (`boot.supportedFilesystems = [ "zfs" ];`), or set "zfs": false for evo-x2 in setup-mac.jsonc',
    );
    expect(r.stdout).toMatch(
      /^warning +lock +setup-mac\.lock\.json is out of date: the config or the programs changed since it was written, so a switch would not include those changes$/m,
    );
    expect(r.stdout).toMatch(/^warning +adapters +setup-mac\/nix\/host\.nix was changed by hand$/m);
    expect(r.stdout).toMatch(
      /^warning +state +an apply to evo-x2 \(pid 999999, started 2026-11-20T10:00:00\.000Z\) stopped during "switch"$/m,
    );
    expect(r.stdout.trimEnd().endsWith("1 error, 3 warnings")).toBe(true);

    rmSync(join(s.dir, "setup-mac/nix/host.nix"));
    const gone = await run(s);
    expect(gone.stdout).toMatch(/^error +adapters +setup-mac\/nix\/host\.nix is missing$/m);
  });

  it("says when Nix is missing, and which machine it did not check commands on", async () => {
    const s = setup([]);
    const result = await doctor({
      workspace: s.dir,
      cacheDir: s.env.SETUP_MAC_CACHE_DIR,
      hostname: "laptop.local",
      runner: new NodeProcessRunner({ baseEnv: { ...process.env, PATH: s.bin } }),
    });
    expect(result.ok).toBe(false);
    expect(result.findings[0]).toEqual({
      check: "nix",
      severity: "error",
      message: "Nix is not installed: there is no `nix` on PATH",
      fix: "install Nix (https://nixos.org/download), then open a new shell",
    });
    expect(result.findings.at(-1)).toEqual({
      check: "commands",
      severity: "info",
      message:
        "this machine (laptop) is none of the hosts (evo-x2, macbook): platform commands were not checked",
      fix: "run doctor on the host, or set SETUP_MAC_HOST=<host> if this machine is one under another name",
    });
  });
});

describe("findAdapterImports", () => {
  it("warns when the lock or the adapters are not tracked by git, since a flake cannot see them", async () => {
    const s = setup();
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.org", "-c", "user.name=t", ...args], {
        cwd: s.dir,
      });
    git("init", "-q");
    git("add", "flake.nix", "setup-mac.jsonc", "programs", "setup-mac/nix");
    const env = { PATH: `${s.env.PATH}:/usr/bin:/bin` };
    const r = await run(s, [], env);
    expect(r.stdout).toMatch(
      /^warning +git +setup-mac\.lock\.json is not tracked by git, so the flake cannot see it\n +fix: git add setup-mac\.lock\.json$/m,
    );
    git("add", "setup-mac.lock.json");
    expect((await run(s, [], env)).stdout).toMatch(
      /^ok +git +setup-mac\.lock\.json and setup-mac\/nix tracked by git$/m,
    );
  });

  it("follows local imports, skips comments, and notes hosts named by a variable", () => {
    const root = mkdtempSync(join(tmpdir(), "sm-doctor-scan-"));
    temp.push(root);
    mkdirSync(join(root, "hosts/evo"), { recursive: true });
    writeFileSync(
      join(root, "flake.nix"),
      [
        "{ outputs = { ... }: {",
        "  nixosConfigurations.evo = mk { modules = [ ./hosts/evo ]; };",
        '  # (import ./setup-mac/nix { host = "commented"; }).nixos',
        "  darwinConfigurations.mac = mk { modules = [ (import ./setup-mac/nix { host = name; }).darwin ]; };",
        "}; }",
      ].join("\n"),
    );
    writeFileSync(
      join(root, "hosts/evo/default.nix"),
      '{ ... }: { imports = [ (import ../../setup-mac/nix/default.nix { host = "evo"; }).nixos ./home.nix ]; }\n',
    );
    writeFileSync(
      join(root, "hosts/evo/home.nix"),
      '{ ... }: { home-manager.users.me.imports = [ (import ../../setup-mac/nix {host="evo";}).home ]; }\n',
    );
    expect(findAdapterImports(root)).toEqual([
      { file: "flake.nix", host: undefined, level: "darwin" },
      { file: "hosts/evo/default.nix", host: "evo", level: "nixos" },
      { file: "hosts/evo/home.nix", host: "evo", level: "home" },
    ]);
  });

  it("checks that hosts deployed to over SSH answer without a prompt and have Nix", async () => {
    const s = setup(["nix", "nixos-rebuild", "systemctl", "zfs", "ssh"]);
    const config = join(s.dir, "setup-mac.jsonc");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace(
        '"platform": "nixos",',
        '"platform": "nixos",\n      "targetHost": "root@evo-x2",',
      ),
    );
    const log = join(s.bin, "calls.log");
    const ok = await run(s, [], { STANDIN_LOG: log });
    expect(ok.stdout).toMatch(/^ok +reach +root@evo-x2 reachable over SSH, Nix 2\.18\.1$/m);
    expect(calls(log).filter((c) => c[0] === "ssh")).toEqual([
      [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=5",
        "root@evo-x2",
        "--",
        "nix",
        "--version",
      ],
    ]);

    const refused = await run(s, [], { SSH_MODE: "refused" });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^error +reach +cannot reach root@evo-x2 over SSH/m);
    expect(refused.stdout).toContain(
      "cannot reach root@evo-x2 over SSH without a prompt: ssh: connect to host evo-x2 port 22: Connection refused",
    );
    expect(refused.stdout).toContain(
      "load your key (ssh-add) or add it to root@evo-x2's authorized_keys",
    );

    const noNix = await run(s, [], { SSH_MODE: "nonix" });
    expect(noNix.code).toBe(1);
    expect(noNix.stdout).toMatch(/^error +reach +root@evo-x2 answers over SSH/m);
    expect(noNix.stdout).toContain(
      "root@evo-x2 answers over SSH, but `nix --version` exited 127 there: bash: line 1: nix: command not found",
    );
  });
});

describe("doctor asks Nix", () => {
  const NIX = ["--extra-experimental-features", "nix-command flakes"];
  const SOURCE = "/nix/store/0k4i3h2g1f0e9d8c7b6a5z4y3x2w1v0u-source";
  const files = (level: string, host: string) => [
    "/nix/store/7x1l-source/nixos/modules/config/system-path.nix",
    `${SOURCE}/setup-mac/nix/${level}.nix (setup-mac, host ${host})`,
  ];
  /** Answers of the stand-in nix, by exact argv: anything else fails the stand-in. */
  function answers(s: Setup, a: { lockHash?: string; evo?: string[]; mac?: string[] | null }) {
    const lock = readFileSync(join(s.dir, "setup-mac.lock.json"), "utf8");
    const hash = createHash("sha256").update(lock).digest("hex");
    const table: Record<string, { stdout?: string; stderr?: string; exit?: number }> = {
      [JSON.stringify([...NIX, "flake", "metadata", "--json", "--no-write-lock-file", "."])]: {
        stdout: JSON.stringify({ path: SOURCE, locked: {} }),
      },
      [JSON.stringify([
        ...NIX,
        "eval",
        "--raw",
        "--impure",
        "--expr",
        `let p = "${SOURCE}/setup-mac.lock.json"; in if builtins.pathExists p then builtins.hashFile "sha256" p else ""`,
      ])]: { stdout: a.lockHash ?? hash },
      [JSON.stringify([
        ...NIX,
        "eval",
        "--json",
        "--no-write-lock-file",
        ".#nixosConfigurations.evo-x2.options.environment.systemPackages.files",
      ])]: { stdout: JSON.stringify(a.evo ?? files("nixos", "evo-x2")) },
      [JSON.stringify([
        ...NIX,
        "eval",
        "--json",
        "--no-write-lock-file",
        ".#darwinConfigurations.macbook.options.environment.systemPackages.files",
      ])]:
        a.mac === null
          ? {
              stderr:
                "error: unable to download 'https://github.com/nix-darwin/nix-darwin/archive/1a2b.tar.gz': Couldn't resolve host name (6)\n",
              exit: 1,
            }
          : { stdout: JSON.stringify(a.mac ?? files("darwin", "macbook")) },
    };
    const file = join(s.dir, "..", "nix-answers.json");
    writeFileSync(file, JSON.stringify(table));
    return { NIX_ANSWERS: file, STANDIN_LOG: join(s.dir, "..", "calls.log") };
  }
  const evalLines = (stdout: string) => stdout.split("\n").filter((l) => /^\w+ +eval /.test(l));

  it("sees the adapter in each host's evaluated configuration and this lock in the flake", async () => {
    const s = setup();
    const env = answers(s, {});
    const r = await run(s, [], env);
    expect(r.code).toBe(0);
    expect(evalLines(r.stdout).map((l) => l.replace(/ +/g, " "))).toEqual([
      expect.stringMatching(
        /^ok eval Nix sees this setup-mac\.lock\.json \(sha256 [0-9a-f]{12}…\)$/,
      ),
      "ok eval Nix evaluates evo-x2 with the setup-mac adapter (.nixos)",
      "ok eval Nix evaluates macbook with the setup-mac adapter (.darwin)",
    ]);
    expect(
      calls(env.STANDIN_LOG).filter((c) => c[0] === "nix" && c[1] !== "--version"),
    ).toHaveLength(4);
  });

  it("fails on a host that evaluates without its adapter, or with another host's, and on another lock", async () => {
    const s = setup();
    const env = answers(s, {
      lockHash: "ab".repeat(32),
      evo: ["/nix/store/7x1l-source/nixos/modules/config/system-path.nix"],
      mac: files("darwin", "evo-x2"),
    });
    const r = await run(s, ["--json"], env);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as DoctorResult;
    expect(
      json.findings.filter((f) => f.check === "eval").map((f) => [f.severity, f.message]),
    ).toEqual([
      [
        "error",
        expect.stringMatching(
          /^the setup-mac\.lock\.json Nix sees is not the one on disk \(sha256 abababababab… against [0-9a-f]{12}…\): the flake reads another copy$/,
        ),
      ],
      [
        "error",
        "Nix evaluates evo-x2 without the setup-mac adapter (.nixos): its programs are not applied",
      ],
      [
        "error",
        "macbook's configuration imports the adapter of evo-x2 instead of its own: it gets that host's programs",
      ],
    ]);
  });

  it("skips what does not evaluate here, without failing doctor", async () => {
    const s = setup();
    const env = answers(s, { mac: null });
    const r = await run(s, [], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^info +eval +darwinConfigurations\.macbook does not evaluate here \(error: unable to download 'https:\/\/github\.com\/nix-darwin\/nix-darwin\/archive\/1a2b\.tar\.gz': Couldn't resolve host name \(6\)\); its import was checked by reading flake\.nix only$/m,
    );
    // A flake that does not evaluate at all: one note, and the checks left out.
    const none = await run(s);
    expect(none.code).toBe(0);
    expect(evalLines(none.stdout)).toHaveLength(1);
    expect(evalLines(none.stdout)[0]).toMatch(
      /^info +eval +the flake does not evaluate here \(`nix flake metadata`: .*\); the checks by evaluation were skipped$/,
    );
  });
});

describe("doctor asks the real Nix", () => {
  const hasNix = execFileSyncOk("nix", ["--version"]);
  it.skipIf(!hasNix)(
    "sees the lock only once git tracks it, and hashes the copy Nix evaluates",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sm-doctor-nix-"));
      temp.push(dir);
      // A flake without inputs standing in for a host: its option lists the adapter's module the
      // way the module system does (`files` of environment.systemPackages).
      writeFileSync(
        join(dir, "flake.nix"),
        '{ outputs = { self }: { nixosConfigurations.box.options.environment.systemPackages.files = [ "${self}/setup-mac/nix/nixos.nix (setup-mac, host box)" ]; }; }\n',
      );
      writeFileSync(
        join(dir, "setup-mac.jsonc"),
        JSON.stringify({
          hosts: { box: { platform: "nixos", system: "x86_64-linux", user: "lars", programs: {} } },
        }),
      );
      writeFileSync(join(dir, "setup-mac.lock.json"), '{"version":1,"hosts":{}}\n');
      const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
      git("init", "-q");
      git("add", "flake.nix", "setup-mac.jsonc");
      const runner = new NodeProcessRunner({
        baseEnv: { ...process.env, NIX_CONFIG: "build-users-group =" },
      });
      const evals = async () =>
        (await doctor({ workspace: dir, runner, localHost: "box" })).findings
          .filter((f) => f.check === "eval")
          .map((f) => [f.severity, f.message]);
      expect(await evals()).toEqual([
        [
          "error",
          "the flake Nix evaluates has no setup-mac.lock.json (a flake sees only files git tracks), so every host fails to evaluate",
        ],
        ["ok", "Nix evaluates box with the setup-mac adapter (.nixos)"],
      ]);
      git("add", "setup-mac.lock.json");
      // Edited after `git add`: Nix reads the work tree of tracked files, so it sees these bytes.
      writeFileSync(join(dir, "setup-mac.lock.json"), '{"version":1,"hosts":{"box":{}}}\n');
      const hash = createHash("sha256")
        .update(readFileSync(join(dir, "setup-mac.lock.json")))
        .digest("hex");
      expect((await evals())[0]).toEqual([
        "ok",
        `Nix sees this setup-mac.lock.json (sha256 ${hash.slice(0, 12)}…)`,
      ]);
    },
    60_000,
  );
});

function execFileSyncOk(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
