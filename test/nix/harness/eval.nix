# Evaluates one adapter of the setup-mac Nix entry point for one host with the test stand-ins:
#   nix-instantiate --eval --strict --json test/nix/harness/eval.nix \
#     --argstr host evo-x2 --argstr adapter nixos --arg lockFile ./setup-mac.lock.json
# `extraModules` stand for the host's own configuration.
{
  host,
  adapter,
  lockFile,
  entry ? ../../../nix,
  extraModules ? [ ],
}:

let
  lib = import ./lib.nix;
  pkgs = import ./pkgs.nix { inherit lib; };
  module = (import entry { inherit host lockFile; }).${adapter};
in
import ./modules.nix { inherit lib pkgs; modules = [ module ] ++ extraModules; }
