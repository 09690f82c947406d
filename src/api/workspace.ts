/**
 * The library's verbs for reading a workspace: load it, evaluate it, and fail with every problem
 * at once. The CLI commands are thin wrappers around these.
 */
import { resolve } from "node:path";
import type { Diagnostic } from "../errors/index.js";
import type { LoadOptions, Workspace } from "../load/index.js";
import { loadWorkspace } from "../load/index.js";
import type { Evaluation } from "../plan/evaluate.js";
import { evaluate } from "../plan/evaluate.js";
import { selectHosts } from "./hosts.js";
import { timings } from "../adapters/timings.js";

export { selectHosts };

export interface WorkspaceOptions extends LoadOptions {
  /** The workspace folder (default: the current directory). */
  workspace?: string;
  /** Limit to these hosts (default: all). */
  hosts?: string[];
}

export interface Evaluated {
  workspace: Workspace;
  evaluation: Evaluation;
  /** Load problems and evaluation problems together. */
  diagnostics: Diagnostic[];
  hosts: string[];
}

/** Loads and evaluates a workspace; never throws for problems in modules or hosts (see `diagnostics`). */
export async function evaluateWorkspace(options: WorkspaceOptions = {}): Promise<Evaluated> {
  const root = resolve(options.workspace ?? ".");
  const workspace = await loadWorkspace(root, {
    cacheDir: options.cacheDir,
    configText: options.configText,
  });
  const hosts = selectHosts(workspace, options.hosts);
  const evaluation = await timings.span(
    `evaluate ${hosts.length} host${hosts.length === 1 ? "" : "s"}`,
    () => evaluate({ config: workspace.config, programs: workspace.programs }, hosts),
  );
  return {
    workspace,
    evaluation,
    diagnostics: [...workspace.diagnostics, ...evaluation.diagnostics],
    hosts,
  };
}

export function errors(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === "error");
}
