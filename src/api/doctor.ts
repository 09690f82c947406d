/**
 * `doctor`: is everything around the workspace in order? Nix and its version, the flake, each
 * host's import of the adapter, the lock against the config, the adapter files, the state
 * folder, the platform commands of this machine, and the hosts deployed to over SSH. Every
 * finding says how to fix it; nothing is changed.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { NodeProcessRunner } from "../adapters/node-runner.js";
import { listGenerations, readInProgress, STATE_DIR } from "../apply/store.js";
import { LOCK_FILE } from "../emit/lock.js";
import type { Lock } from "../emit/lock-types.js";
import { SetupMacError } from "../errors/index.js";
import { CONFIG_FILE, parseConfig } from "../load/config.js";
import type { ProcessRunner } from "../ports/index.js";
import { CommandStartError } from "../ports/index.js";
import { findExecutable, localName } from "../probe/local.js";
import type { HostConfig } from "../schema/workspace.js";
import { computeBuild } from "./build.js";
import { listPacks, type PackState } from "./pack-state.js";
import { PACKS_DIR } from "../load/discover.js";
import { ADAPTER_DIR, adapterFiles } from "./init.js";
import { parseNixVersion } from "./update.js";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { sha256 } from "../emit/hash.js";
import { evalChecks } from "./doctor-eval.js";

export const ADAPTER_MANIFEST = `${ADAPTER_DIR}/setup-mac-adapters.json`;

export interface DoctorOptions {
  workspace?: string;
  cacheDir?: string;
  runner?: ProcessRunner;
  /** This machine's name as a host of the workspace (`SETUP_MAC_HOST`). */
  localHost?: string;
  hostname?: string;
  /** The `PATH` platform commands are looked up on (default: this process's). */
  path?: string;
  isExecutable?: (file: string) => boolean;
}

export type Severity = "ok" | "info" | "warning" | "error";

export interface DoctorFinding {
  /** What was checked: `nix`, `flake`, `config`, `adapter-import`, `lock`, `adapters`, `packs`, `git`, `eval`, `state`, `commands`, `reach`. */
  check: string;
  severity: Severity;
  message: string;
  /** The edit or command that fixes it. */
  fix?: string;
  host?: string;
  /** The file it is about, workspace-relative. */
  file?: string;
}

export interface DoctorResult {
  root: string;
  findings: DoctorFinding[];
  /** No error-level finding. */
  ok: boolean;
}

/** Flakes need Nix 2.4 or later. */
const MIN_NIX: [number, number] = [2, 4];

function nodeIsExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** One `(import ./setup-mac/nix { host = "…"; }).<level>` found in a Nix file. */
export interface AdapterImport {
  file: string;
  /** The host named, or undefined when it is not a plain string (a variable). */
  host: string | undefined;
  /** `darwin`, `nixos`, `home`, or undefined when the import is not selected that way. */
  level: string | undefined;
}

/**
 * Finds the adapter's imports in `flake.nix` and the local Nix files it imports (followed
 * through relative paths inside the workspace). Comments are skipped; Nix is scanned, not parsed.
 */
export function findAdapterImports(root: string, readText = readTextIfPresent): AdapterImport[] {
  const found: AdapterImport[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || seen.size > 200) return;
    seen.add(file);
    const text = readText(file);
    if (text === undefined) return;
    const code = blankStringsAndComments(text);
    const rel = relative(root, file);
    const adapter = /\bimport\s+((?:\.\.?\/)[\w./+-]*?setup-mac\/nix)(?:\/default\.nix)?\s*(?=\{)/g;
    for (const m of code.matchAll(adapter)) {
      const rest = text.slice(m.index + m[0].length);
      const arg = /^\{\s*host\s*=\s*(?:"([^"\\$]*)"|[^;}]*)\s*;?\s*\}/.exec(rest);
      const after = arg ? rest.slice(arg[0].length) : "";
      const level = /^\s*\)\s*\.\s*([A-Za-z]+)/.exec(after)?.[1];
      found.push({ file: rel, host: arg?.[1], level });
    }
    // Follow local imports: `./hosts/evo-x2.nix`, `./modules` (its default.nix).
    for (const m of code.matchAll(/(?<![\w./-])(\.\.?\/[\w./+-]+)/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(root + "/") || target.startsWith(join(root, ADAPTER_DIR))) continue;
      if (target.endsWith(".nix")) visit(target);
      else if (existsSync(join(target, "default.nix"))) visit(join(target, "default.nix"));
    }
  };
  visit(join(root, "flake.nix"));
  return found;
}

