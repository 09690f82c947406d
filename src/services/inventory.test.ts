import { describe, expect, it } from "vitest";
import type { HostLock, ServiceLock } from "../emit/lock-types.js";
import { SetupMacError } from "../errors/index.js";
import {
  findServices,
  logsCommand,
  serviceInventory,
  statusCommand,
  verbCommands,
  type ServiceEntry,
} from "./inventory.js";

function svc(program: string, service: string, extra: Partial<ServiceLock> = {}): ServiceLock {
  return {
    unit: `setup-mac-${program}-${service}`,
    label: `org.setup-mac.${program}.${service}`,
    scope: "user",
    description: `${program} ${service}`,
    command: [{ bin: program, pkg: program }, service],
    restart: "on-failure",
    ...extra,
  };
}

function host(platform: HostLock["platform"]): HostLock {
  const program = (
    system: Record<string, ServiceLock>,
    home: Record<string, ServiceLock> = {},
  ) => ({
    category: "x",
    description: "",
    source: { path: "p.ts", sha256: "0" },
    enabledBy: { host: true as const },
    options: {},
    ...(Object.keys(system).length ? { system: { services: system } } : {}),
    ...(Object.keys(home).length ? { home: { services: home } } : {}),
  });
  return {
    platform,
    system: platform === "darwin" ? "aarch64-darwin" : "x86_64-linux",
    user: "lars",
    home: platform === "darwin" ? "/Users/lars" : "/home/lars",
    homeManager: true,
    zfs: false,
    order: ["ollama", "atuin", "nix-gc", "git"],
    programs: {
      git: program({}),
      atuin: program(
        {},
        { daemon: svc("atuin", "daemon", { logs: "/home/lars/.local/state/atuin.log" }) },
      ),
      ollama: program({ server: svc("ollama", "server", { scope: "system" }) }),
      "nix-gc": program({
        gc: svc("nix-gc", "gc", { scope: "system", schedule: { every: 86400 }, restart: "never" }),
      }),
    },
  };
}

const nixos = serviceInventory(host("nixos"));
const darwin = serviceInventory(host("darwin"));
const byName = (list: ServiceEntry[], name: string) => list.find((e) => e.name === name)!;

describe("serviceInventory", () => {
  it("lists every service in program order with setup-mac's and the platform's names", () => {
    expect(nixos.map((e) => [e.name, e.scope, e.level, e.unitName])).toEqual([
      ["ollama/server", "system", "system", "setup-mac-ollama-server.service"],
      ["atuin/daemon", "user", "home", "setup-mac-atuin-daemon.service"],
      ["nix-gc/gc", "system", "system", "setup-mac-nix-gc-gc.service"],
    ]);
    expect(darwin.map((e) => e.unitName)).toEqual([
      "org.setup-mac.ollama.server",
      "org.setup-mac.atuin.daemon",
      "org.setup-mac.nix-gc.gc",
    ]);
    expect(byName(nixos, "nix-gc/gc").timer).toBe("setup-mac-nix-gc-gc.timer");
    expect(byName(nixos, "atuin/daemon").timer).toBeUndefined();
  });

  it("puts plists where nix-darwin and home-manager install them", () => {
    expect(darwin.map((e) => e.plist)).toEqual([
      "/Library/LaunchDaemons/org.setup-mac.ollama.server.plist",
      "/Users/lars/Library/LaunchAgents/org.setup-mac.atuin.daemon.plist",
      "/Library/LaunchDaemons/org.setup-mac.nix-gc.gc.plist",
    ]);
    // Without home-manager a user service is nix-darwin's launchd.user.agents: the same folder.
    const plain = host("darwin");
    const atuin = plain.programs.atuin!;
    plain.programs.atuin = { ...atuin, system: { services: atuin.home!.services! } };
    delete plain.programs.atuin.home;
    const agent = serviceInventory(plain).find((e) => e.name === "atuin/daemon")!;
    expect([agent.level, agent.plist]).toEqual([
      "system",
      "/Users/lars/Library/LaunchAgents/org.setup-mac.atuin.daemon.plist",
    ]);
  });
});

describe("findServices", () => {
  it("finds one service by program/service and all of a program's by its name", () => {
    expect(findServices(nixos, "atuin/daemon", "evo").map((e) => e.name)).toEqual(["atuin/daemon"]);
    expect(findServices(nixos, "ollama", "evo").map((e) => e.name)).toEqual(["ollama/server"]);
  });

  it("suggests the closest name for a typo, as a usage error", () => {
    let error: unknown;
    try {
      findServices(nixos, "atuin/deamon", "evo");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SetupMacError);
    expect((error as SetupMacError).exitCode).toBe(2);
    expect((error as SetupMacError).message).toBe(
      "error[unknown-service]: host evo has no service `atuin/deamon`\n" +
        "  fix: did you mean `atuin/daemon`? (`setup-mac services list` shows them all)",
    );
  });

  it("lists the services when nothing is close, and says when there are none", () => {
    expect(() => findServices(nixos, "postgresql", "evo")).toThrow(
      "its services: ollama/server, atuin/daemon, nix-gc/gc",
    );
    expect(() => findServices([], "x", "evo")).toThrow(
      "no program enabled on evo declares a service",
    );
  });
});

