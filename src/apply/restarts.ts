/**
 * Which services `apply` restarts after the switch (pure): exactly those that were applied
 * before and whose rendered definition changed (the `hash` of the unit or plist in the lock).
 * New services are started by the switch and removed ones stopped by it; a scheduled job is
 * left to its schedule (restarting it would run it now), and the next run uses the new unit.
 */
import { isDeepStrictEqual } from "node:util";
import type { HostLock, ServiceLock } from "../emit/lock-types.js";
import { serviceInventory } from "../services/inventory.js";

/** A service whose definition changed since the last generation. */
export interface PlannedRestart {
  /** `atuin/daemon`. */
  name: string;
  /** The unit or label. */
  unit: string;
  scope: ServiceLock["scope"];
}

/** Two definitions differ: by hash when both locks have one, else by their content. */
function changed(before: ServiceLock, after: ServiceLock): boolean {
  if (before.hash !== undefined && after.hash !== undefined) return before.hash !== after.hash;
  const strip = ({ hash: _hash, ...rest }: ServiceLock) => rest;
  return !isDeepStrictEqual(strip(before), strip(after));
}

/** The services to restart after switching from `previous` to `next`, in the host's order. */
export function plannedRestarts(previous: HostLock | undefined, next: HostLock): PlannedRestart[] {
  if (!previous || previous.platform !== next.platform) return [];
  // Looked up at the service's own level: a program may have one of the same name at each.
  const at = (lock: HostLock, e: { program: string; level: "system" | "home"; service: string }) =>
    lock.programs[e.program]?.[e.level]?.services?.[e.service];
  return serviceInventory(next)
    .filter((e) => !e.scheduled)
    .filter((e) => {
      const old = at(previous, e);
      return old !== undefined && changed(old, at(next, e)!);
    })
    .map((e) => ({ name: e.name, unit: e.unitName, scope: e.scope }));
}