/** The line a host's configuration needs, and where it goes. */
export function importLine(
  host: string,
  level: string,
  user: string,
): { line: string; where: string } {
  const line = `(import ./setup-mac/nix { host = ${JSON.stringify(host)}; }).${level}`;
  if (level === "home")
    return {
      line,
      where: `the imports of home-manager.users.${user} (or homeConfigurations."${user}@${host}") in flake.nix`,
    };
  const attr = level === "darwin" ? "darwinConfigurations" : "nixosConfigurations";
  return { line, where: `the modules list of ${attr}.${host} in flake.nix` };
}

function platformCommands(host: string, h: HostConfig): { command: string; fix: string }[] {
  const out: { command: string; fix: string }[] = [];
  if ((h.switch ?? "system") === "home-manager")
    out.push({
      command: "home-manager",
      fix: `\`nix run home-manager -- switch --flake .#${h.user}@${host}\` installs it with the first switch`,
    });
  else if (h.platform === "darwin")
    out.push({
      command: "darwin-rebuild",
      fix: `nix-darwin installs it: the first switch is \`nix run nix-darwin -- switch --flake .#${host}\``,
    });
  else
    out.push({
      command: "nixos-rebuild",
      fix: "it comes with NixOS; elsewhere `nix shell nixpkgs#nixos-rebuild` provides it",
    });
  out.push(
    h.platform === "darwin"
      ? { command: "launchctl", fix: "launchctl is part of macOS: is this machine really a Mac?" }
      : {
          command: "systemctl",
          fix: "systemctl is part of systemd: is this machine really running NixOS?",
        },
  );
  if (h.zfs)
    out.push({
      command: "zfs",
      fix: `enable ZFS (\`boot.supportedFilesystems = [ "zfs" ];\`), or set "zfs": false for ${host} in ${CONFIG_FILE}`,
    });
  return out;
}

