/**
 * Editing `setup-mac.jsonc` from the CLI: enable, disable, and get/set/unset option values. Every
 * edit keeps comments and formatting, is evaluated before it is written (an edit that introduces
 * an error writes nothing), is written atomically, and holds the workspace lock.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { sweepTempFiles, writeFileAtomic } from "../adapters/atomic-write.js";
import { confineWrite } from "../adapters/confine.js";
import { withWorkspaceLock, type Owner } from "../adapters/workspace-lock.js";
import {
  getOption,
  getProgramEntry,
  setOption,
  setProgramEnabled,
  unsetOption,
} from "../config/edit.js";
import type { EnabledBy } from "../emit/lock-types.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";
import { CONFIG_FILE, parseConfig } from "../load/config.js";
import type { WorkspaceOptions } from "./workspace.js";
import { evaluateWorkspace } from "./workspace.js";
import { pickHosts } from "./hosts.js";
import { ISOLATE_STOPS } from "../isolate/limits.js";

export interface EditResult {
  hosts: string[];
  changed: boolean;
  /** Programs switched on by `requires` as a result, per host, with who requires them. */
  alsoEnabled: Record<string, { program: string; requiredBy: string[] }[]>;
  /** Option values an edit dropped (disabling a program that had some). */
  dropped: Record<string, unknown>;
  notes: string[];
}

function configPath(options: WorkspaceOptions): { root: string; path: string } {
  const root = resolve(options.workspace ?? ".");
  return { root, path: join(root, CONFIG_FILE) };
}

/** The hosts an edit is for: the ones given, the only one, or the one this machine is. */
export function editHosts(
  text: string,
  given: string[] | undefined,
  verb = "programs enable <name>",
): string[] {
  const parsed = parseConfig(text);
  if (!parsed.ok) throw new SetupMacError(parsed.diagnostics);
  return pickHosts(Object.keys(parsed.doc.config.hosts), given, { verb, file: CONFIG_FILE });
}

function errorKey(d: Diagnostic): string {
  return `${d.code}|${d.host ?? ""}|${d.message}`;
}

/**
 * Evaluates `text` and refuses it when it has errors the current config does not have; returns the
 * enabled sets per host after the edit.
 */
async function validateEdit(
  options: WorkspaceOptions,
  before: string,
  after: string,
): Promise<Map<string, Map<string, EnabledBy>>> {
  const next = await evaluateWorkspace({ ...options, hosts: undefined, configText: after });
  const fresh = next.diagnostics.filter((d) => d.severity === "error");
  // An evaluation the isolate stopped vouches for nothing, whether or not it stopped before too.
  const stopped = fresh.filter((d) => ISOLATE_STOPS.has(d.code));
  if (stopped.length) {
    throw new SetupMacError(
      stopped.map((d) => ({
        ...d,
        message: `${d.message}\n  (nothing was written: the edit cannot be checked while this module does not evaluate)`,
      })),
    );
  }
  if (fresh.length) {
    let old = new Set<string>();
    try {
      const prev = await evaluateWorkspace({ ...options, hosts: undefined, configText: before });
      old = new Set(prev.diagnostics.map(errorKey));
    } catch {
      /* the old config did not even load: every error is new */
    }
    const introduced = fresh.filter((d) => !old.has(errorKey(d)));
    if (introduced.length) {
      throw new SetupMacError(
        introduced.map((d) => ({
          ...d,
          message: `${d.message}\n  (nothing was written: this edit would cause it)`,
        })),
      );
    }
  }
  const out = new Map<string, Map<string, EnabledBy>>();
  for (const [host, h] of next.evaluation.hosts) out.set(host, h.enabled);
  return out;
}

