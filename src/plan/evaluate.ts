/**
 * Evaluation (pure): for each host, resolve the enabled set, merge every program's options, run
 * its `config`, and assemble the host's part of the lock. Every problem is collected as a
 * diagnostic; nothing is thrown for user errors.
 */
import type { z } from "zod";
import type { AnyProgram, ConfigContext } from "../define/program.js";
import { describePriority, PRIORITY } from "../define/priority.js";
import { linesPredicate } from "../define/lines.js";
import type { HostInfo } from "../define/types.js";
import type { Diagnostic, Location } from "../errors/index.js";
import { diagnostic, didYouMean } from "../errors/index.js";
import type { ConfigDocument } from "../load/config.js";
import { locate } from "../load/config.js";
import type { Definition, MergeConflict, Provenance, Source } from "../merge/engine.js";
import { isPlainRecord, mergeDefinitions, pathKey } from "../merge/engine.js";
import type { ProgramInfo } from "../resolve/index.js";
import { resolveHost, topologicalOrder } from "../resolve/index.js";
import type { EnabledBy, HostLock, ProgramLock } from "../emit/lock-types.js";
import { buildProgramLock, checkHostCollisions } from "./contribution.js";
import type { TypeIssue } from "./definitions.js";
import { checkDefinitions } from "./definitions.js";
import { describeError, snapshot } from "./snapshot.js";
import { sha256 } from "../emit/hash.js";

/** A program as evaluation sees it (the loader's `LoadedProgram` fits). */
export interface ProgramSource {
  program: AnyProgram;
  file: string;
  category: string;
  sha256: string;
  /**
   * Which of its contributions are computed, when known without reading `program.contributes`
   * (a program known from the evaluation cache, whose code then need not run; decision 0031).
   */
  contributions?: Readonly<Record<string, "function" | "value">>;
}

/** Per target program: whether this program's contribution to it is computed or a value. */
function contributionKinds(source: ProgramSource): Readonly<Record<string, "function" | "value">> {
  if (source.contributions) return source.contributions;
  const out: Record<string, "function" | "value"> = {};
  for (const [target, c] of Object.entries(source.program.contributes ?? {}))
    if (c !== undefined) out[target] = typeof c === "function" ? "function" : "value";
  return out;
}

export interface EvaluateInput {
  config: Pick<ConfigDocument, "file" | "text" | "tree" | "config">;
  programs: ReadonlyMap<string, ProgramSource>;
  /** Earlier programs' lock entries, reused when every input of their `config` is the same. */
  memo?: ProgramMemo;
}

/**
 * A store of programs' lock entries by a key of everything their `config` (and platform
 * override) can see (decision 0027): the module's code and helpers, setup-mac's build, the host,
 * the enabled set, why the program is on, and its resolved options (which already hold the
 * config's values, the option defaults and every contribution it receives).
 */
export interface ProgramMemo {
  /** setup-mac's exact build: another build may turn the same results into other entries. */
  version: string;
  /** The hash of a module file and every helper it imports; undefined: never reuse. */
  code(file: string): string | undefined;
  get(host: string, name: string, key: string): ProgramLock | undefined;
  set(host: string, name: string, key: string, lock: ProgramLock): void;
  /**
   * Resolved options by a key of everything they are made from (`optionsMemoKey`), so that an
   * unchanged program's option schema (its module's code) is not needed (decision 0031).
   */
  getOptions?(host: string, name: string, key: string): ResolvedOptions | undefined;
  setOptions?(host: string, name: string, key: string, options: ResolvedOptions): void;
}

/**
 * The memo key of one program's resolved options on one host, or undefined when they must be
 * resolved. They are made from the program's schema (its code and helpers), the config's values
 * for it, and the contributions it receives; a contribution is a value fixed by its contributor's
 * code, or a function of that code, the host, the enabled set and the contributor's own options
 * (their key, resolved earlier in the order).
 */
export function optionsMemoKey(
  memo: ProgramMemo,
  parts: {
    hostDigest: string;
    configFile: string;
    name: string;
    source: ProgramSource;
    shared: unknown;
    entry: unknown;
    contributors: readonly {
      name: string;
      source: ProgramSource;
      key: string | null | undefined;
    }[];
  },
): string | undefined {
  const code = memo.code(parts.source.file);
  const shared = keyText(parts.shared ?? null);
  const entry = keyText(parts.entry ?? null);
  if (code === undefined || shared === undefined || entry === undefined) return undefined;
  const from: unknown[] = [];
  for (const c of parts.contributors) {
    const theirs = memo.code(c.source.file);
    if (theirs === undefined || c.key === undefined) return undefined;
    from.push([c.name, c.source.file, theirs, c.key]);
  }
  return sha256(
    JSON.stringify([
      "options",
      memo.version,
      parts.hostDigest,
      parts.configFile,
      parts.name,
      parts.source.file,
      code,
      shared,
      entry,
      from,
    ]),
  );
}

