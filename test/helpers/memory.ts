/**
 * In-memory workspaces for testing the pure stages: programs defined inline, the config as text.
 */
import type { AnyProgram } from "../../src/define/program.js";
import { formatDiagnosticPlain } from "../../src/errors/index.js";
import { parseConfig } from "../../src/load/config.js";
import type { EvaluateInput, ProgramSource } from "../../src/plan/evaluate.js";
import { evaluate } from "../../src/plan/evaluate.js";

/** Builds an evaluation input; each program lives at `programs/<category>/<name>.ts`. */
export function memoryWorkspace(
  configText: string,
  programs: AnyProgram[],
  category = "test",
): EvaluateInput {
  const parsed = parseConfig(configText);
  if (!parsed.ok) throw new Error(parsed.diagnostics.map(formatDiagnosticPlain).join("\n"));
  const map = new Map<string, ProgramSource>();
  for (const program of programs) {
    map.set(program.name, {
      program,
      file: `programs/${category}/${program.name}.ts`,
      category,
      sha256: "0".repeat(64),
    });
  }
  return { config: parsed.doc, programs: map };
}

/** A config with one host per entry; `programs` is the host's programs object. */
export function hostsConfig(
  hosts: Record<
    string,
    {
      platform?: "darwin" | "nixos";
      programs: Record<string, unknown>;
      zfs?: boolean;
      homeManager?: boolean;
    }
  >,
  defaults?: Record<string, unknown>,
): string {
  const out: Record<string, unknown> = {};
  for (const [name, h] of Object.entries(hosts)) {
    const platform = h.platform ?? "nixos";
    out[name] = {
      platform,
      system: platform === "darwin" ? "aarch64-darwin" : "x86_64-linux",
      user: "lars",
      ...(h.zfs !== undefined ? { zfs: h.zfs } : {}),
      ...(h.homeManager !== undefined ? { homeManager: h.homeManager } : {}),
      programs: h.programs,
    };
  }
  return JSON.stringify({ ...(defaults ? { defaults } : {}), hosts: out }, null, 2) + "\n";
}

/** Every diagnostic of an evaluation, formatted as the CLI prints them without colour. */
export function messages(input: EvaluateInput): string[] {
  return evaluate(input).diagnostics.map(formatDiagnosticPlain);
}
