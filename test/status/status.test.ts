import { createServer, type Server } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusResult } from "../../src/api/status.js";
import { status } from "../../src/api/status.js";
import type { Lock } from "../../src/emit/lock-types.js";
import { NodeProcessRunner } from "../../src/adapters/node-runner.js";
import { copyExampleTo, EXAMPLE } from "../e2e/cli.js";
import { calls, cliAsync, standins } from "./standins.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

let server: Server;
let port = 0;
let healthy = true;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.statusCode = healthy ? 200 : 503;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The bundled example, cut down to programs whose live checks can pass on this machine. */
function config(extra = ""): string {
  return `{
  "defaults": { "git": { "userName": "Lars Artmann", "userEmail": "lars@example.org" } },
  "hosts": {
    "evo-x2": {
      "platform": "nixos",
      "system": "x86_64-linux",
      "user": "lars",
      "home": "/home/lars",
      "programs": {
        "git": true,
        "tmux": { "prefix": "C-a"${extra} },
        "vscode": { "fontSize": 13 },
        "activitywatch": { "port": ${port} },
        "nix-gc": true
      }
    }
  }
}
`;
}

interface Setup {
  dir: string;
  home: string;
  log: string;
  env: Record<string, string>;
}

function setup(): Setup {
  const dir = mkdtempSync(join(tmpdir(), "sm-status-"));
  temp.push(dir);
  copyExampleTo(join(dir, "ws"));
  writeFileSync(join(dir, "ws/setup-mac.jsonc"), config());
  const bin = join(dir, "bin");
  // Only what cannot run here: the switch, systemd's client and the programs' own binaries.
  standins(bin, [
    "nixos-rebuild",
    "systemctl",
    "tmux",
    "code",
    "aw-server",
    "aw-watcher-afk",
    "aw-watcher-window",
    "nix-collect-garbage",
  ]);
  const home = join(dir, "home");
  mkdirSync(home);
  const cache = join(dir, "cache");
  const log = join(dir, "calls.log");
  return {
    dir: join(dir, "ws"),
    home,
    log,
    env: {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      STANDIN_LOG: log,
      SETUP_MAC_HOME: home,
      SETUP_MAC_CACHE_DIR: cache,
    },
  };
}

/** Writes every home file of the applied lock into the test's home, as the switch would. */
function writeHomeFiles(s: Setup): void {
  const lock = JSON.parse(readFileSync(join(s.dir, "setup-mac.lock.json"), "utf8")) as Lock;
  for (const p of Object.values(lock.hosts["evo-x2"]!.programs))
    for (const [rel, file] of Object.entries(p.home?.files ?? {})) {
      mkdirSync(dirname(join(s.home, rel)), { recursive: true });
      writeFileSync(join(s.home, rel), file.text);
    }
}