/** Key material as text, or undefined for a value that has no faithful text (a function). */
function keyText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_k, v: unknown) => {
      if (v === undefined) return "\u0000undefined";
      if (typeof v === "bigint") return `\u0000bigint:${v}`;
      if (typeof v === "number" && !Number.isFinite(v)) return `\u0000number:${v}`;
      if (typeof v === "function" || typeof v === "symbol") throw new Error("not data");
      return v;
    });
  } catch {
    return undefined;
  }
}

/** The memo key of one program on one host, or undefined when it must be evaluated. */
export function programMemoKey(
  memo: ProgramMemo,
  parts: {
    hostDigest: string;
    name: string;
    source: ProgramSource;
    enabledBy: EnabledBy;
    options: Record<string, unknown>;
  },
): string | undefined {
  const code = memo.code(parts.source.file);
  if (code === undefined) return undefined;
  const options = keyText(parts.options);
  const why = keyText(parts.enabledBy);
  if (options === undefined || why === undefined) return undefined;
  return sha256(
    JSON.stringify([
      memo.version,
      parts.hostDigest,
      parts.name,
      parts.source.file,
      parts.source.category,
      parts.source.sha256,
      code,
      why,
      options,
    ]),
  );
}

/** Resolved options of one program on one host, with where each value came from. */
export interface ResolvedOptions {
  value: Record<string, unknown>;
  provenance: Map<string, Provenance>;
  /** Option paths the values came from defaults of the schema (not set by anyone). */
  defaults: Set<string>;
}

export interface HostEvaluation {
  host: string;
  lock?: HostLock;
  enabled: Map<string, EnabledBy>;
  options: Map<string, ResolvedOptions>;
  diagnostics: Diagnostic[];
}

/** Builds the HostInfo a module sees, with defaults filled in. */
export function hostInfo(doc: EvaluateInput["config"], host: string): HostInfo | undefined {
  const h = doc.config.hosts[host];
  if (!h) return undefined;
  return {
    name: host,
    platform: h.platform,
    system: h.system,
    user: h.user,
    home: h.home ?? (h.platform === "darwin" ? `/Users/${h.user}` : `/home/${h.user}`),
    homeManager: h.homeManager ?? true,
    zfs: h.zfs ?? false,
    ...(h.zfsPool ? { zfsPool: h.zfsPool } : {}),
  };
}

function programInfos(programs: EvaluateInput["programs"]): Map<string, ProgramInfo> {
  const out = new Map<string, ProgramInfo>();
  for (const [name, p] of programs) {
    out.set(name, {
      name,
      file: p.file,
      platforms: p.program.platforms,
      requires: p.program.requires,
      conflicts: p.program.conflicts,
    });
  }
  return out;
}

