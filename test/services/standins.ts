/**
 * Stand-ins for the service managers this machine cannot run for a test: `systemctl` (system and
 * `--user`), `journalctl`, `launchctl`, `id` for a macOS account, and `ssh`, which runs the
 * remote command line with `sh -c` here so quoting is tested end to end. Each appends its argv
 * (one JSON array per line) to `$STANDIN_LOG`, keeps the managers' state in the JSON file
 * `$SERVICES_STATE`, and prints what the real tool prints for it (messages and exit codes taken
 * from systemd 252 and launchctl on macOS 14). A unit or job with an `exec` entry really runs that
 * command on start (a detached process whose PID becomes MainPID / pid) and is killed on stop.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One systemd unit as `systemctl show` reports it. */
export interface UnitState {
  ActiveState: "active" | "inactive" | "failed" | "activating";
  SubState: string;
  UnitFileState?: string;
  MainPID?: number;
  ActiveEnterTimestamp?: string;
  InactiveEnterTimestamp?: string;
  ExecMainStatus?: number;
  ExecMainCode?: number;
  NRestarts?: number;
  Result?: string;
}

/** One loaded launchd job. */
export interface JobState {
  state: "running" | "not running";
  pid?: number;
  runs?: number;
  lastExit?: string;
  path: string;
  type: "LaunchAgent" | "LaunchDaemon";
  program?: string;
}

export interface ManagerState {
  systemd?: { system?: Record<string, UnitState>; user?: Record<string, UnitState> };
  /** Keyed by `<domain>/<label>`. */
  launchd?: Record<string, JobState>;
  /** macOS accounts for `id -u`. */
  uids?: Record<string, number>;
  /** Journal lines per unit. */
  journal?: Record<string, string[]>;
  /** Units or labels whose start fails. */
  fail?: string[];
  /** Commands that a start really runs, per unit or label. */
  exec?: Record<string, string[]>;
  /** `systemctl --user` cannot reach a user manager (no session bus). */
  noUserBus?: boolean;
}

