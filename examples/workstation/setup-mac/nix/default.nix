# setup-mac: the entry point of the Nix adapters. In a flake, per host:
#
#   (import ./setup-mac/nix { host = "evo-x2"; }).nixos    # in nixosSystem's modules
#   (import ./setup-mac/nix { host = "macbook"; }).darwin  # in darwinSystem's modules
#   (import ./setup-mac/nix { host = "macbook"; }).home    # in home-manager.users.<user>.imports
#
# Each attribute is a module that reads the host's entry of setup-mac.lock.json (written by
# `setup-mac build`) and maps it onto the platform's own options. These files are fixed: they do
# not change when programs change, only the lock does.
{
  host,
  # The adapters live in <workspace>/setup-mac/nix/, the lock in <workspace>/.
  lockFile ? ../../setup-mac.lock.json,
}:

let
  lock =
    if !(builtins.pathExists lockFile) then
      throw "setup-mac: there is no lock file at ${toString lockFile}; run `setup-mac build` in the workspace."
    else
      builtins.fromJSON (builtins.readFile lockFile);

  hosts = lock.hosts or { };
  known = builtins.concatStringsSep ", " (builtins.attrNames hosts);

  hostLock =
    if (lock.version or null) != 1 then
      throw "setup-mac: ${toString lockFile} has lock format version ${builtins.toJSON (lock.version or null)}, but these adapters read version 1; run `setup-mac build` to write it again (and `setup-mac init` to update the adapters)."
    else if !(hosts ? ${host}) then
      throw "setup-mac: host '${host}' is not in ${toString lockFile} (known hosts: ${if known == "" then "none" else known}); add it to setup-mac.jsonc and run `setup-mac build`."
    else
      hosts.${host};

  module = file: {
    # One key per adapter and host: importing it twice is harmless.
    key = "setup-mac/${file}/${host}";
    _file = "${toString ./.}/${file} (setup-mac, host ${host})";
    imports = [ (import (./. + "/${file}") { name = host; host = hostLock; }) ];
  };
in
{
  nixos = module "nixos.nix";
  darwin = module "darwin.nix";
  home = module "home.nix";
}
