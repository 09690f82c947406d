/**
 * `programs list`: every program with the hosts it is enabled on. Needs only each program's name,
 * description, platforms, `requires` and `conflicts`, so the CLI reads them from the load cache's
 * catalog and evaluates no module when nothing changed.
 */
import { resolve as resolvePath } from "node:path";
import type { Platform } from "../define/types.js";
import { PLATFORMS } from "../define/types.js";
import type { EnabledBy } from "../emit/lock-types.js";
import type { Diagnostic } from "../errors/index.js";
import { SetupMacError } from "../errors/index.js";
import type { CatalogEntry } from "../load/catalog.js";
import { loadCatalog } from "../load/catalog.js";
import type { ConfigDocument } from "../load/config.js";
import type { ProgramInfo } from "../resolve/index.js";
import { resolveHost } from "../resolve/index.js";
import { selectHosts } from "./hosts.js";
import type { WorkspaceOptions } from "./workspace.js";

export interface ProgramSummary {
  name: string;
  category: string;
  description: string;
  platforms: Platform[];
  file: string;
  /** host → why it is enabled there; hosts where it is off are absent. */
  enabledOn: Record<string, EnabledBy>;
}

export interface ListOptions extends WorkspaceOptions {
  enabled?: boolean;
  category?: string;
}

/** The summaries of the given programs on the selected hosts, filtered and sorted. */
export function summarize(
  config: ConfigDocument,
  programs: ReadonlyMap<string, CatalogEntry>,
  options: ListOptions,
): ProgramSummary[] {
  const hosts = selectHosts({ config }, options.hosts);
  const infos = new Map<string, ProgramInfo>();
  for (const [name, p] of programs) {
    infos.set(name, {
      name,
      file: p.file,
      platforms: p.platforms,
      requires: p.requires,
      conflicts: p.conflicts,
    });
  }
  const enabled = new Map<string, Record<string, EnabledBy>>();
  for (const host of hosts) {
    const resolution = resolveHost(config, host, infos);
    for (const [name, why] of resolution.enabled) {
      let on = enabled.get(name);
      if (!on) enabled.set(name, (on = {}));
      on[host] = why;
    }
  }
  let summaries = [...programs.values()].map((p): ProgramSummary => ({
    name: p.name,
    category: p.category,
    description: p.description,
    platforms: [...(p.platforms ?? PLATFORMS)],
    file: p.file,
    enabledOn: enabled.get(p.name) ?? {},
  }));
  if (options.category !== undefined) {
    const c = options.category.replace(/\/$/, "");
    summaries = summaries.filter((p) => p.category === c || p.category.startsWith(c + "/"));
  }
  if (options.enabled) summaries = summaries.filter((p) => Object.keys(p.enabledOn).length > 0);
  summaries.sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name));
  return summaries;
}

/**
 * Every program with the hosts it is enabled on, and the modules' load problems; from the
 * catalog in the load cache when no module or helper changed.
 */
export async function listProgramSummaries(
  options: ListOptions = {},
): Promise<{ programs: ProgramSummary[]; diagnostics: Diagnostic[] }> {
  const catalog = await loadCatalog(resolvePath(options.workspace ?? "."), {
    cacheDir: options.cacheDir,
  });
  // Nothing loaded because of errors (a module that does not bundle, an evaluation the isolate
  // stopped) is a failure, not an empty workspace; one broken module among others is a warning.
  const failed = catalog.diagnostics.filter((d) => d.severity === "error");
  if (catalog.programs.size === 0 && failed.length) throw new SetupMacError(failed);
  return {
    programs: summarize(catalog.config, catalog.programs, options),
    diagnostics: catalog.diagnostics,
  };
}
