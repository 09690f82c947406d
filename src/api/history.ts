/**
 * Generations, diff and rollback: what was applied when, what would change now, and going back —
 * a whole host to generation N, or one program's settings alone.
 */
import { LOCK_FILE } from "../emit/lock.js";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { HostChanges } from "../apply/changes.js";
import { hostChanges } from "../apply/changes.js";
import type { GenerationRecord } from "../apply/store.js";
import { lastGeneration, listGenerations, readGeneration } from "../apply/store.js";
import { systemRollbackCommand } from "../apply/platform.js";
import { NodeProcessRunner } from "../adapters/node-runner.js";
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import { isDeepStrictEqual } from "node:util";
import {
  detectFormatting,
  getProgramEntry,
  setOption,
  setProgramEnabled,
  unsetOption,
} from "../config/edit.js";
import type { Lock } from "../emit/lock-types.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import type { Diagnostic } from "../errors/index.js";
import { CONFIG_FILE, parseConfig } from "../load/config.js";
import { parseLock } from "../load/lock.js";
import type { ApplyOptions, ApplyResult } from "./apply.js";
import { apply, hostModes } from "./apply.js";
import { planBuild, type BuildPlan } from "./plan-build.js";
import { withWorkspaceLock } from "../adapters/workspace-lock.js";
import { pickHost } from "./hosts.js";
import { computeBuild } from "./build.js";
import type { WorkspaceOptions } from "./workspace.js";
import type { ProcessRunner } from "../ports/index.js";

function rootOf(options: WorkspaceOptions): string {
  return resolve(options.workspace ?? ".");
}

/** The hosts the config names (rollback works from the config even when the lock is unreadable). */
function configHosts(root: string): string[] {
  const parsed = parseConfig(readFileSync(join(root, CONFIG_FILE), "utf8"));
  if (!parsed.ok) throw new SetupMacError(parsed.diagnostics);
  return Object.keys(parsed.doc.config.hosts);
}

/** Every generation (optionally of some hosts), oldest first, with unreadable ones reported. */
export function generations(options: WorkspaceOptions = {}): {
  generations: GenerationRecord[];
  problems: Diagnostic[];
} {
  const list = listGenerations(rootOf(options));
  const hosts = options.hosts;
  return {
    generations: hosts?.length
      ? list.generations.filter((g) => hosts.includes(g.host))
      : list.generations,
    problems: list.problems,
  };
}

function requireGeneration(root: string, number: number, host?: string) {
  const g = readGeneration(root, number);
  if (!g) {
    const known = listGenerations(root).generations.map((r) => r.number);
    throw new SetupMacError(
      diagnostic("unknown-generation", `there is no readable generation ${number}`, {
        hint: known.length
          ? `generations: ${known.join(", ")} (\`setup-mac generations\`)`
          : "nothing has been applied yet",
      }),
    );
  }
  if (host && g.record.host !== host) {
    throw new SetupMacError(
      diagnostic(
        "generation-host",
        `generation ${number} was applied to ${g.record.host}, not ${host}`,
        {
          hint: `pass --host ${g.record.host}, or pick a generation of ${host} (\`setup-mac generations --host ${host}\`)`,
        },
      ),
    );
  }
  return g;
}

export interface DiffResult {
  host: string;
  from?: number;
  changes: HostChanges;
  /** With `build`: the platform's build of the new configuration and its closure diff. */
  build?: BuildPlan;
}

export interface DiffOptions extends WorkspaceOptions {
  host?: string;
  from?: number;
  /**
   * Build the host with the platform's own command and compare the result with the running
   * generation. The flake reads the lock from the work tree, so the new lock is in place for the
   * build (under the workspace lock) and the previous bytes are put back afterwards.
   */
  build?: boolean;
  targetHost?: string;
  runner?: ProcessRunner;
  currentGeneration?: () => string | undefined;
  onOutput?: (chunk: string) => void;
  signal?: AbortSignal;
}

