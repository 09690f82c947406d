/**
 * `services`: the services of a host by setup-mac's names (`atuin/daemon`), on whichever
 * service manager the host has — list, status, start, stop, restart (waiting until the service
 * is ready) and logs. Every command goes through the runner, and through `ssh` for a target
 * host, quoted as `apply` quotes its commands. The services are the ones last applied to the
 * host (its newest generation), or the declared ones before the first apply.
 */
import { NodeProcessRunner } from "../adapters/node-runner.js";
import { onTarget } from "../apply/platform.js";
import { probeDeps } from "../apply/runtime.js";
import { lastGeneration } from "../apply/store.js";
import type { HostLock } from "../emit/lock-types.js";
import { diagnostic, SetupMacError, UsageError } from "../errors/index.js";
import { parseConfig } from "../load/config.js";
import { CommandNotFoundError, type ProcessRunner, type RunResult } from "../ports/index.js";
import type { ProbeDeps } from "../probe/health.js";
import { defaultSleep, lastLine, runProbe } from "../probe/health.js";
import {
  findServices,
  logsCommand,
  serviceInventory,
  statusCommand,
  verbCommands,
  type LogOptions,
  type ServiceEntry,
  type ServiceVerb,
} from "../services/inventory.js";
import {
  launchctlNotLoaded,
  launchdState,
  parseLaunchctlPrint,
  parseSystemctlShow,
  systemdState,
  type ServiceState,
} from "../services/parse.js";
import { waitUntilReady, type ReadyResult } from "../services/ready.js";
import { computeBuild } from "./build.js";
import { pickHost } from "./hosts.js";
import type { WorkspaceOptions } from "./workspace.js";

export interface ServicesOptions extends WorkspaceOptions {
  host?: string;
  /** Run the service manager's commands on this machine over SSH (default: the host's `targetHost`). */
  targetHost?: string;
  /** This machine's name as a host of the workspace (`SETUP_MAC_HOST`). */
  localHost?: string;
  hostname?: string;
  runner?: ProcessRunner;
  probeOverrides?: Partial<ProbeDeps>;
}

/** One service with what its service manager says about it. */
export interface ServiceInfo {
  name: string;
  program: string;
  service: string;
  scope: ServiceEntry["scope"];
  /** The platform's name: the systemd unit or the launchd label. */
  unit: string;
  /** systemd: the timer that starts a scheduled service. */
  timer?: string;
  scheduled: boolean;
  logs?: string;
  description: string;
  status: ServiceState;
  /** The service's health probe, asked once when it runs (not over SSH: it probes this machine). */
  health?: { name: string; ok: boolean; detail: string };
}

export interface ServicesResult {
  host: string;
  platform: HostLock["platform"];
  /** Where the service list comes from: the host's newest generation, or the config. */
  source: { generation: number } | { declared: true };
  targetHost?: string;
  services: ServiceInfo[];
  /** Every service that should run does, and every health probe answered. */
  ok: boolean;
}

/** What a start, stop or restart of one service did. */
export interface ServiceActionResult {
  name: string;
  verb: ServiceVerb;
  /** The commands run, as run (with `ssh` for a target host). */
  commands: string[][];
  ok: boolean;
  /** `ready: HTTP 200 from …`, `stopped`, `failed: …`. */
  detail: string;
  /** Waiting for readiness, when it was waited for. */
  ready?: ReadyResult & { probe: string };
  status?: ServiceState;
}

export interface ServiceActionOptions extends ServicesOptions {
  /** Wait for the service to be ready after a start or restart (default true). */
  wait?: boolean;
  /** How long to wait for readiness, in milliseconds (default 30 s). */
  waitTimeoutMs?: number;
}

export interface ServicesActionResult {
  host: string;
  platform: HostLock["platform"];
  targetHost?: string;
  results: ServiceActionResult[];
  ok: boolean;
}

/** The default bound of a readiness wait. */
export const READY_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 60_000;

interface Session {
  host: string;
  lock: HostLock;
  source: ServicesResult["source"];
  entries: ServiceEntry[];
  targetHost?: string;
  runner: ProcessRunner;
  run(argv: string[], extra?: Parameters<ProcessRunner["run"]>[1]): Promise<RunResult>;
  uid(): Promise<number>;
  deps(): ProbeDeps;
}

