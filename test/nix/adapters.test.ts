/**
 * The Nix adapters (nix/*.nix), evaluated with `nix-instantiate` against the fixture lock. A small
 * committed harness (test/nix/harness) stands in for nixpkgs' `lib`, for `pkgs` and for the
 * module system's merge rules, so these tests need nothing but Nix itself. Goldens hold each
 * platform's evaluated options; `UPDATE_GOLDEN=1` rewrites them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stableStringify } from "../../src/emit/json.js";
import type { Lock } from "../../src/emit/lock-types.js";
import { expectGolden } from "../golden.js";
import { fixtureLock } from "./fixture-lock.js";

const root = resolve(import.meta.dirname, "../..");
const nixDir = join(root, "nix");
const harness = join(root, "test/nix/harness");
const fixtures = join(root, "test/fixtures/lock");
const lockPath = join(fixtures, "setup-mac.lock.json");

const hasNix = spawnSync("nix-instantiate", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasNix) {
  console.warn("test/nix: skipped, nix-instantiate is not installed (CI installs nix-bin)");
}

const scratch = mkdtempSync(join(tmpdir(), "setup-mac-nix-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface NixResult {
  ok: boolean;
  value: unknown;
  stderr: string;
}

function nixEval(expression: string): NixResult {
  const r = spawnSync(
    "nix-instantiate",
    ["--eval", "--strict", "--json", "--store", "dummy://", "-E", expression],
    { encoding: "utf8" },
  );
  return {
    ok: r.status === 0,
    value: r.status === 0 ? (JSON.parse(r.stdout) as unknown) : undefined,
    stderr: r.stderr,
  };
}

/** A Nix string literal. */
const str = (s: string): string => JSON.stringify(s).replaceAll("${", "\\${");

function evalExpr(
  host: string,
  adapter: string,
  lockFile = lockPath,
  extraModules = "[ ]",
): string {
  return `import ${harness}/eval.nix { host = ${str(host)}; adapter = ${str(adapter)}; lockFile = ${lockFile}; extraModules = ${extraModules}; }`;
}

function evaluate(host: string, adapter: string, extraModules = "[ ]"): Record<string, unknown> {
  const r = nixEval(evalExpr(host, adapter, lockPath, extraModules));
  if (!r.ok) throw new Error(`evaluating .${adapter} for ${host} failed:\n${r.stderr}`);
  return r.value as Record<string, unknown>;
}

/** A variant of the fixture lock written to a scratch file. */
function lockVariant(name: string, edit: (lock: Lock) => void): string {
  const lock = structuredClone(fixtureLock) as Lock;
  edit(lock);
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, stableStringify(lock));
  return path;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const STORE = /^\/nix\/store\/[0-9a-f]{32}-/;
const storePath = (name: string): RegExp => new RegExp(`^/nix/store/[0-9a-f]{32}-${name}$`);

describe("the fixture lock", () => {
  it("is the typed fixture, written as setup-mac build writes locks", () => {
    expectGolden(lockPath, stableStringify(fixtureLock));
  });
});

