/**
 * `migrate`: existing Nix modules (files or folders of `.nix`) become program modules under
 * `programs/<category>/`, with a report of what became typed contributions, what stayed an
 * upstream option, what became a placeholder option and what was left behind. The sources are
 * only read. A module whose file exists with other text is left alone unless `force` is given.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { writeAllInside } from "../adapters/confine.js";
import { evaluateFlake } from "../adapters/nix-flake.js";
import { NodeProcessRunner } from "../adapters/node-runner.js";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { nixParser } from "../adapters/nix-grammar.js";
import { diagnostic, SetupMacError, UsageError } from "../errors/index.js";
import { discoverModules, PACKS_DIR } from "../load/discover.js";
import type { ReportEntry, SourceFile } from "../migrate/analyze.js";
import { analyze } from "../migrate/analyze.js";
import { flakeSources, parseFlakeRef } from "../migrate/flake.js";
import type { ProcessRunner } from "../ports/index.js";
import { packageRoot } from "./init.js";
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
  /**
   * Read the definitions from an evaluated flake configuration instead of parsing files:
   * `.#darwinConfigurations.<host>`, `.#nixosConfigurations.<host>`,
   * `.#homeConfigurations.<name>` (decision 0024). Needs `nix`.
   */
  fromFlake?: string;
  /** Runs `nix` for `fromFlake` (default: the Node runner). */
  runner?: ProcessRunner;
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
  /** The source files read (with --from-flake: the flake's files that made definitions). */
  sources: string[];
  /** With --from-flake: the configuration read (`.#darwinConfigurations."mac"`). */
  configuration?: string;
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
  const root = resolve(options.workspace ?? ".");
  const cwd = resolve(options.cwd ?? ".");
  if (options.fromFlake !== undefined) {
    if (inputs.length)
      throw new UsageError(
        `--from-flake reads the configuration, not files: ${inputs.join(", ")} would be ignored`,
        "run either `setup-mac migrate <files>` or `setup-mac migrate --from-flake <ref>`",
      );
    return fromFlake(options.fromFlake, root, cwd, options);
  }
  if (inputs.length === 0)
    throw new UsageError(
      "nothing to migrate",
      "name .nix files or folders: `setup-mac migrate home.nix`, or a flake configuration: `setup-mac migrate --from-flake .#darwinConfigurations.<host>`",
    );
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
  return writeModules(sources, problems, root, options, {
    shown: files.map((f) => f.shown),
    what: inputs.join(", "),
  });
}

/** The committed evaluation function: copied into dist/ by the build, or beside its source. */
export function fromFlakeFunction(): string {
  const root = packageRoot();
  for (const rel of ["dist/migrate/from-flake.nix", "src/migrate/from-flake.nix"]) {
    const path = join(root, rel);
    if (existsSync(path)) return readFileSync(path, "utf8");
  }
  throw new Error("internal: from-flake.nix is missing from the setup-mac package");
}

/**
 * `--from-flake`: the definitions come from `nix eval` of the configuration, grouped by the
 * flake's file that made them; each file's own text (read from the store) gives lines and keeps
 * literal `pkgs.x`. The rest (modules, report, writes) is the parser path's.
 */
async function fromFlake(
  ref: string,
  root: string,
  cwd: string,
  options: MigrateOptions,
): Promise<MigrateResult> {
  const parsed = parseFlakeRef(ref);
  const runner = options.runner ?? new NodeProcessRunner();
  const evaluated = await evaluateFlake(runner, parsed, { cwd, fn: fromFlakeFunction() });
  const local = /^(\.|\/|path:)/.test(parsed.flake);
  const shownOf = (rel: string) => {
    if (!local) return `${parsed.flake}#${rel}`;
    const abs = resolve(cwd, parsed.flake.replace(/^path:/, ""), rel);
    const fromRoot = relative(root, abs);
    return fromRoot && !fromRoot.startsWith("..") && !isAbsolute(fromRoot)
      ? fromRoot
      : relative(cwd, abs) || rel;
  };
  const rels = [
    ...new Set(
      evaluated.evaluation.definitions
        .map((d) => d.file)
        .filter((f) => f.startsWith(`${evaluated.source}/`))
        .map((f) => f.slice(evaluated.source.length + 1)),
    ),
  ].sort();
  const read = await readSources(
    rels
      .filter((rel) => existsSync(join(evaluated.source, rel)))
      .map((rel) => ({ abs: join(evaluated.source, rel), shown: shownOf(rel) })),
  );
  const byShown = new Map(read.sources.map((s) => [s.file, s.value]));
  const { sources, report, files } = flakeSources(evaluated.evaluation, evaluated.source, (rel) => {
    const shown = shownOf(rel);
    return { shown, value: byShown.get(shown) };
  });
  // A file that does not parse still migrates from its evaluated values, without lines.
  const problems = [...read.problems, ...report];
  const configuration = `${parsed.flake}#${evaluated.kind}Configurations.${JSON.stringify(evaluated.name)}`;
  const result = await writeModules(sources, problems, root, options, {
    shown: files,
    what: configuration,
  });
  return { ...result, configuration };
}

/** The parser path and the flake path alike: analyse, compare with the disk, write, report. */
async function writeModules(
  sources: SourceFile[],
  problems: ReportEntry[],
  root: string,
  options: MigrateOptions,
  input: { shown: string[]; what: string },
): Promise<MigrateResult> {
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
      diagnostic("migrate-empty", `nothing found to migrate in ${input.what}`, {
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
    sources: input.shown,
  };
}
