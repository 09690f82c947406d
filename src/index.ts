/**
 * setup-mac's public library API. Program modules import from here:
 * `import { defineProgram, z, mkDefault } from "setup-mac"`.
 */
export { z } from "zod";
export * from "./define/index.js";
export type * from "./emit/lock-types.js";

// The library's verbs: everything the CLI does, callable from code.
export { check } from "./api/check.js";
export type { CheckResult } from "./api/check.js";
export { build } from "./api/build.js";
export type { BuildOptions, BuildResult } from "./api/build.js";
export { listPrograms, programInfo } from "./api/programs.js";
export type { ProgramSummary, ProgramDetails, OptionInfo, ListOptions } from "./api/programs.js";
export { evaluateWorkspace } from "./api/workspace.js";
export type { WorkspaceOptions } from "./api/workspace.js";
export { SetupMacError, UsageError } from "./errors/index.js";
export type { Diagnostic, Location } from "./errors/index.js";