describe("programs status on the bundled example", () => {
  let s: Setup;
  const here = () => ({ ...s.env, SETUP_MAC_HOST: "evo-x2" });
  const statusCli = (extra: string[] = [], env: Record<string, string> = here()) =>
    cliAsync(["--workspace", s.dir, "--host", "evo-x2", ...extra, "programs", "status"], env);

  beforeAll(async () => {
    s = setup();
    const applied = await cliAsync(
      ["--workspace", s.dir, "--host", "evo-x2", "apply", "--yes", "--no-build"],
      s.env,
    );
    expect(applied.stderr + applied.stdout).toContain("Applied to evo-x2: generation 1");
    expect(applied.code).toBe(0);
    expect(calls(s.log)).toContainEqual(["nixos-rebuild", "switch", "--flake", ".#evo-x2"]);
    writeHomeFiles(s);
  });

  it("is in sync after apply: files, services, binaries and health all pass (exit 0)", async () => {
    writeFileSync(s.log, "");
    const r = await statusCli();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^evo-x2 \(nixos\): generation 1 applied \d{4}-\d\d-\d\d /m);
    expect(r.stdout).toMatch(/^PROGRAM +CONFIG +LIVE$/m);
    expect(r.stdout).toMatch(/^git +in sync +ok \(2 files, 1 binary, 1 check\)$/m);
    expect(r.stdout).toMatch(/^activitywatch +in sync +ok \(3 services, 3 binaries, 1 check\)$/m);
    expect(r.stdout).toMatch(/^nix-gc +in sync +ok \(2 services, 2 binaries, 1 check\)$/m);
    expect(r.stdout).toContain("evo-x2 is in sync: 5 programs as applied, every live check passed");
    // User units with --user, scheduled system units through their timers.
    const log = calls(s.log);
    expect(log).toContainEqual([
      "systemctl",
      "--user",
      "is-active",
      "setup-mac-activitywatch-server",
    ]);
    expect(log).toContainEqual(["systemctl", "is-active", "setup-mac-nix-gc-collect.timer"]);
    expect(log).toContainEqual(["tmux", "-V"]);
  });

  it("--json gives the same data", async () => {
    const r = await statusCli(["--json"]);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as StatusResult;
    expect(data.ok).toBe(true);
    expect(data.applied?.generation).toBe(1);
    expect(data.live).toMatchObject({ ran: true, machine: "evo-x2", home: s.home });
    const git = data.programs.find((p) => p.name === "git")!;
    expect(git.config).toBe("in-sync");
    expect(git.findings).toContainEqual({
      kind: "file",
      target: "~/.config/git/config",
      ok: true,
      state: "in sync",
    });
  });

  it("a file edited by hand is reported with its line, and exits 1", async () => {
    const file = join(s.home, ".config/git/config");
    const original = readFileSync(file, "utf8");
    const lines = original.split("\n");
    lines[1] = "\tname = Somebody Else";
    writeFileSync(file, lines.join("\n"));
    try {
      const r = await statusCli();
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^git +in sync +~\/\.config\/git\/config edited by hand$/m);
      expect(r.stdout).toContain(
        "  git: file ~/.config/git/config edited by hand — differs from line 2",
      );
      expect(r.stdout).toContain("evo-x2: 1 file edited by hand");
    } finally {
      writeFileSync(file, original);
    }
  });

  it("a merge-mode file drifts only when a declared key changes", async () => {
    const file = join(s.home, ".config/Code/User/settings.json");
    const original = readFileSync(file, "utf8");
    const settings = JSON.parse(original) as Record<string, unknown>;
    try {
      // The program itself adds keys: still in sync.
      writeFileSync(file, JSON.stringify({ ...settings, "window.zoomLevel": 1 }, null, 2));
      expect((await statusCli()).code).toBe(0);
      writeFileSync(file, JSON.stringify({ ...settings, "editor.fontSize": 20 }, null, 2));
      const r = await statusCli();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        '  vscode: file ~/.config/Code/User/settings.json drifted — ["editor.fontSize"] differs from the declared value',
      );
    } finally {
      writeFileSync(file, original);
    }
  });

  it("a missing file, a stopped service and a failing health check each fail", async () => {
    const file = join(s.home, ".config/tmux/tmux.conf");
    const original = readFileSync(file, "utf8");
    rmSync(file);
    healthy = false;
    try {
      const r = await statusCli([], { ...here(), STOPPED: "setup-mac-activitywatch-afk" });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("  tmux: file ~/.config/tmux/tmux.conf missing");
      expect(r.stdout).toContain(
        "  activitywatch: service setup-mac-activitywatch-afk not running — user unit setup-mac-activitywatch-afk is inactive",
      );
      expect(r.stdout).toContain(
        `  activitywatch: health http http://127.0.0.1:${port}/api/0/info unhealthy — HTTP 503 from http://127.0.0.1:${port}/api/0/info`,
      );
      expect(r.stdout).toContain(
        "evo-x2: 1 file missing, 1 service not running, 1 health check failing",
      );
      expect(r.stdout).toContain(
        "`setup-mac services status activitywatch` says what the service manager knows; `services logs` shows the output",
      );
    } finally {
      healthy = true;
      writeFileSync(file, original);
    }
  });

  it("skips live checks on another machine and says so", async () => {
    writeFileSync(s.log, "");
    const r = await statusCli([], { ...s.env, SETUP_MAC_HOST: "somewhere-else" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "note: live checks skipped: this machine is somewhere-else, not evo-x2; run status on evo-x2, or pass --live to check this machine anyway",
    );
    expect(r.stdout).toMatch(/^git +in sync +skipped$/m);
    expect(r.stdout).toContain("live checks were skipped (see the note above)");
    expect(calls(s.log)).toEqual([]);
    // --live forces them.
    const skipped = await statusCli(["--json"], { ...s.env, SETUP_MAC_HOST: "somewhere-else" });
    expect((JSON.parse(skipped.stdout) as StatusResult).live.ran).toBe(false);
    const live = await cliAsync(
      ["--workspace", s.dir, "--host", "evo-x2", "programs", "status", "--live"],
      { ...s.env, SETUP_MAC_HOST: "somewhere-else" },
    );
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/^git +in sync +ok /m);
  });

  it("a config change since apply shows as changed, with what changed (exit 1)", async () => {
    const before = readFileSync(join(s.dir, "setup-mac.jsonc"), "utf8");
    writeFileSync(join(s.dir, "setup-mac.jsonc"), config(`, "mouse": false`));
    try {
      const r = await statusCli();
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^tmux +changed since apply +ok /m);
      expect(r.stdout).toContain("  tmux: files ~ ~/.config/tmux/tmux.conf (changed since apply)");
      expect(r.stdout).toContain("  tmux: options ~ mouse (changed since apply)");
      expect(r.stdout).toContain("evo-x2: 1 changed since apply");
    } finally {
      writeFileSync(join(s.dir, "setup-mac.jsonc"), before);
    }
  });
});

