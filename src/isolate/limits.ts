/**
 * The evaluation isolate's limits (decision 0022). A module of its own without imports, so the
 * CLI's entry can set `--eval-timeout` without loading the isolate.
 */
export interface EvaluationLimits {
  /** Wall-clock limit for one call into one module (loading it, `config`, a contribution …). */
  moduleTimeoutMs: number;
  /** Wall-clock limit for the whole evaluation. */
  timeoutMs: number;
  /** The isolate's heap limit. */
  memoryMb: number;
}

/** Far above what real modules take (the 1,000-module benchmark evaluates in about a second). */
export const DEFAULT_LIMITS: EvaluationLimits = {
  moduleTimeoutMs: 10_000,
  timeoutMs: 120_000,
  memoryMb: 1024,
};

/** Limits given on the command line (`--eval-timeout`); they beat the config's. */
export const commandLineLimits: Partial<EvaluationLimits> = {};

/** The longest `--eval-timeout` (and `"evaluation": { "moduleTimeout" }`), in seconds. */
export const MAX_MODULE_TIMEOUT_S = 3600;

/**
 * The diagnostics of an evaluation the isolate stopped: a limit, an `exit` or a crash. Nothing
 * after the stop was evaluated, so a verb that needs the evaluation to vouch for something (an
 * edit, a pack) cannot go on.
 */
export const ISOLATE_STOPS: ReadonlySet<string> = new Set([
  "module-timeout",
  "evaluation-timeout",
  "module-out-of-memory",
  "module-exit",
  "module-crash",
  "isolate-crash",
]);
