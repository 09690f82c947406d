/**
 * From a program's `config` result to its part of the lock (pure): validate the shape, apply the
 * platform override, check every path, split into system and home level, render files, normalise
 * services, schedules and probes. Then the host-wide checks: one owner per file target, per
 * environment variable, per wrapped binary, per dataset and per unit name.
 */
import type { ConfigContext } from "../define/program.js";
import { isOverride, PRIORITY } from "../define/priority.js";
import type { Calendar, HostInfo } from "../define/types.js";
import { HOOK_NAMES } from "../define/types.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { sha256 } from "../emit/hash.js";
import type {
  ArgvLock,
  EnabledBy,
  FileLock,
  LevelLock,
  ProbeLock,
  ProgramLock,
  RawLock,
  ScheduleLock,
  ServiceLock,
} from "../emit/lock-types.js";
import { FileRenderError, formatKeyPath, renderFile } from "../emit/files/render.js";
import { profileArgResolver } from "../emit/previews.js";
import { LaunchdRenderError, renderLaunchdPlist } from "../emit/launchd/plist.js";
import {
  permissionCommands,
  renderArgv,
  renderTmpfilesLine,
  ShellRenderError,
} from "../emit/scripts/shell.js";
import { renderSystemdService } from "../emit/systemd/service.js";
import { SystemdRenderError } from "../emit/systemd/unit.js";
import type { Definition, Source } from "../merge/engine.js";
import { isPlainRecord, mergeDefinitions, strip } from "../merge/engine.js";
import { contribution as contributionSchema } from "../schema/contribution.js";
import type { ProgramSource } from "./evaluate.js";
import {
  checkAbsolutePath,
  checkFileTarget,
  checkPermissionPath,
  splitOptionPath,
} from "./paths.js";
import { describeError, snapshot } from "./snapshot.js";

interface BuildInput {
  name: string;
  source: ProgramSource;
  host: HostInfo;
  enabledBy: EnabledBy;
  ctx: ConfigContext<Record<string, unknown>>;
  diagnostics: Diagnostic[];
}

/** `a` updated by `b`: records merge key by key, anything else in `b` replaces. */
export function recursiveUpdate(a: unknown, b: unknown): unknown {
  if (isPlainRecord(a) && isPlainRecord(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? recursiveUpdate(out[k], v) : v;
    return out;
  }
  return b === undefined ? a : b;
}

function unwrapPriority(value: unknown): { value: unknown; priority: number } {
  let priority: number = PRIORITY.plain;
  if (isOverride(value)) priority = value.priority;
  return { value: strip(value), priority };
}

const SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

function normalizeSchedule(schedule: { every: string } | { calendar: Calendar }): ScheduleLock {
  if ("every" in schedule) {
    const unit = schedule.every.slice(-1) as keyof typeof SECONDS;
    return { every: Number(schedule.every.slice(0, -1)) * SECONDS[unit] };
  }
  const c = schedule.calendar;
  if (c === "hourly") return { calendar: { minute: 0 } };
  if (c === "daily") return { calendar: { hour: 0, minute: 0 } };
  if (c === "weekly") return { calendar: { weekday: 1, hour: 0, minute: 0 } };
  if (c === "monthly") return { calendar: { day: 1, hour: 0, minute: 0 } };
  return { calendar: { ...c } };
}

function describeProbe(p: Record<string, unknown>): string {
  if ("command" in p)
    return `command ${(p.command as ArgvLock).map((a) => (typeof a === "string" ? a : a.bin)).join(" ")}`;
  if ("http" in p) return `http ${String(p.http)}`;
  if ("tcp" in p) return `tcp ${String(p.tcp)}`;
  if ("file" in p) return `file ${String(p.file)}`;
  return `service ${String(p.service)}`;
}

function emptyLevel(level: LevelLock): boolean {
  return Object.values(level).every((v) =>
    Array.isArray(v) ? v.length === 0 : Object.keys(v as object).length === 0,
  );
}

function prune(level: LevelLock): LevelLock | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(level)) {
    if (Array.isArray(v) ? v.length : Object.keys(v as object).length) out[k] = v;
  }
  return emptyLevel(out as LevelLock) ? undefined : (out as LevelLock);
}

