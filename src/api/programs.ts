/**
 * `programs list` and `programs info`: what the workspace offers, where it is enabled, and why
 * each option has the value it has.
 */
import { resolve as resolvePath } from "node:path";
import { z } from "zod";
import type { Platform } from "../define/types.js";
import { PLATFORMS } from "../define/types.js";
import { describePriority, PRIORITY } from "../define/priority.js";
import type { EnabledBy } from "../emit/lock-types.js";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";
import type { LoadOptions, Workspace } from "../load/index.js";
import { loadWorkspace } from "../load/index.js";
import { describeSource, evaluateHost, findProvenance } from "../plan/evaluate.js";
import type { ProgramInfo } from "../resolve/index.js";
import { explainEnabled, resolveHost } from "../resolve/index.js";
import type { WorkspaceOptions } from "./workspace.js";
import { selectHosts } from "./workspace.js";

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

function infos(workspace: Workspace): Map<string, ProgramInfo> {
  const out = new Map<string, ProgramInfo>();
  for (const [name, p] of workspace.programs) {
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

async function load(options: LoadOptions & { workspace?: string }): Promise<Workspace> {
  return loadWorkspace(resolvePath(options.workspace ?? "."), { cacheDir: options.cacheDir });
}

/** Every program with the hosts it is enabled on. */
export async function listPrograms(
  options: ListOptions = {},
): Promise<{ programs: ProgramSummary[]; workspace: Workspace }> {
  const workspace = await load(options);
  const hosts = selectHosts(workspace, options.hosts);
  const programInfos = infos(workspace);
  const enabled = new Map<string, Record<string, EnabledBy>>();
  for (const host of hosts) {
    const resolution = resolveHost(workspace.config, host, programInfos);
    for (const [name, why] of resolution.enabled) {
      let on = enabled.get(name);
      if (!on) enabled.set(name, (on = {}));
      on[host] = why;
    }
  }
  let programs = [...workspace.programs.values()].map((p): ProgramSummary => ({
    name: p.program.name,
    category: p.category,
    description: p.program.description,
    platforms: [...(p.program.platforms ?? PLATFORMS)],
    file: p.file,
    enabledOn: enabled.get(p.program.name) ?? {},
  }));
  if (options.category !== undefined) {
    const c = options.category.replace(/\/$/, "");
    programs = programs.filter((p) => p.category === c || p.category.startsWith(c + "/"));
  }
  if (options.enabled) programs = programs.filter((p) => Object.keys(p.enabledOn).length > 0);
  programs.sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name));
  return { programs, workspace };
}

export interface OptionInfo {
  name: string;
  type: string;
  description?: string;
  default?: unknown;
  /** host → value and where it came from. */
  values: Record<
    string,
    { value: unknown; from: string[]; priority: string; overridden: string[] }
  >;
}

export interface ProgramDetails extends ProgramSummary {
  requires: string[];
  conflicts: string[];
  contributesTo: string[];
  homepage?: string;
  options: OptionInfo[];
  /** host → why it is on, in words. */
  reasons: Record<string, string>;
  /** Hosts where it is enabled but evaluation failed, with the first problem. */
  problems: Record<string, string>;
}

function typeName(schema: Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const anyOf = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (anyOf) return anyOf.map(typeName).join(" | ");
  const type = schema.type;
  if (type === "array")
    return `list of ${typeName((schema.items ?? {}) as Record<string, unknown>)}`;
  if (type === "object") {
    const extra = schema.additionalProperties;
    if (extra && typeof extra === "object")
      return `record of ${typeName(extra as Record<string, unknown>)}`;
    return "object";
  }
  if (type === "integer") {
    const range = [schema.minimum, schema.maximum].every((v) => v !== undefined)
      ? ` ${String(schema.minimum)}–${String(schema.maximum)}`
      : "";
    return `integer${range}`;
  }
  return typeof type === "string" ? type : Array.isArray(type) ? type.join(" | ") : "any";
}

/** One program: its options with types and defaults, and each host's values with provenance. */
export async function programInfo(
  name: string,
  options: WorkspaceOptions = {},
): Promise<ProgramDetails> {
  const { programs, workspace } = await listPrograms({
    ...options,
    enabled: false,
    category: undefined,
  });
  const summary = programs.find((p) => p.name === name);
  const source = workspace.programs.get(name);
  if (!summary || !source) {
    const suggestion = didYouMean(name, workspace.programs.keys());
    throw new SetupMacError(
      diagnostic("unknown-program", `unknown program \`${name}\``, {
        hint: suggestion
          ? `did you mean \`${suggestion}\`?`
          : "`setup-mac programs list` shows every program",
      }),
    );
  }
  const program = source.program;
  const optionList: OptionInfo[] = [];
  if (program.options) {
    const json = z.toJSONSchema(program.options as z.ZodObject, {
      io: "input",
      unrepresentable: "any",
    }) as {
      properties?: Record<string, Record<string, unknown>>;
    };
    for (const [key, schema] of Object.entries(json.properties ?? {})) {
      optionList.push({
        name: key,
        type: typeName(schema),
        ...(typeof schema.description === "string" ? { description: schema.description } : {}),
        ...(schema.default !== undefined ? { default: schema.default } : {}),
        values: {},
      });
    }
  }
  const reasons: Record<string, string> = {};
  const problems: Record<string, string> = {};
  for (const host of Object.keys(summary.enabledOn)) {
    const evaluation = evaluateHost(
      { config: workspace.config, programs: workspace.programs },
      host,
    );
    reasons[host] = explainEnabled(name, evaluation.enabled);
    const resolved = evaluation.options.get(name);
    if (!resolved) {
      const first = evaluation.diagnostics[0];
      problems[host] = first ? first.message.split("\n")[0]! : "evaluation failed";
      continue;
    }
    for (const option of optionList) {
      const prov = findProvenance(resolved.provenance, [option.name]);
      const nested = !prov
        ? [...resolved.provenance.entries()].filter(([k]) => k.startsWith(option.name + "."))
        : [];
      const from = prov
        ? prov.from.map(describeSource)
        : nested.length
          ? [...new Set(nested.flatMap(([, p]) => p.from.map(describeSource)))]
          : [`default of ${source.file}`];
      option.values[host] = {
        value: resolved.value[option.name],
        from,
        priority: prov
          ? describePriority(prov.priority)
          : nested.length
            ? "per key"
            : describePriority(PRIORITY.optionDefault),
        overridden: prov
          ? prov.overridden.map(
              (o) => `${describeSource(o.source)} at ${describePriority(o.priority)}`,
            )
          : [],
      };
    }
  }
  return {
    ...summary,
    requires: [...(program.requires ?? [])],
    conflicts: [...(program.conflicts ?? [])],
    contributesTo: Object.keys(program.contributes ?? {}).sort(),
    ...(program.homepage ? { homepage: program.homepage } : {}),
    options: optionList,
    reasons,
    problems,
  };
}
