/**
 * Files in the way: before a switch puts a new home file in place, whatever already stands at
 * its path is checked. A file with the declared bytes is adopted (removed, nothing is lost); a
 * different file or a foreign link stops the apply before anything is written, unless the user
 * asked to back it up (`--backup-ext`, never overwriting an earlier backup) or to replace it
 * (`--force-file`). A path that leads out of the home directory through a symlinked folder is
 * refused outright. home-manager would otherwise stop mid-activation with "Existing file is in
 * the way", or follow the link.
 */
import {
  existsSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import type { HostLock } from "../emit/lock-types.js";

export type CollisionKind =
  "identical" | "different" | "foreign-link" | "escapes-home" | "not-a-file";

export interface Collision {
  /** `~/…` */
  target: string;
  path: string;
  program: string;
  kind: CollisionKind;
  /** What will be done about it, once resolved. */
  action?: "adopt" | "backup" | "replace";
  backup?: string;
}

export interface CollisionOptions {
  home: string;
  backupExt?: string;
  /** Targets (`~/…` or absolute) the user allows to be replaced. */
  force?: string[];
}

function isStoreLink(path: string): boolean {
  try {
    return readlinkSync(path).startsWith("/nix/store/");
  } catch {
    return false;
  }
}

/** The first folder on the way to `path` (below home) that is a symlink leading outside home. */
function escapingParent(home: string, rel: string): string | undefined {
  const realHome = existsSync(home) ? realpathSync(home) : home;
  let current = home;
  for (const part of rel.split("/").slice(0, -1)) {
    current = join(current, part);
    let stat;
    try {
      stat = lstatSync(current);
    } catch {
      return undefined;
    }
    if (stat.isSymbolicLink()) {
      const real = realpathSync(current);
      if (real !== realHome && !real.startsWith(realHome + "/") && !real.startsWith("/nix/store/"))
        return current;
    }
  }
  return undefined;
}

/** Finds what stands in the way of the home files that `next` adds compared with `previous`. */
export function findCollisions(
  next: HostLock,
  previous: HostLock | undefined,
  options: CollisionOptions,
): Collision[] {
  const out: Collision[] = [];
  const force = new Set(
    (options.force ?? []).map((f) =>
      f.startsWith("~/") ? join(options.home, f.slice(2)) : resolve(f),
    ),
  );
  for (const name of next.order) {
    const files = next.programs[name]?.home?.files ?? {};
    for (const [rel, file] of Object.entries(files)) {
      // The application owns a merge-mode file: it is expected to exist and is merged into.
      if (file.merge) continue;
      const before = previous?.programs[name]?.home?.files?.[rel];
      const path = join(options.home, rel);
      const target = `~/${rel}`;
      const escape = escapingParent(options.home, rel);
      if (escape) {
        out.push({ target, path, program: name, kind: "escapes-home" });
        continue;
      }
      // A file this program already managed is home-manager's own link.
      if (before) continue;
      let stat;
      try {
        stat = lstatSync(path);
      } catch {
        continue;
      }
      let kind: CollisionKind;
      if (stat.isSymbolicLink()) {
        if (isStoreLink(path)) continue;
        kind = "foreign-link";
      } else if (!stat.isFile()) kind = "not-a-file";
      else kind = readFileSync(path, "utf8") === file.text ? "identical" : "different";
      const c: Collision = { target, path, program: name, kind };
      if (kind === "identical") c.action = "adopt";
      else if (kind !== "not-a-file" && force.has(path)) c.action = "replace";
      else if (kind !== "not-a-file" && options.backupExt) {
        c.action = "backup";
        c.backup = freeBackupName(path, options.backupExt);
      }
      out.push(c);
    }
  }
  return out;
}

/** `file.bak`, or `file.bak.1`, `file.bak.2` … when earlier backups exist: none is overwritten. */
export function freeBackupName(path: string, ext: string): string {
  const base = `${path}.${ext.replace(/^\./, "")}`;
  if (!existsSync(base) && !isDanglingLink(base)) return base;
  for (let i = 1; ; i++) {
    const candidate = `${base}.${i}`;
    if (!existsSync(candidate) && !isDanglingLink(candidate)) return candidate;
  }
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Collisions nothing was decided for: they stop the apply. */
export function unresolved(collisions: Collision[]): Collision[] {
  return collisions.filter((c) => !c.action);
}

/** Carries out the decided actions; returns lines for the log. */
export function resolveCollisions(collisions: Collision[]): string[] {
  const log: string[] = [];
  for (const c of collisions) {
    if (c.action === "adopt" || c.action === "replace") {
      rmSync(c.path, { force: true });
      log.push(`${c.action === "adopt" ? "adopted (same content)" : "replaced"} ${c.target}`);
    } else if (c.action === "backup" && c.backup) {
      renameSync(c.path, c.backup);
      log.push(`moved ${c.target} to ${c.backup}`);
    }
  }
  return log;
}

export function describeCollision(c: Collision): string {
  const what = {
    identical: "a file with the same content",
    different: "a file with other content",
    "foreign-link": `a link to ${safeReadlink(c.path)}`,
    "escapes-home": "a path through a symlinked folder that leads out of the home directory",
    "not-a-file": "a folder or other non-file",
  }[c.kind];
  return `${c.target} (${c.program}): ${what} is in the way`;
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "?";
  }
}

/** Puts files back as they were when the switch did not happen (a replaced file cannot be). */
export function undoCollisions(collisions: Collision[], texts: Map<string, string>): string[] {
  const log: string[] = [];
  for (const c of collisions) {
    if (c.action === "backup" && c.backup && existsSync(c.backup) && !existsSync(c.path)) {
      renameSync(c.backup, c.path);
      log.push(`moved ${c.backup} back to ${c.target}`);
    } else if (c.action === "adopt" && !existsSync(c.path) && texts.has(c.path)) {
      writeFileSync(c.path, texts.get(c.path)!);
      log.push(`restored ${c.target}`);
    }
  }
  return log;
}
