/**
 * The installed packs as they are on disk (no network, no tarballs): what `packs list` and
 * `doctor` report. Kept apart from installing so that reading it loads nothing heavy.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { sha256 } from "../emit/hash.js";
import { packFolders, PACKS_DIR } from "../load/discover.js";
import { readConfig } from "../load/index.js";
import type { WorkspaceOptions } from "./workspace.js";

/** Written into each installed pack: what was installed, and every file's sha256. */
export const PACK_MANIFEST = ".setup-mac-pack.json";

export interface PackManifest {
  name: string;
  version: string;
  integrity: string;
  files: Record<string, string>;
}

export function packDir(root: string, name: string): string {
  return join(root, PACKS_DIR, ...name.split("/"));
}

export function readManifest(dir: string): PackManifest | undefined {
  const text = readTextIfPresent(join(dir, PACK_MANIFEST));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as PackManifest;
  } catch {
    return undefined;
  }
}

export interface PackState {
  name: string;
  version: string;
  /** `ok`; `modified` (files differ from what was installed); `missing` (pinned, not there); `unpinned` (there, not in the config). */
  state: "ok" | "modified" | "missing" | "unpinned";
  /** For `modified`: the files changed, added or removed since install. */
  changed?: string[];
}

/** Every pinned or present pack and whether its files are as installed. */
export function listPacks(options: WorkspaceOptions = {}): PackState[] {
  const root = resolve(options.workspace ?? ".");
  const pins = readConfig(root, options.configText).config.packs ?? {};
  const out: PackState[] = [];
  for (const [name, pin] of Object.entries(pins).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const dir = packDir(root, name);
    const manifest = readManifest(dir);
    if (!manifest || manifest.version !== pin.version) {
      out.push({ name, version: pin.version, state: "missing" });
      continue;
    }
    const changed = Object.entries(manifest.files)
      .filter(([file, hash]) => {
        try {
          return sha256(readFileSync(join(dir, file))) !== hash;
        } catch {
          return true; // gone
        }
      })
      .map(([file]) => file);
    out.push({
      name,
      version: pin.version,
      state: changed.length ? "modified" : "ok",
      ...(changed.length ? { changed } : {}),
    });
  }
  // A pack folder nobody pinned (copied in by hand, or its pin was deleted) still loads: say so.
  for (const folder of packFolders(root)) {
    const manifest = readManifest(join(root, folder));
    const name = manifest?.name ?? folder.slice(PACKS_DIR.length + 1);
    if (!pins[name]) out.push({ name, version: manifest?.version ?? "unknown", state: "unpinned" });
  }
  return out;
}
