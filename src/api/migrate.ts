/**
 * `migrate`: existing Nix modules (files or folders of `.nix`) become program modules under
 * `programs/<category>/`, with a report of what became typed contributions, what stayed an
 * upstream option, what became a placeholder option and what was left behind. The sources are
 * only read. A module whose file exists with other text is left alone unless `force` is given.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { writeAllInside } from "../adapters/confine.js";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { nixParser } from "../adapters/nix-grammar.js";
import { diagnostic, SetupMacError, UsageError } from "../errors/index.js";
import { discoverModules, PACKS_DIR } from "../load/discover.js";
import type { ReportEntry, SourceFile } from "../migrate/analyze.js";
import { analyze } from "../migrate/analyze.js";
import { moduleValue, syntaxProblems } from "../migrate/nix-value.js";
import { renderModule } from "../migrate/render.js";

export interface MigrateOptions {
  /** The workspace folder (default: the current directory). */
  workspace?: string;
  /** Where relative inputs are found (default: the current directory). */
  cwd?: string;
  /** Compute and return the modules, write nothing. */
  dryRun?: boolean;
  /** Replace module files that exist with other text. */
  force?: boolean;
}

export type ModuleStatus =
  "created" | "updated" | "unchanged" | "kept" | "would-create" | "would-update";

export interface MigratedModule {
  program: string;
  /** Workspace-relative path of the module. */
  file: string;
  status: ModuleStatus;
  text: string;
  /** Placeholder options (no value until set in setup-mac.jsonc). */
  placeholders: string[];
}

export interface MigrateResult {
  modules: MigratedModule[];
  report: ReportEntry[];
  /** The command that enables every migrated program. */
  enable: string;
  /** The source files read. */
  sources: string[];
}

/** Every `.nix` file named, or under a folder named, sorted; hidden folders are skipped. */
function nixFiles(inputs: string[], cwd: string): { abs: string; shown: string }[] {
  const out: { abs: string; shown: string }[] = [];
  for (const input of inputs) {
    const abs = resolve(cwd, input);
    if (!existsSync(abs)) {
      throw new UsageError(
        `\`${input}\` does not exist (looked for ${abs})`,
        "name .nix files or folders holding them",
      );
    }
    if (statSync(abs).isDirectory()) {
      const found = (readdirSync(abs, { recursive: true }) as string[])
        .filter((f) => f.endsWith(".nix") && !f.split(sep).some((part) => part.startsWith(".")))
        .sort();
      for (const f of found) out.push({ abs: join(abs, f), shown: join(input, f) });
    } else out.push({ abs, shown: input });
  }
  const seen = new Set<string>();
  return out.filter((f) => !seen.has(f.abs) && seen.add(f.abs));
}

/** Reads and parses the sources; syntax errors leave a file out with every problem reported. */
export async function readSources(
  files: { abs: string; shown: string }[],
): Promise<{ sources: SourceFile[]; problems: ReportEntry[] }> {
  const parser = await nixParser();
  const sources: SourceFile[] = [];
  const problems: ReportEntry[] = [];
  for (const { abs, shown } of files) {
    const text = readFileSync(abs, "utf8");
    const tree = parser.parse(text);
    if (!tree) throw new Error(`tree-sitter returned no tree for ${shown}`);
    const syntax = syntaxProblems(tree.rootNode);
    if (syntax.length) {
      for (const s of syntax) {
        problems.push({
          kind: "not-migrated",
          file: shown,
          line: s.line,
          what: "(file)",
          detail: `syntax error: ${s.message}; the file is left out (\`nix-instantiate --parse ${shown}\` shows Nix's own message)`,
        });
      }
    } else sources.push({ file: shown, value: moduleValue(tree.rootNode) });
    tree.delete();
  }
  return { sources, problems };
}

/** Migrates Nix modules into program modules of the workspace. */
export async function migrate(
  inputs: string[],
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  if (inputs.length === 0)
    throw new UsageError(
      "nothing to migrate",
      "name .nix files or folders: `setup-mac migrate home.nix`",
    );
  const root = resolve(options.workspace ?? ".");
  const cwd = resolve(options.cwd ?? ".");
  const files = nixFiles(inputs, cwd).map((f) => {
    const rel = relative(root, f.abs);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? { ...f, shown: rel } : f;
  });
  if (files.length === 0)
    throw new UsageError(
      `no .nix files in ${inputs.join(", ")}`,
      "name .nix files or folders holding them",
    );
  const { sources, problems } = await readSources(files);
  const analysis = analyze(sources);
  const existing = new Map(discoverModules(root).map((m) => [basename(m.file, ".ts"), m.file]));
  const modules: MigratedModule[] = [];
  for (const p of analysis.programs) {
    const text = renderModule(p);
    const file = existing.get(p.name) ?? `programs/${p.category}/${p.name}.ts`;
    const path = join(root, file);
    const before = readTextIfPresent(path);
    let status: ModuleStatus;
    if (before === text) status = "unchanged";
    // A pack's vendored module is the pack's: --force never overwrites it.
    else if (before !== undefined && (!options.force || file.startsWith(`${PACKS_DIR}/`)))
      status = "kept";
    else if (options.dryRun) status = before === undefined ? "would-create" : "would-update";
    else status = before === undefined ? "created" : "updated";
    modules.push({
      program: p.name,
      file,
      status,
      text,
      placeholders: p.placeholders.map((o) => o.name),
    });
  }
  if (!options.dryRun) {
    const writes = modules.filter((m) => m.status === "created" || m.status === "updated");
    await writeAllInside(
      root,
      writes.map((m) => ({ path: m.file, text: m.text })),
      { what: "a migrated module" },
    );
  }
  const report = [...problems, ...analysis.report].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line,
  );
  if (modules.length === 0 && report.length === 0) {
    throw new SetupMacError(
      diagnostic("migrate-empty", `nothing found to migrate in ${inputs.join(", ")}`, {
        hint: "name the Nix files that set programs.*, home.packages, home.file, session variables, launchd agents, systemd user services or wrappers",
      }),
    );
  }
  return {
    modules,
    report,
    enable: modules.length
      ? `setup-mac programs enable ${modules.map((m) => m.program).join(" ")}`
      : "",
    sources: files.map((f) => f.shown),
  };
}
