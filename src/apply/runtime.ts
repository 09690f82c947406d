/**
 * What commands need at run time on the machine being changed: where a package's binary is, and
 * the probe dependencies for health checks.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { nodeFileSystem } from "../adapters/node-fs.js";
import { nodeHttpClient, nodeTcpConnector } from "../adapters/node-net.js";
import type { ArgLock, HostLock, ProbeLock } from "../emit/lock-types.js";
import type { ProcessRunner } from "../ports/index.js";
import type { ProbeDeps, ServiceTarget } from "../probe/health.js";

/**
 * A `{ bin, pkg }` command element as a path on the host: the system profile, the user's
 * home-manager profile, then plain `PATH` lookup by name.
 */
export function binResolver(
  lock: Pick<HostLock, "user" | "home">,
  exists: (p: string) => boolean = existsSync,
): (arg: ArgLock) => string {
  const profiles = [
    "/run/current-system/sw/bin",
    `/etc/profiles/per-user/${lock.user}/bin`,
    join(lock.home, ".nix-profile/bin"),
  ];
  return (arg) => {
    if (typeof arg === "string") return arg;
    for (const dir of profiles) {
      const path = join(dir, arg.bin);
      if (exists(path)) return path;
    }
    return arg.bin;
  };
}

/** Every health check of a host: programs' own and their services'. */
export function hostProbes(lock: HostLock): { program: string; probe: ProbeLock }[] {
  const out: { program: string; probe: ProbeLock }[] = [];
  const seen = new Set<string>();
  const add = (program: string, probe: ProbeLock) => {
    const key = JSON.stringify(probe);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ program, probe });
  };
  for (const name of lock.order) {
    const p = lock.programs[name];
    if (!p) continue;
    for (const probe of p.health ?? []) add(name, probe);
    for (const level of [p.system, p.home]) {
      for (const svc of Object.values(level?.services ?? {})) {
        // A scheduled job is not running between runs: its health is checked by the job itself.
        if (svc.health && !svc.schedule) add(name, svc.health);
      }
    }
  }
  return out;
}

/** Probe dependencies for a host, with services named by program service (`server`) or unit. */
export function probeDeps(
  lock: HostLock,
  runner: ProcessRunner,
  overrides: Partial<ProbeDeps> = {},
): ProbeDeps {
  const services = new Map<string, ServiceTarget>();
  for (const p of Object.values(lock.programs)) {
    for (const level of [p.system, p.home]) {
      for (const [name, svc] of Object.entries(level?.services ?? {})) {
        const target = { unit: svc.unit, label: svc.label, scope: svc.scope };
        services.set(svc.unit, target);
        services.set(svc.label, target);
        if (!services.has(name)) services.set(name, target);
      }
    }
  }
  return {
    runner,
    http: nodeHttpClient,
    tcp: nodeTcpConnector,
    files: nodeFileSystem,
    resolveArg: binResolver(lock),
    platform: lock.platform,
    scope: "user",
    uid: typeof process.getuid === "function" ? process.getuid() : undefined,
    resolveService: (name) => services.get(name),
    ...overrides,
  };
}
