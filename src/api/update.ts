/**
 * `programs update [inputs…]`: update the flake's inputs with Nix and report which inputs moved
 * (old → new revision and date), read from `flake.lock` before and after. Nix 2.19 added input
 * names to `nix flake update`; older Nix updates single inputs with
 * `nix flake lock --update-input X`, so the form is chosen from `nix --version`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { NodeProcessRunner } from "../adapters/node-runner.js";
import { renderArgv } from "../emit/scripts/shell.js";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";
import type { ProcessRunner } from "../ports/index.js";
import { CommandNotFoundError } from "../ports/index.js";
import { readConfig } from "../load/index.js";

export const FLAKE_LOCK = "flake.lock";

export interface UpdateOptions {
  workspace?: string;
  configText?: string;
  /** The npm registry packs are updated from (see `packs add`). */
  registry?: string;
  /** Inputs to update (default: all). */
  inputs?: string[];
  /** Show the command that would run; change nothing. */
  dryRun?: boolean;
  runner?: ProcessRunner;
  /** Nix's progress output, as it arrives. */
  onOutput?: (chunk: string) => void;
}

/** One locked revision of an input. */
export interface LockedRev {
  rev?: string;
  /** The first 7 characters of `rev`, or of the hash when the input has no revision. */
  short: string;
  narHash?: string;
  /** `lastModified` as a date (`2026-11-02`), when the lock has it. */
  date?: string;
}

export interface InputChange {
  input: string;
  /** A top-level input of the flake (not an input of an input). */
  direct: boolean;
  kind: "updated" | "added" | "removed";
  old?: LockedRev;
  new?: LockedRev;
}

export interface UpdateResult {
  root: string;
  /** The Nix version found (`2.8.0`), if `nix --version` answered. */
  nixVersion?: string;
  /** The command(s) run, or that would run with `dryRun`. */
  argv: string[][];
  dryRun: boolean;
  changes: InputChange[];
  notes: string[];
  /** Installed packs checked against the registry (only when there are any). */
  packs?: PackChange[];
}

/** A pack's pinned version before and after (`would-update` with `dryRun`). */
export interface PackChange {
  name: string;
  from: string;
  to: string;
  kind: "updated" | "unchanged" | "would-update";
}

interface FlakeLockNode {
  inputs?: Record<string, string | string[]>;
  locked?: { rev?: string; narHash?: string; lastModified?: number };
}

interface FlakeLockFile {
  nodes: Record<string, FlakeLockNode>;
  root: string;
  version: number;
}

/** Nix without flakes enabled in its config still runs these commands. */
const NIX = ["nix", "--extra-experimental-features", "nix-command flakes"];

/** `nix (Nix) 2.8.0` → [2, 8, 0]. */
export function parseNixVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Whether `nix flake update` takes input names (Nix 2.19 and later). */
function takesInputNames(version: [number, number, number]): boolean {
  return version[0] > 2 || (version[0] === 2 && version[1] >= 19);
}

/** The modern and the pre-2.19 command for updating `inputs` (all when empty). */
export function updateCommands(inputs: string[]): { modern: string[]; legacy: string[] } {
  if (!inputs.length) {
    const all = [...NIX, "flake", "update"];
    return { modern: all, legacy: all };
  }
  return {
    modern: [...NIX, "flake", "update", ...inputs],
    legacy: [...NIX, "flake", "lock", ...inputs.flatMap((i) => ["--update-input", i])],
  };
}

function readFlakeLock(root: string): FlakeLockFile | undefined {
  const path = join(root, FLAKE_LOCK);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as FlakeLockFile;
    if (typeof parsed.nodes !== "object" || parsed.nodes === null) throw new Error("no nodes");
    return parsed;
  } catch (error) {
    throw new SetupMacError(
      diagnostic("flake-lock-invalid", `flake.lock cannot be read: ${(error as Error).message}`, {
        location: { file: FLAKE_LOCK },
        hint: "restore it from git (`git checkout flake.lock`) or delete it and run `nix flake lock`",
      }),
    );
  }
}

