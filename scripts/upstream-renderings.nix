# Evaluates the real upstream modules (nix-darwin's launchd, home-manager's launchd and systemd,
# home-manager's shell library for session variables, and NixOS' systemd unit library with its
# locale and i18n modules)
# with setup-mac's adapters on a lock, and returns what they render. Run by
# scripts/upstream-renderings.sh, which passes the unpacked upstream sources; never run in CI.
#
# There is no nixpkgs here: `pkgs` is a stand-in where every package is a derivation-like set
# at /nix/store/<32 zeros>-<attr>, and writeText/writeTextFile record their text with
# builtins.trace (the text would otherwise only reach a derivation we cannot build).
{ nixpkgsLib, nixDarwin, homeManager, nixos, adapters, lockFile, darwinHost, nixosHost }:

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
    # NixOS' makeUnit writes a unit's text through runCommand's passAsFile.
    runCommand = name: env: script:
      builtins.seq script (if env ? passAsFile then record "runCommand" name env.text (drv name) else drv name);
    symlinkJoin = a: drv a.name;
    emptyDirectory = drv "empty";
    formats.ini = _: { generate = name: _: drv name; type = types.anything; };
  } (map (a: lib.setAttrByPath (lib.splitString "." a) (drv (lib.last (lib.splitString "." a)))) pkgNames);

  # Packages NixOS' own modules put into every system service (PATH, TZDIR, LOCALE_ARCHIVE).
  nixosPkgs = {
    coreutils = drv "coreutils"; findutils = drv "findutils"; gnugrep = drv "gnugrep";
    gnused = drv "gnused"; tzdata = drv "tzdata";
    glibcLocales = drv "glibcLocales" // { override = _: drv "glibcLocales"; };
    # The adapter's ZFS dataset service runs `script`, which NixOS turns into a job script.
    zfs = drv "zfs";
    writeShellScriptBin = name: text:
      let bin = n: drv n // { meta.mainProgram = name; }; in
      bin name // { overrideAttrs = f: bin (f { }).name; };
  };

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

  platformPkgs = platform: lib.recursiveUpdate (pkgs // nixosPkgs) {
    stdenv.hostPlatform = { isDarwin = platform == "darwin"; isLinux = platform == "nixos"; };
    systemd = drv "systemd";
  };

  # NixOS' systemd module reduced to what renders units: systemdUtils assembled as
  # nixos/lib/utils.nix does, the options nixos/modules/system/boot/systemd.nix declares for
  # services and timers, and its `systemd.units` (serviceToUnit/timerToUnit) and `startAt` timers.
  # The rest of that module (upstream units, /etc/systemd/system's link farm) renders no text of ours.
  nixosSystemd = { config, lib, pkgs, ... }:
    let
      cfg = config.systemd;
      systemdUtils = {
        lib = import (nixos + "/nixos/lib/systemd-lib.nix") { inherit config lib pkgs; utils = { }; };
        unitOptions = import (nixos + "/nixos/lib/systemd-unit-options.nix") { inherit lib systemdUtils; };
        types = import (nixos + "/nixos/lib/systemd-types.nix") { inherit lib systemdUtils pkgs; };
      };
      withName = cfgToUnit: u: lib.nameValuePair u.name (cfgToUnit u);
      envType = with types; attrsOf (nullOr (oneOf [ str path package ]));
    in
    {
      options.systemd = {
        package = mkOption { type = types.package; default = pkgs.systemd; };
        enableStrictShellChecks = mkOption { type = types.bool; default = false; };
        units = mkOption { type = systemdUtils.types.units; default = { }; };
        services = mkOption { type = systemdUtils.types.services; default = { }; };
        timers = mkOption { type = systemdUtils.types.timers; default = { }; };
        globalEnvironment = mkOption { type = envType; default = { }; };
        user = lazy; tmpfiles = lazy;
      };
      config.systemd = {
        units = lib.mapAttrs' (_: withName systemdUtils.lib.serviceToUnit) cfg.services
          // lib.mapAttrs' (_: withName systemdUtils.lib.timerToUnit) cfg.timers;
        timers = lib.mapAttrs (name: service: {
          wantedBy = [ "timers.target" ];
          timerConfig.OnCalendar = service.startAt;
        }) (lib.filterAttrs (name: service: service.enable && service.startAt != [ ]) cfg.services);
      };
    };

  nixosStubs = {
    options = {
      environment = {
        systemPackages = mkOption { type = types.listOf types.anything; default = [ ]; };
        etc = lazy; variables = lazy; sessionVariables = lazy;
      };
      programs = lazy; services = lazy; users = lazy; networking = lazy; boot = lazy; hardware = lazy;
      system = { activationScripts = lazy; };
      assertions = mkOption { type = types.listOf types.anything; default = [ ]; };
      warnings = mkOption { type = types.listOf types.str; default = [ ]; };
      meta = mkOption { type = types.lazyAttrsOf types.raw; default = { }; };
    };
  };

  eval = platform: modules: (lib.evalModules {
    modules = modules ++ [{ _module.args.pkgs = platformPkgs platform; _module.check = true; }];
  }).config;

  darwin = eval "darwin" [ darwinStubs (nixDarwin + "/modules/launchd") (adapter darwinHost "darwin") ];
  hmDarwin = eval "darwin" [ (hmStubs "darwin") (homeManager + "/modules/launchd") (adapter darwinHost "home") ];
  nixosSystem = eval "nixos" [
    nixosStubs nixosSystemd
    (nixos + "/nixos/modules/config/locale.nix") (nixos + "/nixos/modules/config/i18n.nix")
    (adapter nixosHost "nixos")
  ];
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
    # NixOS links each unit's makeUnit derivation into /etc/systemd/system: ours are setup-mac-*.
    (lib.mapAttrsToList (_: u: u.unit) (lib.filterAttrs (n: _: lib.hasPrefix "setup-mac-" n) nixosSystem.systemd.units))
  ] true;
}
