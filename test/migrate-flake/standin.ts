/**
 * A stand-in `nix` for `migrate --from-flake` (the real one needs the user's flake and its
 * nixpkgs). It accepts exactly the three calls the adapter makes, byte for byte — the
 * experimental-features flag, `--no-write-lock-file`, and for the evaluation the committed
 * `from-flake.nix` applied to the source path and level — and answers them from
 * `captured.json` (a real evaluation, see scripts/from-flake-capture.sh) with the flake's copy
 * as its source path. Any other argv exits 99 naming it. Each argv is appended to `$NIX_LOG`.
 *
 * Environment: NIX_LOG, NIX_SOURCE (the "store path": a copy of the fixture's config),
 * NIX_CAPTURED (captured.json), NIX_FN (from-flake.nix), NIX_FLAKE (the flake reference it
 * answers for), NIX_HOSTS (JSON `{ kind: [names] }`), NIX_BROKEN (stderr of a flake that does
 * not evaluate).
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const STANDIN = String.raw`#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
const env = process.env;
fs.appendFileSync(env.NIX_LOG, JSON.stringify(args) + "\n");
const fail = (code, text) => { process.stderr.write(text + "\n"); process.exit(code); };
const flags = ["--extra-experimental-features", "nix-command flakes"];
if (args[0] !== flags[0] || args[1] !== flags[1]) fail(99, "stand-in nix: no experimental features in " + JSON.stringify(args));
const rest = args.slice(2);
const flake = env.NIX_FLAKE;
const warn = "warning: the group 'nixbld' specified in 'build-users-group' does not exist";
if (env.NIX_BROKEN) fail(1, warn + "\n" + env.NIX_BROKEN);
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
if (same(rest, ["flake", "metadata", "--json", "--no-write-lock-file", flake])) {
  process.stdout.write(JSON.stringify({ path: env.NIX_SOURCE, originalUrl: "path:" + flake }));
  process.exit(0);
}
const hosts = JSON.parse(env.NIX_HOSTS);
const captured = JSON.parse(fs.readFileSync(env.NIX_CAPTURED, "utf8"));
for (const kind of ["darwin", "nixos", "home"]) {
  if (same(rest, ["eval", "--json", "--no-write-lock-file", flake + "#" + kind + "Configurations", "--apply", "builtins.attrNames"])) {
    if (!hosts[kind]) fail(1, warn + "\nerror: flake 'path:" + flake + "' does not provide attribute 'packages.x86_64-linux." + kind + "Configurations', 'legacyPackages.x86_64-linux." + kind + "Configurations' or '" + kind + "Configurations'");
    process.stdout.write(JSON.stringify(hosts[kind]));
    process.exit(0);
  }
  for (const name of hosts[kind] || []) {
    const fn = fs.readFileSync(env.NIX_FN, "utf8").trim();
    const apply = "(" + fn + ") " + JSON.stringify(env.NIX_SOURCE) + " " + JSON.stringify(kind);
    if (same(rest, ["eval", "--json", "--no-write-lock-file", flake + "#" + kind + "Configurations." + JSON.stringify(name), "--apply", apply])) {
      process.stdout.write(JSON.stringify(captured[kind]).split("@SOURCE@").join(env.NIX_SOURCE));
      process.exit(0);
    }
  }
}
fail(99, "stand-in nix: unexpected argv " + JSON.stringify(args));
`;

/** Writes the stand-in as `<dir>/nix` and returns `dir`. */
export function installNix(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "nix");
  writeFileSync(file, STANDIN);
  chmodSync(file, 0o755);
  return dir;
}
