/**
 * The services of a host and the service manager's commands for them (pure). Names are
 * setup-mac's (`atuin/daemon`); the platform's names come from the lock, where the evaluation
 * put them (`setup-mac-<program>-<service>`, `org.setup-mac.<program>.<service>`), so every verb
 * and the Nix adapters agree on them.
 */
import type { Platform } from "../define/types.js";
import type { HostLock, ProbeLock, ServiceLock } from "../emit/lock-types.js";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";

/** One service of one program on one host. */
export interface ServiceEntry {
  /** `atuin/daemon`: how every verb names it. */
  name: string;
  program: string;
  service: string;
  platform: Platform;
  scope: ServiceLock["scope"];
  /** The lock level it was declared at: home-level services are home-manager's. */
  level: "system" | "home";
  /** The unit (`setup-mac-atuin-daemon.service`) on NixOS, the label on darwin. */
  unitName: string;
  /** systemd: the `.service` unit. */
  unit: string;
  /** systemd: the `.timer` of a scheduled service. */
  timer?: string;
  /** launchd label. */
  label: string;
  /** launchd: where the platform puts the plist (`bootstrap` needs it). */
  plist: string;
  scheduled: boolean;
  /** The file stdout and stderr are appended to, when the service names one. */
  logs?: string;
  health?: ProbeLock;
  description: string;
}

/**
 * Every service of a host in its program order (the lock's `order`), system level first. The
 * plist paths are where they are installed: daemons in `/Library/LaunchDaemons` (nix-darwin's
 * `launchd.daemons`), agents in the user's `~/Library/LaunchAgents` — nix-darwin copies its
 * `launchd.user.agents` there for the primary user, and home-manager links `launchd.agents` there.
 */
export function serviceInventory(host: HostLock): ServiceEntry[] {
  const out: ServiceEntry[] = [];
  for (const program of host.order) {
    const p = host.programs[program];
    if (!p) continue;
    for (const level of ["system", "home"] as const) {
      const services = p[level]?.services ?? {};
      for (const service of Object.keys(services).sort()) {
        const svc = services[service]!;
        const scheduled = svc.schedule !== undefined;
        const folder =
          svc.scope === "system" ? "/Library/LaunchDaemons" : `${host.home}/Library/LaunchAgents`;
        out.push({
          name: `${program}/${service}`,
          program,
          service,
          platform: host.platform,
          scope: svc.scope,
          level,
          unitName: host.platform === "nixos" ? `${svc.unit}.service` : svc.label,
          unit: `${svc.unit}.service`,
          ...(scheduled ? { timer: `${svc.unit}.timer` } : {}),
          label: svc.label,
          plist: `${folder}/${svc.label}.plist`,
          scheduled,
          ...(svc.logs !== undefined ? { logs: svc.logs } : {}),
          ...(svc.health !== undefined ? { health: svc.health } : {}),
          description: svc.description,
        });
      }
    }
  }
  return out;
}

/**
 * The services a reference names: `program/service` one, `program` all of that program's. An
 * unknown name is a usage error with the closest known name and the way to list them.
 */
export function findServices(
  entries: readonly ServiceEntry[],
  ref: string,
  host: string,
): ServiceEntry[] {
  const exact = entries.filter((e) => e.name === ref);
  if (exact.length) return exact;
  if (!ref.includes("/")) {
    const ofProgram = entries.filter((e) => e.program === ref);
    if (ofProgram.length) return ofProgram;
  }
  const candidates = [
    ...new Set([...entries.map((e) => e.name), ...entries.map((e) => e.program)]),
  ];
  const suggestion = didYouMean(ref, candidates);
  throw new SetupMacError(
    diagnostic("unknown-service", `host ${host} has no service \`${ref}\``, {
      hint: suggestion
        ? `did you mean \`${suggestion}\`? (\`setup-mac services list\` shows them all)`
        : entries.length
          ? `its services: ${entries.map((e) => e.name).join(", ")}`
          : `no program enabled on ${host} declares a service`,
    }),
    2,
  );
}

/** What the service manager is asked to do. */
export type ServiceVerb = "start" | "stop" | "restart";

