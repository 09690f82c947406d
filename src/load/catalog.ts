/**
 * The catalog: what `programs list` needs to know about each program (name, description,
 * platforms, requires, conflicts, file, category) and the load problems, without evaluating a
 * single module.
 *
 * It is written next to the cached bundle it was read from and named after it, so it is valid
 * exactly when that bundle is: when every module file and helper has the same bytes (the same
 * check the bundle cache makes). A missing, corrupt or unwritable catalog only means a full load.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Platform } from "../define/types.js";
import type { Diagnostic } from "../errors/index.js";
import { BUILD_ID } from "../version.js";
import type { CachedBundle } from "./bundle.js";
import { hashModules, realRoot, validCachedBundle, workspaceCacheDir } from "./bundle.js";
import type { ConfigDocument } from "./config.js";
import { discoverModules } from "./discover.js";
import type { LoadOptions, LoadedProgram } from "./index.js";
import { readConfig } from "./index.js";
import { writeCacheFile } from "../adapters/atomic-write.js";

/** Bumped whenever the catalog's shape changes. */
const CATALOG_FORMAT = 1;

export interface CatalogEntry {
  name: string;
  description: string;
  platforms?: Platform[];
  requires?: string[];
  conflicts?: string[];
  file: string;
  category: string;
}

export interface Catalog {
  root: string;
  config: ConfigDocument;
  programs: Map<string, CatalogEntry>;
  /** Problems with individual modules, as the full load reports them. */
  diagnostics: Diagnostic[];
  cache: "hit" | "miss" | "off";
}

interface CatalogFile {
  format: number;
  version: string;
  programs: CatalogEntry[];
  diagnostics: Diagnostic[];
}

function catalogPath(cached: CachedBundle): string {
  return join(cached.dir, cached.bundle.replace(/\.mjs$/, "") + ".catalog.json");
}

export function catalogEntry(p: LoadedProgram): CatalogEntry {
  const { name, description, platforms, requires, conflicts } = p.program;
  return {
    name,
    description,
    ...(platforms ? { platforms: [...platforms] } : {}),
    ...(requires ? { requires: [...requires] } : {}),
    ...(conflicts ? { conflicts: [...conflicts] } : {}),
    file: p.file,
    category: p.category,
  };
}

/** Stores the catalog of a freshly loaded workspace next to its cached bundle (once). */
export function storeCatalog(
  cached: CachedBundle,
  programs: ReadonlyMap<string, LoadedProgram>,
  diagnostics: readonly Diagnostic[],
): void {
  const path = catalogPath(cached);
  try {
    if (existsSync(path)) return;
    const data: CatalogFile = {
      format: CATALOG_FORMAT,
      version: BUILD_ID,
      programs: [...programs.values()].map(catalogEntry),
      diagnostics: [...diagnostics],
    };
    writeCacheFile(path, JSON.stringify(data));
  } catch {
    // An unwritable cache is harmless: the next list loads the modules again.
  }
}

/**
 * The config and the catalog of a workspace: from the cache when every module file and helper is
 * unchanged, else by loading every module (which also refreshes the cache).
 */
export async function loadCatalog(root: string, options: LoadOptions = {}): Promise<Catalog> {
  const absRoot = realRoot(root);
  const config = readConfig(root, options.configText);
  const cacheDir = workspaceCacheDir(absRoot, options.cacheDir);
  if (cacheDir) {
    const files = discoverModules(root).map((m) => m.file);
    const cached = validCachedBundle(absRoot, cacheDir, files, hashModules(absRoot, files));
    const data = cached && readCatalog(cached);
    // A corrupt or outdated catalog is replaced by the full load below.
    if (cached && !data) removeQuietly(catalogPath(cached));
    if (data) {
      return {
        root,
        config,
        programs: new Map(data.programs.map((p) => [p.name, p])),
        diagnostics: data.diagnostics,
        cache: "hit",
      };
    }
  }
  const { loadWorkspace } = await import("./index.js");
  const workspace = await loadWorkspace(root, options);
  return {
    root,
    config: workspace.config,
    programs: new Map([...workspace.programs].map(([name, p]) => [name, catalogEntry(p)])),
    diagnostics: workspace.diagnostics,
    cache: workspace.cache,
  };
}

function readCatalog(cached: CachedBundle): CatalogFile | undefined {
  try {
    const data = JSON.parse(readFileSync(catalogPath(cached), "utf8")) as CatalogFile;
    if (data.format !== CATALOG_FORMAT || data.version !== BUILD_ID) return undefined;
    if (!Array.isArray(data.programs) || !Array.isArray(data.diagnostics)) return undefined;
    return data;
  } catch {
    return undefined;
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // A read-only cache: the full load still works, it just is not remembered.
  }
}
