/**
 * Path rules for file targets and other paths a module names (pure). A target is `~/…` (home
 * level) or `/etc/…` (system level); nothing may escape with `..`, hold a NUL or a newline.
 */

export type TargetCheck =
  | { ok: true; level: "home" | "system"; rel: string }
  | { ok: false; problem: string; hint: string };

function segmentsProblem(rel: string): string | undefined {
  if (rel.includes("\0")) return "contains a NUL byte";
  if (/[\r\n]/.test(rel)) return "contains a newline";
  if (rel === "" || rel.endsWith("/")) return "names a directory, not a file";
  for (const segment of rel.split("/")) {
    if (segment === "..") return "contains `..`";
    if (segment === "" || segment === ".") return "has an empty or `.` path segment";
  }
  return undefined;
}

/**
 * `/etc` files no module may own. Each of them decides who may log in or become root (accounts,
 * passwords, sudo, PAM, the SSH daemon, Nix's trusted users), so owning one is owning the machine,
 * and a mistake in one locks the owner out. NixOS and nix-darwin manage them from their own
 * options (`users.users`, `security.sudo`, `security.pam`, `services.openssh`, `nix.settings`);
 * a module that needs them sets those through raw options, where the platform checks the values.
 * Compared in lower case: macOS file systems are usually case-insensitive.
 */
const PROTECTED_ETC: readonly (string | RegExp)[] = [
  "passwd",
  "shadow",
  "group",
  "gshadow",
  "master.passwd",
  "sudoers",
  /^sudoers\.d\//,
  /^pam\.d\//,
  /^security\//,
  /^ssh\/sshd_config(\.d\/.*)?$/,
  "nix/nix.conf",
];

/** Why an `/etc` path (relative to `/etc`) is refused, or undefined when a module may own it. */
export function protectedEtc(rel: string): string | undefined {
  const lower = rel.toLowerCase();
  const hit = PROTECTED_ETC.some((p) => (typeof p === "string" ? lower === p : p.test(lower)));
  return hit
    ? "is a system file that controls logins or root access; setup-mac never writes it"
    : undefined;
}

/** Checks a file target: `~/.config/x` → home `.config/x`; `/etc/x` → system `x`. */
export function checkFileTarget(target: string): TargetCheck {
  let level: "home" | "system";
  let rel: string;
  if (target.startsWith("~/")) {
    level = "home";
    rel = target.slice(2);
  } else if (target.startsWith("/etc/")) {
    level = "system";
    rel = target.slice(5);
  } else {
    return {
      ok: false,
      problem: target.startsWith("/")
        ? "is an absolute path outside /etc"
        : "is neither in the home directory (`~/…`) nor in /etc",
      hint: "write home files as `~/.config/…` and system files as `/etc/…`; other places need a service or a hook",
    };
  }
  const problem = segmentsProblem(rel);
  if (problem) {
    return {
      ok: false,
      problem,
      hint: "use a plain path below the home directory or /etc, without `..`",
    };
  }
  const denied = level === "system" ? protectedEtc(rel) : undefined;
  if (denied) {
    return {
      ok: false,
      problem: denied,
      hint: "set it through the platform's own options instead (raw `nixos`/`darwin` options such as `security.sudo.extraRules` or `users.users`)",
    };
  }
  return { ok: true, level, rel };
}

/** Expands `~/` to the home directory; other paths are returned unchanged. */
export function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return `${home.replace(/\/$/, "")}/${path.slice(2)}`;
  return path;
}

/** Checks a path used for permissions, logs, working directories: absolute after `~` expansion, no `..`. */
export function checkAbsolutePath(
  path: string,
  home: string,
): { ok: true; path: string } | { ok: false; problem: string } {
  const expanded = expandHome(path, home);
  if (!expanded.startsWith("/"))
    return { ok: false, problem: "is not absolute (start it with `/` or `~/`)" };
  if (expanded.includes("\0")) return { ok: false, problem: "contains a NUL byte" };
  if (/[\r\n]/.test(expanded)) return { ok: false, problem: "contains a newline" };
  if (expanded.split("/").includes("..")) return { ok: false, problem: "contains `..`" };
  return { ok: true, path: expanded };
}

/** For paths whose mode and owner a module sets: `/etc` files that control root access are refused. */
export function checkPermissionPath(
  path: string,
  home: string,
): { ok: true; path: string } | { ok: false; problem: string } {
  const checked = checkAbsolutePath(path, home);
  if (!checked.ok) return checked;
  const clean = checked.path.replace(/\/+/g, "/").replace(/\/$/, "");
  if (["", "/etc", "/nix", "/nix/store", "/usr", "/bin", "/sbin"].includes(clean.toLowerCase()))
    return { ok: false, problem: "is a system folder whose permissions setup-mac never changes" };
  const denied = clean.toLowerCase().startsWith("/etc/") ? protectedEtc(clean.slice(5)) : undefined;
  return denied ? { ok: false, problem: denied } : checked;
}

/** Splits a raw option path: `services.tailscale.enable`, `home.file."a.txt".text`. */
export function splitOptionPath(path: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '"') {
      const end = path.indexOf('"', i + 1);
      if (end < 0) return undefined;
      const quoted = path.slice(i + 1, end);
      // An attribute name may hold dots and spaces, but nothing invisible and not nothing.
      // eslint-disable-next-line no-control-regex
      if (quoted === "" || /[\x00-\x1f\x7f]/.test(quoted)) return undefined;
      // Names like `home.file."<path>"` become paths: one that climbs out with `..` would let a
      // raw option place a file where a file target may not (`home.file."../../etc/x"`).
      if (quoted.split("/").includes("..")) return undefined;
      out.push(quoted);
      i = end + 1;
    } else {
      let end = path.indexOf(".", i);
      if (end < 0) end = path.length;
      const segment = path.slice(i, end);
      if (!/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(segment)) return undefined;
      out.push(segment);
      i = end;
    }
    if (i < path.length) {
      if (path[i] !== ".") return undefined;
      i++;
      if (i === path.length) return undefined;
    }
  }
  return out.length ? out : undefined;
}
