/**
 * The author-facing types of a program module: what `config` returns and what the host looks like.
 * Everything here is plain data (JSON-like) apart from priority/order markers, so a module's output
 * can be validated, merged, written to the lock and read back by Nix.
 */
import type { Ordered, Prioritized } from "./priority.js";

export type Platform = "darwin" | "nixos";
export const PLATFORMS: readonly Platform[] = ["darwin", "nixos"];

/** What a module's `config` knows about the host it is evaluated for. */
export interface HostInfo {
  /** The host's name in `setup-mac.jsonc` (and in the flake's `…Configurations`). */
  readonly name: string;
  readonly platform: Platform;
  /** The Nix system double, e.g. `aarch64-darwin`, `x86_64-linux`. */
  readonly system: string;
  /** The primary user. */
  readonly user: string;
  /** The user's home directory, absolute. `~/` in paths means this. */
  readonly home: string;
  /** Whether the host imports the home-manager adapter (home files need it). */
  readonly homeManager: boolean;
  /** Whether the host has ZFS (datasets and snapshots are skipped without it). */
  readonly zfs: boolean;
  /** The ZFS pool programs put their datasets in (`"zfsPool"` in the config), when it says. */
  readonly zfsPool?: string;
}

/**
 * A program's binary inside a Nix package, for service commands, hooks and probes:
 * `bin("code-server")` is `${pkgs.code-server}/bin/code-server` once Nix resolves it.
 */
export interface BinRef {
  readonly bin: string;
  /** nixpkgs attribute path of the package that holds the binary. */
  readonly pkg: string;
}

/** One command as an argument vector: never a shell string, nothing is interpolated. */
export type Argv = readonly (string | BinRef)[];

/** A list that may be a plain list or `mkBefore(...)` / `mkAfter(...)`. */
export type List<T> = readonly T[] | Ordered<T>;

export type FileFormat = "text" | "json" | "yaml" | "toml" | "ini";

/** A managed file. Exactly one of `text`, `json`, `yaml`, `toml`, `ini`. */
export type FileSpec = (
  | { text: string }
  | { json: unknown }
  | { yaml: unknown }
  | { toml: Record<string, unknown> }
  | { ini: Record<string, unknown> }
) & {
  /** Octal mode, e.g. `"0644"` (system files and merged files only; home-manager links are read-only). */
  mode?: string;
  /**
   * `true` for files the application also writes (VS Code's settings.json): at activation the
   * declared keys are merged into the live file, the application's other keys stay. Structured
   * formats only.
   */
  merge?: boolean;
};

export type Restart = "on-failure" | "always" | "never";
export type Calendar =
  | "hourly"
  | "daily"
  | "weekly"
  | "monthly"
  | { minute?: number; hour?: number; weekday?: number; day?: number; month?: number };

/** When a scheduled service runs: `{ every: "15m" }` or `{ calendar: "daily" }`. */
export type Schedule = { every: string } | { calendar: Calendar };

/** Abstract ordering targets, mapped per platform (systemd targets; launchd has no ordering). */
export type AfterTarget = "network" | "network-online" | "local-fs" | "time-sync" | "graphical";

interface ProbeCommon {
  /** A short name for reports; defaults to the kind and target. */
  name?: string;
  /** Milliseconds before one attempt counts as failed (default 5000). */
  timeout?: number;
  /** Attempts after the first (default 2). */
  retries?: number;
}

/** A health check: a command that exits 0, an HTTP URL that answers 2xx, a TCP port that accepts, a file that exists, a service that runs. */
export type HealthCheck = ProbeCommon &
  (
    | { command: Argv }
    | { http: string; status?: number }
    | { tcp: string }
    | { file: string }
    | { service: string }
  );

/** A background service, rendered to a systemd unit or a launchd plist. */
export interface ServiceSpec {
  description?: string;
  command: Argv;
  /** `user` (default): a user agent / user unit. `system`: a daemon / system unit. */
  scope?: "user" | "system";
  /** System services: the account the daemon runs as (default root). */
  user?: string;
  /** System services: the group the daemon runs as. */
  group?: string;
  restart?: Restart;
  environment?: Record<string, string>;
  workingDirectory?: string;
  after?: AfterTarget[];
  schedule?: Schedule;
  /** Where stdout and stderr go (absolute or `~/`); default: the journal / nowhere. */
  logs?: string;
  health?: HealthCheck;
}

export interface PermissionSpec {
  /** Octal mode, e.g. `"0700"`. */
  mode: string;
  owner?: string;
  group?: string;
  /** Create the directory when missing (default true). */
  create?: boolean;
}

export type SnapshotEvery = "frequent" | "hourly" | "daily" | "weekly" | "monthly";

export interface DatasetSpec {
  /** The ZFS dataset, e.g. `tank/data/ollama`. */
  dataset: string;
  mountpoint?: string;
  properties?: Record<string, string>;
  snapshots?: { keep: number; every: SnapshotEvery };
}

/** A wrapped binary: the package's binary with flags and environment baked in (symlinkJoin + makeWrapper). */
export interface WrapperSpec {
  /** nixpkgs attribute path (default: the wrapper's name). */
  package?: string;
  /** The binary inside the package (default: the wrapper's name). */
  binary?: string;
  /** Flags added before the user's arguments. */
  addFlags?: string[];
  env?: Record<string, string>;
}

/**
 * When hook commands run. `preSetup` and `postSetup` run inside the platform's activation (every
 * switch, so they must be idempotent). The others are run by `setup-mac apply`, which Nix alone
 * cannot do: `postStart` after the switch, once the program's services answer their health
 * checks, whenever the program was added or changed (pulling models into a server that must be
 * up, say); `preRemove` and `postRemove` around the switch that removes the program.
 */
export type HookName = "preSetup" | "postSetup" | "postStart" | "preRemove" | "postRemove";
export const HOOK_NAMES: readonly HookName[] = [
  "preSetup",
  "postSetup",
  "postStart",
  "preRemove",
  "postRemove",
];

/** Raw platform options by attribute path, e.g. `{ "services.tailscale.enable": true }`. */
export type RawOptions = Record<string, unknown>;

/** Everything a program contributes to a host. Every field is optional. */
export interface Contribution {
  /** nixpkgs attribute paths installed system-wide (`environment.systemPackages`). */
  packages?: List<string>;
  /** nixpkgs attribute paths installed for the user (`home.packages`). */
  userPackages?: List<string>;
  /** Managed files: `~/…` (home level) or `/etc/…` (system level). */
  files?: Record<string, Prioritized<FileSpec>>;
  /** Session environment variables. */
  env?: Record<string, Prioritized<string>>;
  services?: Record<string, ServiceSpec>;
  permissions?: Record<string, PermissionSpec>;
  datasets?: Record<string, DatasetSpec>;
  wrappers?: Record<string, WrapperSpec>;
  /**
   * Commands run at activation (`preSetup`, `postSetup`), after `apply` once the program's services
   * are healthy (`postStart`), or when the program leaves (`preRemove`, `postRemove`): one argv or
   * a list of them. See {@link HookName}.
   */
  hooks?: Partial<Record<HookName, Argv | List<Argv>>>;
  health?: List<HealthCheck>;
  /** Raw NixOS options by path. */
  nixos?: RawOptions;
  /** Raw nix-darwin options by path. */
  darwin?: RawOptions;
  /** Raw home-manager options by path. */
  home?: RawOptions;
}
