/**
 * The lock the Nix adapter tests evaluate: two hosts (macbook on nix-darwin, evo-x2 on NixOS,
 * both with home-manager) and programs that together use every field of the lock format. Typed
 * against the lock contract, written to test/fixtures/lock/setup-mac.lock.json by the tests.
 */
import type { HostLock, Lock, ProgramLock } from "../../src/emit/lock-types.js";

const sha = (seed: string): string => seed.repeat(64).slice(0, 64);

function program(
  name: string,
  category: string,
  description: string,
  rest: Partial<ProgramLock> = {},
): ProgramLock {
  return {
    category,
    description,
    source: { path: `programs/${category}/${name}.ts`, sha256: sha(name.slice(0, 1)) },
    enabledBy: { host: true },
    options: {},
    ...rest,
  };
}

function host(
  platform: "darwin" | "nixos",
  home: string,
  programs: Record<string, ProgramLock>,
  order: string[],
): HostLock {
  return {
    platform,
    system: platform === "darwin" ? "aarch64-darwin" : "x86_64-linux",
    user: "lars",
    home,
    homeManager: true,
    zfs: platform === "nixos",
    order,
    programs,
  };
}

const git = program("git", "dev", "Distributed version control", {
  system: { packages: ["git"] },
  home: {
    files: {
      ".config/git/config": {
        format: "ini",
        text: '[user]\n\tname = Lars\n[init]\n\tdefaultBranch = main\n[alias]\n\tlg = log --graph --format="%h %s"\n',
        priority: 100,
      },
    },
    env: { GIT_PAGER: { value: "less -FRX", priority: 1000 } },
    raw: [
      { target: "home", path: ["programs", "git", "lfs", "enable"], value: true, priority: 100 },
    ],
  },
  health: [
    {
      name: "command git --version",
      timeout: 5000,
      retries: 2,
      command: [{ bin: "git", pkg: "git" }, "--version"],
    },
  ],
});

const vscodeSettings = {
  "editor.fontSize": 14,
  "files.autoSave": "afterDelay",
  "nix.enableLanguageServer": true,
};
const vscode = (settingsPath: string): ProgramLock =>
  program("vscode", "editors", "Visual Studio Code", {
    options: { fontSize: 14 },
    system: { packages: ["vscode"] },
    home: {
      files: {
        [settingsPath]: {
          format: "json",
          text: `${JSON.stringify(vscodeSettings, null, 2)}\n`,
          value: vscodeSettings,
          merge: true,
          mode: "0644",
          priority: 100,
        },
      },
    },
  });

const codeServer = (home: string): ProgramLock =>
  program("code-server", "editors", "VS Code in the browser", {
    system: { packages: ["code-server"] },
    home: {
      services: {
        server: {
          unit: "setup-mac-code-server-server",
          label: "org.setup-mac.code-server.server",
          scope: "user",
          description: "code-server on 127.0.0.1:8080",
          command: [
            { bin: "code-server", pkg: "code-server" },
            "--bind-addr",
            "127.0.0.1:8080",
            "--auth=none",
          ],
          restart: "on-failure",
          environment: { PORT: "8080", GREETING: 'say "hi" 100%' },
          workingDirectory: `${home}/projects`,
          after: ["network-online"],
          logs: `${home}/.local/state/code-server.log`,
          health: {
            name: "http http://127.0.0.1:8080/healthz",
            timeout: 5000,
            retries: 2,
            http: "http://127.0.0.1:8080/healthz",
          },
        },
        "index-refresh": {
          unit: "setup-mac-code-server-index-refresh",
          label: "org.setup-mac.code-server.index-refresh",
          scope: "user",
          description: "Refresh the code-server extension index",
          command: [{ bin: "code-server", pkg: "code-server" }, "--list-extensions"],
          restart: "never",
          schedule: { every: 900 },
        },
      },
      files: {
        ".local/bin/cs-open": {
          format: "text",
          text: '#!/bin/sh\nexec code-server --reuse-window "$@"\n',
          mode: "0755",
          priority: 100,
        },
      },
    },
  });

const backup = (platform: "darwin" | "nixos", home: string): ProgramLock =>
  program("backup", "storage", "Nightly restic backup of the home directory", {
    options: { repository: "/srv/backup/restic", keepDaily: 7 },
    system: {
      packages: ["restic"],
      files: {
        "restic/excludes": {
          format: "text",
          text: `${home}/.cache\n${home}/Downloads\n`,
          mode: "0600",
          priority: 100,
        },
        "restic/settings.json": {
          format: "json",
          text: '{\n  "compression": "auto"\n}\n',
          value: { compression: "auto" },
          merge: true,
          priority: 100,
        },
      },
      services: {
        nightly: {
          unit: "setup-mac-backup-nightly",
          label: "org.setup-mac.backup.nightly",
          scope: "system",
          user: "lars",
          group: platform === "darwin" ? "staff" : "users",
          description: "restic backup of /home",
          command: [
            { bin: "restic", pkg: "restic" },
            "backup",
            "--exclude-file=/etc/restic/excludes",
            "--tag",
            "nightly $(date)",
            home,
          ],
          restart: "never",
          environment: { RESTIC_REPOSITORY: "/srv/backup/restic" },
          after: ["local-fs", "network"],
          schedule: { calendar: { hour: 3, minute: 30 } },
          logs: "/var/log/setup-mac-backup.log",
        },
      },
      permissions: {
        "/srv/backup": {
          path: "/srv/backup",
          mode: "0750",
          owner: "lars",
          group: "users",
          create: true,
        },
        "/srv/backup/restic": {
          path: "/srv/backup/restic",
          mode: "0700",
          owner: "lars",
          create: false,
        },
      },
      ...(platform === "nixos"
        ? {
            datasets: {
              backup: {
                dataset: "tank/data/backup",
                mountpoint: "/srv/backup",
                properties: { compression: "zstd", atime: "off" },
                snapshots: { keep: 7, every: "daily" as const },
              },
            },
          }
        : {}),
    },
    home: {
      hooks: {
        preSetup: [[{ bin: "restic", pkg: "restic" }, "version"]],
        postSetup: [
          [
            "/bin/sh",
            "-c",
            'test -d "$1" || echo "no repository at $1"',
            "sh",
            "/srv/backup/restic",
          ],
        ],
      },
    },
  });

