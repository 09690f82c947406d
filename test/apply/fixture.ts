/**
 * A small workspace and stand-in platform commands for apply tests. The stand-ins append their
 * argv (one JSON array per line) to calls.log and behave as the environment variables say.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeProcessRunner } from "../../src/adapters/node-runner.js";
import { calls } from "../status/standins.js";

export interface Fixture {
  root: string;
  bin: string;
  cache: string;
  runner: NodeProcessRunner;
  env: Record<string, string>;
  calls(): string[][];
  config(): string;
  setConfig(text: string): void;
}

const STANDIN = `#!/usr/bin/env node
// Stand-in for a platform command: log argv as JSON, then act as the environment says.
const fs = require("node:fs");
const path = require("node:path");
const dir = process.env.STANDIN_DIR;
const name = path.basename(process.argv[1]);
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, "calls.log"), JSON.stringify([name, ...args]) + "\\n");
const env = process.env;
if (["nixos-rebuild", "darwin-rebuild", "home-manager"].includes(name) && args[0] === "build") {
  console.error("building the system configuration...");
  if (env.BUILD_STDERR) process.stderr.write(env.BUILD_STDERR);
  if (env.BUILD_EXIT) process.exit(Number(env.BUILD_EXIT));
  // Like nix build: the result is a store path, linked as ./result in the working directory.
  const out = path.join(dir, "store", "system-" + Date.now());
  fs.mkdirSync(out, { recursive: true });
  fs.rmSync("result", { force: true });
  fs.symlinkSync(out, "result");
} else if (["nixos-rebuild", "darwin-rebuild", "home-manager"].includes(name)) {
  console.log("building the system configuration...");
  const exit = Number(env.SWITCH_EXIT || 0);
  if (env.SWITCH_SLEEP) setTimeout(() => process.exit(exit), Number(env.SWITCH_SLEEP) * 1000);
  else process.exit(exit);
} else if (name === "zfs") {
  const snaps = path.join(dir, "snapshots");
  if (args[0] === "list" && args.includes("snapshot")) {
    if (fs.existsSync(snaps)) process.stdout.write(fs.readFileSync(snaps, "utf8"));
  } else if (args[0] === "list") {
    process.exit(Number(env.ZFS_LIST_EXIT || 0));
  } else if (args[0] === "snapshot") {
    if (env.ZFS_SNAPSHOT_FAIL) {
      console.error("cannot create snapshot: permission denied");
      process.exit(1);
    }
    fs.appendFileSync(snaps, args[1] + "\\n");
  } else if (args[0] === "destroy") {
    const kept = fs.readFileSync(snaps, "utf8").split("\\n").filter((l) => l && l !== args[1]);
    fs.writeFileSync(snaps, kept.map((l) => l + "\\n").join(""));
  }
} else if (name === "nix" && args.includes("diff-closures")) {
  if (env.NIX_DIFF_FILE) process.stdout.write(fs.readFileSync(env.NIX_DIFF_FILE, "utf8"));
} else if (name === "nix" && args.includes("path-info")) {
  const paths = args.filter((a) => a.startsWith("/"));
  console.log(JSON.stringify(paths.map((p, i) => ({ path: p, closureSize: i === 0 ? 1048576 : 1153434 }))));
} else if (name === "sudo") {
  if (args[0] === "-n" && args[1] === "-l") {
    if (env.SUDO_ASKS) {
      console.error("sudo: a password is required");
      process.exit(1);
    }
    console.log("/run/current-system/sw/bin/" + args[2]);
  } else {
    const rest = args.filter((a) => a !== "-n");
    const r = require("node:child_process").spawnSync(rest[0], rest.slice(1), { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
} else if (name === "hookcmd" && env.HOOK_EXIT) {
  process.exit(Number(env.HOOK_EXIT));
}
`;

export function program(name: string, body: string): string {
  return `import { bin, defineProgram, z } from "setup-mac";\nexport default defineProgram({ name: "${name}", description: "${name} for tests", ${body} });\n`;
}

export function makeFixture(
  programs: Record<string, string>,
  hostPrograms: Record<string, unknown>,
): Fixture {
  const root = mkdtempSync(join(tmpdir(), "sm-apply-"));
  const bin = join(root, ".standins");
  const cache = mkdtempSync(join(tmpdir(), "sm-apply-cache-"));
  mkdirSync(bin, { recursive: true });
  for (const cmd of [
    "nixos-rebuild",
    "darwin-rebuild",
    "home-manager",
    "zfs",
    "hookcmd",
    "ssh",
    "nix",
    "sudo",
  ]) {
    writeFileSync(join(bin, cmd), STANDIN);
    chmodSync(join(bin, cmd), 0o755);
  }
  for (const [name, text] of Object.entries(programs)) {
    mkdirSync(join(root, "programs/test"), { recursive: true });
    writeFileSync(join(root, `programs/test/${name}.ts`), text);
  }
  const config = (progs: Record<string, unknown>) =>
    JSON.stringify(
      {
        hosts: {
          box: {
            platform: "nixos",
            system: "x86_64-linux",
            user: "lars",
            zfs: true,
            programs: progs,
          },
        },
      },
      null,
      2,
    ) + "\n";
  writeFileSync(join(root, "setup-mac.jsonc"), "// test workspace\n" + config(hostPrograms));
  const env = { PATH: `${bin}:${process.env.PATH ?? ""}`, STANDIN_DIR: bin };
  const runner = new NodeProcessRunner({ baseEnv: { ...process.env, ...env } });
  return {
    root,
    bin,
    cache,
    runner,
    env,
    calls: () => calls(join(bin, "calls.log")),
    config: () => readFileSync(join(root, "setup-mac.jsonc"), "utf8"),
    setConfig: (text) => writeFileSync(join(root, "setup-mac.jsonc"), text),
  };
}

export function resetCalls(f: Fixture): void {
  writeFileSync(join(f.bin, "calls.log"), "");
}

/** A runner whose stand-ins see extra environment variables (SWITCH_EXIT, ZFS_SNAPSHOT_FAIL …). */
export function runnerWith(f: Fixture, extra: Record<string, string>): NodeProcessRunner {
  return new NodeProcessRunner({ baseEnv: { ...process.env, ...f.env, ...extra } });
}
