import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { controlServices, listServices, serviceLogs } from "../../src/api/services.js";
import { SetupMacError } from "../../src/errors/index.js";
import { cliAsync } from "../e2e/cli.js";
import { freePort, temp, world } from "./world.js";

const SHOW =
  "--property=Id,LoadState,ActiveState,SubState,UnitFileState,MainPID,ActiveEnterTimestamp,InactiveEnterTimestamp,ExecMainStatus,ExecMainCode,NRestarts,Result";

const RUNNING = {
  ActiveState: "active",
  SubState: "running",
  MainPID: 1234,
  ActiveEnterTimestamp: "Mon 2026-12-07 01:02:03 UTC",
  NRestarts: 2,
} as const;

describe("services on NixOS (systemctl, journalctl)", () => {
  it("lists every service with the platform's state, asking systemctl and systemctl --user", async () => {
    const w = world({
      systemd: {
        system: {
          "setup-mac-web-server.service": {
            ActiveState: "failed",
            SubState: "failed",
            ExecMainCode: 1,
            ExecMainStatus: 203,
            NRestarts: 5,
            Result: "exit-code",
            InactiveEnterTimestamp: "Mon 2026-12-07 01:05:00 UTC",
          },
          "setup-mac-gc-collect.service": {
            ActiveState: "inactive",
            SubState: "dead",
            UnitFileState: "static",
          },
          "setup-mac-gc-collect.timer": { ActiveState: "active", SubState: "waiting" },
        },
        user: { "setup-mac-sync-daemon.service": RUNNING },
      },
    });
    const result = await listServices(w.opts("box"));
    expect(w.calls()).toEqual([
      ["systemctl", "show", SHOW, "setup-mac-gc-collect.service", "setup-mac-gc-collect.timer"],
      ["systemctl", "--user", "show", SHOW, "setup-mac-sync-daemon.service"],
      ["systemctl", "show", SHOW, "setup-mac-web-server.service"],
    ]);
    expect(
      result.services.map((s) => [s.name, s.scope, s.unit, s.status.state, s.status.pid]),
    ).toEqual([
      ["gc/collect", "system", "setup-mac-gc-collect.service", "waiting", undefined],
      ["sync/daemon", "user", "setup-mac-sync-daemon.service", "running", 1234],
      ["web/server", "system", "setup-mac-web-server.service", "failed", undefined],
    ]);
    expect(result.services[2]!.status).toMatchObject({ lastExit: "203", restarts: 5 });
    expect(result.ok).toBe(false);
    expect(result.source).toEqual({ declared: true });
  });

  it("reports a unit that is not there as not loaded, and a user manager it cannot reach as unknown", async () => {
    const w = world({ noUserBus: true });
    const result = await listServices(w.opts("box", { refs: ["web", "sync/daemon"] }));
    expect(result.services.map((s) => [s.name, s.status.state, s.status.detail])).toEqual([
      ["web/server", "not loaded", "not loaded (not-found)"],
      [
        "sync/daemon",
        "unknown",
        "`systemctl --user show` exited 1: Failed to connect to bus: No medium found",
      ],
    ]);
  });

  it("starts, restarts and stops with the exact systemctl commands", async () => {
    const w = world({
      systemd: {
        user: { "setup-mac-sync-daemon.service": { ActiveState: "inactive", SubState: "dead" } },
      },
    });
    const started = await controlServices("start", ["sync/daemon"], w.opts("box"));
    expect(started.results.map((r) => [r.name, r.ok, r.commands])).toEqual([
      ["sync/daemon", true, [["systemctl", "--user", "start", "setup-mac-sync-daemon.service"]]],
    ]);
    expect(started.results[0]!.detail).toMatch(/^ready after \d\.\d s: active \(running\)$/);
    w.reset();
    await controlServices("restart", ["sync"], w.opts("box"));
    await controlServices("stop", ["sync/daemon"], w.opts("box"));
    expect(w.calls().filter((c) => !c.includes("show"))).toEqual([
      ["systemctl", "--user", "restart", "setup-mac-sync-daemon.service"],
      ["systemctl", "--user", "stop", "setup-mac-sync-daemon.service"],
    ]);
    expect(w.state().systemd!.user!["setup-mac-sync-daemon.service"]!.ActiveState).toBe("inactive");
  });

  it("reports a start that fails with systemd's own message and the unit's state", async () => {
    const w = world({
      systemd: {
        system: { "setup-mac-web-server.service": { ActiveState: "inactive", SubState: "dead" } },
      },
      fail: ["setup-mac-web-server.service"],
    });
    const result = await controlServices("start", ["web/server"], w.opts("box"));
    expect(result.ok).toBe(false);
    expect(result.results[0]!.detail).toBe(
      '`systemctl start setup-mac-web-server.service` exited 1: See "systemctl status setup-mac-web-server.service" and "journalctl -xeu setup-mac-web-server.service" for details.',
    );
    expect(result.results[0]!.status!.state).toBe("failed");
  });

  it("a service that is not applied cannot be started: systemd says so", async () => {
    const w = world({});
    const result = await controlServices("start", ["web"], w.opts("box"));
    expect(result.results[0]!.detail).toBe(
      "`systemctl start setup-mac-web-server.service` exited 5: Failed to start setup-mac-web-server.service: Unit setup-mac-web-server.service not found.",
    );
  });

  it("reads the journal with -u or --user-unit", async () => {
    const w = world({
      journal: {
        "setup-mac-web-server.service": [
          "Dec 07 01:02:03 box web-server[1234]: listening on 127.0.0.1:8080",
          "Dec 07 01:02:04 box web-server[1234]: GET / 200",
        ],
      },
    });
    let text = "";
    await serviceLogs("web/server", { ...w.opts("box"), lines: 1, onOutput: (c) => (text += c) });
    expect(text).toBe("Dec 07 01:02:04 box web-server[1234]: GET / 200\n");
    await serviceLogs("sync", w.opts("box"));
    expect(w.calls()).toEqual([
      ["journalctl", "-u", "setup-mac-web-server.service", "-n", "1", "--no-pager"],
      ["journalctl", "--user-unit", "setup-mac-sync-daemon.service", "-n", "50", "--no-pager"],
    ]);
  });

  it("follows the journal until cancelled", async () => {
    const w = world({ journal: { "setup-mac-sync-daemon.service": ["one", "two"] } });
    const stop = new AbortController();
    let text = "";
    const done = serviceLogs("sync/daemon", {
      ...w.opts("box"),
      follow: true,
      signal: stop.signal,
      onOutput: (c) => {
        text += c;
        if (text.includes("two")) stop.abort();
      },
    });
    await expect(done).resolves.toMatchObject({ name: "sync/daemon" });
    expect(text).toBe("one\ntwo\n");
    expect(w.calls()[0]).toEqual([
      "journalctl",
      "--user-unit",
      "setup-mac-sync-daemon.service",
      "-n",
      "50",
      "-f",
      "--no-pager",
    ]);
  });

  it("names services by setup-mac's names, with a did-you-mean for a typo (exit 2)", async () => {
    const w = world({});
    const error = await controlServices("start", ["web/sever"], w.opts("box")).catch((e) => e);
    expect(error).toBeInstanceOf(SetupMacError);
    expect((error as SetupMacError).exitCode).toBe(2);
    expect((error as SetupMacError).message).toBe(
      "error[unknown-service]: host box has no service `web/sever`\n" +
        "  fix: did you mean `web/server`? (`setup-mac services list` shows them all)",
    );
    expect(w.calls()).toEqual([]);
  });
});