/** Evaluates one host: resolution, options, contributions, cross-program checks. */
export function evaluateHost(input: EvaluateInput, host: string): HostEvaluation {
  const { config: doc, programs } = input;
  const info = hostInfo(doc, host);
  const resolution = resolveHost(doc, host, programInfos(programs));
  const diagnostics = [...resolution.diagnostics];
  const options = new Map<string, ResolvedOptions>();
  const result: HostEvaluation = { host, enabled: resolution.enabled, options, diagnostics };
  if (!info) return result;

  if (!info.system.endsWith(info.platform === "darwin" ? "-darwin" : "-linux")) {
    diagnostics.push(
      diagnostic(
        "host-system-mismatch",
        `host \`${host}\` is ${info.platform} but its system is ${info.system}`,
        {
          host,
          location: locate(doc, ["hosts", host, "system"]),
          hint:
            info.platform === "darwin"
              ? 'use "aarch64-darwin" or "x86_64-darwin"'
              : 'use "x86_64-linux" or "aarch64-linux"',
        },
      ),
    );
  }
  if (diagnostics.length) return result;

  const enabled = resolution.enabled;
  const isEnabled = (name: string) => enabled.has(name);
  const context = (name: string): ConfigContext<Record<string, unknown>> => ({
    options: options.get(name)?.value ?? {},
    host: info,
    enabled: isEnabled,
  });

  // Who contributes to whom, indexed once (in enabled order, which is definition order):
  // looking through every enabled program for every target would be quadratic.
  const contributors = new Map<string, string[]>();
  const computedContributors = new Map<string, string[]>();
  for (const from of enabled.keys()) {
    for (const [target, kind] of Object.entries(contributionKinds(programs.get(from)!))) {
      if (!enabled.has(target)) continue;
      if (target !== from) push(contributors, target, from);
      if (kind === "function") push(computedContributors, target, from);
    }
  }

  // Function-valued contributions read the contributor's options: evaluate contributors first.
  const { order: optionOrder, cycles } = topologicalOrder(
    [...enabled.keys()],
    (target) => computedContributors.get(target) ?? [],
  );
  for (const cycle of cycles) {
    diagnostics.push(
      diagnostic(
        "contribution-cycle",
        `computed \`contributes\` form a cycle: ${[...cycle, cycle[0]].join(" → ")} (each reads the options of the next)`,
        {
          host,
          location: { file: programs.get(cycle[0]!)!.file },
          hint: "make one of these contributions a plain object instead of a function of the options",
        },
      ),
    );
  }
  if (cycles.length) return result;

  const { memo } = input;
  // What every program on this host sees alike: the host's facts and which programs are on.
  const hostDigest = memo ? sha256(JSON.stringify([info, [...enabled.keys()].sort()])) : "";
  const optionKeys = new Map<string, string | undefined>();
  for (const name of optionOrder) {
    const from = contributors.get(name) ?? [];
    const entry = doc.config.hosts[host]?.programs?.[name];
    const key =
      memo?.getOptions &&
      optionsMemoKey(memo, {
        hostDigest,
        configFile: doc.file,
        name,
        source: programs.get(name)!,
        shared: doc.config.defaults?.[name],
        entry: isPlainRecord(entry) ? entry : null,
        contributors: from.map((c) => {
          const source = programs.get(c)!;
          const computed = contributionKinds(source)[name] === "function";
          return { name: c, source, key: computed ? optionKeys.get(c) : null };
        }),
      });
    optionKeys.set(name, key);
    const reused = key === undefined ? undefined : memo!.getOptions!(host, name, key);
    if (reused) {
      options.set(name, reused);
      continue;
    }
    const before = diagnostics.length;
    const resolved = resolveOptions(input, host, name, from, context, diagnostics);
    if (resolved) {
      options.set(name, resolved);
      if (key !== undefined && diagnostics.length === before)
        memo!.setOptions?.(host, name, key, resolved);
    }
  }
  if (diagnostics.length) return result;

  const programLocks: Record<string, ProgramLock> = {};
  for (const name of resolution.order) {
    const source = programs.get(name)!;
    const key =
      memo &&
      programMemoKey(memo, {
        hostDigest,
        name,
        source,
        enabledBy: enabled.get(name)!,
        options: options.get(name)?.value ?? {},
      });
    const reused = key === undefined ? undefined : memo!.get(host, name, key);
    if (reused) {
      programLocks[name] = reused;
      continue;
    }
    const before = diagnostics.length;
    const lock = buildProgramLock({
      name,
      source,
      host: info,
      enabledBy: enabled.get(name)!,
      ctx: context(name),
      diagnostics,
    });
    if (lock) programLocks[name] = lock;
    // Only a clean result is kept: a problem is reported again at every evaluation.
    if (lock && key !== undefined && diagnostics.length === before)
      memo!.set(host, name, key, lock);
  }
  if (diagnostics.length) return result;
  checkHostCollisions(info, programLocks, resolution.order, programs, diagnostics);
  if (diagnostics.length) return result;

  result.lock = {
    platform: info.platform,
    system: info.system,
    user: info.user,
    home: info.home,
    homeManager: info.homeManager,
    zfs: info.zfs,
    order: resolution.order,
    programs: programLocks,
  };
  return result;
}

function push(index: Map<string, string[]>, key: string, value: string): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}

function hostLocation(doc: EvaluateInput["config"], source: Source, path: string[]): Location {
  if (source.file !== doc.file) return { file: source.file };
  return locate(doc, [...source.what.split("."), ...path]);
}