function rev(node: FlakeLockNode | undefined): LockedRev | undefined {
  const locked = node?.locked;
  if (!locked) return undefined;
  const hash = locked.narHash?.replace(/^sha256-/, "");
  return {
    ...(locked.rev ? { rev: locked.rev } : {}),
    short: (locked.rev ?? hash ?? "?").slice(0, 7),
    ...(locked.narHash ? { narHash: locked.narHash } : {}),
    ...(locked.lastModified
      ? { date: new Date(locked.lastModified * 1000).toISOString().slice(0, 10) }
      : {}),
  };
}

/** The top-level inputs of a lock: input name → node name (inputs that `follows` are left out). */
function directInputs(lock: FlakeLockFile): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, target] of Object.entries(lock.nodes[lock.root]?.inputs ?? {}))
    if (typeof target === "string") out.set(name, target);
  return out;
}

/** Which locked inputs differ between two `flake.lock`s (by revision or content hash). */
export function lockChanges(
  before: FlakeLockFile | undefined,
  after: FlakeLockFile | undefined,
): InputChange[] {
  const nodes = (lock: FlakeLockFile | undefined) => {
    const out = new Map<string, { node: FlakeLockNode; direct: boolean }>();
    if (!lock) return out;
    const direct = directInputs(lock);
    for (const [input, node] of direct)
      if (lock.nodes[node]) out.set(input, { node: lock.nodes[node], direct: true });
    const named = new Set(direct.values());
    for (const [name, node] of Object.entries(lock.nodes))
      if (name !== lock.root && !named.has(name) && !out.has(name))
        out.set(name, { node, direct: false });
    return out;
  };
  const a = nodes(before);
  const b = nodes(after);
  const changes: InputChange[] = [];
  for (const input of [...new Set([...a.keys(), ...b.keys()])]) {
    const old = a.get(input);
    const now = b.get(input);
    const oldRev = rev(old?.node);
    const newRev = rev(now?.node);
    if (old && now) {
      if (oldRev?.rev === newRev?.rev && oldRev?.narHash === newRev?.narHash) continue;
      changes.push({
        input,
        direct: now.direct,
        kind: "updated",
        ...(oldRev ? { old: oldRev } : {}),
        ...(newRev ? { new: newRev } : {}),
      });
    } else if (now) {
      changes.push({
        input,
        direct: now.direct,
        kind: "added",
        ...(newRev ? { new: newRev } : {}),
      });
    } else if (old) {
      changes.push({
        input,
        direct: old.direct,
        kind: "removed",
        ...(oldRev ? { old: oldRev } : {}),
      });
    }
  }
  return changes.sort(
    (x, y) => Number(y.direct) - Number(x.direct) || x.input.localeCompare(y.input),
  );
}

function lastLines(text: string, n = 5): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(-n)
    .join("\n");
}

/** Updates the flake's inputs (all, or the named ones) and reports what moved. */
/**
 * `programs update [names…]`: the flake's inputs with Nix, and the installed packs to their
 * registry's latest version. Names pick inputs and packs alike; none means all of both.
 */
export async function update(options: UpdateOptions = {}): Promise<UpdateResult> {
  const root = resolve(options.workspace ?? ".");
  const pins = pinnedPacks(root, options.configText);
  const asked = options.inputs ?? [];
  const askedInputs = asked.filter((n) => !pins[n]);
  const packs = asked.length ? asked.filter((n) => pins[n]) : Object.keys(pins).sort();
  const onlyPacks =
    (asked.length > 0 && askedInputs.length === 0) ||
    (asked.length === 0 && packs.length > 0 && !existsSync(join(root, "flake.nix")));
  const result: UpdateResult = onlyPacks
    ? { root, argv: [], dryRun: Boolean(options.dryRun), changes: [], notes: [] }
    : await updateInputs({ ...options, inputs: askedInputs });
  if (packs.length) {
    // Loaded only when there are packs: it brings the tarball code.
    const { updatePacks } = await import("./packs.js");
    result.packs = await updatePacks(packs, pins, {
      workspace: root,
      dryRun: Boolean(options.dryRun),
      ...(options.registry ? { registry: options.registry } : {}),
    });
  }
  return result;
}

