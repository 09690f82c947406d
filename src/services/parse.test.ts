import { describe, expect, it } from "vitest";
import {
  launchctlNotLoaded,
  launchdState,
  parseLaunchctlPrint,
  parseSystemctlShow,
  systemdState,
} from "./parse.js";

const RUNNING = `Id=setup-mac-ollama-server.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
MainPID=1234
ActiveEnterTimestamp=Mon 2026-12-07 01:02:03 UTC
InactiveEnterTimestamp=n/a
ExecMainStatus=0
ExecMainCode=0
NRestarts=2
Result=success
`;

const FAILED = `Id=setup-mac-ollama-server.service
LoadState=loaded
ActiveState=failed
SubState=failed
UnitFileState=enabled
MainPID=0
ActiveEnterTimestamp=Mon 2026-12-07 01:02:03 UTC
InactiveEnterTimestamp=Mon 2026-12-07 01:05:00 UTC
ExecMainStatus=203
ExecMainCode=1
NRestarts=5
Result=exit-code
`;

const NOT_FOUND = `Id=setup-mac-x-y.service
LoadState=not-found
ActiveState=inactive
SubState=dead
UnitFileState=
MainPID=0
ActiveEnterTimestamp=
InactiveEnterTimestamp=
ExecMainStatus=0
ExecMainCode=0
NRestarts=0
Result=success
`;

const SCHEDULED = `Id=setup-mac-nix-gc-gc.service
LoadState=loaded
ActiveState=inactive
SubState=dead
UnitFileState=static
MainPID=0
InactiveEnterTimestamp=Mon 2026-12-07 00:00:04 UTC
ExecMainStatus=0
ExecMainCode=1
NRestarts=0
Result=success

Id=setup-mac-nix-gc-gc.timer
LoadState=loaded
ActiveState=active
SubState=waiting
UnitFileState=enabled
`;

describe("systemctl show", () => {
  it("reads a running unit", () => {
    expect(systemdState(parseSystemctlShow(RUNNING)[0])).toEqual({
      state: "running",
      enabled: true,
      pid: 1234,
      since: "Mon 2026-12-07 01:02:03 UTC",
      restarts: 2,
      detail: "active (running)",
    });
  });

  it("reads a failed unit with its exit status", () => {
    expect(systemdState(parseSystemctlShow(FAILED)[0])).toEqual({
      state: "failed",
      enabled: true,
      since: "Mon 2026-12-07 01:05:00 UTC",
      lastExit: "203",
      restarts: 5,
      detail: "failed (failed); result exit-code",
    });
  });

  it("reads a unit that does not exist as not loaded", () => {
    expect(systemdState(parseSystemctlShow(NOT_FOUND)[0]).state).toBe("not loaded");
    expect(systemdState(undefined).state).toBe("not loaded");
  });

  it("reads a scheduled service idle under an active timer as waiting", () => {
    const [service, timer] = parseSystemctlShow(SCHEDULED);
    expect(systemdState(service, timer)).toEqual({
      state: "waiting",
      enabled: true,
      since: "Mon 2026-12-07 00:00:04 UTC",
      lastExit: "0",
      restarts: 0,
      detail: "inactive (dead); timer active",
    });
  });
});

const AGENT = `gui/501/org.setup-mac.atuin.daemon = {
	active count = 1
	path = /Users/lars/Library/LaunchAgents/org.setup-mac.atuin.daemon.plist
	type = LaunchAgent
	state = running

	program = /bin/sh
	arguments = {
		/bin/sh
		-c
		/bin/wait4path /nix/store && exec /nix/store/abc-atuin/bin/atuin daemon
	}

	stdout path = /Users/lars/Library/Logs/atuin.log
	stderr path = /Users/lars/Library/Logs/atuin.log
	environment = {
		XPC_SERVICE_NAME => org.setup-mac.atuin.daemon
	}

	domain = gui/501 [100005]
	runs = 3
	pid = 4242
	immediate reason = speculative
	checked allocations = 0 (queried = 1)
	last exit code = 0

	properties = keepalive | runatload | inferred program
}
`;

const CRASHED = `system/org.setup-mac.ollama.server = {
	active count = 0
	path = /Library/LaunchDaemons/org.setup-mac.ollama.server.plist
	type = LaunchDaemon
	state = not running

	program = /nix/store/def-ollama/bin/ollama
	runs = 6
	last exit code = 78: EX_CONFIG
	properties = keepalive | runatload
}
`;

describe("launchctl print", () => {
  it("reads the top-level fields only", () => {
    const fields = parseLaunchctlPrint(AGENT);
    expect(fields.state).toBe("running");
    expect(fields.pid).toBe("4242");
    expect(fields["stdout path"]).toBe("/Users/lars/Library/Logs/atuin.log");
    expect(fields["checked allocations"]).toBe("0 (queried = 1)");
    expect(fields.XPC_SERVICE_NAME).toBeUndefined();
  });

  it("reads a running agent", () => {
    expect(launchdState(parseLaunchctlPrint(AGENT), false)).toEqual({
      state: "running",
      enabled: true,
      pid: 4242,
      lastExit: "0",
      restarts: 2,
      detail: "running; last exit 0",
    });
  });

  it("reads a daemon that keeps exiting as failed", () => {
    expect(launchdState(parseLaunchctlPrint(CRASHED), false)).toEqual({
      state: "failed",
      enabled: true,
      lastExit: "78: EX_CONFIG",
      restarts: 5,
      detail: "not running; last exit 78: EX_CONFIG",
    });
  });

  it("reads a killed job and an idle scheduled one", () => {
    const killed = "x = {\n\tstate = not running\n\tlast terminating signal = Killed: 9\n}\n";
    expect(launchdState(parseLaunchctlPrint(killed), false).lastExit).toBe("signal Killed: 9");
    const idle = "x = {\n\tstate = not running\n\tlast exit code = 0\n}\n";
    expect(launchdState(parseLaunchctlPrint(idle), true).state).toBe("waiting");
    expect(launchdState(parseLaunchctlPrint(idle), false).state).toBe("stopped");
  });

  it("knows launchctl's answer for a job that is not loaded", () => {
    expect(
      launchctlNotLoaded(
        113,
        'Bad request.\nCould not find service "org.setup-mac.atuin.daemon" in domain for user gui: 501\n',
      ),
    ).toBe(true);
    expect(launchctlNotLoaded(0, "")).toBe(false);
  });
});
