/**
 * `programs status`: declared (the config, evaluated now) vs applied (the host's last
 * generation) vs live (this machine: managed files by content, services running, binaries on
 * PATH, health checks). Live checks run only on the host itself (or when forced), and the
 * result says when they were skipped and why. How drift is decided: docs/decisions/0009.
 */
import { accessSync, constants } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { nodeFileSystem } from "../adapters/node-fs.js";
import { NodeProcessRunner } from "../adapters/node-runner.js";
import type { ItemChanges } from "../apply/changes.js";
import { hostChanges } from "../apply/changes.js";
import { binResolver, hostProbes, probeDeps } from "../apply/runtime.js";
import { lastGeneration } from "../apply/store.js";
import type { ArgLock, HostLock, ProbeLock, ProgramLock } from "../emit/lock-types.js";
import type { FileSystem, ProcessRunner } from "../ports/index.js";
import { fileDrift } from "../probe/drift.js";
import type { ProbeDeps, ServiceTarget } from "../probe/health.js";
import { runProbes } from "../probe/health.js";
import { findExecutable, localName } from "../probe/local.js";
import { pickHost } from "./hosts.js";
import { computeBuild } from "./build.js";
import type { WorkspaceOptions } from "./workspace.js";

export interface StatusOptions extends WorkspaceOptions {
  host?: string;
  /** Run the live checks even when the host does not look like this machine. */
  live?: boolean;
  /** This machine's name as a host of the workspace (`SETUP_MAC_HOST`), beating its host name. */
  localHost?: string;
  /** This machine's host name (default: the system's). */
  hostname?: string;
  /** The home folder `~/` files are looked for in (default: the lock's `home`; `SETUP_MAC_HOME`). */
  home?: string;
  /** Where `/etc` files are looked for (default `/etc`). */
  etcDir?: string;
  /** The `PATH` binaries are looked up on (default: this process's). */
  path?: string;
  runner?: ProcessRunner;
  files?: Pick<FileSystem, "readText">;
  isExecutable?: (file: string) => boolean;
  probeOverrides?: Partial<ProbeDeps>;
}

/** How a program's declared state compares with what was last applied. */
export type ConfigState = "in-sync" | "changed" | "not-applied" | "removed";

/** One live check of one thing a program put on the machine. */
export interface Finding {
  kind: "file" | "service" | "binary" | "health";
  /** `~/.config/git/config`, `/etc/x`, a unit or label, a binary name, a check's name. */
  target: string;
  ok: boolean;
  /** `in sync`, `missing`, `edited by hand`, `drifted`, `running`, `not running`, `present`, `not found`, `healthy`, `unhealthy`. */
  state: string;
  detail?: string;
  /** Health checks: how many attempts were made and how long they took in all. */
  attempts?: number;
  durationMs?: number;
}

export interface ProgramStatus {
  name: string;
  config: ConfigState;
  /** For `changed`: what differs between the applied and the declared plan, per aspect. */
  changes?: Record<string, ItemChanges>;
  /** Live checks; empty when they were skipped or the program is not on the machine. */
  findings: Finding[];
}

export interface StatusResult {
  host: string;
  platform: HostLock["platform"];
  declared: { inputsHash: string };
  applied?: { generation: number; time: string; inputsHash: string };
  live: {
    ran: boolean;
    /** What this machine calls itself. */
    machine: string;
    /** Why the live checks did not run, or what they were compared with. */
    note?: string;
    home?: string;
  };
  programs: ProgramStatus[];
  summary: {
    inSync: number;
    changed: number;
    notApplied: number;
    removed: number;
    /** Findings that are not ok, by kind. */
    problems: Record<Finding["kind"], number>;
  };
  /** Everything declared is applied and every live check passed. */
  ok: boolean;
}

const SERVICE_TIMEOUT_MS = 5000;

function nodeIsExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function levels(p: ProgramLock) {
  return [
    { level: "system" as const, lock: p.system },
    { level: "home" as const, lock: p.home },
  ];
}

/** Every `{ bin, pkg }` a program's services, hooks and health checks run, and its wrappers. */
function binariesOf(p: ProgramLock): ArgLock[] {
  const out: ArgLock[] = [];
  const add = (argv: ArgLock[]) => {
    for (const a of argv) if (typeof a !== "string") out.push(a);
  };
  for (const { lock } of levels(p)) {
    for (const svc of Object.values(lock?.services ?? {})) add(svc.command);
    for (const list of Object.values(lock?.hooks ?? {})) for (const argv of list ?? []) add(argv);
    for (const w of Object.values(lock?.wrappers ?? {}))
      out.push({ bin: w.binary, pkg: w.package });
  }
  for (const h of p.health ?? []) if ("command" in h) add(h.command);
  const seen = new Set<string>();
  return out.filter((a) => {
    const key = typeof a === "string" ? a : a.bin;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function readOrMissing(
  files: Pick<FileSystem, "readText">,
  path: string,
): Promise<string | undefined> {
  try {
    return await files.readText(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function fileFindings(
  p: ProgramLock,
  home: string,
  etcDir: string,
  files: Pick<FileSystem, "readText">,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const { level, lock } of levels(p)) {
    for (const [key, file] of Object.entries(lock?.files ?? {})) {
      const shown = level === "home" ? `~/${key}` : `/etc/${key}`;
      const path = level === "home" ? join(home, key) : join(etcDir, key);
      let live: string | undefined;
      try {
        live = await readOrMissing(files, path);
      } catch (error) {
        out.push({
          kind: "file",
          target: shown,
          ok: false,
          state: "unreadable",
          detail: (error as Error).message,
        });
        continue;
      }
      const drift = fileDrift(file, live);
      const state =
        drift.state === "ok"
          ? "in sync"
          : drift.state === "edited"
            ? "edited by hand"
            : drift.state;
      out.push({
        kind: "file",
        target: shown,
        ok: drift.state === "ok",
        state,
        ...("detail" in drift ? { detail: drift.detail } : {}),
      });
    }
  }
  return out;
}

interface ServiceCheck {
  program: string;
  target: string;
  probe: ProbeLock;
  service?: ServiceTarget;
}

/**
 * The service checks of a program: a long-running service must be running; a scheduled one is
 * idle between runs, so its timer must be active (systemd) or its job loaded (launchd).
 */
function serviceChecks(
  name: string,
  p: ProgramLock,
  platform: HostLock["platform"],
  uid: number | undefined,
): ServiceCheck[] {
  const out: ServiceCheck[] = [];
  for (const { lock } of levels(p)) {
    for (const svc of Object.values(lock?.services ?? {})) {
      const base = { timeout: SERVICE_TIMEOUT_MS, retries: 0 };
      if (platform === "nixos") {
        const unit = svc.schedule ? `${svc.unit}.timer` : svc.unit;
        out.push({
          program: name,
          target: unit,
          probe: { ...base, name: unit, service: unit },
          service: { unit, label: svc.label, scope: svc.scope },
        });
      } else if (svc.schedule) {
        const domain = svc.scope === "user" ? `gui/${uid ?? "?"}` : "system";
        out.push({
          program: name,
          target: svc.label,
          probe: {
            ...base,
            name: svc.label,
            command: ["launchctl", "print", `${domain}/${svc.label}`],
          },
        });
      } else {
        out.push({
          program: name,
          target: svc.label,
          probe: { ...base, name: svc.label, service: svc.label },
          service: { unit: svc.unit, label: svc.label, scope: svc.scope },
        });
      }
    }
  }
  return out;
}

/** Compares declared, applied and live state of one host. */
export async function status(options: StatusOptions = {}): Promise<StatusResult> {
  const computed = await computeBuild(options);
  const host = pickHost(Object.keys(computed.lock.hosts), options.host, {
    verb: "programs status",
    ...(options.localHost ? { localHost: options.localHost } : {}),
    ...(options.hostname ? { hostname: options.hostname } : {}),
  });
  const declared = computed.lock.hosts[host]!;
  const last = lastGeneration(computed.root, host);
  const applied = last?.lockData.hosts[host];

  const programs: ProgramStatus[] = configStates(host, applied, declared).map((p) => ({
    ...p,
    findings: [],
  }));

  // The same name pickHost chose by, so "this machine" means one thing throughout.
  const machine = localName({
    hostname: options.hostname ?? osHostname(),
    override: options.localHost ?? process.env.SETUP_MAC_HOST,
  });
  const local = machine === host;
  // The machine has what was applied; before any apply, compare with the declared plan (it may
  // have been switched by hand).
  const liveLock = applied ?? declared;
  const live: StatusResult["live"] = { ran: false, machine };
  if (!local && !options.live) {
    live.note = `live checks skipped: this machine is ${machine}, not ${host}; run status on ${host}, or pass --live to check this machine anyway`;
  } else {
    live.ran = true;
    const home = options.home ?? liveLock.home;
    live.home = home;
    if (!applied)
      live.note =
        "nothing applied yet: the live checks compare this machine with the declared config";
    const runner = options.runner ?? new NodeProcessRunner();
    const files = options.files ?? nodeFileSystem;
    const isExecutable = options.isExecutable ?? nodeIsExecutable;
    const path = options.path ?? process.env.PATH ?? "";
    const resolveBin = binResolver({ user: liveLock.user, home }, isExecutable);
    const deps = probeDeps(liveLock, runner, {
      resolveArg: (a) => {
        const resolved = resolveBin(a);
        return resolved.includes("/")
          ? resolved
          : (findExecutable(resolved, path, isExecutable) ?? resolved);
      },
      ...options.probeOverrides,
    });

    const byName = new Map(programs.map((p) => [p.name, p]));
    const checked = liveLock.order.filter((n) => liveLock.programs[n] && byName.has(n));
    const services: ServiceCheck[] = [];
    for (const name of checked) {
      const p = liveLock.programs[name]!;
      const status = byName.get(name)!;
      status.findings.push(...(await fileFindings(p, home, options.etcDir ?? "/etc", files)));
      services.push(...serviceChecks(name, p, liveLock.platform, deps.uid));
      for (const arg of binariesOf(p)) {
        const bin = typeof arg === "string" ? arg : arg.bin;
        const resolved = resolveBin(arg);
        const found = resolved.includes("/") ? resolved : findExecutable(bin, path, isExecutable);
        status.findings.push({
          kind: "binary",
          target: bin,
          ok: Boolean(found),
          state: found ? "present" : "not found",
          ...(found
            ? { detail: found }
            : {
                detail: `${bin} (from ${typeof arg === "string" ? bin : arg.pkg}) is not on PATH or in a Nix profile`,
              }),
        });
      }
    }

    const serviceTargets = new Map(
      services.filter((s) => s.service).map((s) => [s.target, s.service!]),
    );
    const serviceResults = await runProbes(
      services.map((s) => s.probe),
      { ...deps, resolveService: (n) => serviceTargets.get(n) ?? deps.resolveService?.(n) },
    );
    services.forEach((s, i) => {
      const r = serviceResults[i]!;
      const scheduled = "command" in s.probe;
      byName.get(s.program)!.findings.push({
        kind: "service",
        target: s.target,
        ok: r.ok,
        state: r.ok ? (scheduled ? "loaded" : "running") : scheduled ? "not loaded" : "not running",
        detail: scheduled
          ? r.ok
            ? `launchd job ${s.target} is loaded (it runs on its schedule)`
            : `launchd job ${s.target} is not loaded`
          : r.detail,
      });
    });

    const probes = hostProbes(liveLock).filter((p) => checked.includes(p.program));
    const health = await runProbes(
      probes.map((p) => p.probe),
      deps,
    );
    probes.forEach((p, i) => {
      const r = health[i]!;
      byName.get(p.program)!.findings.push({
        kind: "health",
        target: r.name,
        ok: r.ok,
        state: r.ok ? "healthy" : "unhealthy",
        detail: r.detail,
        attempts: r.attempts,
        durationMs: r.durationMs,
      });
    });
  }

  const problems: StatusResult["summary"]["problems"] = {
    file: 0,
    service: 0,
    binary: 0,
    health: 0,
  };
  for (const p of programs) for (const f of p.findings) if (!f.ok) problems[f.kind]++;
  const count = (state: ConfigState) => programs.filter((p) => p.config === state).length;
  const summary = {
    inSync: count("in-sync"),
    changed: count("changed"),
    notApplied: count("not-applied"),
    removed: count("removed"),
    problems,
  };
  return {
    host,
    platform: declared.platform,
    declared: { inputsHash: computed.lock.inputsHash },
    ...(last
      ? {
          applied: {
            generation: last.record.number,
            time: last.record.time,
            inputsHash: last.record.inputsHash,
          },
        }
      : {}),
    live,
    programs,
    summary,
    ok: summary.inSync === programs.length && Object.values(problems).every((n) => n === 0),
  };
}

/** One host in `programs status --all-hosts`: the config against its last generation. */
export interface HostOverview {
  host: string;
  platform: HostLock["platform"];
  /** This machine is the host (live checks would run here). */
  local: boolean;
  applied?: { generation: number; time: string };
  inSync: number;
  changed: number;
  notApplied: number;
  removed: number;
  /** Everything declared is applied. */
  ok: boolean;
}

/**
 * Every host at a glance: what is declared against what was last applied there. No live checks:
 * they only make sense on the host itself (`programs status` there).
 */
export async function statusAll(
  options: Pick<StatusOptions, "workspace" | "cacheDir" | "localHost" | "hostname"> = {},
): Promise<{ hosts: HostOverview[]; ok: boolean }> {
  const computed = await computeBuild(options);
  const machine = localName({
    hostname: options.hostname ?? osHostname(),
    override: options.localHost ?? process.env.SETUP_MAC_HOST,
  });
  const hosts = Object.keys(computed.lock.hosts)
    .sort()
    .map((host): HostOverview => {
      const declared = computed.lock.hosts[host]!;
      const last = lastGeneration(computed.root, host);
      const states = configStates(host, last?.lockData.hosts[host], declared);
      const count = (state: ConfigState) => states.filter((s) => s.config === state).length;
      return {
        host,
        platform: declared.platform,
        local: machine === host,
        ...(last ? { applied: { generation: last.record.number, time: last.record.time } } : {}),
        inSync: count("in-sync"),
        changed: count("changed"),
        notApplied: count("not-applied"),
        removed: count("removed"),
        ok: states.every((s) => s.config === "in-sync"),
      };
    });
  return { hosts, ok: hosts.every((h) => h.ok) };
}

/** Each program's declared state against what was last applied: the one rule both views share. */
function configStates(
  host: string,
  applied: HostLock | undefined,
  declared: HostLock,
): Omit<ProgramStatus, "findings">[] {
  const changes = new Map(hostChanges(host, applied, declared).programs.map((c) => [c.name, c]));
  const names = [
    ...new Set([...Object.keys(declared.programs), ...Object.keys(applied?.programs ?? {})]),
  ].sort();
  return names.map((name) => {
    const change = changes.get(name);
    const config: ConfigState = !applied
      ? "not-applied"
      : !change
        ? "in-sync"
        : change.kind === "added"
          ? "not-applied"
          : change.kind === "removed"
            ? "removed"
            : "changed";
    return { name, config, ...(config === "changed" ? { changes: change!.aspects } : {}) };
  });
}