/** Merges and validates one program's options on one host. */
function resolveOptions(
  input: EvaluateInput,
  host: string,
  name: string,
  /** The enabled programs that contribute to this one, in enabled order. */
  contributors: readonly string[],
  context: (name: string) => ConfigContext<Record<string, unknown>>,
  diagnostics: Diagnostic[],
): ResolvedOptions | undefined {
  const { config: doc, programs } = input;
  const source = programs.get(name)!;
  const schema = source.program.options as z.ZodObject | undefined;
  const defs: Definition[] = [];
  const shared = doc.config.defaults?.[name];
  if (shared) {
    defs.push({
      value: shared,
      source: { file: doc.file, what: `defaults.${name}` },
      priority: PRIORITY.sharedDefault,
    });
  }
  const entry = doc.config.hosts[host]?.programs?.[name];
  if (isPlainRecord(entry)) {
    defs.push({ value: entry, source: { file: doc.file, what: `hosts.${host}.programs.${name}` } });
  }
  for (const from of contributors) {
    const contribution = programs.get(from)!.program.contributes![name];
    let value: unknown;
    try {
      value = typeof contribution === "function" ? contribution(context(from)) : contribution;
    } catch (error) {
      diagnostics.push(
        diagnostic(
          "contribution-throws",
          `\`contributes.${name}\` throws: ${describeError(error)}`,
          {
            host,
            location: { file: programs.get(from)!.file },
            hint: "a contribution must return option values for the target program",
          },
        ),
      );
      continue;
    }
    const copied = snapshot(value);
    if (!copied.ok) {
      diagnostics.push(
        diagnostic(
          "contribution-invalid",
          `\`contributes.${name}\` returns a value that is not data: ${copied.problem}`,
          {
            host,
            location: { file: programs.get(from)!.file },
            hint: "return plain objects, lists, strings, numbers and booleans",
          },
        ),
      );
      continue;
    }
    value = copied.value;
    if (!isPlainRecord(value)) {
      diagnostics.push(
        diagnostic(
          "contribution-invalid",
          `\`contributes.${name}\` must be an object of option values`,
          {
            host,
            location: { file: programs.get(from)!.file },
            hint: `give option names of \`${name}\` with their values, e.g. \`contributes: { ${name}: { someOption: ["value"] } }\``,
          },
        ),
      );
      continue;
    }
    defs.push({ value, source: { file: programs.get(from)!.file, what: `contributes.${name}` } });
  }

  // Every problem of the program's options is reported in one run: unknown keys, each
  // definition's type errors, then the conflicts among what is left, then the parse of the
  // merged value (required keys, constraints on the whole).
  const known = schema ? Object.keys(schema.shape) : [];
  let errors = 0;
  const knownDefs: Definition[] = [];
  for (const def of defs) {
    const record = def.value as Record<string, unknown>;
    const kept: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      if (known.includes(key)) {
        kept[key] = record[key];
        continue;
      }
      errors++;
      const suggestion = didYouMean(key, known);
      diagnostics.push(
        diagnostic("unknown-option", `program \`${name}\` has no option \`${key}\``, {
          host,
          location: hostLocation(doc, def.source, [key]),
          hint: suggestion
            ? `did you mean \`${suggestion}\`?`
            : known.length
              ? `its options are: ${known.join(", ")}`
              : `\`${name}\` has no options; enable it with \`true\``,
        }),
      );
    }
    knownDefs.push({ ...def, value: kept });
  }

  const checked = checkDefinitions(knownDefs, schema);
  // Paths already reported: the parse after merging does not report them again (a required
  // option whose only definition was ill-typed is not "missing" as well).
  const reported: string[][] = [];
  for (const issue of checked.issues) {
    errors++;
    reported.push(issue.path);
    diagnostics.push(typeDiagnostic(doc, host, name, issue));
  }

  const merged = mergeDefinitions(checked.definitions, { lines: linesPredicate(schema) });
  for (const conflict of merged.conflicts) {
    errors++;
    reported.push(conflict.path);
    diagnostics.push(conflictDiagnostic(doc, host, name, conflict));
  }

  const value = (merged.value ?? {}) as Record<string, unknown>;
  if (!schema)
    return errors ? undefined : { value: {}, provenance: merged.provenance, defaults: new Set() };
  // Each program's schema parses once per host: compiling zod's eval-based fast path for it
  // costs more than it saves.
  const parsed = schema.safeParse(value, { jitless: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String);
      if (reported.some((r) => related(r, path))) continue;
      const from =
        findProvenance(merged.provenance, path) ?? nearbyProvenance(merged.provenance, path);
      const location = from ? hostLocation(doc, from.from[0]!, path) : { file: doc.file };
      const origin = from ? ` (set in ${from.from.map((s) => describeSource(s)).join(", ")})` : "";
      diagnostics.push(
        diagnostic(
          "invalid-option",
          `option \`${name}.${path.join(".")}\`: ${issue.message}${origin}`,
          { host, location, hint: `\`setup-mac programs info ${name}\` shows the option's type` },
        ),
      );
    }
    return undefined;
  }
  if (errors) return undefined;
  const out = parsed.data as Record<string, unknown>;
  const defaults = new Set<string>();
  for (const key of Object.keys(out)) {
    if (!findProvenance(merged.provenance, [key]) && !hasPrefix(merged.provenance, key))
      defaults.add(key);
  }
  return { value: out, provenance: merged.provenance, defaults };
}