const agent = "gui/501/org.setup-mac.sync.daemon";

describe("services on macOS (launchctl)", () => {
  const agentPlist = "/Users/lars/Library/LaunchAgents/org.setup-mac.sync.daemon.plist";

  it("prints jobs in gui/<uid> for agents and system for daemons; not loaded is exit 113", async () => {
    const w = world({
      uids: { lars: 501 },
      launchd: {
        [agent]: {
          state: "running",
          pid: 4242,
          runs: 3,
          lastExit: "0",
          path: agentPlist,
          type: "LaunchAgent",
        },
        "system/org.setup-mac.web.server": {
          state: "not running",
          runs: 6,
          lastExit: "78: EX_CONFIG",
          path: "/Library/LaunchDaemons/org.setup-mac.web.server.plist",
          type: "LaunchDaemon",
        },
      },
    });
    const result = await listServices(w.opts("mac"));
    expect(w.calls()).toEqual([
      ["id", "-u", "lars"],
      ["launchctl", "print", "system/org.setup-mac.gc.collect"],
      ["launchctl", "print", agent],
      ["launchctl", "print", "system/org.setup-mac.web.server"],
    ]);
    expect(result.services.map((s) => [s.name, s.unit, s.status.state, s.status.pid])).toEqual([
      ["gc/collect", "org.setup-mac.gc.collect", "not loaded", undefined],
      ["sync/daemon", "org.setup-mac.sync.daemon", "running", 4242],
      ["web/server", "org.setup-mac.web.server", "failed", undefined],
    ]);
    expect(result.services[2]!.status).toMatchObject({ lastExit: "78: EX_CONFIG", restarts: 5 });
  });

  it("bootstraps a job that is not loaded, kickstarts one that is, boots it out to stop", async () => {
    const w = world({ uids: { lars: 501 } });
    await controlServices("start", ["sync/daemon"], w.opts("mac"));
    await controlServices("restart", ["sync/daemon"], w.opts("mac"));
    await controlServices("stop", ["sync/daemon"], w.opts("mac"));
    const stopped = await controlServices("stop", ["sync/daemon"], w.opts("mac"));
    expect(stopped.results[0]!.detail).toBe("was not loaded");
    expect(w.calls().filter((c) => c[1] !== "print" && c[0] !== "id")).toEqual([
      ["launchctl", "bootstrap", "gui/501", agentPlist],
      ["launchctl", "kickstart", "-k", agent],
      ["launchctl", "bootout", agent],
    ]);
  });

  it("reads an agent's log file with tail, and refuses a job with none", async () => {
    const w = world({ uids: { lars: 501 } });
    const error = await serviceLogs("sync/daemon", w.opts("mac")).catch((e) => e);
    // The log file does not exist on this machine: tail's own complaint, and the way out.
    expect((error as SetupMacError).message).toContain(
      "`tail -n 50 /Users/lars/Library/Logs/sync.log` exited 1: tail: cannot open '/Users/lars/Library/Logs/sync.log' for reading: No such file or directory",
    );
    expect((error as SetupMacError).message).toContain(
      "fix: sync/daemon has not written /Users/lars/Library/Logs/sync.log yet: start it with `setup-mac services start sync/daemon`",
    );
    await expect(serviceLogs("web/server", w.opts("mac"))).rejects.toThrow(
      "web/server writes no log file, and launchd keeps no output of a job without one",
    );
  });

  it("says when the host's user has no account here", async () => {
    const w = world({});
    await expect(listServices(w.opts("mac"))).rejects.toThrow(
      "cannot find the uid of lars on this machine: `id -u lars` said \"id: 'lars': no such user\"",
    );
  });
});

