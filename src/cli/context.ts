/** What every command receives from `main`: global flags and where to write. */
import type { Output } from "./render.js";

export interface GlobalOptions {
  workspace?: string;
  host?: string[];
  json: boolean;
  color: boolean;
}

export interface CommandContext {
  globals: GlobalOptions;
  output: Output;
  env: NodeJS.ProcessEnv;
  /** Set by a command to the exit code it wants (default 0). */
  exitCode: number;
}
