/**
 * Reading the service managers' answers (pure): `systemctl show`'s `Key=value` blocks and
 * `launchctl print`'s nested `key = value` dump, into one state model.
 */

/** A service's state, the same words on both platforms. */
export type ServiceStateName =
  | "running"
  | "starting"
  | "stopping"
  | "stopped"
  | "failed"
  | "waiting"
  | "not loaded"
  /** The service manager could not be asked (no user bus, no permission, no such command). */
  | "unknown";

export interface ServiceState {
  state: ServiceStateName;
  /** Starts at boot or login (systemd: UnitFileState enabled; launchd: loaded). */
  enabled?: boolean;
  pid?: number;
  /** When it entered its current state, as the manager printed it. */
  since?: string;
  /** The last exit status (or `signal N`) of its main process. */
  lastExit?: string;
  restarts?: number;
  /** The manager's own words: `active (running)`, `spawn scheduled`. */
  detail: string;
}

/** `systemctl show` prints one `Key=value` block per unit, blocks separated by an empty line. */
export function parseSystemctlShow(text: string): Record<string, string>[] {
  const blocks: Record<string, string>[] = [];
  let current: Record<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") {
      current = undefined;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    if (!current) blocks.push((current = {}));
    current[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return blocks;
}

const EMPTY_TIME = new Set(["", "n/a", "0"]);

/**
 * The state of a systemd service from its `show` block (and its timer's, for a scheduled one):
 * a unit that does not exist is `not loaded`; a scheduled service idle between runs is
 * `waiting` while its timer is active.
 */
export function systemdState(
  service: Record<string, string> | undefined,
  timer?: Record<string, string>,
): ServiceState {
  if (!service || service.LoadState === "not-found" || service.LoadState === undefined) {
    return { state: "not loaded", detail: `not loaded (${service?.LoadState ?? "no answer"})` };
  }
  const active = service.ActiveState ?? "unknown";
  const sub = service.SubState ?? "";
  const pid = Number(service.MainPID ?? "0");
  const restarts = service.NRestarts === undefined ? undefined : Number(service.NRestarts);
  const code = service.ExecMainCode ?? "0";
  const status = service.ExecMainStatus ?? "0";
  // ExecMainCode is a CLD_* value: 1 exited (status is the exit code), 2 killed, 3 dumped core.
  const lastExit = code === "0" ? undefined : code === "1" ? status : `signal ${status}`;
  let state: ServiceStateName;
  if (active === "active" || active === "reloading") state = "running";
  else if (active === "activating") state = "starting";
  else if (active === "deactivating") state = "stopping";
  else if (active === "failed") state = "failed";
  else state = "stopped";
  const timerActive = timer?.ActiveState === "active";
  if (timer && state === "stopped" && timerActive) state = "waiting";
  const enabledFrom = timer ?? service;
  const since =
    state === "running" || state === "starting"
      ? service.ActiveEnterTimestamp
      : service.InactiveEnterTimestamp;
  const unitFile = enabledFrom.UnitFileState;
  return {
    state,
    ...(unitFile !== undefined && unitFile !== ""
      ? {
          enabled:
            unitFile === "enabled" || unitFile === "enabled-runtime" || unitFile === "linked",
        }
      : {}),
    ...(pid > 0 ? { pid } : {}),
    ...(since !== undefined && !EMPTY_TIME.has(since) ? { since } : {}),
    ...(lastExit !== undefined ? { lastExit } : {}),
    ...(restarts !== undefined && Number.isFinite(restarts) ? { restarts } : {}),
    detail:
      `${active}${sub ? ` (${sub})` : ""}` +
      (timer ? `; timer ${timer.ActiveState ?? "unknown"}` : "") +
      (service.Result && service.Result !== "success" ? `; result ${service.Result}` : ""),
  };
}

/** The top-level `key = value` pairs of a `launchctl print` dump (nested blocks are skipped). */
export function parseLaunchctlPrint(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let depth = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (line === "}") {
      depth = Math.max(0, depth - 1);
      continue;
    }
    const match = /^(.+?) = (.*)$/.exec(line);
    const opens = line.endsWith("{");
    if (match && depth === 1 && !opens) out[match[1]!] = match[2]!;
    if (opens) depth++;
  }
  return out;
}

/** `launchctl print` could not find the job: it is not loaded in that domain. */
export function launchctlNotLoaded(exitCode: number | null, stderr: string): boolean {
  // 113 is launchctl's "Could not find service … in domain"; older releases print it with 3.
  return exitCode === 113 || /could not find service/i.test(stderr);
}

/**
 * The state of a launchd job from its `print` dump. A loaded job that is not running is
 * `failed` when its last exit was not clean, `waiting` when it is scheduled, else `stopped`.
 */
export function launchdState(fields: Record<string, string>, scheduled: boolean): ServiceState {
  const raw = fields.state ?? "unknown";
  const pid = fields.pid === undefined ? undefined : Number(fields.pid);
  const runs = fields.runs === undefined ? undefined : Number(fields.runs);
  const exit = fields["last exit code"];
  const signal = fields["last terminating signal"];
  const lastExit =
    signal !== undefined
      ? `signal ${signal}`
      : exit !== undefined && !exit.startsWith("(")
        ? exit
        : undefined;
  const cleanExit = lastExit === undefined || lastExit === "0";
  let state: ServiceStateName;
  if (raw === "running") state = "running";
  else if (raw === "spawn scheduled" || raw === "xpcproxy") state = "starting";
  else if (!cleanExit) state = "failed";
  else if (scheduled) state = "waiting";
  else state = "stopped";
  return {
    state,
    enabled: true,
    ...(pid !== undefined && Number.isFinite(pid) && pid > 0 ? { pid } : {}),
    ...(lastExit !== undefined ? { lastExit } : {}),
    ...(runs !== undefined && Number.isFinite(runs) && runs > 0 ? { restarts: runs - 1 } : {}),
    detail: raw + (lastExit !== undefined ? `; last exit ${lastExit}` : ""),
  };
}
