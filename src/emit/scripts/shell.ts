/**
 * Shell and tmpfiles.d text for previews of activation steps. Commands stay argument vectors
 * until the last moment: each word is single-quoted for POSIX sh, so nothing in it is expanded,
 * substituted or split — `$HOME`, `$(id)`, backticks and `; rm -rf ~` arrive as the literal words.
 */
import type { PermissionLock } from "../lock-types.js";

/** A word or line that the target syntax cannot hold. */
export class ShellRenderError extends Error {
  /** Permanent name of this error. */
  readonly code = "shell-unrepresentable";

  constructor(problem: string) {
    super(problem);
    this.name = "ShellRenderError";
  }
}

// Words made only of these are left bare for readability; none of them is special to sh
// (no `=`, which makes a leading word an assignment, and no `~`, which expands).
const BARE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** One word for POSIX sh: bare when harmless, otherwise single-quoted with `'` as `'\''`. */
export function shellQuote(word: string): string {
  if (word.includes("\0")) {
    throw new ShellRenderError(
      `${JSON.stringify(word)} contains a NUL character, which no argument can hold`,
    );
  }
  if (BARE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An argument vector as one sh command line: every word arrives literally. */
export function renderArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new ShellRenderError("the command is empty");
  return argv.map(shellQuote).join(" ");
}

/** A `# …` comment line; text that would end the comment early is refused. */
export function renderComment(text: string): string {
  if (/[\n\r\0]/.test(text)) {
    throw new ShellRenderError(
      `${JSON.stringify(text)} contains a line break or NUL and cannot be a comment`,
    );
  }
  return text === "" ? "#" : `# ${text}`;
}

const MODE = /^[0-7]{3,4}$/;
const ACCOUNT = /^([A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+)$/;

function checkPermission(p: PermissionLock): void {
  const where = `permission ${JSON.stringify(p.path)}`;
  if (/[\n\r]/.test(p.path)) {
    throw new ShellRenderError(`${where}: the path contains a line break`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(p.path)) {
    throw new ShellRenderError(`${where}: the path contains a control character`);
  }
  if (!p.path.startsWith("/")) throw new ShellRenderError(`${where}: the path is not absolute`);
  if (!MODE.test(p.mode)) {
    throw new ShellRenderError(`${where}: mode ${JSON.stringify(p.mode)} is not octal like "0750"`);
  }
  for (const [field, account] of [
    ["owner", p.owner],
    ["group", p.group],
  ] as const) {
    if (account !== undefined && !ACCOUNT.test(account)) {
      throw new ShellRenderError(
        `${where}: ${field} ${JSON.stringify(account)} is not a user or group name`,
      );
    }
  }
}

/**
 * One tmpfiles.d line: `d` creates the directory, `z` only adjusts an existing one. The path is
 * double-quoted with `\` and `"` escaped, the one form systemd-tmpfiles reads the same whether or
 * not it applies C escapes (version 252 does not decode `\x20`, despite tmpfiles.d(5)).
 */
export function renderTmpfilesLine(p: PermissionLock): string {
  checkPermission(p);
  const escaped = p.path.replace(/[\\"%]/g, (c) => (c === "%" ? "%%" : `\\${c}`));
  const path = BARE_WORD.test(p.path) ? escaped : `"${escaped}"`;
  return [p.create ? "d" : "z", path, p.mode, p.owner, p.group ?? "-", "-"].join(" ");
}

/** The commands a darwin activation script runs for a permission (there is no tmpfiles there). */
export function permissionCommands(p: PermissionLock): string[][] {
  checkPermission(p);
  const owner = p.group === undefined ? p.owner : `${p.owner}:${p.group}`;
  if (p.create) {
    return [
      ["/bin/mkdir", "-p", p.path],
      ["/bin/chmod", p.mode, p.path],
      ["/usr/sbin/chown", owner, p.path],
    ];
  }
  // Like tmpfiles' `z`: adjust only what exists. The script is fixed; the values are positional
  // parameters, so they are never parsed as shell code.
  return [
    [
      "/bin/sh",
      "-c",
      'if [ -e "$1" ]; then /bin/chmod "$2" "$1" && /usr/sbin/chown "$3" "$1"; fi',
      "sh",
      p.path,
      p.mode,
      owner,
    ],
  ];
}