const STANDIN = String.raw`#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");
const name = path.basename(process.argv[1]);
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify([name, ...args]) + "\n");
const file = process.env.SERVICES_STATE;
const state = JSON.parse(fs.readFileSync(file, "utf8"));
const save = () => fs.writeFileSync(file, JSON.stringify(state, null, 2));
const out = (t) => process.stdout.write(t);
const err = (t) => process.stderr.write(t);
const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const stamp = () => {
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  return days[d.getUTCDay()] + " " + d.getUTCFullYear() + "-" + p(d.getUTCMonth() + 1) + "-" + p(d.getUTCDate()) + " " + p(d.getUTCHours()) + ":" + p(d.getUTCMinutes()) + ":" + p(d.getUTCSeconds()) + " UTC";
};
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const launch = (key) => {
  const argv = (state.exec || {})[key];
  if (!argv) return 4000 + Math.floor(Math.random() * 1000);
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: "ignore" });
  child.unref();
  return child.pid;
};
const kill = (pid) => { if (pid && alive(pid)) { try { process.kill(-pid, "SIGTERM"); } catch { try { process.kill(pid, "SIGTERM"); } catch {} } } };
const failing = (key) => (state.fail || []).includes(key);

if (name === "systemctl") {
  const user = args[0] === "--user";
  const rest = user ? args.slice(1) : args;
  if (user && state.noUserBus) { err("Failed to connect to bus: No medium found\n"); process.exit(1); }
  const units = ((state.systemd = state.systemd || {})[user ? "user" : "system"] = (state.systemd[user ? "user" : "system"] || {}));
  const [verb, ...more] = rest;
  if (verb === "show") {
    const props = more.find((a) => a.startsWith("--property=")).slice("--property=".length).split(",");
    const blocks = more.filter((a) => !a.startsWith("--")).map((unit) => {
      const u = units[unit];
      const v = u
        ? { Id: unit, LoadState: "loaded", UnitFileState: "enabled", MainPID: 0, ActiveEnterTimestamp: "", InactiveEnterTimestamp: "", ExecMainStatus: 0, ExecMainCode: 0, NRestarts: 0, Result: "success", ...u }
        : { Id: unit, LoadState: "not-found", ActiveState: "inactive", SubState: "dead", UnitFileState: "", MainPID: 0, ActiveEnterTimestamp: "", InactiveEnterTimestamp: "", ExecMainStatus: 0, ExecMainCode: 0, NRestarts: 0, Result: "success" };
      if (v.MainPID && !alive(v.MainPID) && (state.exec || {})[unit]) { v.ActiveState = "failed"; v.SubState = "failed"; v.MainPID = 0; }
      return props.map((p) => p + "=" + (v[p] ?? "")).join("\n") + "\n";
    });
    out(blocks.join("\n"));
    process.exit(0);
  }
  const unit = more[more.length - 1];
  const u = units[unit];
  if (verb === "is-active") { const s = u ? u.ActiveState : "inactive"; out(s + "\n"); process.exit(s === "active" ? 0 : 3); }
  if (!u) {
    err("Failed to " + verb + " " + unit + ": Unit " + unit + " not found.\n");
    process.exit(5);
  }
  if (verb === "stop") {
    kill(u.MainPID);
    Object.assign(u, { ActiveState: "inactive", SubState: "dead", MainPID: 0, InactiveEnterTimestamp: stamp() });
  } else if (verb === "start" || verb === "restart") {
    if (verb === "restart") kill(u.MainPID);
    if (verb === "start" && u.ActiveState === "active") { save(); process.exit(0); }
    if (failing(unit)) {
      Object.assign(u, { ActiveState: "failed", SubState: "failed", MainPID: 0, ExecMainCode: 1, ExecMainStatus: 1, Result: "exit-code", InactiveEnterTimestamp: stamp() });
      save();
      err("Job for " + unit + " failed because the control process exited with error code.\nSee \"systemctl" + (user ? " --user" : "") + " status " + unit + "\" and \"journalctl" + (user ? " --user" : "") + " -xeu " + unit + "\" for details.\n");
      process.exit(1);
    }
    Object.assign(u, { ActiveState: "active", SubState: "running", MainPID: launch(unit), ActiveEnterTimestamp: stamp(), Result: "success" });
  }
  save();
  process.exit(0);
} else if (name === "journalctl") {
  const at = args.findIndex((a) => a === "-u" || a === "--user-unit");
  const unit = args[at + 1];
  const n = Number(args[args.indexOf("-n") + 1]);
  const lines = (state.journal || {})[unit];
  if (!lines) { out("-- No entries --\n"); process.exit(0); }
  out(lines.slice(-n).join("\n") + "\n");
  if (args.includes("-f")) setInterval(() => {}, 1000);
} else if (name === "launchctl") {
  const jobs = (state.launchd = state.launchd || {});
  const [verb, ...more] = args;
  const notFound = (target) => {
    err("Bad request.\nCould not find service \"" + target.split("/").pop() + "\" in domain for " + (target.startsWith("system") ? "system" : "user gui: " + target.split("/")[1]) + "\n");
    process.exit(113);
  };
  if (verb === "print") {
    const j = jobs[more[0]];
    if (!j) notFound(more[0]);
    if (j.pid && !alive(j.pid) && (state.exec || {})[more[0].split("/").pop()]) { j.state = "not running"; j.pid = undefined; j.lastExit = "1"; }
    const lines = [more[0] + " = {", "\tactive count = " + (j.state === "running" ? 1 : 0), "\tpath = " + j.path, "\ttype = " + j.type, "\tstate = " + j.state, "", "\tprogram = " + (j.program || "/bin/sh")];
    lines.push("\tdomain = " + more[0].split("/").slice(0, -1).join("/"), "\truns = " + (j.runs || 0));
    if (j.pid) lines.push("\tpid = " + j.pid);
    lines.push("\tlast exit code = " + (j.lastExit ?? "(never exited)"), "", "\tproperties = keepalive | runatload", "}");
    out(lines.join("\n") + "\n");
    process.exit(0);
  }
  if (verb === "kickstart") {
    const target = more[more.length - 1];
    const j = jobs[target];
    if (!j) notFound(target);
    if (more.includes("-k")) kill(j.pid);
    else if (j.state === "running") { save(); process.exit(0); }
    Object.assign(j, { state: "running", pid: launch(target.split("/").pop()), runs: (j.runs || 0) + 1 });
  } else if (verb === "bootstrap") {
    const [domain, plist] = more;
    const label = path.basename(plist, ".plist");
    const key = domain + "/" + label;
    if (jobs[key]) { err("Bootstrap failed: 5: Input/output error\n"); process.exit(5); }
    if (failing(label)) { err("Bootstrap failed: 5: Input/output error\n"); process.exit(5); }
    jobs[key] = { state: "running", pid: launch(label), runs: 1, path: plist, type: domain === "system" ? "LaunchDaemon" : "LaunchAgent" };
  } else if (verb === "bootout") {
    const j = jobs[more[0]];
    if (!j) { err("Boot-out failed: 3: No such process\n"); process.exit(3); }
    kill(j.pid);
    delete jobs[more[0]];
  }
  save();
} else if (name === "id") {
  const uid = (state.uids || {})[args[1]];
  if (uid === undefined) { err("id: '" + args[1] + "': no such user\n"); process.exit(1); }
  out(uid + "\n");
} else if (name === "ssh") {
  // ssh host -- <one quoted command line>: run it as the remote shell would.
  const r = spawnSync("sh", ["-c", args.slice(args.indexOf("--") + 1).join(" ")], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
`;

export const STANDIN_NAMES = ["systemctl", "journalctl", "launchctl", "id", "ssh"];

/** Writes the stand-ins into `dir` (created) and the managers' starting state. */
export function serviceStandins(
  dir: string,
  state: ManagerState,
  /** More commands that only log their argv and exit 0 (`nixos-rebuild`, `darwin-rebuild`). */
  extra: string[] = [],
): {
  env: Record<string, string>;
  stateFile: string;
  log: string;
} {
  mkdirSync(dir, { recursive: true });
  for (const name of [...STANDIN_NAMES, ...extra]) {
    writeFileSync(join(dir, name), STANDIN);
    chmodSync(join(dir, name), 0o755);
  }
  const stateFile = join(dir, "state.json");
  const log = join(dir, "calls.log");
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  writeFileSync(log, "");
  return {
    stateFile,
    log,
    env: {
      PATH: `${dir}:${process.env.PATH ?? ""}`,
      STANDIN_LOG: log,
      SERVICES_STATE: stateFile,
    },
  };
}