/** Runs a program's `config` (and its platform override) and turns the result into its lock entry. */
export function buildProgramLock(input: BuildInput): ProgramLock | undefined {
  const { name, source, host, ctx, diagnostics } = input;
  const file = source.file;
  const err = (code: string, message: string, hint?: string) =>
    diagnostics.push(diagnostic(code, message, { host: host.name, location: { file }, hint }));
  const before = diagnostics.length;

  // Each result is copied into plain data first: a getter, Proxy or cycle in it is refused here,
  // naming the module, instead of crashing (or looping) in the stages that walk it.
  const run = (what: string, fn: () => unknown): { ok: true; value: unknown } | undefined => {
    let result: unknown;
    try {
      result = fn();
    } catch (error) {
      err(
        "config-throws",
        `\`${what}\` of \`${name}\` throws on host ${host.name}: ${describeError(error)}`,
        "fix the module; `config` receives { options, host, enabled } and returns what the program contributes",
      );
      return undefined;
    }
    const copied = snapshot(result);
    if (!copied.ok) {
      err(
        "contribution-invalid",
        `\`${what}\` of \`${name}\` returns a value that is not data: ${copied.problem}`,
        "return plain objects, lists, strings, numbers and booleans (and mkDefault/mkForce/mkBefore/mkAfter of them)",
      );
      return undefined;
    }
    const value = copied.value ?? {};
    if (!isPlainRecord(value)) {
      err(
        "contribution-invalid",
        `\`${what}\` of \`${name}\` returns ${Array.isArray(value) ? "a list" : `a ${typeof value}`}, not an object`,
        "return an object like `{ packages: [...], files: {...} }`",
      );
      return undefined;
    }
    return { ok: true, value };
  };
  let raw: unknown = {};
  if (source.program.config) {
    const result = run("config", () => source.program.config!(ctx));
    if (!result) return undefined;
    raw = result.value;
  }
  const override = source.program.overrides?.[host.platform];
  if (override) {
    const result = run(`overrides.${host.platform}`, () => override(ctx));
    if (!result) return undefined;
    raw = recursiveUpdate(raw, result.value);
  }
  const parsed = contributionSchema.safeParse(strip(raw));
  if (!parsed.success) {
    // Keys hold dots and slashes (file targets): `files["~/.config/a.json"]`, not a dotted run.
    const at = (parts: PropertyKey[]) =>
      formatKeyPath(parts.map((p) => (typeof p === "number" ? p : String(p))));
    const from = override ? `\`config\` (with \`overrides.${host.platform}\`)` : "`config`";
    for (const issue of parsed.error.issues) {
      const message =
        issue.code === "unrecognized_keys"
          ? `${from} returns unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${at([...issue.path, k])}\``).join(", ")}`
          : `${from} returns an invalid \`${at(issue.path)}\`: ${issue.message}`;
      err(
        "contribution-invalid",
        message,
        "see the `Contribution` type exported by setup-mac for every field and its shape",
      );
    }
    return undefined;
  }
  const data = parsed.data;
  const original = raw as Record<string, unknown>;
  const homeLevel = host.homeManager ? "home" : "system";
  const system: Required<LevelLock> = emptyRequired();
  const home: Required<LevelLock> = emptyRequired();
  const level = (l: "home" | "system") => (l === "home" ? home : system);

  const argvOf = (argv: readonly (string | { bin: string; pkg: string })[]): ArgvLock =>
    argv.map((a) => (typeof a === "string" ? a : { bin: a.bin, pkg: a.pkg }));
  const absolute = (path: string, what: string): string | undefined => {
    const checked = checkAbsolutePath(path, host.home);
    if (!checked.ok) {
      err(
        "invalid-path",
        `${what} \`${JSON.stringify(path).slice(1, -1)}\` ${checked.problem}`,
        "use an absolute path (`/…`, or `~/…` for the user's home) without `..`, line breaks or NUL bytes",
      );
      return undefined;
    }
    return checked.path;
  };
  const probe = (p: NonNullable<typeof data.health>[number]): ProbeLock => {
    const { name: probeName, timeout, retries, ...rest } = p;
    const body: Record<string, unknown> = { ...rest };
    if ("command" in rest) body.command = argvOf(rest.command);
    if ("file" in rest) body.file = absolute(rest.file, "health check file") ?? rest.file;
    return {
      name: probeName ?? describeProbe(body),
      timeout: timeout ?? 5000,
      retries: retries ?? 2,
      ...body,
    } as ProbeLock;
  };

  for (const pkg of data.packages ?? [])
    if (!system.packages.includes(pkg)) system.packages.push(pkg);
  for (const pkg of data.userPackages ?? []) {
    const target = level(homeLevel).packages;
    if (!target.includes(pkg)) target.push(pkg);
  }

  const originalFiles = (original.files ?? {}) as Record<string, unknown>;
  for (const [target, spec] of Object.entries(data.files ?? {})) {
    const checked = checkFileTarget(target);
    if (!checked.ok) {
      err(
        "invalid-file-target",
        `file target \`${JSON.stringify(target).slice(1, -1)}\` ${checked.problem}`,
        checked.hint,
      );
      continue;
    }
    if (checked.level === "home" && !host.homeManager) {
      err(
        "home-file-without-home-manager",
        `file \`${target}\` is in the home directory, but host ${host.name} does not use home-manager`,
        `set "homeManager": true on host ${host.name} and import the adapter's .home module`,
      );
      continue;
    }
    const { priority } = unwrapPriority(originalFiles[target]);
    const format = (["text", "json", "yaml", "toml", "ini"] as const).find((f) => f in spec)!;
    const value = (spec as Record<string, unknown>)[format];
    if (spec.merge && !["json", "yaml", "toml"].includes(format)) {
      err(
        "invalid-file-merge",
        `file \`${target}\`: \`merge\` needs a structured format (json, yaml or toml), not ${format}`,
        "drop `merge` (setup-mac then owns the whole file), or give the content as json, yaml or toml",
      );
      continue;
    }
    let text: string;
    try {
      text = renderFile({ format, value });
    } catch (error) {
      // A value the format cannot hold is the module's to fix; anything else is a bug here.
      if (!(error instanceof FileRenderError)) throw error;
      err("file-render", `file \`${target}\`: ${error.message}`, error.hint);
      continue;
    }
    const lock: FileLock = { format, text, priority };
    // Only merge-mode activation needs the structured value; the text says everything else.
    if (spec.merge) {
      lock.merge = true;
      lock.value = value;
    }
    if (spec.mode) lock.mode = spec.mode.length === 3 ? `0${spec.mode}` : spec.mode;
    level(checked.level).files[checked.rel] = lock;
  }

  const originalEnv = (original.env ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(data.env ?? {})) {
    level(homeLevel).env[key] = { value, priority: unwrapPriority(originalEnv[key]).priority };
  }

  for (const [serviceName, spec] of Object.entries(data.services ?? {})) {
    const scope = spec.scope ?? "user";
    const service: ServiceLock = {
      unit: `setup-mac-${name}-${serviceName}`,
      label: `org.setup-mac.${name}.${serviceName}`,
      scope,
      description: spec.description ?? `${source.program.description} (${serviceName})`,
      command: argvOf(spec.command),
      restart: spec.restart ?? (spec.schedule ? "never" : "on-failure"),
    };
    if ((spec.user || spec.group) && scope !== "system") {
      err(
        "service-user-scope",
        `service \`${serviceName}\` sets \`user\`/\`group\`, which only system services can`,
        'add `scope: "system"` or remove them',
      );
    }
    if (spec.schedule && spec.restart === "always") {
      err(
        "service-schedule-restart",
        `service \`${serviceName}\` is scheduled and has \`restart: "always"\`: a scheduled job runs once per trigger`,
        'use `restart: "on-failure"` or `"never"`, or drop `schedule` for a long-running service',
      );
    }
    if (spec.user) service.user = spec.user;
    if (spec.group) service.group = spec.group;
    if (spec.environment && Object.keys(spec.environment).length)
      service.environment = spec.environment;
    if (spec.workingDirectory)
      service.workingDirectory = absolute(spec.workingDirectory, "working directory");
    if (spec.after?.length) service.after = [...new Set(spec.after)].sort() as ServiceLock["after"];
    if (spec.schedule) service.schedule = normalizeSchedule(spec.schedule);
    if (spec.logs) service.logs = absolute(spec.logs, "log path");
    if (spec.health) service.health = probe(spec.health);
    level(scope === "system" ? "system" : homeLevel).services[serviceName] = service;
  }

  for (const [path, spec] of Object.entries(data.permissions ?? {})) {
    const checked = checkPermissionPath(path, host.home);
    if (!checked.ok) {
      err(
        "invalid-path",
        `permission path \`${JSON.stringify(path).slice(1, -1)}\` ${checked.problem}`,
        "set permissions only on files and folders the program owns, by absolute path or `~/…`",
      );
      continue;
    }
    const abs = checked.path;
    system.permissions[abs] = {
      path: abs,
      mode: spec.mode.length === 3 ? `0${spec.mode}` : spec.mode,
      owner: spec.owner ?? host.user,
      ...(spec.group ? { group: spec.group } : {}),
      create: spec.create ?? true,
    };
  }

  if (host.zfs) {
    for (const [key, spec] of Object.entries(data.datasets ?? {})) {
      const mountpoint = spec.mountpoint
        ? absolute(spec.mountpoint, "dataset mountpoint")
        : undefined;
      system.datasets[key] = {
        dataset: spec.dataset,
        ...(mountpoint ? { mountpoint } : {}),
        ...(spec.properties && Object.keys(spec.properties).length
          ? { properties: spec.properties }
          : {}),
        ...(spec.snapshots ? { snapshots: spec.snapshots } : {}),
      };
    }
  }

  for (const [binary, spec] of Object.entries(data.wrappers ?? {})) {
    system.wrappers[binary] = {
      package: spec.package ?? binary,
      binary: spec.binary ?? binary,
      ...(spec.addFlags?.length ? { addFlags: spec.addFlags } : {}),
      ...(spec.env && Object.keys(spec.env).length ? { env: spec.env } : {}),
    };
  }

  for (const hook of HOOK_NAMES) {
    const value = data.hooks?.[hook];
    if (!value || value.length === 0) continue;
    const single = value.every(
      (a) => typeof a === "string" || (!Array.isArray(a) && typeof a === "object"),
    );
    const commands = (single ? [value] : value) as (readonly (
      string | { bin: string; pkg: string }
    )[])[];
    level(homeLevel).hooks[hook] = commands.map(argvOf);
  }

  const health = (data.health ?? []).map(probe);

  for (const target of ["nixos", "darwin", "home"] as const) {
    const options = (original[target] ?? {}) as Record<string, unknown>;
    if (target === "nixos" && host.platform !== "nixos") continue;
    if (target === "darwin" && host.platform !== "darwin") continue;
    if (target === "home" && !host.homeManager) {
      if (Object.keys(options).length) {
        err(
          "home-options-without-home-manager",
          `raw home-manager options are set, but host ${host.name} does not use home-manager`,
          `set "homeManager": true on host ${host.name}`,
        );
      }
      continue;
    }
    for (const [path, value] of Object.entries(options)) {
      const segments = splitOptionPath(path);
      if (!segments) {
        err(
          "invalid-option-path",
          `raw ${target} option path \`${path}\` is not an attribute path like \`services.tailscale.enable\``,
          'separate names with dots and quote a name that holds dots or slashes: `home.file."a.txt".text` (no empty names, no `..`)',
        );
        continue;
      }
      const { value: plain, priority } = unwrapPriority(value);
      const entry: RawLock = { target, path: segments, value: plain ?? null, priority };
      (target === "home" ? home : system).raw.push(entry);
    }
  }

  // A value the platform's format cannot hold (a newline in an ExecStart argument, `$` in an
  // executable, a control character in a plist) is this module's error now, at `check`, not a
  // renderer's failure later in `build --out` or in Nix.
  const where = (what: string, svc: string) => `service \`${svc}\`: ${what}`;
  for (const levelName of ["system", "home"] as const) {
    const lvl = levelName === "system" ? system : home;
    // The same paths the previews show, so `check` tries exactly what `build --out` renders.
    const argSite = {
      host: host.name,
      platform: host.platform,
      user: host.user,
      home: host.home,
      level: levelName,
    };
    const site = (arg: ArgvLock[number]) =>
      typeof arg === "string" ? arg : profileArgResolver(arg, argSite);
    for (const [serviceName, svc] of Object.entries(lvl.services)) {
      try {
        // The hash of what the platform gets: `apply` restarts a service when it changes.
        if (host.platform === "nixos") {
          const units = renderSystemdService(svc, { resolveArg: site });
          svc.hash = sha256(units.service + (units.timer ?? ""));
        } else svc.hash = sha256(renderLaunchdPlist(svc, { resolveArg: site }));
      } catch (error) {
        if (!(error instanceof SystemdRenderError || error instanceof LaunchdRenderError))
          throw error;
        err(
          "service-unrepresentable",
          where(error.message, serviceName),
          host.platform === "nixos"
            ? "a unit file holds one line per value: remove line breaks and control characters; the executable must be a plain path"
            : "a plist cannot hold control characters other than tab and line breaks",
        );
      }
    }
    for (const [hook, commands] of Object.entries(lvl.hooks)) {
      for (const argv of commands) {
        try {
          renderArgv(argv.map(site));
        } catch (error) {
          if (!(error instanceof ShellRenderError)) throw error;
          err(
            "hook-unrepresentable",
            `hook \`${hook}\`: ${error.message}`,
            "give the hook a non-empty argv whose arguments hold no NUL byte",
          );
        }
      }
    }
    for (const permission of Object.values(lvl.permissions)) {
      try {
        if (host.platform === "nixos") renderTmpfilesLine(permission);
        else permissionCommands(permission);
      } catch (error) {
        if (!(error instanceof ShellRenderError)) throw error;
        err(
          "permission-unrepresentable",
          error.message,
          'use an absolute path without line breaks or control characters and an octal mode like "0750"',
        );
      }
    }
  }

  if (diagnostics.length > before) return undefined;
  const lock: ProgramLock = {
    category: source.category,
    description: source.program.description,
    source: { path: file, sha256: source.sha256 },
    enabledBy: input.enabledBy,
    options: ctx.options,
  };
  const s = prune(system);
  const h = prune(home);
  if (s) lock.system = s;
  if (h) lock.home = h;
  if (health.length) lock.health = health;
  return lock;
}

