# A stand-in for nixpkgs in tests: packages are fake derivations (store paths derived from their
# name and inputs), the builders the adapters call return the same, remembering their arguments.
{ lib }:

let
  drv = name: seed: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" "${name}\n${seed}")}-${name}";
  };
  pkg = name: drv name "";
  names = [
    "bat" "code-server" "coreutils" "fish" "git" "jq" "makeWrapper" "remarshal" "restic"
    "ripgrep" "sanoid" "syncthing" "tailscale" "vscode" "zfs"
  ];
in
lib.listToAttrs (map (n: lib.nameValuePair n (pkg n)) names)
// {
  python3Packages = { black = pkg "black"; };
  symlinkJoin = args: drv args.name (builtins.toJSON args) // { inherit (args) paths postBuild; };
  writeShellScript = name: text: drv name text // { inherit text; };
  writeText = name: text: drv name text // { inherit text; };
}
