/**
 * What the dashboard's pages show, each read fresh from the workspace through the library API on
 * every request: the page never keeps a second copy of the config, the lock or the generations.
 */
import { resolve } from "node:path";
import { writtenOption } from "../api/config.js";
import { diff, generations } from "../api/history.js";
import { listPrograms, programInfo } from "../api/programs.js";
import type { ProgramDetails } from "../api/programs.js";
import { statusAll } from "../api/status.js";
import type { HostOverview } from "../api/status.js";
import { computeBuild } from "../api/build.js";
import { summarizeChanges } from "../apply/changes.js";
import type { HostChanges } from "../apply/changes.js";
import type { GenerationRecord } from "../apply/store.js";
import type { ServiceLock } from "../emit/lock-types.js";
import type { Diagnostic } from "../errors/index.js";
import { SetupMacError } from "../errors/index.js";
import { loadWorkspace } from "../load/index.js";

export interface UiOptions {
  workspace: string;
  cacheDir?: string | null;
}

/** A problem as the page shows it: the diagnostic's words, nothing machine-specific added. */
export function problemsOf(error: unknown): Diagnostic[] | undefined {
  return error instanceof SetupMacError ? error.diagnostics : undefined;
}

export interface HostRow {
  name: string;
  description?: string;
  platform: string;
  system: string;
  /** Enabled programs, and why each is on. */
  enabled: { name: string; by: "host" | string[] }[];
  /** Programs the host turns off explicitly (`"name": false`). */
  disabled: string[];
  /** Declared against last applied (`programs status --all-hosts`); absent when the config has errors. */
  overview?: HostOverview;
}

export interface HostsView {
  hosts: HostRow[];
  programs: { name: string; category: string; description: string }[];
  /** Errors that stop a plan (drift and generations are then unknown). */
  problems: Diagnostic[];
}

/** The hosts page: every host, its programs on and off, last generation and drift. */
export async function hostsView(options: UiOptions): Promise<HostsView> {
  const { programs, workspace } = await listPrograms({ ...options });
  let overviews = new Map<string, HostOverview>();
  let problems: Diagnostic[] = [];
  try {
    const all = await statusAll(options);
    overviews = new Map(all.hosts.map((h) => [h.host, h]));
  } catch (error) {
    problems = problemsOf(error) ?? [];
    if (!problems.length) throw error;
  }
  const hosts = Object.entries(workspace.config.config.hosts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, host]): HostRow => {
      const entries = host.programs ?? {};
      return {
        name,
        ...(host.description ? { description: host.description } : {}),
        platform: host.platform,
        system: host.system,
        enabled: programs
          .filter((p) => p.enabledOn[name])
          .map((p) => {
            const why = p.enabledOn[name]!;
            return { name: p.name, by: "host" in why ? ("host" as const) : why.requiredBy };
          })
          .sort((a, b) => a.name.localeCompare(b.name)),
        disabled: Object.keys(entries)
          .filter((k) => entries[k] === false)
          .sort(),
        ...(overviews.has(name) ? { overview: overviews.get(name)! } : {}),
      };
    });
  return {
    hosts,
    programs: programs.map((p) => ({
      name: p.name,
      category: p.category,
      description: p.description,
    })),
    problems,
  };
}

export interface ProgramHostView {
  /** The option values written in this host's entry (not merged). */
  written: Record<string, unknown>;
  services: (Pick<ServiceLock, "unit" | "label" | "scope" | "description" | "restart"> & {
    name: string;
    schedule?: string;
  })[];
  files: string[];
  packages: string[];
}

export interface ProgramView extends ProgramDetails {
  /** Each option's JSON Schema (input side), for the form. */
  schemas: Record<string, Record<string, unknown>>;
  /** Shared values written in `defaults`. */
  defaultsWritten: Record<string, unknown>;
  perHost: Record<string, ProgramHostView>;
  /** Programs that require this one, and programs that conflict with it (either side declares). */
  requiredBy: string[];
  conflictsWith: string[];
  /** Errors that stop the workspace's plan (services and files are then unknown). */
  planProblems: Diagnostic[];
}