describe("--target-host", () => {
  it("runs every command through ssh, quoted, and the remote side gets the same argv", async () => {
    const w = world({
      uids: { lars: 501 },
      systemd: { user: { "setup-mac-sync-daemon.service": RUNNING } },
    });
    await controlServices("restart", ["sync/daemon"], w.opts("box", { targetHost: "root@box" }));
    expect(w.calls()).toEqual([
      ["ssh", "root@box", "--", "systemctl --user restart setup-mac-sync-daemon.service"],
      ["systemctl", "--user", "restart", "setup-mac-sync-daemon.service"],
      ["ssh", "root@box", "--", `systemctl --user show '${SHOW}' setup-mac-sync-daemon.service`],
      ["systemctl", "--user", "show", SHOW, "setup-mac-sync-daemon.service"],
    ]);
    w.reset();
    await listServices(w.opts("mac", { targetHost: "lars@mac", refs: ["sync"] }));
    expect(w.calls()).toEqual([
      ["ssh", "lars@mac", "--", "id -u lars"],
      ["id", "-u", "lars"],
      ["ssh", "lars@mac", "--", `launchctl print ${agent}`],
      ["launchctl", "print", agent],
    ]);
  });
});

describe("readiness", () => {
  it("waits for a real loopback service that starts slowly, and reports the wait", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "sm-slow-"));
    temp.push(dir);
    const script = join(dir, "slow.cjs");
    // Takes 1.5 s before it listens, like a database replaying its log.
    writeFileSync(
      script,
      `setTimeout(() => require("node:http").createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1"), 1500);\n`,
    );
    const unit = "setup-mac-web-server.service";
    const w = world(
      {
        systemd: { system: { [unit]: { ActiveState: "inactive", SubState: "dead" } } },
        exec: { [unit]: [process.execPath, script] },
      },
      port,
    );
    const started = Date.now();
    const result = await controlServices("start", ["web/server"], w.opts("box"));
    const took = Date.now() - started;
    const r = result.results[0]!;
    expect(r.ok).toBe(true);
    expect(r.ready!.probe).toBe(`http http://127.0.0.1:${port}/`);
    expect(r.ready!.attempts).toBeGreaterThan(1);
    expect(r.ready!.waitedMs).toBeGreaterThanOrEqual(1400);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(r.detail).toMatch(
      new RegExp(`^ready after \\d\\.\\d s: HTTP 200 from http://127\\.0\\.0\\.1:${port}/$`),
    );
    await controlServices("stop", ["web/server"], w.opts("box"));
  });

  it("fails with the timeout in the message when the service never answers", async () => {
    const port = await freePort();
    const unit = "setup-mac-web-server.service";
    const w = world(
      { systemd: { system: { [unit]: { ActiveState: "inactive", SubState: "dead" } } } },
      port,
    );
    const result = await controlServices("start", ["web/server"], {
      ...w.opts("box"),
      waitTimeoutMs: 1000,
    });
    expect(result.ok).toBe(false);
    expect(result.results[0]!.detail).toBe(
      `not ready within 1 s (http http://127.0.0.1:${port}/): connection refused: http://127.0.0.1:${port}/`,
    );
  });

  it("stops waiting at once when the service exits", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "sm-crash-"));
    temp.push(dir);
    const script = join(dir, "crash.cjs");
    writeFileSync(script, `setTimeout(() => process.exit(1), 100);\n`);
    const unit = "setup-mac-web-server.service";
    const w = world(
      {
        systemd: { system: { [unit]: { ActiveState: "inactive", SubState: "dead" } } },
        exec: { [unit]: [process.execPath, script] },
      },
      port,
    );
    const started = Date.now();
    const result = await controlServices("start", ["web/server"], w.opts("box"));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.results[0]!.detail).toMatch(/^did not start: failed: failed \(failed\)/);
  });
});

