/**
 * Path helpers shared by program modules. Files and folders starting with `_` are not modules:
 * discovery skips them, and modules may import them with a relative import.
 */
import type { HostInfo } from "setup-mac";

/**
 * Where a desktop application keeps its per-user configuration:
 * `~/Library/Application Support/<app>` on macOS, `~/.config/<app>` (XDG) on Linux.
 */
export function appConfigDir(host: HostInfo, app: string): string {
  return host.platform === "darwin" ? `~/Library/Application Support/${app}` : `~/.config/${app}`;
}

/** Where a user service writes its log: `~/Library/Logs/<name>.log` on macOS; the journal on Linux. */
export function userLog(host: HostInfo, name: string): string | undefined {
  return host.platform === "darwin" ? `~/Library/Logs/${name}.log` : undefined;
}
