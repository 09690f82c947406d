/**
 * The lock file (pure): the evaluated hosts as one sorted, byte-stable JSON document that Nix
 * reads with `builtins.fromJSON`.
 */
import { sha256 } from "./hash.js";
import type { EvaluateInput, Evaluation } from "../plan/evaluate.js";
import { stableStringify } from "./json.js";
import type { HostLock, Lock } from "./lock-types.js";
import { LOCK_VERSION } from "./lock-types.js";

export const LOCK_FILE = "setup-mac.lock.json";

/** sha256 over the config's value and the source hash of every program the hosts enable. */
export function inputsHash(
  input: Pick<EvaluateInput, "config">,
  hosts: Record<string, HostLock>,
): string {
  const sources = new Map<string, string>();
  for (const host of Object.values(hosts)) {
    for (const [name, p] of Object.entries(host.programs)) sources.set(name, p.source.sha256);
  }
  const payload = stableStringify({
    config: input.config.config,
    sources: Object.fromEntries(sources),
  });
  return sha256(payload);
}

/** Assembles the lock from an evaluation without errors. */
export function buildLock(input: Pick<EvaluateInput, "config">, evaluation: Evaluation): Lock {
  const hosts: Record<string, HostLock> = {};
  for (const [name, host] of evaluation.hosts) {
    if (!host.lock)
      throw new Error(
        `internal: host ${name} has no lock; check diagnostics before building the lock`,
      );
    hosts[name] = host.lock;
  }
  return { version: LOCK_VERSION, inputsHash: inputsHash(input, hosts), hosts };
}

/** The lock's bytes. */
export function serializeLock(lock: Lock): string {
  return stableStringify(lock);
}
