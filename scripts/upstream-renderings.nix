# Evaluates the real upstream modules (nix-darwin's launchd, home-manager's launchd and systemd,
# and home-manager's shell library for session variables)
# with setup-mac's adapters on a lock, and returns what they render. Run by
# scripts/upstream-renderings.sh, which passes the unpacked upstream sources; never run in CI.
#
# There is no nixpkgs here: `pkgs` is a stand-in where every package is a derivation-like set
# at /nix/store/<32 zeros>-<attr>, and writeText/writeTextFile record their text with
# builtins.trace (the text would otherwise only reach a derivation we cannot build).
{ nixpkgsLib, nixDarwin, homeManager, adapters, lockFile, darwinHost, nixosHost }:

let
  lib0 = import (nixpkgsLib + "/lib");
  lib = import (homeManager + "/modules/lib/stdlib-extended.nix") lib0;
  inherit (lib) types mkOption;

  lock = builtins.fromJSON (builtins.readFile lockFile);
  hash = "00000000000000000000000000000000";

  # Every package attribute the lock names ({ pkg } in commands, level package lists).
  pkgNames =
    let
      walk = v:
        if builtins.isAttrs v then
          (lib.optional (v ? pkg && builtins.isString v.pkg) v.pkg)
          ++ (lib.optionals (v ? packages && builtins.isList v.packages) (builtins.filter builtins.isString v.packages))
          ++ lib.concatMap walk (builtins.attrValues v)
        else if builtins.isList v then lib.concatMap walk v
        else [ ];
    in
    lib.unique (walk lock);

  drv = name: { type = "derivation"; inherit name; pname = name; outPath = "/nix/store/${hash}-${name}"; };
  record = kind: name: text: builtins.trace (builtins.toJSON { inherit kind name text; });

  pkgs = lib.foldl' lib.recursiveUpdate {
    stdenv = { shell = "/bin/sh"; hostPlatform = { isDarwin = true; isLinux = false; }; };
    writeText = name: text: record "writeText" name text (drv name);
    writeTextFile = a: record "writeTextFile" a.name a.text (drv a.name);
    writeScript = name: text: drv name;
    writeScriptBin = name: text: drv name;
    writeShellScript = name: text: drv name;
    runCommand = name: env: script: builtins.seq script (drv name);
    symlinkJoin = a: drv a.name;
    emptyDirectory = drv "empty";
    formats.ini = _: { generate = name: _: drv name; type = types.anything; };
  } (map (a: lib.setAttrByPath (lib.splitString "." a) (drv (lib.last (lib.splitString "." a)))) pkgNames);

  adapter = host: kind: (import adapters { inherit host lockFile; }).${kind};

  anything = mkOption { type = types.anything; default = { }; };
  lazy = mkOption { type = types.lazyAttrsOf types.anything; default = { }; };

  # Options the adapters and upstream modules set that belong to modules not evaluated here.
  darwinStubs = {
    options = {
      environment = {
        systemPackages = mkOption { type = types.listOf types.anything; default = [ ]; };
        etc = lazy; variables = lazy; shells = anything;
        launchAgents = lazy; launchDaemons = lazy; userLaunchAgents = lazy;
      };
      programs = lazy; services = lazy; homebrew = lazy;
      system = { primaryUser = anything; requiresPrimaryUser = anything; activationScripts = lazy; };
      warnings = mkOption { type = types.listOf types.str; default = [ ]; };
      meta = mkOption { type = types.lazyAttrsOf types.raw; default = { }; };
    };
  };

  hmStubs = platform: {
    options = lib.optionalAttrs (platform == "darwin") { systemd = lazy; }
      // lib.optionalAttrs (platform != "darwin") { launchd = lazy; }
      // {
      home = {
        packages = mkOption { type = types.listOf types.anything; default = [ ]; };
        file = lazy; sessionVariables = lazy; activation = lazy;
        extraBuilderCommands = mkOption { type = types.lines; default = ""; };
        homeDirectory = mkOption { type = types.str; };
        username = mkOption { type = types.str; };
      };
      programs = lazy; services = lazy;
      xdg = { configFile = lazy; dataFile = lazy; configHome = mkOption { type = types.str; }; };
      assertions = mkOption { type = types.listOf types.anything; default = [ ]; };
      warnings = mkOption { type = types.listOf types.str; default = [ ]; };
      meta = mkOption { type = types.lazyAttrsOf types.raw; default = { }; };
    };
    config = {
      home.homeDirectory = lock.hosts.${if platform == "darwin" then darwinHost else nixosHost}.home;
      home.username = lock.hosts.${if platform == "darwin" then darwinHost else nixosHost}.user;
      xdg.configHome = "${lock.hosts.${if platform == "darwin" then darwinHost else nixosHost}.home}/.config";
    };
  };

  platformPkgs = platform: lib.recursiveUpdate pkgs {
    stdenv.hostPlatform = { isDarwin = platform == "darwin"; isLinux = platform == "nixos"; };
    systemd = drv "systemd";
  };

  eval = platform: modules: (lib.evalModules {
    modules = modules ++ [{ _module.args.pkgs = platformPkgs platform; _module.check = true; }];
  }).config;

  darwin = eval "darwin" [ darwinStubs (nixDarwin + "/modules/launchd") (adapter darwinHost "darwin") ];
  hmDarwin = eval "darwin" [ (hmStubs "darwin") (homeManager + "/modules/launchd") (adapter darwinHost "home") ];
  hmLinux = eval "nixos" [ (hmStubs "nixos") (homeManager + "/modules/systemd.nix") (adapter nixosHost "home") ];

  texts = set: lib.mapAttrs (_: v: v.text) set;
  shell = import (homeManager + "/modules/lib/shell.nix") { inherit lib; };
in
{
  nixDarwin = {
    launchDaemons = texts darwin.environment.launchDaemons;
    userLaunchAgents = texts darwin.environment.userLaunchAgents;
  };
  # The files and session variables home-manager receives: it writes a file's `text` as it is
  # (writeTextFile), and the variables with its own `lib.shell.exportAll`.
  homeFiles = {
    darwin = lib.mapAttrs (_: f: f.text) hmDarwin.home.file;
    linux = lib.mapAttrs (_: f: f.text) hmLinux.home.file;
  };
  sessionVariables = {
    darwin = shell.exportAll hmDarwin.home.sessionVariables;
    linux = shell.exportAll hmLinux.home.sessionVariables;
  };
  # home-manager writes plists and unit files through writeText/writeTextFile, into derivations
  # that cannot be built here: forcing them makes the stand-in record each text as a trace.
  forced = builtins.deepSeq [
    hmDarwin.home.extraBuilderCommands
    (lib.mapAttrs (_: v: v.source) hmLinux.xdg.configFile)
  ] true;
}