/** A program's page: details and provenance (as `programs info` and `--explain`), form schema, lock entries. */
export async function programView(name: string, options: UiOptions): Promise<ProgramView> {
  const details = await programInfo(name, options);
  // The options' JSON Schema is made in the evaluation isolate, where the module's zod lives.
  const workspace = await loadWorkspace(resolve(options.workspace), {
    cacheDir: options.cacheDir,
    optionSchemas: [name],
  });
  const schemas = (workspace.optionSchemas[name]?.properties ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  // The text that was evaluated, not a second read that may differ from it.
  const text = workspace.config.text;
  const written = (host: string | null) =>
    Object.fromEntries(
      Object.keys(schemas)
        .map((key) => [key, writtenOption(text, host, name, key.replace(/\./g, "\\."))] as const)
        .filter(([, v]) => v !== undefined),
    );
  let problems: Diagnostic[] = [];
  const perHost: Record<string, ProgramHostView> = {};
  let lock;
  try {
    lock = (await computeBuild(options)).lock;
  } catch (error) {
    problems = problemsOf(error) ?? [];
    if (!problems.length) throw error;
  }
  for (const host of Object.keys(details.enabledOn)) {
    const entry = lock?.hosts[host]?.programs[name];
    const services = Object.entries({
      ...entry?.system?.services,
      ...entry?.home?.services,
    }).map(([service, s]) => ({
      name: service,
      unit: s.unit,
      label: s.label,
      scope: s.scope,
      description: s.description,
      restart: s.restart,
      ...(s.schedule
        ? {
            schedule:
              "every" in s.schedule
                ? `every ${s.schedule.every} s`
                : `calendar ${JSON.stringify(s.schedule.calendar)}`,
          }
        : {}),
    }));
    perHost[host] = {
      written: written(host),
      services,
      files: [
        ...Object.keys(entry?.system?.files ?? {}).map((f) => `/etc/${f}`),
        ...Object.keys(entry?.home?.files ?? {}).map((f) => `~/${f}`),
      ],
      packages: [...(entry?.system?.packages ?? []), ...(entry?.home?.packages ?? [])],
    };
  }
  const requiredBy: string[] = [];
  const conflictsWith = new Set(details.conflicts);
  for (const [other, source] of workspace.programs) {
    if (source.program.requires?.includes(name)) requiredBy.push(other);
    if (source.program.conflicts?.includes(name)) conflictsWith.add(other);
  }
  return {
    ...details,
    schemas,
    defaultsWritten: written(null),
    perHost,
    requiredBy: requiredBy.sort(),
    conflictsWith: [...conflictsWith].sort(),
    planProblems: problems,
  };
}

export interface PlanView {
  host: string;
  since?: number;
  lines: string[];
  changes: HostChanges;
}

/** The plan page: what `apply` would change on a host (the `diff` verb). */
export async function planView(host: string, options: UiOptions): Promise<PlanView> {
  const result = await diff({ ...options, host });
  return {
    host: result.host,
    ...(result.from !== undefined ? { since: result.from } : {}),
    lines: summarizeChanges(result.changes),
    changes: result.changes,
  };
}

export interface GenerationsView {
  generations: (GenerationRecord & { lines: string[] })[];
  problems: Diagnostic[];
}

/** The timeline: every generation of a host (all hosts without one), newest first, with its changes. */
export function generationsView(host: string | undefined, options: UiOptions): GenerationsView {
  const result = generations({ ...options, ...(host ? { hosts: [host] } : {}) });
  return {
    generations: result.generations
      .map((g) => ({ ...g, lines: summarizeChanges(g.changes) }))
      .reverse(),
    problems: result.problems,
  };
}