describe("systemd commands", () => {
  it("asks systemctl for system units and systemctl --user for user units", () => {
    expect(statusCommand(byName(nixos, "atuin/daemon"), 1000)).toEqual([
      "systemctl",
      "--user",
      "show",
      "--property=Id,LoadState,ActiveState,SubState,UnitFileState,MainPID,ActiveEnterTimestamp,InactiveEnterTimestamp,ExecMainStatus,ExecMainCode,NRestarts,Result",
      "setup-mac-atuin-daemon.service",
    ]);
    expect(statusCommand(byName(nixos, "nix-gc/gc"), 1000).slice(0, 2)).toEqual([
      "systemctl",
      "show",
    ]);
    expect(statusCommand(byName(nixos, "nix-gc/gc"), 1000).slice(-2)).toEqual([
      "setup-mac-nix-gc-gc.service",
      "setup-mac-nix-gc-gc.timer",
    ]);
    for (const verb of ["start", "stop", "restart"] as const) {
      expect(verbCommands(byName(nixos, "ollama/server"), verb, { uid: 0, loaded: false })).toEqual(
        [["systemctl", verb, "setup-mac-ollama-server.service"]],
      );
      expect(verbCommands(byName(nixos, "atuin/daemon"), verb, { uid: 0, loaded: true })).toEqual([
        ["systemctl", "--user", verb, "setup-mac-atuin-daemon.service"],
      ]);
    }
  });

  it("reads the journal with -u or --user-unit, and a service's own log file with tail", () => {
    expect(logsCommand(byName(nixos, "ollama/server"))).toEqual([
      "journalctl",
      "-u",
      "setup-mac-ollama-server.service",
      "-n",
      "50",
      "--no-pager",
    ]);
    const userEntry = { ...byName(nixos, "atuin/daemon") };
    delete userEntry.logs;
    expect(logsCommand(userEntry, { lines: 200, follow: true })).toEqual([
      "journalctl",
      "--user-unit",
      "setup-mac-atuin-daemon.service",
      "-n",
      "200",
      "-f",
      "--no-pager",
    ]);
    expect(logsCommand(byName(nixos, "atuin/daemon"), { lines: 5, follow: true })).toEqual([
      "tail",
      "-n",
      "5",
      "-F",
      "/home/lars/.local/state/atuin.log",
    ]);
  });
});

describe("launchd commands", () => {
  const agent = byName(darwin, "atuin/daemon");
  const daemon = byName(darwin, "ollama/server");

  it("prints the job in gui/<uid> for agents and system for daemons", () => {
    expect(statusCommand(agent, 501)).toEqual([
      "launchctl",
      "print",
      "gui/501/org.setup-mac.atuin.daemon",
    ]);
    expect(statusCommand(daemon, 501)).toEqual([
      "launchctl",
      "print",
      "system/org.setup-mac.ollama.server",
    ]);
  });

  it("kickstarts a loaded job and bootstraps one that is not loaded", () => {
    expect(verbCommands(agent, "start", { uid: 501, loaded: true })).toEqual([
      ["launchctl", "kickstart", "gui/501/org.setup-mac.atuin.daemon"],
    ]);
    expect(verbCommands(agent, "restart", { uid: 501, loaded: true })).toEqual([
      ["launchctl", "kickstart", "-k", "gui/501/org.setup-mac.atuin.daemon"],
    ]);
    expect(verbCommands(daemon, "start", { uid: 501, loaded: false })).toEqual([
      [
        "launchctl",
        "bootstrap",
        "system",
        "/Library/LaunchDaemons/org.setup-mac.ollama.server.plist",
      ],
    ]);
    expect(verbCommands(agent, "restart", { uid: 501, loaded: false })).toEqual([
      [
        "launchctl",
        "bootstrap",
        "gui/501",
        "/Users/lars/Library/LaunchAgents/org.setup-mac.atuin.daemon.plist",
      ],
    ]);
  });

  it("stops a job by unloading it, and does nothing to one that is not loaded", () => {
    expect(verbCommands(daemon, "stop", { uid: 501, loaded: true })).toEqual([
      ["launchctl", "bootout", "system/org.setup-mac.ollama.server"],
    ]);
    expect(verbCommands(daemon, "stop", { uid: 501, loaded: false })).toEqual([]);
  });

  it("reads logs from the plist's log path, and says how to get one when there is none", () => {
    expect(logsCommand(agent, { lines: 20 })).toEqual([
      "tail",
      "-n",
      "20",
      "/home/lars/.local/state/atuin.log",
    ]);
    expect(() => logsCommand(daemon)).toThrow(
      "ollama/server writes no log file, and launchd keeps no output of a job without one",
    );
  });
});
