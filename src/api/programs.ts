/**
 * `programs list` and `programs info`: what the workspace offers, where it is enabled, and why
 * each option has the value it has.
 */
import { MERGE_META } from "../define/lines.js";
import { resolve as resolvePath } from "node:path";
import { describePriority, PRIORITY } from "../define/priority.js";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";
import { errors } from "./workspace.js";
import type { LoadOptions, Workspace } from "../load/index.js";
import { loadWorkspace } from "../load/index.js";
import { describeSource, findProvenance } from "../plan/evaluate.js";
import { explainEnabled } from "../resolve/index.js";
import { catalogEntry } from "../load/catalog.js";
import type { ListOptions, ProgramSummary } from "./list.js";
import { summarize } from "./list.js";
import type { WorkspaceOptions } from "./workspace.js";

export type { ListOptions, ProgramSummary };

async function load(options: LoadOptions & { workspace?: string }): Promise<Workspace> {
  return loadWorkspace(resolvePath(options.workspace ?? "."), { cacheDir: options.cacheDir });
}

/** Every program with the hosts it is enabled on. */
export async function listPrograms(
  options: ListOptions = {},
): Promise<{ programs: ProgramSummary[]; workspace: Workspace }> {
  const workspace = await load(options);
  const entries = new Map([...workspace.programs].map(([name, p]) => [name, catalogEntry(p)]));
  return { programs: summarize(workspace.config, entries, options), workspace };
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
  // lines(): a string that several definitions extend, joined with newlines.
  if (schema[MERGE_META] === "lines") return "lines";
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
  // Every host is evaluated in the isolate: which hosts enable it is known only after loading.
  const workspace = await loadWorkspace(resolvePath(options.workspace ?? "."), {
    cacheDir: options.cacheDir,
    ...(options.limits ? { limits: options.limits } : {}),
    hosts: (config) => Object.keys(config.config.hosts).sort(),
    optionSchemas: [name],
  });
  const isolateFailure = !workspace.evaluation && errors(workspace.diagnostics)[0];
  if (isolateFailure) throw new SetupMacError(isolateFailure);
  const entries = new Map([...workspace.programs].map(([n, p]) => [n, catalogEntry(p)]));
  const programs = summarize(workspace.config, entries, { enabled: false });
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
  const json = workspace.optionSchemas[name] as
    { properties?: Record<string, Record<string, unknown>> } | undefined;
  if (json) {
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
    const evaluation = workspace.evaluation!.hosts.get(host)!;
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
    contributesTo: program.contributesTo,
    ...(program.homepage ? { homepage: program.homepage } : {}),
    options: optionList,
    reasons,
    problems,
  };
}