describe.skipIf(!hasNix)("Nix adapters (skipped when nix-instantiate is missing)", () => {
  it("every .nix file parses", () => {
    const files = [
      ...readdirSync(nixDir).map((f) => join(nixDir, f)),
      ...readdirSync(harness).map((f) => join(harness, f)),
    ].filter((f) => f.endsWith(".nix"));
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(
      expect.arrayContaining([
        "nix/default.nix",
        "nix/lib.nix",
        "nix/nixos.nix",
        "nix/darwin.nix",
        "nix/home.nix",
      ]),
    );
    for (const file of files) {
      const r = spawnSync("nix-instantiate", ["--parse", "--store", "dummy://", file], {
        encoding: "utf8",
      });
      expect(r.stderr, file).toBe("");
      expect(r.status, file).toBe(0);
    }
  });

  describe.each([
    ["nixos", "evo-x2"],
    ["darwin", "macbook"],
    ["home", "evo-x2"],
    ["home", "macbook"],
  ])("golden: .%s for %s", (adapter, host) => {
    it("matches the committed evaluation", () => {
      expectGolden(
        join(fixtures, "expected", `${adapter}-${host}.json`),
        stableStringify(evaluate(host, adapter)),
      );
    });
  });

  describe(".nixos for evo-x2", () => {
    let c: Any;
    beforeAll(() => {
      c = evaluate("evo-x2", "nixos");
    });

    it("installs system packages, with the wrapper standing in for the package it wraps", () => {
      const pkgs: string[] = c.environment.systemPackages;
      expect(pkgs).toHaveLength(7);
      expect(pkgs[0]).toMatch(storePath("git"));
      expect(pkgs[1]).toMatch(storePath("black"));
      expect(pkgs[2]).toMatch(storePath("rg-setup-mac-wrapper"));
      expect(pkgs.slice(3).map((p) => p.replace(STORE, ""))).toEqual([
        "syncthing",
        "restic",
        "code-server",
        "vscode",
      ]);
      expect(pkgs.some((p) => p.endsWith("-ripgrep"))).toBe(false);
    });

    it("writes /etc files with text and mode; merge-mode files are not linked", () => {
      expect(c.environment.etc).toEqual({
        "restic/excludes": { text: "/home/lars/.cache\n/home/lars/Downloads\n", mode: "0600" },
      });
    });

    it("sets environment variables", () => {
      expect(c.environment.variables).toEqual({ TS_DEBUG_FIREWALL_MODE: "auto" });
    });

    it("renders the system service and its timer", () => {
      const svc = c.systemd.services["setup-mac-backup-nightly"];
      expect(svc.description).toBe("restic backup of /home");
      expect(svc.after).toEqual(["local-fs.target", "network.target"]);
      expect(svc.wants).toEqual([]);
      expect(svc.wantedBy).toEqual([]);
      expect(svc.environment).toEqual({ RESTIC_REPOSITORY: "/srv/backup/restic" });
      expect(svc.serviceConfig).toEqual({
        ExecStart: expect.stringMatching(
          /^\/nix\/store\/[0-9a-f]{32}-restic\/bin\/restic backup --exclude-file=\/etc\/restic\/excludes --tag "nightly \$\$\(date\)" \/home\/lars$/,
        ),
        Restart: "no",
        Type: "oneshot",
        User: "lars",
        Group: "users",
        StandardOutput: "append:/var/log/setup-mac-backup.log",
        StandardError: "append:/var/log/setup-mac-backup.log",
      });
      expect(c.systemd.timers).toEqual({
        "setup-mac-backup-nightly": {
          description: "restic backup of /home",
          wantedBy: ["timers.target"],
          timerConfig: { OnCalendar: "*-*-* 03:30:00", Persistent: true },
        },
      });
    });

    it("leaves user services to home-manager on a home-manager host", () => {
      expect(c.systemd.user).toEqual({ services: {}, timers: {} });
    });

    it("creates ZFS datasets in a oneshot unit and keeps snapshots with sanoid", () => {
      const zfs = c.systemd.services["setup-mac-zfs-datasets"];
      expect(zfs.serviceConfig).toEqual({ Type: "oneshot", RemainAfterExit: true });
      expect(zfs.wantedBy).toEqual(["multi-user.target"]);
      expect(zfs.before).toEqual(["setup-mac-backup-nightly.service"]);
      const lines: string[] = zfs.script.split("\n");
      expect(lines[0]).toMatch(
        /^if ! \/nix\/store\/[0-9a-f]{32}-zfs\/bin\/zfs list -H -o name tank\/data\/backup >\/dev\/null 2>&1; then$/,
      );
      expect(lines[1]).toMatch(
        /zfs\/bin\/zfs create -p -o 'mountpoint=\/srv\/backup' -o 'atime=off' -o 'compression=zstd' tank\/data\/backup$/,
      );
      expect(lines.slice(2)).toEqual([
        "fi",
        "systemd-tmpfiles --create --prefix=/srv/backup || true",
      ]);
      expect(c.services.sanoid).toEqual({
        enable: true,
        datasets: { "tank/data/backup": { daily: 7, autosnap: true, autoprune: true } },
      });
    });

    it("turns permissions into tmpfiles rules", () => {
      expect(c.systemd.tmpfiles.rules).toEqual([
        "d /srv/backup 0750 lars users -",
        "z /srv/backup/restic 0700 lars - -",
      ]);
    });

    it("merges merge-mode /etc files in an activation script", () => {
      const merge = c.system.activationScripts["setup-mac-merge-files"];
      expect(merge.deps).toEqual(["users"]);
      expect(merge.text).toMatch(
        /^\/nix\/store\/[0-9a-f]{32}-setup-mac-merge-file json \/nix\/store\/[0-9a-f]{32}-setup-mac-merge.json \/etc\/restic\/settings.json$/,
      );
      // Hooks are on the home level on a home-manager host.
      expect(Object.keys(c.system.activationScripts)).toEqual(["setup-mac-merge-files"]);
    });

    it("sets raw NixOS options at their priority, resolving { pkg } values", () => {
      expect(c.services.tailscale.enable).toBe(true);
      expect(c.services.tailscale.package).toMatch(storePath("tailscale"));
      expect(c.networking.firewall.trustedInterfaces).toEqual(["tailscale0"]);
    });
  });

  describe(".darwin for macbook", () => {
    let c: Any;
    beforeAll(() => {
      c = evaluate("macbook", "darwin");
    });

    it("installs packages and /etc files (no mode: nix-darwin links them), and variables", () => {
      expect(c.environment.systemPackages.map((p: string) => p.replace(STORE, ""))).toEqual([
        "git",
        "black",
        "rg-setup-mac-wrapper",
        "syncthing",
        "restic",
        "code-server",
        "vscode",
      ]);
      expect(c.environment.etc).toEqual({
        "restic/excludes": { text: "/Users/lars/.cache\n/Users/lars/Downloads\n" },
      });
      expect(c.environment.variables).toEqual({ TS_DEBUG_FIREWALL_MODE: "auto" });
    });

    it("renders launchd daemons with serviceConfig", () => {
      const nightly = c.launchd.daemons["org.setup-mac.backup.nightly"].serviceConfig;
      expect(nightly).toEqual({
        Label: "org.setup-mac.backup.nightly",
        ProgramArguments: [
          "/bin/sh",
          "-c",
          expect.stringMatching(
            /^\/bin\/wait4path \/nix\/store && exec \/nix\/store\/[0-9a-f]{32}-restic\/bin\/restic backup '--exclude-file=\/etc\/restic\/excludes' --tag 'nightly \$\(date\)' \/Users\/lars$/,
          ),
        ],
        RunAtLoad: false,
        KeepAlive: false,
        EnvironmentVariables: { RESTIC_REPOSITORY: "/srv/backup/restic" },
        UserName: "lars",
        GroupName: "staff",
        StandardOutPath: "/var/log/setup-mac-backup.log",
        StandardErrorPath: "/var/log/setup-mac-backup.log",
        StartCalendarInterval: [{ Hour: 3, Minute: 30 }],
      });
      const watchdog = c.launchd.daemons["org.setup-mac.tailscale.watchdog"].serviceConfig;
      expect(watchdog.KeepAlive).toBe(true);
      expect(watchdog.RunAtLoad).toBe(true);
      expect(watchdog.UserName).toBe("root");
      expect(c.launchd.user.agents).toEqual({});
      expect(c.system?.primaryUser).toBeUndefined();
    });

    it("runs permissions and merged files in extraActivation, postSetup hooks in postActivation", () => {
      const extra: string = c.system.activationScripts.extraActivation.text;
      expect(extra.split("\n")).toEqual([
        "# setup-mac: permissions",
        "/bin/mkdir -p /srv/backup",
        "/bin/chmod 0750 /srv/backup",
        "/usr/sbin/chown lars:users /srv/backup",
        "if [ -e /srv/backup/restic ]; then /bin/chmod 0700 /srv/backup/restic && /usr/sbin/chown lars /srv/backup/restic; fi",
        "# setup-mac: merged files",
        expect.stringMatching(
          /-setup-mac-merge-file json \/nix\/store\/\S+ \/etc\/restic\/settings.json$/,
        ),
      ]);
      expect(c.system.activationScripts.postActivation).toBeUndefined();
    });

    it("warns about what nix-darwin cannot do", () => {
      expect(c.warnings).toEqual([
        "setup-mac: /etc/restic/excludes of program 'backup' asks for mode 0600, but nix-darwin links /etc files read-only from the Nix store; the mode is not applied.",
      ]);
    });

    it("sets raw nix-darwin options at their priority", () => {
      expect(c.services.tailscale.enable).toBe(true);
      expect(c.services.tailscale.package).toMatch(storePath("tailscale"));
    });
  });

  describe(".home for evo-x2 (Linux: systemd user units)", () => {
    let c: Any;
    beforeAll(() => {
      c = evaluate("evo-x2", "home");
    });

    it("installs home packages and sets session variables", () => {
      expect(c.home.packages).toEqual([expect.stringMatching(storePath("bat"))]);
      expect(c.home.sessionVariables).toEqual({ GIT_PAGER: "less -FRX", PAGER: "bat --plain" });
    });

    it("links home files, executable when the mode says so; merge-mode files are not linked", () => {
      expect(c.home.file).toEqual({
        ".config/git/config": {
          text: '[user]\n\tname = Lars\n[init]\n\tdefaultBranch = main\n[alias]\n\tlg = log --graph --format="%h %s"\n',
        },
        ".local/bin/cs-open": {
          text: '#!/bin/sh\nexec code-server --reuse-window "$@"\n',
          executable: true,
        },
      });
    });

    it("renders systemd user services with Unit/Service/Install sections", () => {
      const server = c.systemd.user.services["setup-mac-code-server-server"];
      expect(server).toEqual({
        Unit: {
          Description: "code-server on 127.0.0.1:8080",
          After: ["network-online.target"],
          Wants: ["network-online.target"],
        },
        Service: {
          ExecStart: expect.stringMatching(
            /^\/nix\/store\/[0-9a-f]{32}-code-server\/bin\/code-server --bind-addr 127.0.0.1:8080 --auth=none$/,
          ),
          Restart: "on-failure",
          Environment: ['"GREETING=say \\"hi\\" 100%%"', '"PORT=8080"'],
          WorkingDirectory: "/home/lars/projects",
          StandardOutput: "append:/home/lars/.local/state/code-server.log",
          StandardError: "append:/home/lars/.local/state/code-server.log",
        },
        Install: { WantedBy: ["default.target"] },
      });
      const daemon = c.systemd.user.services["setup-mac-syncthing-daemon"];
      expect(daemon.Unit.After).toEqual(["graphical-session.target"]);
      expect(daemon.Service.Restart).toBe("always");
    });

    it("renders timers for scheduled user services, which are not started at login", () => {
      expect(c.systemd.user.services["setup-mac-code-server-index-refresh"].Install).toEqual({});
      expect(c.systemd.user.services["setup-mac-code-server-index-refresh"].Service.Type).toBe(
        "oneshot",
      );
      expect(c.systemd.user.timers).toEqual({
        "setup-mac-code-server-index-refresh": {
          Unit: { Description: "Refresh the code-server extension index" },
          Timer: { OnBootSec: "900s", OnUnitActiveSec: "900s" },
          Install: { WantedBy: ["timers.target"] },
        },
        "setup-mac-syncthing-rescan": {
          Unit: { Description: "Weekly full rescan of 100%% of the folders" },
          Timer: { OnCalendar: "Sun *-*-* 04:00:00", Persistent: true },
          Install: { WantedBy: ["timers.target"] },
        },
      });
      expect(c.launchd).toBeUndefined();
    });

    it("merges merge-mode files and runs hooks in lock order, after home-manager wrote its files", () => {
      const a = c.home.activation;
      expect(Object.keys(a).sort()).toEqual([
        "setup-mac-backup",
        "setup-mac-merge-files",
        "setup-mac-syncthing",
      ]);
      expect(a["setup-mac-merge-files"].after).toEqual(["writeBoundary", "linkGeneration"]);
      const merges: string[] = a["setup-mac-merge-files"].data.split("\n");
      expect(merges).toEqual([
        expect.stringMatching(
          /^run \/nix\/store\/\S+-setup-mac-merge-file yaml \/nix\/store\/\S+-setup-mac-merge.json \/home\/lars\/.config\/syncthing\/ignore.yaml$/,
        ),
        expect.stringMatching(
          /^run \/nix\/store\/\S+-setup-mac-merge-file json \/nix\/store\/\S+ \/home\/lars\/.config\/Code\/User\/settings.json 0644$/,
        ),
      ]);
      expect(a["setup-mac-syncthing"].after).toEqual([
        "writeBoundary",
        "linkGeneration",
        "setup-mac-merge-files",
      ]);
      expect(a["setup-mac-backup"].after).toEqual([
        "writeBoundary",
        "linkGeneration",
        "setup-mac-merge-files",
        "setup-mac-syncthing",
      ]);
      expect(a["setup-mac-backup"].data.split("\n")).toEqual([
        "# setup-mac: backup preSetup",
        expect.stringMatching(/^run \/nix\/store\/[0-9a-f]{32}-restic\/bin\/restic version$/),
        "# setup-mac: backup postSetup",
        `run /bin/sh -c 'test -d "$1" || echo "no repository at $1"' sh /srv/backup/restic`,
      ]);
    });

    it("sets raw home-manager options", () => {
      expect(c.programs.git.lfs.enable).toBe(true);
    });
  });

  describe(".home for macbook (macOS: launchd agents)", () => {
    let c: Any;
    beforeAll(() => {
      c = evaluate("macbook", "home");
    });

    it("renders enabled launchd agents with config", () => {
      expect(c.systemd).toBeUndefined();
      expect(c.launchd.agents["org.setup-mac.code-server.server"]).toEqual({
        enable: true,
        config: {
          Label: "org.setup-mac.code-server.server",
          ProgramArguments: [
            expect.stringMatching(/^\/nix\/store\/[0-9a-f]{32}-code-server\/bin\/code-server$/),
            "--bind-addr",
            "127.0.0.1:8080",
            "--auth=none",
          ],
          RunAtLoad: true,
          KeepAlive: { SuccessfulExit: false },
          EnvironmentVariables: { GREETING: 'say "hi" 100%', PORT: "8080" },
          WorkingDirectory: "/Users/lars/projects",
          StandardOutPath: "/Users/lars/.local/state/code-server.log",
          StandardErrorPath: "/Users/lars/.local/state/code-server.log",
        },
      });
      const refresh = c.launchd.agents["org.setup-mac.code-server.index-refresh"].config;
      expect(refresh.StartInterval).toBe(900);
      expect(refresh.RunAtLoad).toBe(false);
      expect(refresh.KeepAlive).toBe(false);
      const rescan = c.launchd.agents["org.setup-mac.syncthing.rescan"].config;
      expect(rescan.StartCalendarInterval).toEqual([{ Weekday: 0, Hour: 4, Minute: 0 }]);
    });

    it("merges the settings file at its macOS path (with a space)", () => {
      expect(c.home.activation["setup-mac-merge-files"].data).toContain(
        "'/Users/lars/Library/Application Support/Code/User/settings.json' 0644",
      );
    });
  });

  describe("hosts without home-manager: the home level's services, hooks and env on the system level", () => {
    // What setup-mac build writes with "homeManager": false (home files are refused there).
    const withoutHomeManager = (lock: Lock): void => {
      for (const host of Object.values(lock.hosts)) {
        host.homeManager = false;
        for (const program of Object.values(host.programs)) {
          const home = program.home;
          if (home === undefined) continue;
          const system = (program.system ??= {});
          system.packages = [...(system.packages ?? []), ...(home.packages ?? [])];
          system.env = { ...system.env, ...home.env };
          system.services = { ...system.services, ...home.services };
          system.hooks = { ...system.hooks, ...home.hooks };
          delete program.home;
        }
      }
    };
    let nixos: Any;
    let darwin: Any;
    beforeAll(() => {
      const lockFile = lockVariant("no-home-manager", withoutHomeManager);
      const n = nixEval(evalExpr("evo-x2", "nixos", lockFile));
      const d = nixEval(evalExpr("macbook", "darwin", lockFile));
      if (!n.ok || !d.ok) throw new Error(n.stderr + d.stderr);
      nixos = n.value;
      darwin = d.value;
    });

    it("NixOS: user services and timers in systemd.user, hooks as ordered activation scripts", () => {
      expect(Object.keys(nixos.systemd.user.services).sort()).toEqual([
        "setup-mac-code-server-index-refresh",
        "setup-mac-code-server-server",
        "setup-mac-syncthing-daemon",
        "setup-mac-syncthing-rescan",
      ]);
      expect(nixos.systemd.user.services["setup-mac-syncthing-daemon"].wantedBy).toEqual([
        "default.target",
      ]);
      expect(nixos.systemd.user.services["setup-mac-syncthing-daemon"].after).toEqual([
        "graphical-session.target",
      ]);
      expect(Object.keys(nixos.systemd.user.timers).sort()).toEqual([
        "setup-mac-code-server-index-refresh",
        "setup-mac-syncthing-rescan",
      ]);
      const scripts = nixos.system.activationScripts;
      expect(scripts["setup-mac-syncthing"].deps).toEqual(["users", "setup-mac-merge-files"]);
      expect(scripts["setup-mac-backup"].deps).toEqual([
        "users",
        "setup-mac-merge-files",
        "setup-mac-syncthing",
      ]);
      expect(scripts["setup-mac-backup"].text).toMatch(
        /^# setup-mac: backup preSetup\n\/nix\/store\/[0-9a-f]{32}-restic\/bin\/restic version\n# setup-mac: backup postSetup\n/,
      );
      expect(nixos.environment.variables).toEqual({
        GIT_PAGER: "less -FRX",
        PAGER: "bat --plain",
        TS_DEBUG_FIREWALL_MODE: "auto",
      });
    });

    it("nix-darwin: launchd.user.agents with the primary user, hooks in extra/postActivation", () => {
      expect(Object.keys(darwin.launchd.user.agents).sort()).toEqual([
        "org.setup-mac.code-server.index-refresh",
        "org.setup-mac.code-server.server",
        "org.setup-mac.syncthing.daemon",
        "org.setup-mac.syncthing.rescan",
      ]);
      expect(darwin.system.primaryUser).toBe("lars");
      const extra: string[] = darwin.system.activationScripts.extraActivation.text.split("\n");
      expect(extra.slice(0, 2)).toEqual([
        "# setup-mac: backup preSetup",
        expect.stringMatching(/-restic\/bin\/restic version$/),
      ]);
      expect(darwin.system.activationScripts.postActivation.text.split("\n")).toEqual([
        "# setup-mac: syncthing postSetup",
        expect.stringMatching(
          /-syncthing\/bin\/syncthing generate '--home=\/Users\/lars\/.config\/syncthing'$/,
        ),
        "# setup-mac: backup postSetup",
        `/bin/sh -c 'test -d "$1" || echo "no repository at $1"' sh /srv/backup/restic`,
      ]);
    });
  });

  describe("priorities: the host's own configuration wins over generated values", () => {
    it("a plain host value beats a program's plain value; a program's mkForce beats it", () => {
      const c: Any = evaluate(
        "evo-x2",
        "home",
        `[ { home.sessionVariables = { GIT_PAGER = "delta"; PAGER = "less"; }; } ]`,
      );
      expect(c.home.sessionVariables).toEqual({ GIT_PAGER: "delta", PAGER: "bat --plain" });
    });

    it("the host can override one setting of a generated unit and keep the rest", () => {
      const c: Any = evaluate(
        "evo-x2",
        "nixos",
        `[ { systemd.services.setup-mac-backup-nightly.serviceConfig.User = "backup"; } ]`,
      );
      const sc = c.systemd.services["setup-mac-backup-nightly"].serviceConfig;
      expect(sc.User).toBe("backup");
      expect(sc.Group).toBe("users");
    });

    it("raw options keep their priority: mkForce stays above the host's plain value", () => {
      const c: Any = evaluate(
        "evo-x2",
        "nixos",
        `[ { services.tailscale.enable = false; networking.firewall.trustedInterfaces = [ "eth0" ]; } ]`,
      );
      expect(c.services.tailscale.enable).toBe(false);
      expect(c.networking.firewall.trustedInterfaces).toEqual(["tailscale0"]);
    });

    it("lists are not overridden: the host's packages and the programs' are both installed", () => {
      const c: Any = evaluate(
        "evo-x2",
        "nixos",
        `[ ({ pkgs, ... }: { environment.systemPackages = [ pkgs.jq ]; }) ]`,
      );
      expect(c.environment.systemPackages).toHaveLength(8);
    });
  });

  describe("errors", () => {
    it("an unknown package attribute names the program and the attribute", () => {
      const lockFile = lockVariant("unknown-package", (lock) => {
        lock.hosts["evo-x2"]!.programs.ripgrep!.system!.packages = ["ripgrep", "no-such.pkg"];
      });
      const r = nixEval(evalExpr("evo-x2", "nixos", lockFile));
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain(
        "setup-mac: program 'ripgrep' needs package 'no-such.pkg', which is not in nixpkgs",
      );
    });

    it("an unknown package in a service command names the program", () => {
      const lockFile = lockVariant("unknown-bin", (lock) => {
        const svc = lock.hosts.macbook!.programs["code-server"]!.home!.services!.server!;
        svc.command = [{ bin: "code-server", pkg: "code-servr" }];
      });
      const r = nixEval(evalExpr("macbook", "home", lockFile));
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain(
        "setup-mac: program 'code-server' needs package 'code-servr', which is not in nixpkgs",
      );
    });

    it("an unknown host is named, with the hosts the lock knows", () => {
      const r = nixEval(evalExpr("evo-x3", "nixos"));
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain("setup-mac: host 'evo-x3' is not in");
      expect(r.stderr).toContain("(known hosts: evo-x2, macbook)");
    });

    it("a lock of another format version asks for setup-mac build", () => {
      const lockFile = lockVariant("version-2", (lock) => {
        (lock as { version: number }).version = 2;
      });
      const r = nixEval(evalExpr("evo-x2", "nixos", lockFile));
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain("has lock format version 2, but these adapters read version 1");
      expect(r.stderr).toContain("run `setup-mac build`");
    });

    it("a missing lock file asks for setup-mac build", () => {
      const r = nixEval(evalExpr("evo-x2", "nixos", join(scratch, "absent.json")));
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain("there is no lock file at");
    });

    it("an adapter imported on the wrong platform says which one to import", () => {
      const r = nixEval(evalExpr("macbook", "nixos"));
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain(
        "setup-mac: host 'macbook' is a darwin host in the lock; import its .darwin module, not .nixos.",
      );
      const d = nixEval(evalExpr("evo-x2", "darwin"));
      expect(d.stderr).toContain("import its .nixos module, not .darwin.");
    });

    it("the home adapter on a host without home-manager says so", () => {
      const lockFile = lockVariant("no-hm", (lock) => {
        lock.hosts["evo-x2"]!.homeManager = false;
      });
      const r = nixEval(evalExpr("evo-x2", "home", lockFile));
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain('has "homeManager": false');
    });
  });
});
