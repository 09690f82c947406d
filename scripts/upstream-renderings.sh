#!/usr/bin/env bash
# Writes test/fixtures/upstream-renderings/workstation.json: what nix-darwin, home-manager and
# nixpkgs' lib render from examples/workstation's lock through setup-mac's adapters. Needs
# git checkouts (or bare git dirs) of the three upstream projects; CI only reads the fixture.
#
#   scripts/upstream-renderings.sh <nixpkgs.lib git dir> <nix-darwin git dir> <home-manager git dir>
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 <nixpkgs.lib git dir> <nix-darwin git dir> <home-manager git dir>" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
commits=()
for pair in "lib:$1" "darwin:$2" "hm:$3"; do
  name=${pair%%:*} dir=${pair#*:}
  mkdir -p "$tmp/$name"
  git --git-dir="$dir" archive HEAD | tar -x -C "$tmp/$name"
  commits+=("$name=$(git --git-dir="$dir" rev-parse HEAD)")
done
# nixpkgs.lib ships without nixpkgs' maintainer lists, which lib/default.nix imports.
mkdir -p "$tmp/lib/maintainers"
echo '{ }' >"$tmp/lib/maintainers/maintainer-list.nix"
echo '{ }' >"$tmp/lib/maintainers/team-list.nix"

nix-instantiate --store dummy:// --eval --strict --json "$root/scripts/upstream-renderings.nix" \
  --arg nixpkgsLib "$tmp/lib" --arg nixDarwin "$tmp/darwin" --arg homeManager "$tmp/hm" \
  --arg adapters "$root/nix" --arg lockFile "$root/examples/workstation/setup-mac.lock.json" \
  --argstr darwinHost macbook --argstr nixosHost evo-x2 >"$tmp/out.json" 2>"$tmp/err"

mkdir -p "$root/test/fixtures/upstream-renderings"
node "$root/scripts/upstream-renderings-collect.mjs" "$tmp/out.json" "$tmp/err" "${commits[@]}" \
  >"$root/test/fixtures/upstream-renderings/workstation.json"
