/**
 * Discovery: every `programs/**\/*.ts` of a workspace is a program module; the folder path below
 * `programs/` is its category. Files and folders starting with `_` hold helpers (`programs/_lib/`),
 * and `*.test.ts` / `*.d.ts` are not modules.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

export interface DiscoveredModule {
  /** Workspace-relative, with `/` separators: `programs/editors/vscode.ts`. */
  file: string;
  /** `editors`, `dev/lang`; `""` for files directly in `programs/`. */
  category: string;
}

export const PROGRAMS_DIR = "programs";

export function isModuleFile(name: string): boolean {
  return (
    name.endsWith(".ts") &&
    !name.endsWith(".test.ts") &&
    !name.endsWith(".d.ts") &&
    !name.startsWith("_") &&
    !name.startsWith(".")
  );
}

/** Lists the workspace's program modules, sorted by path. A missing `programs/` folder is empty. */
export function discoverModules(root: string): DiscoveredModule[] {
  const out: DiscoveredModule[] = [];
  walkFrom(root, PROGRAMS_DIR, out);
  // Installed packs' modules, categorised by their folders below the pack's programs/.
  for (const pack of packFolders(root)) walkFrom(root, `${pack}/${PROGRAMS_DIR}`, out);
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Adds the module files below `base` (workspace-relative; missing is empty) to `out`. */
function walkFrom(root: string, base: string, out: DiscoveredModule[]): void {
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && rel === base) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith("_") || entry.name.startsWith(".") || entry.name === "node_modules")
        continue;
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && isModuleFile(entry.name)) {
        out.push({ file: path, category: rel.slice(base.length + 1) });
      }
    }
  };
  walk(base);
}

/** Where `setup-mac packs add` installs packs: `packs/<name>/` or `packs/@scope/<name>/`. */
export const PACKS_DIR = "packs";

/** The installed packs' folders (workspace-relative) that hold a `programs/` folder. */
export function packFolders(root: string): string[] {
  const dirs = (rel: string) => {
    try {
      return readdirSync(join(root, rel), { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith("."))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  };
  const out: string[] = [];
  for (const name of dirs(PACKS_DIR)) {
    const candidates = name.startsWith("@")
      ? dirs(`${PACKS_DIR}/${name}`).map((n) => `${PACKS_DIR}/${name}/${n}`)
      : [`${PACKS_DIR}/${name}`];
    for (const c of candidates) if (dirs(c).includes(PROGRAMS_DIR)) out.push(c);
  }
  return out;
}
