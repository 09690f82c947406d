/**
 * `check`: evaluate every host and report every problem; nothing is written.
 */
import type { Diagnostic } from "../errors/index.js";
import type { WorkspaceOptions } from "./workspace.js";
import { errors, evaluateWorkspace } from "./workspace.js";

export interface CheckResult {
  ok: boolean;
  programs: number;
  hosts: { name: string; platform: string; enabled: number; ok: boolean }[];
  diagnostics: Diagnostic[];
}

/** Validates every module and host: conflicts, options, paths, ownership. */
export async function check(options: WorkspaceOptions = {}): Promise<CheckResult> {
  const { workspace, evaluation, diagnostics, hosts } = await evaluateWorkspace(options);
  return {
    ok: errors(diagnostics).length === 0,
    programs: workspace.programs.size,
    hosts: hosts.map((name) => {
      const h = evaluation.hosts.get(name)!;
      return {
        name,
        platform: workspace.config.config.hosts[name]!.platform,
        enabled: h.enabled.size,
        ok: errors(h.diagnostics).length === 0,
      };
    }),
    diagnostics,
  };
}