describe("status() as a library", () => {
  it("before any apply every program is not applied, and live checks compare with the config", async () => {
    const s = setup();
    const home = s.home;
    const result = await status({
      workspace: s.dir,
      cacheDir: s.env.SETUP_MAC_CACHE_DIR,
      host: "evo-x2",
      hostname: "evo-x2.example.org",
      home,
      path: s.env.PATH,
      runner: new NodeProcessRunner({ baseEnv: { ...process.env, ...s.env } }),
      probeOverrides: { sleep: async () => undefined },
    });
    expect(result.applied).toBeUndefined();
    expect(result.live.ran).toBe(true);
    expect(result.live.note).toBe(
      "nothing applied yet: the live checks compare this machine with the declared config",
    );
    expect(result.programs.map((p) => p.config)).toEqual(Array(5).fill("not-applied"));
    expect(result.summary.problems.file).toBe(6);
    expect(result.ok).toBe(false);
  });
});

describe("status on a darwin host", () => {
  it("asks launchd: a running agent must run, a scheduled one only be loaded", async () => {
    const s = setup();
    writeFileSync(join(s.dir, "setup-mac.jsonc"), readFileSync(join(EXAMPLE, "setup-mac.jsonc")));
    standins(join(s.dir, "..", "bin"), ["launchctl"]);
    const runner = new NodeProcessRunner({
      baseEnv: { ...process.env, ...s.env, LAUNCHD_STATE: "not running" },
    });
    const result = await status({
      workspace: s.dir,
      cacheDir: s.env.SETUP_MAC_CACHE_DIR,
      host: "macbook",
      hostname: "macbook",
      home: s.home,
      path: s.env.PATH,
      runner,
      probeOverrides: { uid: 501, sleep: async () => undefined },
    });
    const find = (program: string, target: string) =>
      result.programs.find((p) => p.name === program)!.findings.find((f) => f.target === target);
    expect(find("restic-backup", "org.setup-mac.restic-backup.backup")).toEqual({
      kind: "service",
      target: "org.setup-mac.restic-backup.backup",
      ok: true,
      state: "loaded",
      detail: "launchd job org.setup-mac.restic-backup.backup is loaded (it runs on its schedule)",
    });
    expect(find("atuin", "org.setup-mac.atuin.daemon")).toEqual({
      kind: "service",
      target: "org.setup-mac.atuin.daemon",
      ok: false,
      state: "not running",
      detail: "launchd job gui/501/org.setup-mac.atuin.daemon is not running",
    });
    const log = calls(s.log);
    expect(log).toContainEqual(["launchctl", "print", "gui/501/org.setup-mac.atuin.daemon"]);
    expect(log).toContainEqual([
      "launchctl",
      "print",
      "gui/501/org.setup-mac.restic-backup.backup",
    ]);
  });
});
