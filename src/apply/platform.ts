/**
 * The platform's own commands (pure): how a host is switched, rolled back, and how a service is
 * asked whether it runs. Argument vectors only.
 */
import type { HostLock } from "../emit/lock-types.js";
import { renderArgv } from "../emit/scripts/shell.js";

export type SwitchMode = "system" | "home-manager";

/** The command that activates the flake's configuration of a host. */
export function switchCommand(
  host: string,
  lock: Pick<HostLock, "platform" | "user">,
  mode: SwitchMode,
  targetHost?: string,
): string[] {
  if (mode === "home-manager")
    return ["home-manager", "switch", "--flake", `.#${lock.user}@${host}`];
  if (lock.platform === "darwin") return ["darwin-rebuild", "switch", "--flake", `.#${host}`];
  return [
    "nixos-rebuild",
    "switch",
    "--flake",
    `.#${host}`,
    ...(targetHost ? ["--target-host", targetHost] : []),
  ];
}

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
