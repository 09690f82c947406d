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
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && rel === PROGRAMS_DIR) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith("_") || entry.name.startsWith(".") || entry.name === "node_modules")
        continue;
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && isModuleFile(entry.name)) {
        out.push({ file: path, category: rel.slice(PROGRAMS_DIR.length + 1) });
      }
    }
  };
  walk(PROGRAMS_DIR);
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
