/**
 * `scan`: the security scan of every host's evaluated configuration (see src/scan/). Builds the
 * lock in memory (writing nothing), scans the hosts asked for, and sets accepted findings aside
 * with the reason the config gives for each.
 */
import { SetupMacError } from "../errors/index.js";
import { parseConfig } from "../load/config.js";
import type { AllowedFinding } from "../scan/index.js";
import { applyAllows, scanHost } from "../scan/index.js";
import type { ScanAllow } from "../schema/workspace.js";
import { computeBuild } from "./build.js";
import { selectHosts } from "./hosts.js";
import type { WorkspaceOptions } from "./workspace.js";

export interface ScanOptions extends WorkspaceOptions {
  /** Warnings fail the scan too (and so does an `allow` entry that matches nothing). */
  strict?: boolean;
}

export type ScanResultFinding = AllowedFinding;

export interface ScanResult {
  /** False when an error (with `strict`: a warning or an unused `allow`) is not accepted. */
  ok: boolean;
  hosts: string[];
  findings: ScanResultFinding[];
  /** `scan.allow` entries that accepted nothing: fixed problems whose entry can go. */
  unusedAllows: ScanAllow[];
}

export async function scan(options: ScanOptions = {}): Promise<ScanResult> {
  const computed = await computeBuild(options);
  // computeBuild has read and validated this text already.
  const parsed = parseConfig(computed.configText);
  if (!parsed.ok) throw new SetupMacError(parsed.diagnostics);
  const allows = parsed.doc.config.scan?.allow ?? [];
  const hosts = selectHosts({ config: parsed.doc }, options.hosts);
  const scanned = applyAllows(
    hosts.flatMap((host) => scanHost(host, computed.lock.hosts[host]!)),
    allows,
    hosts,
  );
  const { findings, unused: unusedAllows } = scanned;
  const open = findings.filter((f) => !f.allowed);
  const ok =
    !open.some((f) => f.severity === "error") &&
    !(options.strict && (open.some((f) => f.severity === "warning") || unusedAllows.length > 0));
  return { ok, hosts, findings, unusedAllows };
}