/** What would change on a host against its last applied generation (or generation `from`). */
export async function diff(options: DiffOptions = {}): Promise<DiffResult> {
  const computed = await computeBuild(options);
  const host = pickHost(Object.keys(computed.lock.hosts), options.host, { verb: "diff" });
  const base =
    options.from !== undefined
      ? requireGeneration(computed.root, options.from, host)
      : lastGeneration(computed.root, host);
  const before = base?.lockData.hosts[host];
  const result: DiffResult = {
    host,
    ...(base ? { from: base.record.number } : {}),
    changes: hostChanges(host, before, computed.lock.hosts[host]),
  };
  if (!options.build) return result;
  const { mode, targetHost: configured } = hostModes(computed.configText, host);
  const targetHost = options.targetHost ?? configured;
  const root = computed.root;
  result.build = await withWorkspaceLock(root, "diff --build", () =>
    planBuild({
      runner: options.runner ?? new NodeProcessRunner(),
      root,
      host,
      lock: computed.lock.hosts[host]!,
      lockText: computed.lockText,
      previousLockText: readTextIfPresent(join(root, LOCK_FILE)) ?? null,
      keep: false,
      mode,
      ...(targetHost ? { targetHost } : {}),
      ...(options.currentGeneration ? { currentGeneration: options.currentGeneration } : {}),
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
  return result;
}

/** The previous generation of a host before its newest one. */
function previousOf(root: string, host: string): number | undefined {
  const list = listGenerations(root).generations.filter((g) => g.host === host);
  return list.length >= 2 ? list[list.length - 2]!.number : undefined;
}

/** The workspace's lock as it is on disk, if it is there and readable (a corrupt one is left alone). */
function currentLock(root: string): Lock | undefined {
  const text = readTextIfPresent(join(root, LOCK_FILE));
  const parsed = text === undefined ? undefined : parseLock(text);
  return parsed?.ok ? parsed.lock : undefined;
}

/**
 * Rolls a host back to generation N (default: the one before the newest): its entry in the
 * config and its part of the lock are restored (other hosts keep theirs), then applied.
 */
export async function rollback(options: ApplyOptions & { to?: number } = {}): Promise<ApplyResult> {
  const root = rootOf(options);
  const lock = currentLock(root);
  const hosts = lock ? lock : { version: 1, inputsHash: "", hosts: {} };
  const host = pickHost(configHosts(root), options.host, { verb: "programs rollback" });
  const to = options.to ?? previousOf(root, host);
  if (to === undefined) {
    throw new SetupMacError(
      diagnostic(
        "nothing-to-roll-back",
        `${host} has fewer than two generations: there is nothing to go back to`,
        {
          hint: "`setup-mac generations` lists what was applied",
        },
      ),
    );
  }
  const target = requireGeneration(root, to, host);
  const targetLock = target.lockData;
  const configText = readFileSync(join(root, CONFIG_FILE), "utf8");
  const restoredConfig = replaceHostEntry(configText, target.config, host);
  // Evaluating the restored config gives generation N's plan unless the modules changed since;
  // then the lock gets generation N's plan for this host as it was, and says so.
  let lockText: string;
  const rebuilt = await computeBuild({ ...options, configText: restoredConfig }).catch(
    () => undefined,
  );
  if (rebuilt && isDeepStrictEqual(rebuilt.lock.hosts[host], targetLock.hosts[host]))
    lockText = rebuilt.lockText;
  else {
    const { serializeLock } = await import("../emit/lock.js");
    lockText = serializeLock({
      ...(hosts as Lock),
      hosts: { ...(hosts as Lock).hosts, [host]: targetLock.hosts[host]! },
    });
    options.onStep?.(
      "note",
      `program sources changed since generation ${to}: its plan for ${host} is applied as recorded`,
    );
  }
  return apply({
    ...options,
    host,
    restore: {
      config: restoredConfig,
      lock: lockText,
      kind: "rollback",
      from: to,
    },
  });
}

/** The config text with `hosts.<host>.programs` taken from another version of the config. */
function replaceHostEntry(current: string, old: string, host: string): string {
  const parsedOld = parseConfig(old);
  const parsedNow = parseConfig(current);
  if (!parsedOld.ok) throw new SetupMacError(parsedOld.diagnostics);
  if (!parsedNow.ok) throw new SetupMacError(parsedNow.diagnostics);
  const oldPrograms = parsedOld.doc.config.hosts[host]?.programs ?? {};
  const nowPrograms = parsedNow.doc.config.hosts[host]?.programs ?? {};
  let text = current;
  for (const name of new Set([...Object.keys(nowPrograms), ...Object.keys(oldPrograms)])) {
    text = setEntry(text, host, name, oldPrograms[name]);
  }
  return text;
}

/** Writes a program's entry exactly (true, false, an object of options, or absent), through the editor. */
function setEntry(text: string, host: string, program: string, entry: unknown): string {
  const now = getProgramEntry(text, host, program);
  // The editor's values have null prototypes: compare them as JSON data.
  if (isDeepStrictEqual(asJson(now), asJson(entry))) return text;
  if (entry === undefined) return setProgramEnabled(text, host, program, false);
  if (now === undefined) {
    if (entry === false) return setProgramEnabled(text, host, program, false, { keepFalse: true });
    let out = setProgramEnabled(text, host, program, true);
    if (typeof entry === "object" && entry !== null) {
      for (const [key, value] of Object.entries(entry))
        out = setOption(out, host, program, [key], value);
    }
    return out;
  }
  if (isRecord(now) && isRecord(entry) && Object.keys(entry).length > 0) {
    // Key by key, so comments on the values that stay are kept.
    let out = text;
    for (const key of Object.keys(now))
      if (!(key in entry)) out = unsetOption(out, host, program, [key]);
    for (const [key, value] of Object.entries(entry)) {
      if (!isDeepStrictEqual(asJson(now[key]), asJson(value)))
        out = setOption(out, host, program, [key], value);
    }
    return out;
  }
  return replaceValue(text, ["hosts", host, "programs", program], entry);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asJson(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

/**
 * Replaces a value where it stands, in the style it was written: on one line if it was, else
 * indented like the line it starts on. Everything around it (comments included) is untouched.
 */
function replaceValue(text: string, path: string[], value: unknown): string {
  const node = findNodeAtLocation(parseTree(text)!, path)!;
  const original = text.slice(node.offset, node.offset + node.length);
  let newText: string;
  if (!original.includes("\n")) {
    newText = JSON.stringify(value, null, 1)
      .replace(/\n\s*/g, " ")
      .replace(/\[ /g, "[")
      .replace(/ \]/g, "]");
  } else {
    const f = detectFormatting(text);
    const lineStart = text.lastIndexOf("\n", node.offset) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
    newText = JSON.stringify(value, null, f.insertSpaces ? f.tabSize : "\t")
      .split("\n")
      .join(f.eol + indent);
  }
  return text.slice(0, node.offset) + newText + text.slice(node.offset + node.length);
}

/**
 * Restores one program's settings on a host from generation N — nothing else changes — then
 * applies. If its entry alone does not give the same options (shared defaults changed since),
 * the options of generation N are written out in full, so the result is exactly what ran then.
 */
export async function rollbackProgram(
  program: string,
  options: ApplyOptions & { to: number },
): Promise<ApplyResult & { pinned: boolean }> {
  const root = rootOf(options);
  const host = pickHost(configHosts(root), options.host, {
    verb: `programs rollback ${program} --to ${options.to}`,
  });
  const target = requireGeneration(root, options.to, host);
  const oldLock = target.lockData;
  const oldParsed = parseConfig(target.config);
  if (!oldParsed.ok) throw new SetupMacError(oldParsed.diagnostics);
  const oldEntry = oldParsed.doc.config.hosts[host]?.programs?.[program];
  const oldOptions = oldLock.hosts[host]?.programs[program]?.options;
  const before = readFileSync(join(root, CONFIG_FILE), "utf8");
  let text = setEntry(before, host, program, oldEntry);
  let computed = await computeBuild({ ...options, configText: text });
  let pinned = false;
  const now = computed.lock.hosts[host]?.programs[program]?.options;
  if (oldOptions && !isDeepStrictEqual(now, oldOptions)) {
    // Its entry alone no longer gives the same values (shared defaults or contributions changed).
    text = setEntry(before, host, program, oldOptions);
    computed = await computeBuild({ ...options, configText: text });
    pinned = true;
  }
  const result = await apply({
    ...options,
    host,
    restore: {
      config: text,
      lock: computed.lockText,
      kind: "program-rollback",
      from: options.to,
      program,
    },
  });
  return { ...result, pinned };
}

/** The platform's own rollback (`--system`): darwin-rebuild --rollback, nixos-rebuild switch --rollback, home-manager's previous generation. */
export async function systemRollback(
  options: WorkspaceOptions & {
    host?: string;
    runner?: ProcessRunner;
    onOutput?: (c: string) => void;
    targetHost?: string;
  },
): Promise<{ argv: string[][] }> {
  const root = rootOf(options);
  const lock = currentLock(root);
  if (!lock)
    throw new SetupMacError(
      diagnostic(
        "no-lock",
        `there is no readable ${LOCK_FILE} in ${root}: the system rollback needs it to know the host's platform`,
        {
          location: { file: LOCK_FILE },
          hint: "run `setup-mac build` first (it keeps an unreadable lock aside and writes a new one)",
        },
      ),
    );
  const host = pickHost(Object.keys(lock.hosts), options.host, {
    verb: "programs rollback --system",
  });
  const parsed = parseConfig(readFileSync(join(root, CONFIG_FILE), "utf8"));
  const mode = parsed.ok ? (parsed.doc.config.hosts[host]?.switch ?? "system") : "system";
  const runner = options.runner ?? new NodeProcessRunner();
  const argv = systemRollbackCommand(lock.hosts[host]!, mode, options.targetHost);
  const ran: string[][] = [argv];
  const r = await runner.run(argv, { cwd: root, onOutput: options.onOutput });
  if (r.exitCode !== 0) {
    throw new SetupMacError(
      diagnostic(
        "system-rollback-failed",
        `\`${argv.join(" ")}\` exited ${String(r.exitCode)}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n").pop()}` : ""}`,
        {
          hint: "the platform has no earlier generation to go back to, or needs root (try it with sudo); its output is above",
        },
      ),
    );
  }
  if (mode === "home-manager") {
    // home-manager has no --rollback: activate the generation before the current one.
    const lines = r.stdout.split("\n").filter((l) => l.includes("/nix/store/"));
    const path = lines[1]?.split(" ").find((w) => w.startsWith("/nix/store/"));
    if (!path)
      throw new SetupMacError(
        diagnostic("system-rollback-failed", "home-manager lists no previous generation", {
          hint: "`home-manager generations` shows them",
        }),
      );
    const activate = [`${path}/activate`];
    ran.push(activate);
    const a = await runner.run(activate, { cwd: root, onOutput: options.onOutput });
    if (a.exitCode !== 0)
      throw new SetupMacError(
        diagnostic("system-rollback-failed", `\`${activate[0]}\` exited ${String(a.exitCode)}`, {
          hint: "its output is above; `home-manager generations` lists the generations to activate by hand",
        }),
      );
  }
  return { argv: ran };
}
