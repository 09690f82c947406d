/**
 * The library's verbs for reading a workspace: load it, evaluate it, and fail with every problem
 * at once. The CLI commands are thin wrappers around these.
 */
import { resolve } from "node:path";
import type { Diagnostic } from "../errors/index.js";
import type { LoadOptions, Workspace } from "../load/index.js";
import { loadWorkspace } from "../load/index.js";
import type { Evaluation } from "../plan/evaluate.js";
import { selectHosts } from "./hosts.js";

export { selectHosts };

export interface WorkspaceOptions extends LoadOptions {
  /** The workspace folder (default: the current directory). */
  workspace?: string;
  /** Limit to these hosts (default: all). */
  hosts?: string[];
  /** Also render the config's JSON Schema (`workspace.schemaText`). */
  schema?: boolean;
}

export interface Evaluated {
  workspace: Workspace;
  evaluation: Evaluation;
  /** Load problems and evaluation problems together. */
  diagnostics: Diagnostic[];
  hosts: string[];
}

/**
 * Loads and evaluates a workspace in the isolate; never throws for problems in modules or hosts
 * (see `diagnostics`).
 */
export async function evaluateWorkspace(options: WorkspaceOptions = {}): Promise<Evaluated> {
  const root = resolve(options.workspace ?? ".");
  let hosts: string[] = [];
  const workspace = await loadWorkspace(root, {
    cacheDir: options.cacheDir,
    configText: options.configText,
    ...(options.limits ? { limits: options.limits } : {}),
    hosts: (config) => (hosts = selectHosts({ config }, options.hosts)),
    ...(options.schema ? { schema: true } : {}),
  });
  // The isolate failed (its diagnostic says why): every host is unevaluated, and failed by the
  // errors that name it or no host at all.
  const failed = errors(workspace.diagnostics);
  const evaluation = workspace.evaluation ?? {
    hosts: new Map(
      hosts.map((host) => [
        host,
        {
          host,
          enabled: new Map(),
          options: new Map(),
          diagnostics: failed.filter((d) => d.host === undefined || d.host === host),
        },
      ]),
    ),
    diagnostics: [],
  };
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
