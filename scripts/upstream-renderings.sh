#!/usr/bin/env bash
# Writes test/fixtures/upstream-renderings/workstation.json: what nix-darwin, home-manager,
# NixOS and nixpkgs' lib render from examples/workstation's lock through setup-mac's adapters.
# Needs git checkouts (or bare git dirs) of the four upstream projects; CI only reads the fixture.
#
#   scripts/upstream-renderings.sh <nixpkgs.lib git dir> <nix-darwin git dir> <home-manager git dir> <nixpkgs git dir>
#
# From nixpkgs only NixOS' systemd unit library (nixos/lib/systemd-{lib,unit-options,types}.nix)
# and its locale and i18n modules (nixos/modules/config/{locale,i18n}.nix) are unpacked.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 <nixpkgs.lib git dir> <nix-darwin git dir> <home-manager git dir> <nixpkgs git dir>" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'status=$?; [ $status -eq 0 ] || cat "$tmp/err" >&2 2>/dev/null; rm -rf "$tmp"' EXIT
commits=()
for pair in "lib:$1" "darwin:$2" "hm:$3"; do
  name=${pair%%:*} dir=${pair#*:}
  mkdir -p "$tmp/$name"
  git --git-dir="$dir" archive HEAD | tar -x -C "$tmp/$name"
  commits+=("$name=$(git --git-dir="$dir" rev-parse HEAD)")
done
mkdir -p "$tmp/nixos"
git --git-dir="$4" archive HEAD nixos/lib/systemd-lib.nix nixos/lib/systemd-unit-options.nix \
  nixos/lib/systemd-types.nix nixos/modules/config/locale.nix nixos/modules/config/i18n.nix |
  tar -x -C "$tmp/nixos"
commits+=("nixos=$(git --git-dir="$4" rev-parse HEAD)")
# nixpkgs.lib ships without nixpkgs' maintainer lists, which lib/default.nix imports.
mkdir -p "$tmp/lib/maintainers"
echo '{ }' >"$tmp/lib/maintainers/maintainer-list.nix"
echo '{ }' >"$tmp/lib/maintainers/team-list.nix"

nix-instantiate --store dummy:// --eval --strict --json "$root/scripts/upstream-renderings.nix" \
  --arg nixpkgsLib "$tmp/lib" --arg nixDarwin "$tmp/darwin" --arg homeManager "$tmp/hm" --arg nixos "$tmp/nixos" \
  --arg adapters "$root/nix" --arg lockFile "$root/examples/workstation/setup-mac.lock.json" \
  --argstr darwinHost macbook --argstr nixosHost evo-x2 >"$tmp/out.json" 2>"$tmp/err"

mkdir -p "$root/test/fixtures/upstream-renderings"
node "$root/scripts/upstream-renderings-collect.mjs" "$tmp/out.json" "$tmp/err" "${commits[@]}" \
  >"$root/test/fixtures/upstream-renderings/workstation.json"