/** Checks Nix, the flake, the adapters, the lock, the state folder and the platform commands. */
export async function doctor(options: DoctorOptions = {}): Promise<DoctorResult> {
  const root = resolve(options.workspace ?? ".");
  const runner = options.runner ?? new NodeProcessRunner();
  const isExecutable = options.isExecutable ?? nodeIsExecutable;
  const path = options.path ?? process.env.PATH ?? "";
  const findings: DoctorFinding[] = [];
  const add = (f: DoctorFinding) => findings.push(f);

  // Nix.
  try {
    const r = await runner.run(["nix", "--version"], { timeoutMs: 30_000 });
    const version = parseNixVersion(r.stdout);
    if (r.exitCode !== 0 || !version)
      add({
        check: "nix",
        severity: "error",
        message: `\`nix --version\` ${r.exitCode !== 0 ? `exited ${String(r.exitCode)}` : `printed no version (${r.stdout.trim()})`}`,
        fix: "repair the Nix installation (https://nixos.org/download)",
      });
    else if (version[0] < MIN_NIX[0] || (version[0] === MIN_NIX[0] && version[1] < MIN_NIX[1]))
      add({
        check: "nix",
        severity: "error",
        message: `Nix ${version.join(".")} is too old: flakes need Nix ${MIN_NIX.join(".")} or later`,
        fix: "upgrade Nix (https://nixos.org/download)",
      });
    else add({ check: "nix", severity: "ok", message: `Nix ${version.join(".")}` });
  } catch (error) {
    if (!(error instanceof CommandStartError)) throw error;
    add({
      check: "nix",
      severity: "error",
      message: "Nix is not installed: there is no `nix` on PATH",
      fix: "install Nix (https://nixos.org/download), then open a new shell",
    });
  }

  // The flake.
  const flake = readTextIfPresent(join(root, "flake.nix"));
  if (flake === undefined)
    add({
      check: "flake",
      severity: "error",
      message: `there is no flake.nix in ${root}`,
      fix: "run setup-mac in your flake repository (or pass --workspace DIR); a new one starts with `nix flake init`",
    });
  else add({ check: "flake", severity: "ok", message: "flake.nix is there", file: "flake.nix" });

  // The config and its hosts.
  const configText = readTextIfPresent(join(root, CONFIG_FILE));
  let hosts: Record<string, HostConfig> = {};
  if (configText === undefined)
    add({
      check: "config",
      severity: "error",
      message: `there is no ${CONFIG_FILE}`,
      fix: "`setup-mac init` writes one with the flake's hosts",
    });
  else {
    const parsed = parseConfig(configText);
    if (parsed.ok) {
      hosts = parsed.doc.config.hosts;
      const names = Object.keys(hosts).sort();
      add({
        check: "config",
        severity: names.length ? "ok" : "warning",
        message: names.length ? `hosts: ${names.join(", ")}` : `${CONFIG_FILE} lists no hosts`,
        file: CONFIG_FILE,
        ...(names.length ? {} : { fix: `add your machines under "hosts" in ${CONFIG_FILE}` }),
      });
    } else
      add({
        check: "config",
        severity: "error",
        message: `${CONFIG_FILE} is invalid: ${parsed.diagnostics.map((d) => d.message).join("; ")}`,
        fix: "`setup-mac check` shows where; fix the file, then run doctor again",
        file: CONFIG_FILE,
      });
  }

  // Each host's configuration imports the adapter.
  if (flake !== undefined) {
    const imports = findAdapterImports(root);
    const dynamic = imports.filter((i) => i.host === undefined);
    for (const [name, h] of Object.entries(hosts).sort(([a], [b]) => a.localeCompare(b))) {
      const standalone = (h.switch ?? "system") === "home-manager";
      const levels = [
        ...(standalone ? [] : [h.platform]),
        ...((h.homeManager ?? true) || standalone ? ["home"] : []),
      ];
      const missing = levels.filter(
        (level) => !imports.some((i) => i.host === name && i.level === level),
      );
      if (!missing.length) {
        const files = [...new Set(imports.filter((i) => i.host === name).map((i) => i.file))].join(
          ", ",
        );
        add({
          check: "adapter-import",
          severity: "ok",
          host: name,
          message: `${name} imports the adapter (${levels.map((l) => `.${l}`).join(", ")}) in ${files}`,
        });
        continue;
      }
      for (const level of missing) {
        const { line, where } = importLine(name, level, h.user);
        add({
          check: "adapter-import",
          // A host named by a variable may be this one: say so rather than fail.
          severity: dynamic.length ? "warning" : "error",
          host: name,
          file: "flake.nix",
          message:
            `${name}'s configuration does not import the setup-mac adapter` +
            ` (${level === "home" ? "home level" : "system level"}): its programs are not applied` +
            (dynamic.length
              ? ` (unless one of the imports in ${[...new Set(dynamic.map((d) => d.file))].join(", ")} that names its host by a variable is for ${name})`
              : ""),
          fix: `add this line to ${where}:\n  ${line}`,
        });
      }
    }
  }

  // The lock: present, readable, in sync with the config.
  const lockText = readTextIfPresent(join(root, LOCK_FILE));
  if (lockText === undefined)
    add({
      check: "lock",
      severity: "error",
      message: `${LOCK_FILE} is missing: the adapters read every host's programs from it`,
      fix: "`setup-mac build` writes it (`setup-mac apply` writes it and switches)",
    });
  else {
    let lock: Lock | undefined;
    try {
      lock = JSON.parse(lockText) as Lock;
      if (lock.version !== 1 || typeof lock.hosts !== "object")
        throw new Error(`format ${String(lock.version)} is not 1`);
    } catch (error) {
      lock = undefined;
      add({
        check: "lock",
        severity: "error",
        file: LOCK_FILE,
        message: `${LOCK_FILE} cannot be read: ${(error as Error).message}`,
        fix: "`setup-mac build` writes it again from the config",
      });
    }
    if (lock && configText !== undefined) {
      try {
        const computed = await computeBuild({ workspace: root, cacheDir: options.cacheDir });
        if (computed.lock.inputsHash !== lock.inputsHash)
          add({
            check: "lock",
            severity: "warning",
            file: LOCK_FILE,
            message: `${LOCK_FILE} is out of date: the config or the programs changed since it was written, so a switch would not include those changes`,
            fix: "`setup-mac diff` shows what changed; `setup-mac apply` (or `setup-mac build`) writes it",
          });
        else if (computed.lockText !== lockText)
          add({
            check: "lock",
            severity: "warning",
            file: LOCK_FILE,
            message: `${LOCK_FILE} matches the config but was written differently (another setup-mac version, or edited by hand)`,
            fix: "`setup-mac build` rewrites it",
          });
        else
          add({
            check: "lock",
            severity: "ok",
            file: LOCK_FILE,
            message: `${LOCK_FILE} is in sync with the config`,
          });
      } catch (error) {
        if (!(error instanceof SetupMacError)) throw error;
        const errors = error.diagnostics.filter((d) => d.severity === "error");
        add({
          check: "lock",
          severity: "error",
          message: `the config does not evaluate (${errors.length} error${errors.length === 1 ? "" : "s"}, first: ${errors[0]?.message ?? "unknown"}), so the lock cannot be checked`,
          fix: "`setup-mac check` lists the errors with their fixes",
        });
      }
    }
  }

  // The adapter files: present, and as init wrote them.
  const manifestText = readTextIfPresent(join(root, ADAPTER_MANIFEST));
  if (!existsSync(join(root, ADAPTER_DIR)))
    add({
      check: "adapters",
      severity: "error",
      message: `the Nix adapters are missing (${ADAPTER_DIR}/)`,
      fix: "`setup-mac init` writes them (it never touches flake.nix)",
    });
  else if (manifestText === undefined)
    add({
      check: "adapters",
      severity: "warning",
      message: `${ADAPTER_MANIFEST} is missing, so edits to the adapters cannot be told apart`,
      fix: "`setup-mac init` writes it (and keeps adapter files you changed)",
    });
  else {
    let manifest: Record<string, string> = {};
    try {
      manifest = (JSON.parse(manifestText) as { files: Record<string, string> }).files ?? {};
    } catch (error) {
      add({
        check: "adapters",
        severity: "warning",
        file: ADAPTER_MANIFEST,
        message: `${ADAPTER_MANIFEST} cannot be read: ${(error as Error).message}`,
        fix: "`setup-mac init` writes it again",
      });
    }
    let shipped: Map<string, string> | undefined;
    try {
      shipped = adapterFiles();
    } catch {
      shipped = undefined;
    }
    let healthy = 0;
    for (const [name, hash] of Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b))) {
      const rel = `${ADAPTER_DIR}/${name}`;
      const text = readTextIfPresent(join(root, rel));
      if (text === undefined)
        add({
          check: "adapters",
          severity: "error",
          file: rel,
          message: `${rel} is missing`,
          fix: "`setup-mac init` writes it again",
        });
      else if (sha256(text) !== hash)
        add({
          check: "adapters",
          severity: "warning",
          file: rel,
          message: `${rel} was changed by hand`,
          fix: "keep it if that was meant; `setup-mac init --force` puts this version's adapter back",
        });
      else if (shipped?.has(name) && sha256(shipped.get(name)!) !== hash)
        add({
          check: "adapters",
          severity: "warning",
          file: rel,
          message: `${rel} is from another setup-mac version`,
          fix: "`setup-mac init` upgrades it",
        });
      else healthy++;
    }
    if (healthy && healthy === Object.keys(manifest).length)
      add({
        check: "adapters",
        severity: "ok",
        message: `${healthy} adapter files in ${ADAPTER_DIR}/ as setup-mac wrote them`,
      });
  }

  // Packs: present, pinned, and as installed.
  let packs: PackState[] = [];
  try {
    packs = listPacks({ workspace: root });
  } catch {
    // An unreadable config is reported above.
  }
  for (const p of packs) {
    const fix = `setup-mac packs add ${p.name}@${p.version}`;
    if (p.state === "ok")
      add({ check: "packs", severity: "ok", message: `${p.name}@${p.version} as installed` });
    else if (p.state === "modified")
      add({
        check: "packs",
        severity: "warning",
        message: `${p.name}@${p.version} was edited since it was installed: ${p.changed!.join(", ")}`,
        fix: `${fix} puts it back; to change a pack, copy the module into programs/ under another name`,
      });
    else if (p.state === "missing")
      add({
        check: "packs",
        severity: "error",
        message: `${p.name}@${p.version} is pinned in ${CONFIG_FILE} but not installed under packs/`,
        fix,
      });
    else
      add({
        check: "packs",
        severity: "warning",
        message: `packs/${p.name} is there but not pinned in ${CONFIG_FILE}: its programs load without a recorded version or integrity`,
        fix: `setup-mac packs add ${p.name}@<version> to pin it, or delete the folder`,
      });
  }

  // A flake sees only files git tracks: an untracked lock or adapter is invisible to `nix build`.
  const inRepo = await runner
    .run(["git", "rev-parse", "--is-inside-work-tree"], { cwd: root, timeoutMs: 10_000 })
    .catch(() => undefined);
  if (inRepo?.exitCode === 0) {
    /** The paths git does not track. */
    const untrackedOf = async (paths: string[]): Promise<string[]> => {
      const out: string[] = [];
      for (const path of paths) {
        const r = await runner.run(["git", "ls-files", "--error-unmatch", "--", path], {
          cwd: root,
          timeoutMs: 10_000,
        });
        if (r.exitCode !== 0) out.push(path);
      }
      return out;
    };
    const wanted = [LOCK_FILE, ADAPTER_DIR].filter((p) => existsSync(join(root, p)));
    const untracked = await untrackedOf(wanted);
    if (untracked.length)
      add({
        check: "git",
        severity: "warning",
        message: `${untracked.join(" and ")} ${untracked.length === 1 ? "is" : "are"} not tracked by git, so the flake cannot see ${untracked.length === 1 ? "it" : "them"}`,
        fix: `git add ${untracked.join(" ")}`,
      });
    else if (wanted.length)
      add({ check: "git", severity: "ok", message: `${wanted.join(" and ")} tracked by git` });
    // Installed packs are vendored: another checkout evaluates their programs only if git has them.
    const untrackedPacks = await untrackedOf(
      packs.filter((p) => p.state !== "missing").map((p) => `${PACKS_DIR}/${p.name}`),
    );
    if (untrackedPacks.length)
      add({
        check: "git",
        severity: "warning",
        message: `${untrackedPacks.join(", ")} ${untrackedPacks.length === 1 ? "is" : "are"} not tracked by git: another checkout of this repository cannot load the programs ${untrackedPacks.length === 1 ? "it brings" : "they bring"}`,
        fix: `git add ${untrackedPacks.join(" ")}`,
      });
  }

  // What Nix itself sees: the adapter in each host's evaluated configuration, and this lock.
  if (flake !== undefined)
    for (const f of await evalChecks({
      root,
      runner,
      hosts,
      lockSha256: lockText === undefined ? undefined : sha256(lockText),
      nixThere: findings.some((f) => f.check === "nix" && f.severity === "ok"),
    }))
      add(f);

  // The state folder.
  const list = listGenerations(root);
  for (const p of list.problems)
    add({
      check: "state",
      severity: "warning",
      message: p.message,
      ...(p.hint ? { fix: p.hint } : {}),
      ...(p.location ? { file: p.location.file } : {}),
    });
  const interrupted = readInProgress(root);
  if (interrupted)
    add({
      check: "state",
      severity: "warning",
      host: interrupted.host,
      message: `an apply to ${interrupted.host} (pid ${interrupted.pid}, started ${interrupted.started}) stopped during "${interrupted.step}"`,
      fix: "the next `setup-mac apply` puts back the lock it replaced and finishes; `setup-mac programs rollback` goes back instead",
    });
  if (!list.problems.length && !interrupted)
    add({
      check: "state",
      severity: "ok",
      message: list.generations.length
        ? `${STATE_DIR}/: ${list.generations.length} generation${list.generations.length === 1 ? "" : "s"} readable`
        : `${STATE_DIR}/: no generations yet`,
    });

  // Platform commands, on the host that is this machine.
  const machine = localName({
    hostname: options.hostname ?? osHostname(),
    override: options.localHost,
  });
  const local = hosts[machine];
  if (!local) {
    if (Object.keys(hosts).length)
      add({
        check: "commands",
        severity: "info",
        message: `this machine (${machine}) is none of the hosts (${Object.keys(hosts).sort().join(", ")}): platform commands were not checked`,
        fix: "run doctor on the host, or set SETUP_MAC_HOST=<host> if this machine is one under another name",
      });
  } else {
    for (const { command, fix } of platformCommands(machine, local)) {
      const found = findExecutable(command, path, isExecutable);
      add(
        found
          ? {
              check: "commands",
              severity: "ok",
              host: machine,
              message: `${command} is ${found}`,
            }
          : {
              check: "commands",
              severity: "error",
              host: machine,
              message: `\`${command}\` is not on PATH, and ${machine} needs it`,
              fix,
            },
      );
    }
  }

  // Hosts deployed over SSH: reachable without a prompt, and with Nix there.
  await Promise.all(
    Object.entries(hosts)
      .filter(([, h]) => h.targetHost)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(async ([name, h]) => ({ name, finding: await reach(name, h.targetHost!, runner) })),
  ).then((results) => results.forEach((r) => add(r.finding)));

  return { root, findings, ok: !findings.some((f) => f.severity === "error") };
}

