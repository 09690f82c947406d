// Turns the evaluation's result and its traces into the committed fixture (see
// scripts/upstream-renderings.sh): { commits, nixDarwin: {LaunchDaemons, LaunchAgents},
// homeManager: {LaunchAgents, systemdUser, files: {darwin, linux}} }, each a map of file name →
// text, homeManager.sessionVariables: {darwin, linux}, the export lines home-manager writes, and
// nixos: {systemdSystem}, the unit files NixOS links into /etc/systemd/system.
import { readFileSync } from "node:fs";

const [outFile, errFile, ...commits] = process.argv.slice(2);
const out = JSON.parse(readFileSync(outFile, "utf8"));
const traces = readFileSync(errFile, "utf8")
  .split("\n")
  .filter((line) => line.startsWith("trace: "))
  .map((line) => JSON.parse(line.slice("trace: ".length)));
const pick = (pred, name = (t) => t.name) =>
  Object.fromEntries(
    traces
      .filter(pred)
      .map((t) => [name(t), t.text])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
const sorted = (obj) =>
  Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1)));
const fixture = {
  commits: Object.fromEntries(commits.map((c) => c.split("="))),
  nixDarwin: {
    LaunchDaemons: sorted(out.nixDarwin.launchDaemons),
    LaunchAgents: sorted(out.nixDarwin.userLaunchAgents),
  },
  homeManager: {
    LaunchAgents: pick((t) => t.kind === "writeText" && t.name.endsWith(".plist")),
    systemdUser: pick((t) => t.kind === "writeTextFile" && /\.(service|timer)$/.test(t.name)),
    files: { darwin: sorted(out.homeFiles.darwin), linux: sorted(out.homeFiles.linux) },
    sessionVariables: out.sessionVariables,
  },
  nixos: {
    // makeUnit's runCommand is named `unit-<unit name>` (our names need no path-safe escaping).
    systemdSystem: pick(
      (t) => t.kind === "runCommand" && t.name.startsWith("unit-"),
      (t) => t.name.slice("unit-".length),
    ),
  },
};
process.stdout.write(`${JSON.stringify(fixture, null, 2)}\n`);
