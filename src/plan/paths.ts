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

/** Splits a raw option path: `services.tailscale.enable`, `home.file."a.txt".text`. */
export function splitOptionPath(path: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '"') {
      const end = path.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out.push(path.slice(i + 1, end));
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