/** `ssh` exits 255 for its own failures: unknown host, refused, no key, a password prompt. */
const SSH_FAILED = 255;

/**
 * Whether `apply --target-host` can work: SSH without a prompt (BatchMode), within a few seconds,
 * and `nix` on the target's PATH.
 */
async function reach(host: string, target: string, runner: ProcessRunner): Promise<DoctorFinding> {
  const argv = [
    "ssh",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    target,
    "--",
    "nix",
    "--version",
  ];
  const base = { check: "reach", host };
  try {
    const r = await runner.run(argv, { timeoutMs: 20_000 });
    const said = (r.stderr || r.stdout).trim().split("\n").at(-1) ?? "";
    if (r.timedOut)
      return {
        ...base,
        severity: "error",
        message: `${target} did not answer over SSH within 20 s`,
        fix: `check that ${target} is up and reachable from here (\`ssh ${target}\`)`,
      };
    if (r.exitCode === SSH_FAILED)
      return {
        ...base,
        severity: "error",
        message: `cannot reach ${target} over SSH without a prompt${said ? `: ${said}` : ""}`,
        fix: `\`setup-mac apply\` deploys to ${host} with \`nixos-rebuild --target-host\`, which needs SSH that asks nothing: check the address, then load your key (ssh-add) or add it to ${target}'s authorized_keys`,
      };
    const version = parseNixVersion(r.stdout);
    if (r.exitCode !== 0 || !version)
      return {
        ...base,
        severity: "error",
        message: `${target} answers over SSH, but \`nix --version\` ${r.exitCode !== 0 ? `exited ${String(r.exitCode)}` : "printed no version"} there${said ? `: ${said}` : ""}`,
        fix: `install Nix on ${target}, or make \`nix\` available on the PATH of non-interactive SSH sessions`,
      };
    return {
      ...base,
      severity: "ok",
      message: `${target} reachable over SSH, Nix ${version.join(".")}`,
    };
  } catch (error) {
    if (!(error instanceof CommandStartError)) throw error;
    return {
      ...base,
      severity: "error",
      message: `\`ssh\` is not on PATH, and ${host} is deployed to over SSH (${target})`,
      fix: "install OpenSSH's client",
    };
  }
}

/** Replaces the contents of strings and comments by spaces, keeping offsets. */
function blankStringsAndComments(text: string): string {
  const out = text.split("");
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "#") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (c === "'" && text[i + 1] === "'") {
      let j = i + 2;
      while (j < text.length) {
        if (text[j] === "'" && text[j + 1] === "'") {
          if (text[j + 2] === "'" || text[j + 2] === "$" || text[j + 2] === "\\") {
            j += 3;
            continue;
          }
          break;
        }
        j++;
      }
      blank(i + 2, j);
      i = j + 2;
    } else i++;
  }
  return out.join("");
}