/** For a key nobody set (a required key left out): the provenance of a sibling inside its record. */
function nearbyProvenance(
  provenance: Map<string, Provenance>,
  path: string[],
): Provenance | undefined {
  for (let n = path.length - 1; n > 0; n--) {
    const prefix = pathKey(path.slice(0, n)) + ".";
    for (const [k, p] of provenance) if (k.startsWith(prefix)) return p;
  }
  return undefined;
}

/** Whether one path is inside the other (or they are the same). */
function related(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hasPrefix(provenance: Map<string, Provenance>, key: string): boolean {
  const prefix = pathKey([key]) + ".";
  for (const k of provenance.keys()) if (k.startsWith(prefix)) return true;
  return false;
}

/** The provenance of a path, or of its nearest parent that has one. */
export function findProvenance(
  provenance: Map<string, Provenance>,
  path: string[],
): Provenance | undefined {
  for (let n = path.length; n > 0; n--) {
    const p = provenance.get(pathKey(path.slice(0, n)));
    if (p) return p;
  }
  return undefined;
}

export function describeSource(source: Source): string {
  return `${source.file} (${source.what})`;
}

function conflictDiagnostic(
  doc: EvaluateInput["config"],
  host: string,
  name: string,
  c: MergeConflict,
): Diagnostic {
  const lines = c.definitions.map(
    (d) => `  ${JSON.stringify(d.value)} from ${describeSource(d.source)}`,
  );
  const what =
    c.kind === "shape"
      ? `option \`${name}.${c.path.join(".")}\` is defined with values of different kinds at ${describePriority(c.priority)}:`
      : `option \`${name}.${c.path.join(".")}\` has conflicting definition values at ${describePriority(c.priority)}:`;
  return diagnostic("option-conflict", `${what}\n${lines.join("\n")}`, {
    host,
    location: hostLocation(doc, c.definitions[0]!.source, c.path),
    hint: "make one definition win: wrap it in `mkForce(...)`, or wrap the other in `mkDefault(...)` (in the config file, set the value on the host to override a shared default)",
  });
}

/** Nix's wording: "A definition for option `x' is not of type `y'", with that one definition. */
function typeDiagnostic(
  doc: EvaluateInput["config"],
  host: string,
  name: string,
  issue: TypeIssue,
): Diagnostic {
  let shown = JSON.stringify(issue.value) ?? String(issue.value);
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return diagnostic(
    "invalid-option",
    `option \`${name}.${issue.path.join(".")}\` is not of type \`${issue.expected}\`: ${shown} from ${describeSource(issue.definition.source)} (${issue.message})`,
    {
      host,
      location: hostLocation(doc, issue.definition.source, issue.path),
      hint: `\`setup-mac programs info ${name}\` shows the option's type`,
    },
  );
}

export interface Evaluation {
  hosts: Map<string, HostEvaluation>;
  diagnostics: Diagnostic[];
}

/** Evaluates the given hosts (default: all), in name order. */
export function evaluate(input: EvaluateInput, hosts?: readonly string[]): Evaluation {
  const names = hosts ?? Object.keys(input.config.config.hosts).sort();
  const out = new Map<string, HostEvaluation>();
  const diagnostics: Diagnostic[] = [];
  for (const host of names) {
    const evaluation = evaluateHost(input, host);
    out.set(host, evaluation);
    diagnostics.push(...evaluation.diagnostics);
  }
  return { hosts: out, diagnostics };
}
