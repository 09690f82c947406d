#!/usr/bin/env bash
# Writes test/fixtures/migrate/flake/captured.json: what src/migrate/from-flake.nix returns for
# the three configurations of the fixture flake (test/fixtures/migrate/flake/config), evaluated
# for real by `nix eval` against the real `lib.evalModules` of nixpkgs.lib. CI only reads the
# JSON; with NIXPKGS_LIB set, test/migrate-flake.test.ts checks that the real evaluation still
# gives exactly this.
#
#   scripts/from-flake-capture.sh <nixpkgs.lib git dir>
#
# The flake's source store path is replaced by @SOURCE@ (it depends on where the copy was made);
# the tests put the source path of their own copy back.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 <nixpkgs.lib git dir>" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
fixture="$root/test/fixtures/migrate/flake"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lib"
git --git-dir="$1" archive HEAD | tar -x -C "$tmp/lib"
commit=$(git --git-dir="$1" rev-parse HEAD)
cp -r "$fixture/upstream" "$tmp/upstream"
cp -r "$fixture/config" "$tmp/config"
sed -e "s|@LIB@|$tmp/lib|" -e "s|@UPSTREAM@|$tmp/upstream|" "$tmp/config/flake.nix.in" >"$tmp/config/flake.nix"
rm "$tmp/config/flake.nix.in"

nix=(nix --extra-experimental-features "nix-command flakes")
export NIX_VERSION=$(nix --version)
source=$("${nix[@]}" flake metadata --json --no-write-lock-file "$tmp/config" 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).path))')
fn=$(cat "$root/src/migrate/from-flake.nix")
out="{"
sep=""
for pair in 'darwin:mac' 'nixos:desk' 'home:lars@desk'; do
  kind=${pair%%:*} name=${pair#*:}
  json=$("${nix[@]}" eval --json --no-write-lock-file "$tmp/config#${kind}Configurations.\"$name\"" \
    --apply "($fn) \"$source\" \"$kind\"" 2>"$tmp/err") || { cat "$tmp/err" >&2; exit 1; }
  out="$out$sep\"$kind\":$json"
  sep=","
done
out="$out}"
printf '%s' "$out" | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const [source, commit] = process.argv.slice(1);
    const data = JSON.parse(s.split(source).join("@SOURCE@"));
    const out = { capturedWith: { "nixpkgs.lib": commit, nix: process.env.NIX_VERSION }, ...data };
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  });' "$source" "$commit" >"$fixture/captured.json"
echo "wrote $fixture/captured.json"