async function open(verb: string, options: ServicesOptions): Promise<Session> {
  const computed = await computeBuild(options);
  const host = pickHost(Object.keys(computed.lock.hosts), options.host, {
    verb: `services ${verb}`,
    ...(options.localHost ? { localHost: options.localHost } : {}),
    ...(options.hostname ? { hostname: options.hostname } : {}),
  });
  const last = lastGeneration(computed.root, host);
  const applied = last?.lockData.hosts[host];
  const parsed = parseConfig(computed.configText);
  const configured = parsed.ok ? parsed.doc.config.hosts[host]?.targetHost : undefined;
  const targetHost = options.targetHost ?? configured;
  return session({
    host,
    lock: applied ?? computed.lock.hosts[host]!,
    source: last && applied ? { generation: last.record.number } : { declared: true },
    runner: options.runner ?? new NodeProcessRunner(),
    ...(targetHost ? { targetHost } : {}),
    ...(options.probeOverrides ? { probeOverrides: options.probeOverrides } : {}),
  });
}

/** What a session with a host's service manager needs: the host's lock and how to reach it. */
export interface SessionInput {
  host: string;
  lock: HostLock;
  source?: ServicesResult["source"];
  runner: ProcessRunner;
  targetHost?: string;
  probeOverrides?: Partial<ProbeDeps>;
}

function session(input: SessionInput): Session {
  const { host, lock, runner, targetHost } = input;
  const where = targetHost ? `on ${targetHost}` : "on this machine";
  const run = async (argv: string[], extra: Parameters<ProcessRunner["run"]>[1] = {}) => {
    const command = onTarget(argv, targetHost);
    try {
      return await runner.run(command, { timeoutMs: COMMAND_TIMEOUT_MS, ...extra });
    } catch (error) {
      if (error instanceof CommandNotFoundError)
        throw new SetupMacError(
          diagnostic("command-not-found", `\`${error.command}\` is not installed ${where}`, {
            host,
            hint: targetHost
              ? "install it, or check the host's `targetHost`"
              : `run this on ${host} itself, or reach it with \`--target-host user@${host}\``,
          }),
        );
      throw error;
    }
  };
  let uid: number | undefined;
  return {
    host,
    lock,
    source: input.source ?? { declared: true },
    entries: serviceInventory(lock),
    ...(targetHost ? { targetHost } : {}),
    runner,
    run,
    // launchd's gui/<uid> domain is the host user's, whoever runs setup-mac (sudo included).
    async uid() {
      if (uid !== undefined) return uid;
      const r = await run(["id", "-u", lock.user]);
      const n = Number(r.stdout.trim());
      if (r.exitCode !== 0 || r.stdout.trim() === "" || !Number.isInteger(n)) {
        throw new SetupMacError(
          diagnostic(
            "unknown-user",
            `cannot find the uid of ${lock.user} ${where}: \`id -u ${lock.user}\` said ${JSON.stringify(lastLine(r.stderr) || r.stdout.trim())}`,
            {
              host,
              hint: "set the host's `user` in setup-mac.jsonc to the account that runs its agents",
            },
          ),
        );
      }
      return (uid = n);
    },
    deps: () => probeDeps(lock, runner, input.probeOverrides),
  };
}

/**
 * Restarts exactly the named services of a lock (`apply` after a switch) and waits until each
 * is ready, as `services restart` does.
 */
export async function restartServices(
  names: string[],
  input: SessionInput & Pick<ServiceActionOptions, "wait" | "waitTimeoutMs">,
): Promise<ServiceActionResult[]> {
  const s = session(input);
  const entries = s.entries.filter((e) => names.includes(e.name));
  return runVerb(s, "restart", entries, input);
}

/** Asks the service manager for one service's state (never throws for a manager's refusal). */
async function queryState(s: Session, entry: ServiceEntry): Promise<ServiceState> {
  const uid = entry.platform === "darwin" ? await s.uid() : 0;
  const argv = statusCommand(entry, uid);
  const r = await s.run(argv);
  if (entry.platform === "nixos") {
    if (r.exitCode !== 0)
      return {
        state: "unknown",
        detail: `\`${argv.slice(0, 3).join(" ")}\` exited ${String(r.exitCode)}: ${lastLine(r.stderr) ?? ""}`,
      };
    const [service, timer] = parseSystemctlShow(r.stdout);
    return systemdState(service, entry.timer ? timer : undefined);
  }
  if (r.exitCode !== 0) {
    if (launchctlNotLoaded(r.exitCode, r.stderr))
      return { state: "not loaded", detail: `not loaded in ${argv[2]!.replace(/\/[^/]*$/, "")}` };
    return {
      state: "unknown",
      detail: `\`launchctl print\` exited ${String(r.exitCode)}: ${lastLine(r.stderr) ?? ""}`,
    };
  }
  return launchdState(parseLaunchctlPrint(r.stdout), entry.scheduled);
}

