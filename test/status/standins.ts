/**
 * Stand-in executables for status, doctor and update tests: each appends its argv (one JSON
 * array per line) to `$STANDIN_LOG` and then acts as the environment says.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const STANDIN = `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
const name = path.basename(process.argv[1]);
const args = process.argv.slice(2);
if (process.env.STANDIN_LOG) fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify([name, ...args]) + "\\n");
const env = process.env;
if (name === "systemctl") {
  // is-active: "active" and exit 0, or "inactive" and exit 3 for the units in STOPPED.
  const unit = args[args.length - 1];
  const stopped = (env.STOPPED || "").split(",").includes(unit);
  console.log(stopped ? "inactive" : "active");
  process.exit(stopped ? 3 : 0);
} else if (name === "launchctl") {
  const label = (args[1] || "").split("/").pop();
  if ((env.STOPPED || "").split(",").includes(label)) { console.error("Could not find service"); process.exit(113); }
  console.log(label + " = {\\n\\tstate = " + (env.LAUNCHD_STATE || "running") + "\\n}");
} else if (name === "nix") {
  if (args[0] === "--version") { console.log("nix (Nix) " + (env.NIX_VERSION || "2.8.0")); process.exit(0); }
  // NIX_ANSWERS: a JSON file of answers by exact argv (the evaluation checks); other argv fail.
  if (env.NIX_ANSWERS && (args.includes("eval") || args.includes("metadata"))) {
    const answer = JSON.parse(fs.readFileSync(env.NIX_ANSWERS, "utf8"))[JSON.stringify(args)];
    if (!answer) { console.error("error: the stand-in has no answer for " + JSON.stringify(args)); process.exit(1); }
    process.stdout.write(answer.stdout || "");
    process.stderr.write(answer.stderr || "");
    process.exit(answer.exit || 0);
  }
  if (env.NIX_FAIL) { console.error("error: unable to download 'https://github.com/...': Couldn't resolve host name"); process.exit(1); }
  if (env.NIX_REJECT_INPUTS && args.includes("update") && args[args.length - 1] !== "update") {
    console.error("error: unexpected argument '" + args[args.length - 1] + "'"); process.exit(1);
  }
  if (env.NEW_FLAKE_LOCK) fs.copyFileSync(env.NEW_FLAKE_LOCK, path.join(process.cwd(), "flake.lock"));
  console.error("• Updated input 'nixpkgs'");
} else if (name === "ssh") {
  // SSH_MODE: ok (Nix answers), refused (ssh's own failure, 255), nonix (the remote shell's 127).
  const mode = env.SSH_MODE || "ok";
  if (mode === "refused") { console.error("ssh: connect to host evo-x2 port 22: Connection refused"); process.exit(255); }
  if (mode === "nonix") { console.error("bash: line 1: nix: command not found"); process.exit(127); }
  console.log("nix (Nix) 2.18.1");
} else {
  process.exit(Number(env.STANDIN_EXIT || 0));
}
`;

/** Writes stand-ins named `names` into `dir` (created). */
export function standins(dir: string, names: string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    writeFileSync(join(dir, name), STANDIN);
    chmodSync(join(dir, name), 0o755);
  }
}

/** The argv every stand-in received, in order. */
export function calls(log: string): string[][] {
  let text: string;
  try {
    text = readFileSync(log, "utf8");
  } catch (error) {
    // No log yet means no calls; any other failure (a corrupt line, a wrong path) is the test's.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[]);
}

export { cliAsync } from "../e2e/cli.js";
export type { CliResult as Run } from "../e2e/cli.js";