async function edit(
  options: WorkspaceOptions,
  command: string,
  change: (
    text: string,
    hosts: string[],
  ) =>
    | { text: string; dropped?: Record<string, unknown> }
    | Promise<{ text: string; dropped?: Record<string, unknown> }>,
  /** An edit of the shared `defaults` is for no host: none is chosen (or asked for). */
  scope: "hosts" | "defaults" = "hosts",
  /** Validate the edit as it would be made, write nothing (and take no lock: nothing changes). */
  dryRun = false,
): Promise<EditResult> {
  const { root, path } = configPath(options);
  // Refused before anything is evaluated: a dry run (the dashboard's live check) too.
  confineWrite(root, path, { what: "the config file" });
  const locked = dryRun
    ? <T>(_root: string, _command: string, fn: (lock: { reclaimed?: Owner }) => Promise<T>) =>
        fn({})
    : withWorkspaceLock;
  return locked(
    root,
    command,
    async ({ reclaimed }: { reclaimed?: Owner }) => {
      const notes: string[] = [];
      // Temp files of a write that was killed before its rename are garbage: the file itself is whole.
      if (!dryRun) await sweepTempFiles(root, CONFIG_FILE).catch(() => []);
      if (reclaimed)
        notes.push(
          `Reclaimed the workspace lock of \`setup-mac ${reclaimed.command}\` (pid ${reclaimed.pid}), which had stopped.`,
        );
      let before: string;
      try {
        before = readFileSync(path, "utf8");
      } catch {
        throw new SetupMacError(
          diagnostic("config-missing", `no ${CONFIG_FILE} in ${root}`, {
            hint: "run `setup-mac init` first, or pass --workspace",
          }),
        );
      }
      const hosts = scope === "hosts" ? editHosts(before, options.hosts, command) : [];
      const { text, dropped = {} } = await change(before, hosts);
      const result: EditResult = {
        hosts,
        changed: text !== before,
        alsoEnabled: {},
        dropped,
        notes,
      };
      if (!result.changed) return result;
      const enabledAfter = await validateEdit(options, before, text);
      const enabledBefore = new Map<string, Set<string>>();
      const parsedBefore = parseConfig(before);
      if (parsedBefore.ok) {
        const prev = await evaluateWorkspace({
          ...options,
          hosts: undefined,
          configText: before,
        }).catch(() => undefined);
        for (const [host, h] of prev?.evaluation.hosts ?? [])
          enabledBefore.set(host, new Set(h.enabled.keys()));
      }
      for (const host of hosts) {
        const list: { program: string; requiredBy: string[] }[] = [];
        for (const [program, why] of enabledAfter.get(host) ?? []) {
          if ("requiredBy" in why && !enabledBefore.get(host)?.has(program))
            list.push({ program, requiredBy: why.requiredBy });
        }
        if (list.length) result.alsoEnabled[host] = list;
      }
      if (!dryRun) await writeFileAtomic(path, text);
      return result;
    },
    { waitMs: 15_000 },
  );
}

function unknownPrograms(names: string[], known: Set<string>): void {
  const bad = names.filter((n) => !known.has(n));
  if (!bad.length) return;
  throw new SetupMacError(
    bad.map((n) => {
      const s = didYouMean(n, known);
      return diagnostic("unknown-program", `unknown program \`${n}\`; nothing was changed`, {
        hint: s ? `did you mean \`${s}\`?` : "`setup-mac programs list` shows every program",
      });
    }),
  );
}

async function knownPrograms(options: WorkspaceOptions): Promise<Set<string>> {
  const { discoverModules } = await import("../load/discover.js");
  const { basename } = await import("node:path");
  return new Set(
    discoverModules(resolve(options.workspace ?? ".")).map((m) => basename(m.file, ".ts")),
  );
}

/** Enables programs on the chosen hosts. */
export async function enablePrograms(
  names: string[],
  options: WorkspaceOptions = {},
): Promise<EditResult> {
  unknownPrograms(names, await knownPrograms(options));
  return edit(options, `programs enable ${names.join(" ")}`, (text, hosts) => {
    let out = text;
    for (const host of hosts)
      for (const name of names) out = setProgramEnabled(out, host, name, true);
    return { text: out };
  });
}