/** Where a launchd job lives: `gui/<uid>` for agents, `system` for daemons. */
export function launchdDomain(entry: Pick<ServiceEntry, "scope">, uid: number): string {
  return entry.scope === "user" ? `gui/${uid}` : "system";
}

function systemctl(entry: ServiceEntry): string[] {
  return entry.scope === "user" ? ["systemctl", "--user"] : ["systemctl"];
}

/** The properties `systemctl show` is asked for (see {@link parseSystemctlShow}). */
export const SHOW_PROPERTIES = [
  "Id",
  "LoadState",
  "ActiveState",
  "SubState",
  "UnitFileState",
  "MainPID",
  "ActiveEnterTimestamp",
  "InactiveEnterTimestamp",
  "ExecMainStatus",
  "ExecMainCode",
  "NRestarts",
  "Result",
] as const;

/**
 * The command that reports a service's state: `systemctl [--user] show` for the unit (and its
 * timer), `launchctl print <domain>/<label>`.
 */
export function statusCommand(entry: ServiceEntry, uid: number): string[] {
  if (entry.platform === "nixos") {
    return [
      ...systemctl(entry),
      "show",
      `--property=${SHOW_PROPERTIES.join(",")}`,
      entry.unit,
      ...(entry.timer ? [entry.timer] : []),
    ];
  }
  return ["launchctl", "print", `${launchdDomain(entry, uid)}/${entry.label}`];
}

/**
 * The commands of a verb, run in order. systemd's verbs act on the unit directly. launchd's
 * depend on whether the job is loaded: `stop` unloads it (`bootout`; a KeepAlive job would
 * otherwise be started again at once), so `start` loads it from its plist (`bootstrap`, which
 * starts a RunAtLoad job) when it is not loaded and `kickstart`s it when it is; `restart` is
 * `kickstart -k` (kill, then start) on a loaded job and the same as `start` otherwise.
 */
export function verbCommands(
  entry: ServiceEntry,
  verb: ServiceVerb,
  options: { uid: number; loaded: boolean },
): string[][] {
  if (entry.platform === "nixos") return [[...systemctl(entry), verb, entry.unit]];
  const domain = launchdDomain(entry, options.uid);
  const target = `${domain}/${entry.label}`;
  if (verb === "stop") return options.loaded ? [["launchctl", "bootout", target]] : [];
  if (!options.loaded) return [["launchctl", "bootstrap", domain, entry.plist]];
  return verb === "restart"
    ? [["launchctl", "kickstart", "-k", target]]
    : [["launchctl", "kickstart", target]];
}

/** How many lines, and whether to follow. */
export interface LogOptions {
  lines?: number;
  follow?: boolean;
}

/** A service that has nowhere to read its logs from. */
export class NoLogsError extends SetupMacError {}

/**
 * The command that shows a service's output. A service with `logs:` appends to that file on
 * both platforms (systemd's `StandardOutput=append:`, launchd's StandardOutPath and
 * StandardErrorPath), so the file is read with `tail`; otherwise systemd's journal has it
 * (`journalctl -u`, or `--user-unit` for a user service). launchd keeps no output of a job that
 * names no file, which the error says with the fix.
 */
export function logsCommand(entry: ServiceEntry, options: LogOptions = {}): string[] {
  const lines = String(options.lines ?? 50);
  if (entry.logs !== undefined) {
    return ["tail", "-n", lines, ...(options.follow ? ["-F"] : []), entry.logs];
  }
  if (entry.platform === "nixos") {
    return [
      "journalctl",
      entry.scope === "user" ? "--user-unit" : "-u",
      entry.unit,
      "-n",
      lines,
      ...(options.follow ? ["-f"] : []),
      "--no-pager",
    ];
  }
  throw new NoLogsError(
    diagnostic(
      "no-service-logs",
      `${entry.name} writes no log file, and launchd keeps no output of a job without one`,
      {
        hint: `give the service a log file in its module (\`logs: "~/Library/Logs/${entry.program}.log"\`), apply, then run \`setup-mac services logs ${entry.name}\` again`,
      },
    ),
  );
}
