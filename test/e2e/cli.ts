/** Spawns the built CLI as a user would and captures what it prints. */
import { spawn, spawnSync } from "node:child_process";
import { cpSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/setup-mac.js", import.meta.url));
export const EXAMPLE = fileURLToPath(new URL("../../examples/workstation", import.meta.url));

/**
 * Copies the example workspace as it is checked in: without `.setup-mac/`, the machine-local
 * state (generations, the workspace lock) that running the README's example command leaves in
 * the working copy.
 */
export function copyExampleTo(dest: string): void {
  cpSync(EXAMPLE, dest, {
    recursive: true,
    filter: (src) => basename(src) !== ".setup-mac",
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CLI without blocking this process, so loopback servers in the test can answer it. */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