/** Disables programs on the chosen hosts; a program that `requires` would switch back on is set to `false`. */
export async function disablePrograms(
  names: string[],
  options: WorkspaceOptions & { keepFalse?: boolean } = {},
): Promise<EditResult> {
  unknownPrograms(names, await knownPrograms(options));
  return edit(options, `programs disable ${names.join(" ")}`, async (text, hosts) => {
    // Which of these would still be on through `requires` once their entries go: those stay as
    // an explicit `false`. Worked out under the workspace lock, on the text being edited.
    let needFalse = new Map<string, Set<string>>();
    if (!options.keepFalse) {
      let removed = text;
      for (const host of hosts)
        for (const name of names) removed = setProgramEnabled(removed, host, name, false);
      const evaluated = await evaluateWorkspace({
        ...options,
        hosts: undefined,
        configText: removed,
      }).catch(() => undefined);
      needFalse = new Map(
        hosts.map((h) => [
          h,
          new Set(names.filter((n) => evaluated?.evaluation.hosts.get(h)?.enabled.has(n))),
        ]),
      );
    }
    let out = text;
    const dropped: Record<string, unknown> = {};
    for (const host of hosts) {
      for (const name of names) {
        const entry = getProgramEntry(out, host, name);
        if (entry && typeof entry === "object" && Object.keys(entry).length)
          dropped[`${host}.${name}`] = entry;
        out = setProgramEnabled(out, host, name, false, {
          keepFalse: options.keepFalse || needFalse.get(host)?.has(name),
        });
      }
    }
    return { text: out, dropped };
  });
}

/** Splits `a.b\\.c` into `["a", "b.c"]`. */
export function splitKey(key: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < key.length; i++) {
    if (key[i] === "\\" && key[i + 1] === ".") {
      current += ".";
      i++;
    } else if (key[i] === ".") {
      parts.push(current);
      current = "";
    } else current += key[i];
  }
  parts.push(current);
  if (parts.some((p) => p === "")) {
    throw new SetupMacError(
      diagnostic(
        "usage",
        `\`${key}\` is not an option path like \`fontSize\` or \`settings.editor\\.fontSize\``,
      ),
      2,
    );
  }
  return parts;
}

/** A value from the command line: JSON when it parses (`16`, `true`, `["a"]`), otherwise the text itself. */
export function parseCliValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

export interface ConfigTarget extends WorkspaceOptions {
  /** Edit the shared `defaults` instead of a host. */
  defaults?: boolean;
}

/** Sets an option value (on the chosen hosts, or in `defaults`). */
export async function setProgramOption(
  program: string,
  key: string,
  value: unknown,
  options: ConfigTarget = {},
): Promise<EditResult> {
  return editOptions(program, { set: { [key]: value } }, `set ${key}`, options);
}

/**
 * Sets and unsets several option values of one program in one edit (one validation, one write):
 * what the dashboard's form saves. With `dryRun` it only validates, writing nothing.
 */
export async function editProgramOptions(
  program: string,
  change: { set?: Record<string, unknown>; unset?: string[] },
  options: ConfigTarget & { dryRun?: boolean } = {},
): Promise<EditResult> {
  const keys = [...Object.keys(change.set ?? {}), ...(change.unset ?? [])];
  return editOptions(program, change, `set ${keys.join(" ")}`, options);
}

/** Removes an option value, so the default (or the shared value) applies again. */
export async function unsetProgramOption(
  program: string,
  key: string,
  options: ConfigTarget = {},
): Promise<EditResult> {
  return editOptions(program, { unset: [key] }, `unset ${key}`, options);
}

/** The one edit behind the three: `what` names it in messages (`set userName`). */
async function editOptions(
  program: string,
  change: { set?: Record<string, unknown>; unset?: string[] },
  what: string,
  options: ConfigTarget & { dryRun?: boolean },
): Promise<EditResult> {
  unknownPrograms([program], await knownPrograms(options));
  const set = Object.entries(change.set ?? {}).map(
    ([key, value]) => [splitKey(key), value] as const,
  );
  const unset = (change.unset ?? []).map(splitKey);
  return edit(
    options,
    `programs config ${program} ${what}`,
    (text, hosts) => {
      let out = text;
      for (const host of options.defaults ? [null] : hosts) {
        for (const [path, value] of set) out = setOption(out, host, program, path, value);
        for (const path of unset) out = unsetOption(out, host, program, path);
      }
      return { text: out };
    },
    options.defaults ? "defaults" : "hosts",
    options.dryRun ?? false,
  );
}

/** The value written in the config (not merged) for a host or the defaults. */
export function writtenOption(
  text: string,
  host: string | null,
  program: string,
  key: string,
): unknown {
  return getOption(text, host, program, splitKey(key));
}
