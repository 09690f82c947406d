/**
 * setup-mac's public library API. Program modules import from here:
 * `import { defineProgram, z, mkDefault } from "setup-mac"`.
 */
export { z } from "zod";
export * from "./define/index.js";
export type * from "./emit/lock-types.js";

// The library's verbs: everything the CLI does, callable from code.
export { check } from "./api/check.js";
export type { CheckOptions, CheckResult } from "./api/check.js";
export { stats } from "./api/stats.js";
export type {
  StatsContext,
  StatsOptions,
  StatsReport,
  StatsSection,
  StatsSectionSource,
} from "./api/stats.js";
export { build } from "./api/build.js";
export type { BuildOptions, BuildResult } from "./api/build.js";
export { listPrograms, programInfo } from "./api/programs.js";
export type { ProgramSummary, ProgramDetails, OptionInfo, ListOptions } from "./api/programs.js";
export { evaluateWorkspace } from "./api/workspace.js";
export type { WorkspaceOptions } from "./api/workspace.js";
export { SetupMacError, UsageError } from "./errors/index.js";
export type { Diagnostic, Location } from "./errors/index.js";
export { init } from "./api/init.js";
export type { InitOptions, InitResult } from "./api/init.js";
export { apply } from "./api/apply.js";
export type { ApplyOptions, ApplyPlan, ApplyResult } from "./api/apply.js";
export { diff, generations, rollback, rollbackProgram, systemRollback } from "./api/history.js";
export {
  enablePrograms,
  disablePrograms,
  setProgramOption,
  unsetProgramOption,
  editProgramOptions,
} from "./api/config.js";
export type { EditResult } from "./api/config.js";
export { status } from "./api/status.js";
export { listServices, controlServices, serviceLogs, restartServices } from "./api/services.js";
export type {
  ServiceInfo,
  ServicesOptions,
  ServicesResult,
  ServiceActionOptions,
  ServiceActionResult,
  ServicesActionResult,
} from "./api/services.js";
export type { StatusOptions, StatusResult } from "./api/status.js";
export { doctor } from "./api/doctor.js";
export { scan } from "./api/scan.js";
export type { ScanOptions, ScanResult, ScanResultFinding } from "./api/scan.js";
export type { ScanFinding, ScanRule, ScanSeverity } from "./scan/index.js";
export type { DoctorOptions, DoctorResult } from "./api/doctor.js";
export { update } from "./api/update.js";
export type { UpdateOptions, UpdateResult } from "./api/update.js";
export { scaffold } from "./api/scaffold.js";
export {
  summarizeTelemetry,
  telemetryStatus,
  setTelemetry,
  telemetryEvents,
  telemetryReport,
  exportToCollector,
  exportToFile,
  purgeTelemetry,
  toOtlpLogs,
} from "./telemetry/index.js";
export type {
  TelemetryEvent,
  TelemetrySettings,
  TelemetryStatus,
  TelemetrySummary,
  VerbSummary,
  BuildDay,
  BuildTrend,
} from "./telemetry/index.js";
