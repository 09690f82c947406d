import { createServer, type Server } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply } from "../../src/api/apply.js";
import { cliAsync } from "../e2e/cli.js";
import { program, world, type World } from "./world.js";

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const running = { ActiveState: "active", SubState: "running", MainPID: 77 } as const;

function setup(): World {
  return world(
    {
      uids: { lars: 501 },
      systemd: {
        system: { "setup-mac-web-server.service": running },
        user: { "setup-mac-sync-daemon.service": running },
      },
      launchd: {
        "gui/501/org.setup-mac.sync.daemon": {
          state: "running",
          pid: 88,
          runs: 1,
          path: "/Users/lars/Library/LaunchAgents/org.setup-mac.sync.daemon.plist",
          type: "LaunchAgent",
        },
      },
    },
    port,
  );
}

/** Changes what the sync daemon runs (its unit changes) and the gc job's schedule. */
function edit(w: World, flag: string): void {
  writeFileSync(
    join(w.root, "programs/test/sync.ts"),
    program(
      "sync",
      `config: ({ host }) => ({ services: { daemon: { command: ["sync-daemon", "--serve", "${flag}"], ...(host.platform === "darwin" ? { logs: "~/Library/Logs/sync.log" } : {}) } } })`,
    ),
  );
  writeFileSync(
    join(w.root, "programs/test/gc.ts"),
    program(
      "gc",
      `config: () => ({ services: { collect: { command: ["nix-collect-garbage", "${flag}"], scope: "system", schedule: { every: "1d" } } } })`,
    ),
  );
}

const options = (w: World, host: string) => ({
  workspace: w.root,
  cacheDir: w.cache,
  host,
  yes: true,
  runner: w.runner,
  noSnapshot: true,
  // The build before the switch is tested with the apply tests; these are about restarts.
  build: false,
});

/** The commands that change something (not the state queries). */
const actions = (w: World) =>
  w.calls().filter((c) => !c.includes("show") && c[1] !== "print" && c[0] !== "id");

describe("apply restarts exactly the services whose definition changed", () => {
  it("on NixOS: after the switch, with systemctl, and nothing else", async () => {
    const w = setup();
    const first = await apply(options(w, "box"));
    expect(first.plan.restarts).toEqual([]);
    expect(actions(w)).toEqual([["nixos-rebuild", "switch", "--flake", ".#box"]]);

    edit(w, "--verbose");
    w.reset();
    const steps: string[] = [];
    const second = await apply({ ...options(w, "box"), onStep: (s) => steps.push(s) });
    // gc/collect changed too, but a scheduled job is left to its schedule.
    expect(second.plan.restarts).toEqual([
      { name: "sync/daemon", unit: "setup-mac-sync-daemon.service", scope: "user" },
    ]);
    expect(steps).toEqual(["check", "lock", "switch", "restart", "health", "record"]);
    expect(actions(w)).toEqual([
      ["nixos-rebuild", "switch", "--flake", ".#box"],
      ["systemctl", "--user", "restart", "setup-mac-sync-daemon.service"],
    ]);
    expect(second.restarts.map((r) => [r.name, r.ok])).toEqual([["sync/daemon", true]]);
    expect(second.restarts[0]!.detail).toMatch(/^ready after \d\.\d s: active \(running\)$/);
  });

  it("--no-restart lists them in the plan and leaves them alone", async () => {
    const w = setup();
    await apply(options(w, "box"));
    edit(w, "--quiet");
    w.reset();
    const result = await apply({ ...options(w, "box"), noRestart: true });
    expect([result.plan.restarts.map((r) => r.name), result.plan.restart]).toEqual([
      ["sync/daemon"],
      false,
    ]);
    expect(actions(w)).toEqual([["nixos-rebuild", "switch", "--flake", ".#box"]]);
    expect(result.notes).toContain(
      "Not restarted (--no-restart): sync/daemon still run their previous definition until `setup-mac services restart sync/daemon`.",
    );
  });

  it("on macOS: kickstart -k in the user's gui domain", async () => {
    const w = setup();
    await apply(options(w, "mac"));
    edit(w, "--verbose");
    w.reset();
    const result = await apply(options(w, "mac"));
    expect(actions(w)).toEqual([
      ["darwin-rebuild", "switch", "--flake", ".#mac"],
      ["launchctl", "kickstart", "-k", "gui/501/org.setup-mac.sync.daemon"],
    ]);
    expect(result.restarts.map((r) => [r.name, r.ok])).toEqual([["sync/daemon", true]]);
  });

  it("a restart that fails is reported and fails the apply, after the generation is recorded", async () => {
    const w = setup();
    await apply(options(w, "box"));
    edit(w, "--broken");
    const state = w.state();
    state.fail = ["setup-mac-sync-daemon.service"];
    writeFileSync(w.stateFile, JSON.stringify(state));
    const r = await cliAsync(
      ["--workspace", w.root, "--host", "box", "apply", "--yes", "--no-snapshot", "--no-build"],
      w.env,
    );
    // The service manager failed, not the configuration (decision 0020).
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("  restart (definition changed): sync/daemon");
    expect(r.stdout).toContain(
      "failed  sync/daemon — `systemctl --user restart setup-mac-sync-daemon.service` exited 1: See",
    );
    expect(r.stdout).toContain("Applied to box: generation 2");
  });
});
