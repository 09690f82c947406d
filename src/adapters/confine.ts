/**
 * Confinement: setup-mac writes only inside the workspace, and its servers serve only from inside
 * their site. Every writer asks {@link confineWrite} before it touches a path of the workspace, and
 * every server asks {@link servedInside} before it reads a file; nothing else checks links.
 *
 * A link is judged by where it leads, not by being a link: a symlink (on the way or as the last
 * component) whose target stays inside the workspace is followed, one that leads out of it is
 * refused, and so is a dangling one whose target would be created outside. Paths are compared by
 * their real paths, so a workspace that is itself reached through a symlink is fine. See
 * docs/decisions/0023-writes-stay-in-the-workspace.md.
 */
import { lstatSync, mkdirSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { diagnostic, SetupMacError } from "../errors/index.js";
import { writeFileAtomic } from "./atomic-write.js";

/** The diagnostic code of every refusal. */
export const OUTSIDE_CODE = "path-outside-workspace";

/** Whether `path` is `root` or below it (both absolute and normalised). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** `a/b` with forward slashes, for messages. */
const slashed = (path: string) => path.split(sep).join("/");

/**
 * Where a write to `path` lands once every symlink is followed: the real path of its nearest
 * existing ancestor (or of itself) plus the components still to be created. A dangling link is
 * followed to the path it names, which a write would create.
 */
export function landingPath(path: string, depth = 0): string {
  if (depth > 32) throw new Error(`too many levels of symbolic links at ${path}`);
  let existing = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      if (dirname(existing) === existing) break;
      rest.unshift(basename(existing));
      existing = dirname(existing);
    }
  }
  try {
    return join(realpathSync(existing), ...rest);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    // `existing` is a link whose target does not exist (yet): follow it by hand.
    const target = resolve(dirname(existing), readlinkSync(existing));
    return landingPath(join(target, ...rest), depth + 1);
  }
}

/** The link's text, for messages; `undefined` when `path` is not a link. */
function linkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/** What {@link confineWrite} is told about the path, for its message. */
export interface ConfineOptions {
  /** What the path is, for the message: `the config file`, `the pack folder`… */
  what?: string;
}

/**
 * Checks that a write to `path` (absolute, or relative to `root`) stays inside the workspace
 * `root` once `..` and every symlink are resolved; returns the absolute path to write. Throws a
 * {@link SetupMacError} (`path-outside-workspace`, exit 1) naming the link and where it leads.
 */
export function confineWrite(root: string, path: string, options: ConfineOptions = {}): string {
  const absRoot = resolve(root);
  const target = resolve(absRoot, path);
  const rel = slashed(relative(absRoot, target)) || ".";
  const what = options.what ? `${options.what} ` : "";
  if (!within(absRoot, target))
    throw outside(
      rel,
      `${what}\`${slashed(path)}\` leads outside the workspace (to ${target}); setup-mac only writes inside the workspace`,
      "give a path inside the workspace, without `..` that climbs out of it",
    );
  const realRoot = landingPath(absRoot);
  if (within(realRoot, landingPath(target))) return target;
  // Name the first component on the way whose link leads out.
  let walked = absRoot;
  for (const part of relative(absRoot, target).split(sep)) {
    walked = join(walked, part);
    const link = linkTarget(walked);
    if (link === undefined) continue;
    const lands = landingPath(walked);
    if (within(realRoot, lands)) continue;
    const name = slashed(relative(absRoot, walked));
    const real = realOrUndefined(walked);
    const kind =
      walked !== target || (real && lstatSync(real).isDirectory()) ? "directory" : "file";
    const where =
      real === undefined
        ? ` (which does not exist: a write would create ${lands})`
        : real === link
          ? ""
          : ` (${real})`;
    const about = walked === target && options.what ? ` (${options.what})` : "";
    const writing =
      walked === target
        ? ""
        : ` (it was to write ${rel}${options.what ? `, ${options.what}` : ""})`;
    return fail(
      name,
      `${name}${about} is a symlink to ${link}${where}, outside the workspace; setup-mac only writes inside the workspace${writing}`,
      `replace the symlink with a real ${kind} (move what it points to into the workspace), or move the workspace`,
    );
  }
  // Not reached: a landing outside needs a link on the way. Refuse all the same.
  return fail(rel, `${what}${rel} leads outside the workspace`, "move the workspace");
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function outside(file: string, message: string, hint: string): SetupMacError {
  return new SetupMacError(diagnostic(OUTSIDE_CODE, message, { location: { file }, hint }));
}

function fail(file: string, message: string, hint: string): never {
  throw outside(file, message, hint);
}

/**
 * Writes several files of the workspace as one step for the user: every target is confined
 * first, so a refusal writes nothing; then each is written atomically, folders made as needed.
 */
export async function writeAllInside(
  root: string,
  files: readonly { path: string; text: string }[],
  options: ConfineOptions = {},
): Promise<void> {
  const targets = files.map((f) => confineWrite(root, f.path, options));
  for (const [i, target] of targets.entries()) {
    mkdirSync(dirname(target), { recursive: true });
    await writeFileAtomic(target, files[i]!.text);
  }
}

/** {@link confineWrite} for a path only when it is inside the workspace (an `--out` elsewhere is the user's choice). */
export function confineIfInside(root: string, path: string, options: ConfineOptions = {}): string {
  const target = resolve(root, path);
  return within(resolve(root), target) ? confineWrite(root, target, options) : target;
}

/**
 * Whether an existing `file` is inside the site `root` once every symlink is resolved: a server
 * serves it only then (a link out of the site is answered 404, like a missing file).
 */
export function servedInside(root: string, file: string): boolean {
  try {
    return within(realpathSync(root), realpathSync(file));
  } catch {
    return false;
  }
}