/** The packs pinned in the config; none when there is no readable config. */
function pinnedPacks(root: string, configText?: string): Record<string, { version: string }> {
  try {
    return readConfig(root, configText).config.packs ?? {};
  } catch {
    return {};
  }
}

async function updateInputs(options: UpdateOptions): Promise<UpdateResult> {
  const root = resolve(options.workspace ?? ".");
  const runner = options.runner ?? new NodeProcessRunner();
  const inputs = options.inputs ?? [];
  if (!existsSync(join(root, "flake.nix"))) {
    throw new SetupMacError(
      diagnostic("flake-missing", `there is no flake.nix in ${root}`, {
        hint: "run `setup-mac programs update` in your flake repository, or pass --workspace DIR",
      }),
    );
  }
  const before = readFlakeLock(root);
  if (before && inputs.length) {
    const known = [...directInputs(before).keys()].sort();
    const unknown = inputs.filter((i) => !known.includes(i));
    if (unknown.length) {
      throw new SetupMacError(
        unknown.map((i) => {
          const suggestion = didYouMean(i, known);
          return diagnostic("unknown-input", `flake.nix has no input \`${i}\``, {
            location: { file: FLAKE_LOCK },
            hint: suggestion
              ? `did you mean \`${suggestion}\`?`
              : `its inputs: ${known.join(", ")}`,
          });
        }),
        2,
      );
    }
  }

  let versionText: string | undefined;
  try {
    const r = await runner.run(["nix", "--version"], { timeoutMs: 30_000 });
    if (r.exitCode === 0) versionText = r.stdout.trim();
  } catch (error) {
    if (!(error instanceof CommandNotFoundError)) throw error;
    throw new SetupMacError(
      diagnostic("nix-missing", "`nix` is not on PATH: updating flake inputs needs Nix", {
        hint: "install Nix (https://nixos.org/download) or run setup-mac where Nix is installed",
      }),
    );
  }
  const version = versionText ? parseNixVersion(versionText) : undefined;
  const { modern, legacy } = updateCommands(inputs);
  const first = version && !takesInputNames(version) ? legacy : modern;
  const notes = [
    "Package versions are not compared here (that needs evaluating nixpkgs at both revisions); after switching, `nix store diff-closures` between the old and new system shows them.",
  ];
  const result: UpdateResult = {
    root,
    ...(version ? { nixVersion: version.join(".") } : {}),
    argv: [first],
    dryRun: Boolean(options.dryRun),
    changes: [],
    notes,
  };
  if (options.dryRun) return result;

  const runUpdate = (argv: string[]) =>
    runner.run(argv, {
      cwd: root,
      timeoutMs: 30 * 60_000,
      onOutput: (chunk) => options.onOutput?.(chunk),
    });
  let r = await runUpdate(first);
  // An unknown Nix version that rejects input names: fall back to the older form once.
  if (
    r.exitCode !== 0 &&
    first === modern &&
    !version &&
    inputs.length &&
    /unexpected argument|unrecognised|unrecognized/i.test(r.stderr)
  ) {
    result.argv.push(legacy);
    r = await runUpdate(legacy);
  }
  const ran = result.argv[result.argv.length - 1]!;
  if (r.exitCode !== 0) {
    const said = lastLines(r.stderr || r.stdout);
    throw new SetupMacError(
      diagnostic(
        "update-failed",
        `\`${renderArgv(ran)}\` ${r.timedOut ? "timed out" : `exited ${String(r.exitCode)}`}${said ? `\n${said}` : ""}`,
        {
          hint: "fix what Nix reports (often network access or an input's URL in flake.nix), then run again",
        },
      ),
    );
  }
  result.changes = lockChanges(before, readFlakeLock(root));
  return result;
}
