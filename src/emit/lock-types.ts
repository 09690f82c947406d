/**
 * The lock file's data model (`setup-mac.lock.json`, format version 1): the contract between the
 * TypeScript core and the fixed Nix adapters in `setup-mac/nix/`. Everything is plain JSON that
 * `builtins.fromJSON` reads. Empty fields are left out; adapters read them with `or`.
 *
 * Paths: `~/` is expanded to the host's home everywhere except home file targets, which stay
 * relative to the home directory (`.config/git/config`) as home-manager's `home.file` wants them.
 */
import type { HookName, Platform } from "../define/types.js";

export const LOCK_VERSION = 1;

export interface Lock {
  version: typeof LOCK_VERSION;
  /** sha256 of the config and every enabled program's source: `doctor` uses it to tell a stale lock. */
  inputsHash: string;
  hosts: Record<string, HostLock>;
}

export interface HostLock {
  platform: Platform;
  system: string;
  user: string;
  home: string;
  homeManager: boolean;
  zfs: boolean;
  /** Enabled programs in a stable topological order (`requires` first, ties by name): hooks run in it. */
  order: string[];
  programs: Record<string, ProgramLock>;
}

/** Why a program is on: the host enabled it, or other programs require it (the chain that did). */
export type EnabledBy = { host: true } | { requiredBy: string[] };

export interface ProgramLock {
  category: string;
  description: string;
  source: { path: string; sha256: string };
  enabledBy: EnabledBy;
  /** Resolved, validated option values (defaults included). */
  options: Record<string, unknown>;
  system?: LevelLock;
  home?: LevelLock;
  health?: ProbeLock[];
}

/** A command element: a literal argument, or a package's binary resolved by Nix. */
export type ArgLock = string | { bin: string; pkg: string };
export type ArgvLock = ArgLock[];

export interface LevelLock {
  packages?: string[];
  /** system: keyed by the path under /etc (`ssh/ssh_config.d/x`); home: by the path under $HOME. */
  files?: Record<string, FileLock>;
  /** Variable → value and the priority it was set at (100 plain, 50 mkForce, 1000 mkDefault). */
  env?: Record<string, { value: string; priority: number }>;
  services?: Record<string, ServiceLock>;
  permissions?: Record<string, PermissionLock>;
  datasets?: Record<string, DatasetLock>;
  wrappers?: Record<string, WrapperLock>;
  hooks?: Partial<Record<HookName, ArgvLock[]>>;
  /** Raw platform options: `target` says which adapter sets them. */
  raw?: RawLock[];
}

export interface FileLock {
  format: "text" | "json" | "yaml" | "toml" | "ini";
  /** The file's bytes as text, rendered by the format's library. */
  text: string;
  /** With `merge`: the structured value merged into the live file at activation. */
  value?: unknown;
  merge?: true;
  mode?: string;
  priority: number;
}

export interface ServiceLock {
  /** systemd unit name without suffix: `setup-mac-<program>-<service>`. */
  unit: string;
  /** launchd label: `org.setup-mac.<program>.<service>`. */
  label: string;
  scope: "user" | "system";
  /** System services only: run as this account / group (default root). */
  user?: string;
  group?: string;
  description: string;
  command: ArgvLock;
  restart: "on-failure" | "always" | "never";
  environment?: Record<string, string>;
  workingDirectory?: string;
  after?: ("network" | "network-online" | "local-fs" | "time-sync" | "graphical")[];
  schedule?: ScheduleLock;
  /** Absolute. */
  logs?: string;
  health?: ProbeLock;
  /**
   * sha256 of the rendered unit (and timer) or plist, with binaries at their profile paths:
   * `apply` restarts exactly the services whose hash changed. The adapters do not read it.
   */
  hash?: string;
}

/** `every`: seconds between runs. `calendar`: points in time (unset fields match every value). */
export type ScheduleLock =
  | { every: number }
  | {
      calendar: { minute?: number; hour?: number; weekday?: number; day?: number; month?: number };
    };

export interface PermissionLock {
  /** Absolute path. */
  path: string;
  mode: string;
  owner: string;
  group?: string;
  create: boolean;
}

export interface DatasetLock {
  dataset: string;
  mountpoint?: string;
  properties?: Record<string, string>;
  snapshots?: { keep: number; every: "frequent" | "hourly" | "daily" | "weekly" | "monthly" };
}

export interface WrapperLock {
  package: string;
  binary: string;
  addFlags?: string[];
  env?: Record<string, string>;
}

export interface RawLock {
  target: "nixos" | "darwin" | "home";
  path: string[];
  value: unknown;
  priority: number;
}

export type ProbeLock = { name: string; timeout: number; retries: number } & (
  | { command: ArgvLock }
  | { http: string; status?: number }
  | { tcp: string }
  | { file: string }
  | { service: string }
);