function emptyRequired(): Required<LevelLock> {
  return {
    packages: [],
    files: {},
    env: {},
    services: {},
    permissions: {},
    datasets: {},
    wrappers: {},
    hooks: {},
    raw: [],
  };
}

type Keyed = { program: string; value: unknown; priority: number; remove: () => void };

/**
 * Host-wide ownership: every file target, environment variable, wrapped binary, dataset and unit
 * has one owner. Equal definitions are fine (the first program in order keeps it); different
 * ones need different priorities, and the loser is dropped from its program's entry.
 */
export function checkHostCollisions(
  host: HostInfo,
  locks: Record<string, ProgramLock>,
  order: readonly string[],
  programs: ReadonlyMap<string, ProgramSource>,
  diagnostics: Diagnostic[],
): void {
  const groups = new Map<string, { label: string; entries: Keyed[] }>();
  const add = (key: string, label: string, entry: Keyed) => {
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { label, entries: [] }));
    group.entries.push(entry);
  };
  for (const program of order) {
    const lock = locks[program];
    if (!lock) continue;
    for (const levelName of ["system", "home"] as const) {
      const level = lock[levelName];
      if (!level) continue;
      const prefix = levelName === "home" ? "~/" : "/etc/";
      for (const [rel, file] of Object.entries(level.files ?? {})) {
        const { priority, ...rest } = file;
        add(`file:${prefix}${rel}`, `file target \`${prefix}${rel}\``, {
          program,
          value: rest,
          priority,
          remove: () => delete level.files![rel],
        });
      }
      for (const [key, env] of Object.entries(level.env ?? {})) {
        add(`env:${key}`, `environment variable \`${key}\``, {
          program,
          value: env.value,
          priority: env.priority,
          remove: () => delete level.env![key],
        });
      }
      for (const [binary, wrapper] of Object.entries(level.wrappers ?? {})) {
        add(`wrapper:${binary}`, `wrapped binary \`${binary}\``, {
          program,
          value: wrapper,
          priority: PRIORITY.plain,
          remove: () => delete level.wrappers![binary],
        });
      }
      for (const [key, dataset] of Object.entries(level.datasets ?? {})) {
        add(`dataset:${dataset.dataset}`, `ZFS dataset \`${dataset.dataset}\``, {
          program,
          value: dataset,
          priority: PRIORITY.plain,
          remove: () => delete level.datasets![key],
        });
      }
      for (const [path, permission] of Object.entries(level.permissions ?? {})) {
        add(`permission:${path}`, `permissions of \`${path}\``, {
          program,
          value: permission,
          priority: PRIORITY.plain,
          remove: () => delete level.permissions![path],
        });
      }
      for (const [name, service] of Object.entries(level.services ?? {})) {
        add(`unit:${service.unit}`, `service unit \`${service.unit}\``, {
          program,
          value: `${program}/${name}`,
          priority: PRIORITY.plain,
          remove: () => delete level.services![name],
        });
      }
    }
  }
  for (const [, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (group.entries.length < 2) continue;
    const defs: Definition[] = group.entries.map((e) => ({
      value: e.value,
      priority: e.priority,
      source: {
        file: programs.get(e.program)!.file,
        what: `program ${e.program}`,
      } satisfies Source,
    }));
    const merged = mergeDefinitions(defs, { atomic: () => true });
    if (merged.conflicts.length) {
      const c = merged.conflicts[0]!;
      const owners = c.definitions.map((d) => `  ${d.source.what} (${d.source.file})`).join("\n");
      diagnostics.push(
        diagnostic(
          group.label.startsWith("file") ? "file-target-conflict" : "ownership-conflict",
          `${group.label} is defined differently by more than one program at the same priority:\n${owners}`,
          {
            host: host.name,
            location: { file: c.definitions[0]!.source.file },
            hint: "keep it in one program, or make one definition win with `mkForce(...)` (or the other lose with `mkDefault(...)`)",
          },
        ),
      );
      continue;
    }
    // One owner: the first winning definition in order keeps it; the others drop theirs.
    const best = Math.min(...group.entries.map((e) => e.priority));
    const keeper = group.entries.find((e) => e.priority === best)!;
    for (const e of group.entries) if (e !== keeper) e.remove();
  }
  for (const lock of Object.values(locks)) {
    for (const levelName of ["system", "home"] as const) {
      const level = lock[levelName];
      if (!level) continue;
      const pruned = prune(level);
      if (pruned) lock[levelName] = pruned;
      else delete lock[levelName];
    }
  }
}
