/**
 * doctor's checks by evaluation: what Nix itself sees of the workspace, asked through `nix eval`.
 * Each host's configuration is asked which files define its packages option: the adapter's module
 * names itself there (`…/setup-mac/nix/<level>.nix (setup-mac, host <name>)`). The flake's own copy
 * of the lock (the source Nix copied to the store, which holds only what git tracks) is hashed by
 * Nix and compared with the lock on disk. When the flake does not evaluate here (no network, a
 * system this machine cannot evaluate), doctor says so and leaves these checks out.
 */
import type { HostConfig } from "../schema/workspace.js";
import type { ProcessRunner } from "../ports/index.js";
import { firstNixError } from "../apply/closure.js";
import { LOCK_FILE } from "../emit/lock.js";
import type { DoctorFinding } from "./doctor.js";

const NIX = ["nix", "--extra-experimental-features", "nix-command flakes"];
const TIMEOUT = 5 * 60_000;

/** The flake attribute of one level of a host, and the option its adapter always defines. */
export interface EvalTarget {
  level: "darwin" | "nixos" | "home";
  /** The installable: `.#nixosConfigurations.evo-x2.options.environment.systemPackages.files`. */
  installable: string;
}

/** What `nix eval` can check for a host: its system level, or its standalone home-manager config. */
export function evalTargets(host: string, h: HostConfig): EvalTarget[] {
  const attr = (s: string) => (/^[A-Za-z_][\w'-]*$/.test(s) ? s : JSON.stringify(s));
  if ((h.switch ?? "system") === "home-manager")
    return [
      {
        level: "home",
        installable: `.#homeConfigurations.${attr(`${h.user}@${host}`)}.options.home.packages.files`,
      },
    ];
  const top = h.platform === "darwin" ? "darwinConfigurations" : "nixosConfigurations";
  return [
    {
      level: h.platform,
      installable: `.#${top}.${attr(host)}.options.environment.systemPackages.files`,
    },
  ];
}

/**
 * Which hosts' adapter modules define the option, from its `files` list: each adapter module is
 * named `…/setup-mac/nix/<level>.nix (setup-mac, host <name>)`.
 */
export function adapterHosts(files: unknown, level: string): string[] {
  if (!Array.isArray(files)) return [];
  const out: string[] = [];
  for (const f of files) {
    const m = typeof f === "string" ? /\/([a-z]+)\.nix \(setup-mac, host (.+)\)$/.exec(f) : null;
    if (m && m[1] === level) out.push(m[2]!);
  }
  return [...new Set(out)];
}

/** Hex sha256 with the Nix store path check doctor needs before putting it in an expression. */
function storePath(path: unknown): string | undefined {
  return typeof path === "string" && /^\/[\w/.+-]+$/.test(path) ? path : undefined;
}

/** The evaluation checks; findings use check `eval`. */
export async function evalChecks(o: {
  root: string;
  runner: ProcessRunner;
  hosts: Record<string, HostConfig>;
  lockSha256: string | undefined;
  /** Whether `nix` ran at all (doctor's first check). */
  nixThere: boolean;
}): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  const skip = (message: string): DoctorFinding[] => [
    {
      check: "eval",
      severity: "info",
      message: `${message}; the checks by evaluation were skipped`,
    },
  ];
  if (!o.nixThere) return skip("Nix is not there");
  const run = (argv: string[]) =>
    o.runner.run([...NIX, ...argv], { cwd: o.root, timeoutMs: TIMEOUT }).catch((e: Error) => ({
      exitCode: 1,
      stdout: "",
      stderr: `error: ${e.message}`,
    }));
  const why = (r: { stderr: string; stdout: string }) =>
    firstNixError(r.stderr) ?? (r.stderr.trim().split("\n").at(-1) || "no output");

  // The lock the flake sees: Nix's copy of the source, hashed by Nix.
  // doctor changes nothing: a flake without flake.lock is locked in memory only.
  const meta = await run(["flake", "metadata", "--json", "--no-write-lock-file", "."]);
  let source: string | undefined;
  try {
    source =
      meta.exitCode === 0
        ? storePath((JSON.parse(meta.stdout) as { path?: unknown }).path)
        : undefined;
  } catch {
    source = undefined;
  }
  if (!source)
    return skip(`the flake does not evaluate here (\`nix flake metadata\`: ${why(meta)})`);
  if (o.lockSha256 !== undefined) {
    const lockInStore = `${source}/${LOCK_FILE}`;
    const hashed = await run([
      "eval",
      "--raw",
      "--impure",
      "--expr",
      `let p = ${JSON.stringify(lockInStore)}; in if builtins.pathExists p then builtins.hashFile "sha256" p else ""`,
    ]);
    const seen = hashed.stdout.trim();
    if (hashed.exitCode !== 0)
      findings.push({
        check: "eval",
        severity: "info",
        message: `could not hash the flake's copy of ${LOCK_FILE}: ${why(hashed)}`,
      });
    else if (seen === "")
      findings.push({
        check: "eval",
        severity: "error",
        file: LOCK_FILE,
        message: `the flake Nix evaluates has no ${LOCK_FILE} (a flake sees only files git tracks), so every host fails to evaluate`,
        fix: `git add ${LOCK_FILE}`,
      });
    else if (seen !== o.lockSha256)
      findings.push({
        check: "eval",
        severity: "error",
        file: LOCK_FILE,
        message: `the ${LOCK_FILE} Nix sees is not the one on disk (sha256 ${seen.slice(0, 12)}… against ${o.lockSha256.slice(0, 12)}…): the flake reads another copy`,
        fix: "is the workspace the flake's root? Is the file ignored by git, or staged in an older version (`git diff --cached`)? `git add setup-mac.lock.json`",
      });
    else
      findings.push({
        check: "eval",
        severity: "ok",
        file: LOCK_FILE,
        message: `Nix sees this ${LOCK_FILE} (sha256 ${seen.slice(0, 12)}…)`,
      });
  }

  for (const [name, h] of Object.entries(o.hosts).sort(([a], [b]) => a.localeCompare(b)))
    for (const t of evalTargets(name, h)) {
      const r = await run(["eval", "--json", "--no-write-lock-file", t.installable]);
      let files: unknown;
      try {
        files = r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
      } catch {
        files = undefined;
      }
      if (!Array.isArray(files)) {
        findings.push({
          check: "eval",
          severity: "info",
          host: name,
          message: `${t.installable.slice(2).replace(/\.options\..*$/, "")} does not evaluate here (${why(r)}); its import was checked by reading flake.nix only`,
        });
        continue;
      }
      const hosts = adapterHosts(files, t.level);
      if (hosts.includes(name))
        findings.push({
          check: "eval",
          severity: "ok",
          host: name,
          message: `Nix evaluates ${name} with the setup-mac adapter (.${t.level})`,
        });
      else
        findings.push({
          check: "eval",
          severity: "error",
          host: name,
          message: hosts.length
            ? `${name}'s configuration imports the adapter of ${hosts.join(", ")} instead of its own: it gets that host's programs`
            : `Nix evaluates ${name} without the setup-mac adapter (.${t.level}): its programs are not applied`,
          fix: `import (import ./setup-mac/nix { host = ${JSON.stringify(name)}; }).${t.level} in ${name}'s configuration (\`setup-mac init\` prints the line)`,
        });
    }
  return findings;
}