function info(entry: ServiceEntry, status: ServiceState): ServiceInfo {
  return {
    name: entry.name,
    program: entry.program,
    service: entry.service,
    scope: entry.scope,
    unit: entry.unitName,
    ...(entry.timer ? { timer: entry.timer } : {}),
    scheduled: entry.scheduled,
    ...(entry.logs !== undefined ? { logs: entry.logs } : {}),
    description: entry.description,
    status,
  };
}

/** Running, or idle on its schedule: what a service should be once applied. */
function settled(entry: ServiceEntry, status: ServiceState): boolean {
  if (entry.scheduled) return status.state === "waiting" || status.state === "running";
  return status.state === "running";
}

/**
 * Every service of the host (or the ones `refs` name: `program/service`, or `program` for all of
 * its services), with its state, PID, since when, last exit, restarts and health.
 */
export async function listServices(
  options: ServicesOptions & { refs?: string[] } = {},
): Promise<ServicesResult> {
  const s = await open(options.refs?.length ? "status" : "list", options);
  const entries = select(s, options.refs);
  const deps = s.targetHost ? undefined : s.deps();
  const services: ServiceInfo[] = [];
  for (const entry of entries) {
    const row = info(entry, await queryState(s, entry));
    if (deps && entry.health && row.status.state === "running") {
      const r = await runProbe({ ...entry.health, retries: 0 }, deps);
      row.health = { name: r.name, ok: r.ok, detail: r.detail };
    }
    services.push(row);
  }
  return {
    host: s.host,
    platform: s.lock.platform,
    source: s.source,
    ...(s.targetHost ? { targetHost: s.targetHost } : {}),
    services,
    ok: entries.every(
      (e, i) => settled(e, services[i]!.status) && services[i]!.health?.ok !== false,
    ),
  };
}

function select(s: Session, refs: string[] | undefined): ServiceEntry[] {
  if (!refs?.length) return s.entries;
  const out: ServiceEntry[] = [];
  for (const ref of refs)
    for (const e of findServices(s.entries, ref, s.host)) if (!out.includes(e)) out.push(e);
  return out;
}

/**
 * Waits until a started service is ready: its health probe answers (on this machine), else its
 * service manager says it runs. A unit that failed or a job that is not loaded ends the wait.
 */
async function awaitReady(
  s: Session,
  entry: ServiceEntry,
  timeoutMs: number,
  deps: ProbeDeps | undefined,
): Promise<ReadyResult & { probe: string }> {
  const clock = deps?.clock ?? { now: () => new Date() };
  const sleep = deps?.sleep ?? defaultSleep;
  const probe = deps && entry.health ? entry.health : undefined;
  const result = await waitUntilReady(
    async (remaining) => {
      const status = await queryState(s, entry);
      if (status.state === "failed" || status.state === "not loaded" || status.state === "unknown")
        return { ok: false, detail: `${status.state}: ${status.detail}`, final: true };
      if (status.state !== "running") return { ok: false, detail: status.detail };
      if (!probe) return { ok: true, detail: status.detail };
      const r = await runProbe(
        { ...probe, retries: 0, timeout: Math.min(probe.timeout, remaining) },
        deps!,
      );
      return { ok: r.ok, detail: r.detail };
    },
    { timeoutMs, clock, sleep },
  );
  return { ...result, probe: probe?.name ?? `${entry.unitName} running` };
}

/**
 * Starts, stops or restarts services, and after a start or restart waits (bounded) until each
 * is ready. systemd units are asked directly; launchd jobs are bootstrapped from their plist
 * when not loaded, kickstarted when they are, and booted out to stop.
 */
export async function controlServices(
  verb: ServiceVerb,
  refs: string[],
  options: ServiceActionOptions = {},
): Promise<ServicesActionResult> {
  if (!refs.length)
    throw new UsageError(
      `services ${verb} needs a service`,
      `name one, e.g. \`setup-mac services ${verb} atuin/daemon\` (\`setup-mac services list\` shows them)`,
    );
  const s = await open(verb, options);
  const entries = select(s, refs);
  const results = await runVerb(s, verb, entries, options);
  return {
    host: s.host,
    platform: s.lock.platform,
    ...(s.targetHost ? { targetHost: s.targetHost } : {}),
    results,
    ok: results.every((r) => r.ok),
  };
}

