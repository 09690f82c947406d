/**
 * Which host is this machine, and is a command on `PATH` here (pure; file checks go through
 * the `isExecutable` function the caller hands in). Live checks (files, services, binaries,
 * platform commands) only mean something on the host itself.
 */

/** How the local machine is identified. */
export interface LocalIdentity {
  /** The machine's host name (possibly fully qualified). */
  hostname: string;
  /** An explicit name for this machine (`SETUP_MAC_HOST`), beating the host name. */
  override?: string;
}

/** The short name this machine goes by: the override, else the host name up to the first dot. */
export function localName(id: LocalIdentity): string {
  return id.override || id.hostname.split(".")[0]!;
}

/** Looks `name` up on a `PATH`-style list of folders; a name with a slash is checked as it is. */
export function findExecutable(
  name: string,
  path: string,
  isExecutable: (file: string) => boolean,
): string | undefined {
  if (name.includes("/")) return isExecutable(name) ? name : undefined;
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const file = `${dir.replace(/\/+$/, "")}/${name}`;
    if (isExecutable(file)) return file;
  }
  return undefined;
}
