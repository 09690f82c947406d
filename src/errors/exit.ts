/**
 * The exit status of every verb, decided in one place from the diagnostic codes of its outcome.
 * Pure: codes in, a number out. A new diagnostic code whose cause is not the user's
 * configuration needs only a line in {@link EXIT_CLASS}.
 */

/** What an exit status tells a script. */
export type ExitClass = "config" | "usage" | "busy" | "outside";

/** The exit status of each class; 0 is success. */
export const EXIT_STATUS: Readonly<Record<ExitClass, number>> = {
  /** The configuration or a module is wrong: fix it, then run again. */
  config: 1,
  /** The command line is wrong: an unknown verb or flag, a missing argument. */
  usage: 2,
  /** Another setup-mac holds the workspace lock: wait and run again. */
  busy: 3,
  /** Something outside setup-mac failed: the switch, a process, the registry, a time limit. */
  outside: 4,
};

/**
 * Diagnostic codes whose cause is not the configuration. Every other code is `config` (1): a
 * code that is missing here errs on the side of "look at your configuration".
 */
export const EXIT_CLASS: Readonly<Record<string, ExitClass>> = {
  usage: "usage",
  "host-required": "usage",
  "confirmation-required": "usage",
  "workspace-busy": "busy",
  // apply and rollback: the platform's tools and the machine itself
  "switch-failed": "outside",
  "snapshot-failed": "outside",
  "hook-failed": "outside",
  "health-failed": "outside",
  "restart-failed": "outside",
  // services start/stop/restart: the service manager, or the service itself
  "service-failed": "outside",
  "system-rollback-failed": "outside",
  // programs update: nix
  "nix-missing": "outside",
  "update-failed": "outside",
  // packs: the registry and what it serves
  "pack-fetch": "outside",
  "pack-integrity": "outside",
  "pack-archive": "outside",
  // telemetry export: the collector the user named
  "telemetry-export-failed": "outside",
  // the evaluation isolate: its wall-clock limits (what a module does wrong is `config`)
  "module-timeout": "outside",
  "evaluation-timeout": "outside",
  "module-out-of-memory": "config",
  "module-exit": "config",
  "module-crash": "config",
  "isolate-crash": "config",
  "module-impure-import": "config",
};

/** The class of one diagnostic code. */
export function exitClass(code: string): ExitClass {
  return Object.hasOwn(EXIT_CLASS, code) ? EXIT_CLASS[code]! : "config";
}

/**
 * The exit status for an outcome: 0 without errors; otherwise the class that says most about
 * what to do next. Usage beats everything (the command did not run as meant), then `config`
 * (running again will not help until it is fixed), then `busy`, then `outside` — so 4 means
 * "every error came from outside; the configuration was fine as far as it got".
 */
export function exitStatus(
  diagnostics: Iterable<{ code: string; severity?: "error" | "warning" }>,
): number {
  const classes = new Set<ExitClass>();
  for (const d of diagnostics) if (d.severity !== "warning") classes.add(exitClass(d.code));
  for (const c of ["usage", "config", "busy", "outside"] as const)
    if (classes.has(c)) return EXIT_STATUS[c];
  return 0;
}
