/**
 * The platform's own commands (pure): how a host is switched, rolled back, and how a service is
 * asked whether it runs. Argument vectors only.
 */
import type { HostLock } from "../emit/lock-types.js";
import { renderArgv } from "../emit/scripts/shell.js";

export type SwitchMode = "system" | "home-manager";

/**
 * The command that activates the flake's configuration of a host. nix-darwin's `darwin-rebuild
 * switch` refuses to run unless it is root ("system activation must now be run as root"), so off
 * root it goes through `sudo -n` (never a password prompt: the switch has no terminal to ask on).
 */
export function switchCommand(
  host: string,
  lock: Pick<HostLock, "platform" | "user">,
  mode: SwitchMode,
  targetHost?: string,
  opts: { root?: boolean } = { root: true },
): string[] {
  if (mode === "home-manager")
    return ["home-manager", "switch", "--flake", `.#${lock.user}@${host}`];
  if (lock.platform === "darwin")
    return [
      ...(opts.root ? [] : ["sudo", "-n"]),
      "darwin-rebuild",
      "switch",
      "--flake",
      `.#${host}`,
    ];
  return [
    "nixos-rebuild",
    "switch",
    "--flake",
    `.#${host}`,
    ...(targetHost ? ["--target-host", targetHost] : []),
  ];
}

/**
 * The command that builds a host's configuration without activating it: the platform's own
 * `build`, which leaves the result as `./result` in the working directory and needs no root.
 */
export function buildCommand(
  host: string,
  lock: Pick<HostLock, "platform" | "user">,
  mode: SwitchMode,
  targetHost?: string,
): string[] {
  if (mode === "home-manager")
    return ["home-manager", "build", "--flake", `.#${lock.user}@${host}`];
  // darwin-rebuild has no --target-host: a Mac is always switched where setup-mac runs.
  if (lock.platform === "darwin") return ["darwin-rebuild", "build", "--flake", `.#${host}`];
  return [
    "nixos-rebuild",
    "build",
    "--flake",
    `.#${host}`,
    ...(targetHost ? ["--target-host", targetHost] : []),
  ];
}

/**
 * Whether `sudo` would run the darwin switch without asking for a password (a cached ticket does
 * not reach a command without a terminal; a `NOPASSWD` rule for darwin-rebuild does).
 */
export const SUDO_CHECK = ["sudo", "-n", "-l", "darwin-rebuild"];

/** The platform's own rollback to its previous generation (`rollback --system`). */
export function systemRollbackCommand(
  lock: Pick<HostLock, "platform">,
  mode: SwitchMode,
  targetHost?: string,
): string[] {
  if (mode === "home-manager") return ["home-manager", "generations"];
  if (lock.platform === "darwin") return ["darwin-rebuild", "--rollback"];
  return [
    "nixos-rebuild",
    "switch",
    "--rollback",
    ...(targetHost ? ["--target-host", targetHost] : []),
  ];
}

/**
 * Runs a command on the target host over SSH when there is one (ZFS, hooks), else locally. ssh
 * joins its arguments into one line for the remote shell, so each is quoted here: a value like
 * `; rm -rf ~` stays one literal argument on the other side too.
 */
export function onTarget(argv: string[], targetHost?: string): string[] {
  return targetHost ? ["ssh", targetHost, "--", renderArgv(argv)] : argv;
}
