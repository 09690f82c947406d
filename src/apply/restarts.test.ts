import { describe, expect, it } from "vitest";
import type { HostLock, ServiceLock } from "../emit/lock-types.js";
import { plannedRestarts } from "./restarts.js";

function svc(program: string, service: string, extra: Partial<ServiceLock> = {}): ServiceLock {
  return {
    unit: `setup-mac-${program}-${service}`,
    label: `org.setup-mac.${program}.${service}`,
    scope: "user",
    description: `${program} ${service}`,
    command: [program, service],
    restart: "on-failure",
    ...extra,
  };
}

function lock(
  services: Record<string, Record<string, ServiceLock>>,
  platform: HostLock["platform"] = "nixos",
): HostLock {
  return {
    platform,
    system: "x86_64-linux",
    user: "lars",
    home: "/home/lars",
    homeManager: true,
    zfs: false,
    order: Object.keys(services).sort(),
    programs: Object.fromEntries(
      Object.entries(services).map(([name, s]) => [
        name,
        {
          category: "x",
          description: "",
          source: { path: `${name}.ts`, sha256: "0" },
          enabledBy: { host: true as const },
          options: {},
          home: { services: s },
        },
      ]),
    ),
  };
}

describe("plannedRestarts", () => {
  const before = lock({
    atuin: { daemon: svc("atuin", "daemon", { hash: "a1" }) },
    web: {
      server: svc("web", "server", { hash: "w1" }),
      admin: svc("web", "admin", { hash: "x1" }),
    },
    gc: { collect: svc("gc", "collect", { hash: "g1", schedule: { every: 86400 } }) },
    old: { gone: svc("old", "gone", { hash: "o1" }) },
  });

  it("restarts exactly the services whose rendered definition changed", () => {
    const after = lock({
      atuin: { daemon: svc("atuin", "daemon", { hash: "a1" }) },
      web: {
        server: svc("web", "server", { hash: "w2" }),
        admin: svc("web", "admin", { hash: "x1" }),
      },
      gc: { collect: svc("gc", "collect", { hash: "g2", schedule: { every: 3600 } }) },
      fresh: { new: svc("fresh", "new", { hash: "n1" }) },
    });
    expect(plannedRestarts(before, after)).toEqual([
      { name: "web/server", unit: "setup-mac-web-server.service", scope: "user" },
    ]);
  });

  it("nothing on a first apply, or when only the program around a service changed", () => {
    expect(plannedRestarts(undefined, before)).toEqual([]);
    expect(plannedRestarts(before, structuredClone(before))).toEqual([]);
  });

  it("compares definitions when an older lock has no hashes", () => {
    const { hash: _a, ...plain } = svc("atuin", "daemon");
    const old = lock({ atuin: { daemon: plain } });
    expect(
      plannedRestarts(old, lock({ atuin: { daemon: svc("atuin", "daemon", { hash: "a1" }) } })),
    ).toEqual([]);
    const moved = lock({
      atuin: { daemon: svc("atuin", "daemon", { hash: "a1", environment: { A: "1" } }) },
    });
    expect(plannedRestarts(old, moved).map((r) => r.name)).toEqual(["atuin/daemon"]);
  });
});

describe("plannedRestarts with a service of the same name at both levels", () => {
  const both = (systemHash: string, homeHash: string): HostLock => {
    const l = lock({ sync: { daemon: svc("sync", "daemon", { hash: homeHash }) } });
    l.programs.sync!.system = {
      services: { daemon: svc("sync", "daemon", { hash: systemHash, scope: "system" }) },
    };
    return l;
  };

  it("compares each at its own level: only the one that changed is restarted", () => {
    expect(plannedRestarts(both("s1", "h1"), both("s1", "h2")).map((r) => r.scope)).toEqual([
      "user",
    ]);
    expect(plannedRestarts(both("s1", "h1"), both("s2", "h1")).map((r) => r.scope)).toEqual([
      "system",
    ]);
    expect(plannedRestarts(both("s1", "h1"), both("s1", "h1"))).toEqual([]);
  });
});