const ripgrep = program("ripgrep", "shell", "Fast recursive search", {
  system: {
    packages: ["ripgrep", "python3Packages.black"],
    wrappers: {
      rg: {
        package: "ripgrep",
        binary: "rg",
        addFlags: ["--smart-case", "--glob=!.git/*"],
        env: { RIPGREP_CONFIG_PATH: "/etc/ripgreprc" },
      },
    },
  },
  home: { packages: ["bat"], env: { PAGER: { value: "bat --plain", priority: 50 } } },
});

const tailscale = (platform: "darwin" | "nixos"): ProgramLock =>
  program("tailscale", "network", "Private WireGuard network", {
    system: {
      raw:
        platform === "nixos"
          ? [
              {
                target: "nixos",
                path: ["services", "tailscale", "enable"],
                value: true,
                priority: 100,
              },
              {
                target: "nixos",
                path: ["services", "tailscale", "package"],
                value: { pkg: "tailscale" },
                priority: 100,
              },
              {
                target: "nixos",
                path: ["networking", "firewall", "trustedInterfaces"],
                value: ["tailscale0"],
                priority: 50,
              },
            ]
          : [
              {
                target: "darwin",
                path: ["services", "tailscale", "enable"],
                value: true,
                priority: 100,
              },
              {
                target: "darwin",
                path: ["services", "tailscale", "package"],
                value: { pkg: "tailscale" },
                priority: 1000,
              },
            ],
      env: { TS_DEBUG_FIREWALL_MODE: { value: "auto", priority: 100 } },
      ...(platform === "darwin"
        ? {
            services: {
              watchdog: {
                unit: "setup-mac-tailscale-watchdog",
                label: "org.setup-mac.tailscale.watchdog",
                scope: "system",
                user: "root",
                description: "Restart tailscaled when it stops answering",
                command: [{ bin: "tailscale", pkg: "tailscale" }, "status", "--peers=false"],
                restart: "always",
                environment: { TS_LOGS_DIR: "/var/log/tailscale" },
              },
            },
          }
        : {}),
    },
  });

const syncthing = (home: string): ProgramLock =>
  program("syncthing", "storage", "Continuous file synchronisation", {
    enabledBy: { requiredBy: ["backup"] },
    system: { packages: ["syncthing"] },
    home: {
      services: {
        daemon: {
          unit: "setup-mac-syncthing-daemon",
          label: "org.setup-mac.syncthing.daemon",
          scope: "user",
          description: "Syncthing",
          command: [{ bin: "syncthing", pkg: "syncthing" }, "serve", "--no-browser"],
          restart: "always",
          after: ["graphical"],
        },
        rescan: {
          unit: "setup-mac-syncthing-rescan",
          label: "org.setup-mac.syncthing.rescan",
          scope: "user",
          description: "Weekly full rescan of 100% of the folders",
          command: [{ bin: "syncthing", pkg: "syncthing" }, "cli", "operations", "rescan-all"],
          restart: "on-failure",
          schedule: { calendar: { weekday: 0, hour: 4, minute: 0 } },
        },
      },
      files: {
        ".config/syncthing/ignore.yaml": {
          format: "yaml",
          text: "patterns:\n  - .DS_Store\n",
          value: { patterns: [".DS_Store"] },
          merge: true,
          priority: 100,
        },
      },
      hooks: {
        postSetup: [
          [{ bin: "syncthing", pkg: "syncthing" }, "generate", `--home=${home}/.config/syncthing`],
        ],
      },
    },
  });

const order = ["git", "ripgrep", "syncthing", "backup", "code-server", "tailscale", "vscode"];

export const fixtureLock: Lock = {
  version: 1,
  inputsHash: sha("0"),
  hosts: {
    macbook: host(
      "darwin",
      "/Users/lars",
      {
        git,
        vscode: vscode("Library/Application Support/Code/User/settings.json"),
        "code-server": codeServer("/Users/lars"),
        backup: backup("darwin", "/Users/lars"),
        ripgrep,
        tailscale: tailscale("darwin"),
        syncthing: syncthing("/Users/lars"),
      },
      order,
    ),
    "evo-x2": host(
      "nixos",
      "/home/lars",
      {
        git,
        vscode: vscode(".config/Code/User/settings.json"),
        "code-server": codeServer("/home/lars"),
        backup: backup("nixos", "/home/lars"),
        ripgrep,
        tailscale: tailscale("nixos"),
        syncthing: syncthing("/home/lars"),
      },
      order,
    ),
  },
};