async function runVerb(
  s: Session,
  verb: ServiceVerb,
  entries: ServiceEntry[],
  options: Pick<ServiceActionOptions, "wait" | "waitTimeoutMs" | "probeOverrides">,
): Promise<ServiceActionResult[]> {
  const timeoutMs = options.waitTimeoutMs ?? READY_TIMEOUT_MS;
  // Health probes ask this machine: over SSH only the service manager can say "running".
  const deps = s.targetHost ? undefined : s.deps();
  const results: ServiceActionResult[] = [];
  for (const entry of entries) {
    const darwin = entry.platform === "darwin";
    const uid = darwin ? await s.uid() : 0;
    const loaded = darwin ? (await queryState(s, entry)).state !== "not loaded" : true;
    const commands = verbCommands(entry, verb, { uid, loaded });
    const ran: string[][] = [];
    let failure: string | undefined;
    for (const argv of commands) {
      ran.push(onTarget(argv, s.targetHost));
      const r = await s.run(argv);
      if (r.exitCode !== 0) {
        failure = `\`${argv.join(" ")}\` ${r.timedOut ? "timed out" : `exited ${String(r.exitCode)}`}${lastLine(r.stderr) ? `: ${lastLine(r.stderr)}` : ""}`;
        break;
      }
    }
    const result: ServiceActionResult = {
      name: entry.name,
      verb,
      commands: ran,
      ok: !failure,
      detail: "",
    };
    if (failure) {
      result.detail = failure;
      const status = await queryState(s, entry);
      result.status = status;
    } else if (verb === "stop") {
      result.status = await queryState(s, entry);
      result.detail = commands.length ? result.status.state : "was not loaded";
    } else if (entry.scheduled) {
      // A scheduled job runs and exits: started is all there is to wait for.
      result.detail = "started its job now (it also runs on its schedule)";
      result.status = await queryState(s, entry);
    } else if (options.wait === false) {
      result.detail = `${verb === "start" ? "started" : "restarted"} (not waiting for readiness)`;
    } else {
      const ready = await awaitReady(s, entry, timeoutMs, deps);
      result.ready = ready;
      result.ok = ready.ok;
      result.detail = ready.ok
        ? `ready after ${(ready.waitedMs / 1000).toFixed(1)} s: ${ready.detail}`
        : ready.timedOut
          ? `not ready within ${Math.round(timeoutMs / 1000)} s (${ready.probe}): ${ready.detail}`
          : `did not start: ${ready.detail}`;
    }
    results.push(result);
  }
  return results;
}

/**
 * A service's output: its log file (`tail`) when it names one, else systemd's journal. With
 * `follow`, runs until `signal` aborts it. Output is streamed to `onOutput`.
 */
export async function serviceLogs(
  ref: string,
  options: ServicesOptions &
    LogOptions & {
      onOutput?: (chunk: string) => void;
      signal?: AbortSignal;
    } = {},
): Promise<{ host: string; name: string; command: string[]; source: string }> {
  const s = await open("logs", options);
  const entries = findServices(s.entries, ref, s.host);
  if (entries.length > 1)
    throw new UsageError(
      `${ref} has ${entries.length} services: ${entries.map((e) => e.name).join(", ")}`,
      `name one, e.g. \`setup-mac services logs ${entries[0]!.name}\``,
    );
  const entry = entries[0]!;
  const argv = logsCommand(entry, options);
  const r = await s.run(argv, {
    ...(options.follow ? { timeoutMs: undefined } : {}),
    ...(options.onOutput ? { onOutput: (chunk: string) => options.onOutput!(chunk) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (r.exitCode !== 0 && !r.cancelled) {
    const said = lastLine(r.stderr);
    throw new SetupMacError(
      diagnostic(
        "logs-failed",
        `\`${argv.join(" ")}\` exited ${String(r.exitCode)}${said ? `: ${said}` : ""}`,
        {
          host: s.host,
          hint:
            entry.logs !== undefined
              ? `${entry.name} has not written ${entry.logs} yet: start it with \`setup-mac services start ${entry.name}\``
              : `is ${entry.name} applied? \`setup-mac services status ${entry.name}\` says what the service manager knows`,
        },
      ),
    );
  }
  return {
    host: s.host,
    name: entry.name,
    command: onTarget(argv, s.targetHost),
    source: entry.logs ?? (entry.scope === "user" ? "the user journal" : "the journal"),
  };
}