describe("the CLI", () => {
  it("services list prints the table and exits 1 when a service is not as expected", async () => {
    const w = world({
      systemd: { user: { "setup-mac-sync-daemon.service": RUNNING } },
    });
    const r = await cliAsync(["--workspace", w.root, "--host", "box", "services"], {
      ...w.env,
      SETUP_MAC_CACHE: w.cache,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n").slice(0, 5)).toEqual([
      "box (nixos): services as declared (nothing applied yet)",
      "SERVICE      SCOPE   UNIT                           ENABLED  STATE       PID   SINCE                        EXIT  RESTARTS  HEALTH",
      "gc/collect   system  setup-mac-gc-collect.service   -        not loaded  -     -                            -     -         -",
      "sync/daemon  user    setup-mac-sync-daemon.service  yes      running     1234  Mon 2026-12-07 01:02:03 UTC  -     2         -",
      "web/server   system  setup-mac-web-server.service   -        not loaded  -     -                            -     -         -",
    ]);
  });

  it("an unknown service is a usage error (exit 2) with a suggestion", async () => {
    const w = world({});
    const r = await cliAsync(
      ["--workspace", w.root, "--host", "box", "services", "restart", "sycn"],
      w.env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[unknown-service]: host box has no service `sycn`");
    expect(r.stderr).toContain("did you mean `sync`?");
  });
});
