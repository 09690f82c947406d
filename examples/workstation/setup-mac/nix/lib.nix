# setup-mac: helpers shared by the platform adapters (nixos.nix, darwin.nix, home.nix).
#
# Everything here is a pure function of the lock, `lib` and `pkgs`. It uses only long-standing
# nixpkgs `lib` functions, so the adapters work with any nixpkgs of the last years.
{ lib, pkgs }:

let
  inherit (builtins)
    attrNames
    concatLists
    filter
    isAttrs
    isList
    isString
    map
    match
    replaceStrings
    stringLength
    substring
    ;
in
rec {
  # ---- priorities ---------------------------------------------------------------------------
  #
  # The lock stores priorities the way setup-mac merged them: 100 plain, 50 mkForce,
  # 1000 mkDefault, anything else mkOverride n. A program's plain value becomes mkDefault
  # (1000) here, so the user's own hand-written configuration (100) wins over it; a program's
  # mkForce stays mkForce; other priorities are kept as they are.
  nixPriority = priority: if priority == 100 then 1000 else priority;

  atPriority = priority: value: lib.mkOverride (nixPriority priority) value;

  # Generated values: every leaf (scalar, list, package) at mkDefault, attribute sets merged
  # key by key, so the user can override any single setting of a generated unit or job.
  defaults = value:
    if isAttrs value && !(lib.isDerivation value) && !(value ? _type) then
      lib.mapAttrs (_: defaults) value
    else
      lib.mkDefault value;

  # ---- the lock -----------------------------------------------------------------------------

  # The host's programs in lock order (requires first), as { name, program } pairs.
  programsInOrder = host: map (name: { inherit name; program = host.programs.${name}; }) host.order;

  # One level ("system" or "home") of every program that has it: { name, level } pairs.
  levels = host: which:
    map (p: { inherit (p) name; level = p.program.${which}; })
      (filter (p: p.program ? ${which}) (programsInOrder host));

  # All entries of one field across programs: [ { program, key, value } ] in lock order.
  entries = levelList: field:
    concatLists (map
      (l: map (key: { program = l.name; inherit key; value = l.level.${field}.${key}; })
        (attrNames (l.level.${field} or { })))
      levelList);

  # ---- packages and binaries ----------------------------------------------------------------

  # A package by nixpkgs attribute path ("python3Packages.black"), or a clear error naming the
  # program that asked for it.
  package = program: attr:
    let
      path = lib.splitString "." attr;
      missing = throw
        "setup-mac: program '${program}' needs package '${attr}', which is not in nixpkgs";
    in
    lib.attrByPath path missing pkgs;

  # A command element: a literal word, or { bin, pkg } → "<store path of pkg>/bin/<bin>".
  resolveArg = program: arg:
    if isString arg then arg else "${package program arg.pkg}/bin/${arg.bin}";

  resolveArgv = program: argv: map (resolveArg program) argv;

  # An argument vector as one POSIX shell command: every word single-quoted, nothing expands.
  shellCommand = program: argv: lib.escapeShellArgs (resolveArgv program argv);

  # Raw option values: `{ pkg = "attr.path"; }` anywhere in the value becomes that package.
  resolveRaw = program: value:
    if isAttrs value && attrNames value == [ "pkg" ] && isString value.pkg then
      package program value.pkg
    else if isAttrs value then
      lib.mapAttrs (_: resolveRaw program) value
    else if isList value then
      map (resolveRaw program) value
    else
      value;

  # The raw options of one target ("nixos", "darwin", "home") as module definitions.
  rawDefinitions = levelList: target:
    concatLists (map
      (l: map
        (r: lib.setAttrByPath r.path (atPriority r.priority (resolveRaw l.name r.value)))
        (filter (r: r.target == target) (l.level.raw or [ ])))
      levelList);

  # ---- wrappers -------------------------------------------------------------------------------

  # A package whose binary always gets the given flags and environment: the original package's
  # files linked into a new one, the binary replaced by a makeWrapper script.
  wrapperPackage = program: binary: w:
    let
      original = package program w.package;
      flags = w.addFlags or [ ];
      env = w.env or { };
    in
    pkgs.symlinkJoin {
      name = "${binary}-setup-mac-wrapper";
      paths = [ original ];
      nativeBuildInputs = [ pkgs.makeWrapper ];
      postBuild = lib.concatStringsSep " " (
        [ "wrapProgram" "\"$out\"/bin/${lib.escapeShellArg w.binary}" ]
        # --add-flags takes shell words: quote each flag, then the whole string once more.
        ++ lib.optionals (flags != [ ]) [ "--add-flags" (lib.escapeShellArg (lib.escapeShellArgs flags)) ]
        ++ concatLists (map (k: [ "--set" (lib.escapeShellArg k) (lib.escapeShellArg env.${k}) ]) (attrNames env))
      );
    };

  # The level's packages, with a wrapped package standing in for the package it wraps.
  levelPackages = levelList:
    concatLists (map
      (l:
        let
          wrappers = l.level.wrappers or { };
          wrapped = map (b: wrappers.${b}.package) (attrNames wrappers);
        in
        map (package l.name) (filter (p: !(lib.elem p wrapped)) (l.level.packages or [ ]))
        ++ map (b: wrapperPackage l.name b wrappers.${b}) (attrNames wrappers))
      levelList);

  # ---- modes ----------------------------------------------------------------------------------

  # "0755" → true: any execute bit set.
  executableMode = mode:
    let last3 = substring (stringLength mode - 3) 3 mode;
    in match ".*[1357].*" last3 != null;

  # ---- systemd ------------------------------------------------------------------------------

  # ExecStart= words, quoted the way systemd reads them: `%` → `%%`, `$` → `$$`, and any word
  # that is not plainly safe is double-quoted with `\` and `"` escaped.
  systemdWord = word:
    let
      escaped = replaceStrings [ "\\" "\"" "%" "$" "\t" ] [ "\\\\" "\\\"" "%%" "$$" "\\t" ] word;
    in
    if match "[A-Za-z0-9_@%+=:,./$-]+" word != null then escaped else "\"${escaped}\"";

  systemdExecutable = path:
    let escaped = replaceStrings [ "%" ] [ "%%" ] path;
    in if match ".*[[:space:]].*" path != null then "\"${escaped}\"" else escaped;

  systemdCommand = program: argv:
    let words = resolveArgv program argv;
    in lib.concatStringsSep " " ([ (systemdExecutable (lib.head words)) ] ++ map systemdWord (lib.tail words));

  # A plain unit value (Description=, User=, WorkingDirectory=, StandardOutput=): NixOS and
  # home-manager write it as it is, so `%` is doubled for systemd's specifier expansion to give
  # the value back.
  systemdText = replaceStrings [ "%" ] [ "%%" ];

  # One Environment= assignment, quoted so spaces, quotes and `%` arrive literally.
  systemdEnvironment = name: value:
    "\"${name}=${replaceStrings [ "\\" "\"" "%" ] [ "\\\\" "\\\"" "%%" ] value}\"";

  systemdTarget = scope: target:
    {
      network = "network.target";
      network-online = "network-online.target";
      local-fs = "local-fs.target";
      time-sync = "time-sync.target";
      graphical = if scope == "user" then "graphical-session.target" else "graphical.target";
    }.${target};

  systemdRestart = restart: { on-failure = "on-failure"; always = "always"; never = "no"; }.${restart};

  # `Mon *-*-01 03:00:00`: unset fields match every value; weekday 0 and 7 are both Sunday.
  onCalendar = c:
    let
      two = v: if v < 10 then "0${toString v}" else toString v;
      field = name: if c ? ${name} then two c.${name} else "*";
      weekdays = [ "Sun" "Mon" "Tue" "Wed" "Thu" "Fri" "Sat" "Sun" ];
      weekday = if c ? weekday then "${lib.elemAt weekdays c.weekday} " else "";
    in
    "${weekday}*-${field "month"}-${field "day"} ${field "hour"}:${field "minute"}:00";

  # The [Timer] settings of a scheduled service.
  timerSettings = schedule:
    if schedule ? every then {
      OnBootSec = "${toString schedule.every}s";
      OnUnitActiveSec = "${toString schedule.every}s";
    } else {
      OnCalendar = onCalendar schedule.calendar;
      # Catch up on a run missed while the machine was off.
      Persistent = true;
    };

  # One systemd-tmpfiles.d line: `d` creates the directory, `z` only adjusts an existing one.
  tmpfilesRule = p:
    let
      escaped = replaceStrings [ "\\" "\"" "%" ] [ "\\\\" "\\\"" "%%" ] p.path;
      path = if match "[A-Za-z0-9_@%+:,./-]+" p.path != null then escaped else "\"${escaped}\"";
    in
    lib.concatStringsSep " " [ (if p.create then "d" else "z") path p.mode p.owner (p.group or "-") "-" ];

  # ---- launchd ------------------------------------------------------------------------------

  # The launchd job of a lock service (ProgramArguments as the plain argument vector).
  launchdJob = program: svc:
    let scheduled = svc ? schedule;
    in
    {
      Label = svc.label;
      ProgramArguments = resolveArgv program svc.command;
      RunAtLoad = !scheduled;
      KeepAlive =
        if scheduled || svc.restart == "never" then false
        else if svc.restart == "always" then true
        else { SuccessfulExit = false; };
    }
    // lib.optionalAttrs ((svc.environment or { }) != { }) { EnvironmentVariables = svc.environment; }
    // lib.optionalAttrs (svc ? user) { UserName = svc.user; }
    // lib.optionalAttrs (svc ? group) { GroupName = svc.group; }
    // lib.optionalAttrs (svc ? workingDirectory) { WorkingDirectory = svc.workingDirectory; }
    // lib.optionalAttrs (svc ? logs) { StandardOutPath = svc.logs; StandardErrorPath = svc.logs; }
    // lib.optionalAttrs (scheduled && svc.schedule ? every) { StartInterval = svc.schedule.every; }
    // lib.optionalAttrs (scheduled && svc.schedule ? calendar) {
      StartCalendarInterval = [ (calendarInterval svc.schedule.calendar) ];
    };

  # launchd's calendar dictionary: only the fields that are set; absent fields match every value.
  # ProgramArguments that first wait for the Nix store to be mounted (a separate volume on
  # macOS), the way nix-darwin's own `command` option and home-manager's agents do.
  waitForNixStore = argv: [ "/bin/sh" "-c" "/bin/wait4path /nix/store && exec ${lib.escapeShellArgs argv}" ];

  calendarInterval = c:
    let keys = { minute = "Minute"; hour = "Hour"; weekday = "Weekday"; day = "Day"; month = "Month"; };
    in lib.mapAttrs' (k: v: lib.nameValuePair keys.${k} v) (lib.filterAttrs (k: _: keys ? ${k}) c);

  # ---- activation scripts --------------------------------------------------------------------

  # Shell lines that run a program's hooks of one phase, with a comment saying whose they are.
  hookLines = prefix: l: phase:
    map (argv: "${prefix}${shellCommand l.name argv}") (l.level.hooks.${phase} or [ ]);

  hooksOf = prefix: l: phase:
    let lines = hookLines prefix l phase;
    in lib.optionals (lines != [ ]) ([ "# setup-mac: ${l.name} ${phase}" ] ++ lines);

  hasHooks = l: (l.level.hooks.preSetup or [ ]) != [ ] || (l.level.hooks.postSetup or [ ]) != [ ];

  # Commands that make a permission true where there is no tmpfiles (nix-darwin).
  permissionCommands = p:
    let owner = if p ? group then "${p.owner}:${p.group}" else p.owner;
    in
    if p.create then [
      (lib.escapeShellArgs [ "/bin/mkdir" "-p" p.path ])
      (lib.escapeShellArgs [ "/bin/chmod" p.mode p.path ])
      (lib.escapeShellArgs [ "/usr/sbin/chown" owner p.path ])
    ] else [
      "if [ -e ${lib.escapeShellArg p.path} ]; then ${lib.escapeShellArgs [ "/bin/chmod" p.mode p.path ]} && ${lib.escapeShellArgs [ "/usr/sbin/chown" owner p.path ]}; fi"
    ];

  # Commands that create a missing ZFS dataset (never touching an existing one). `zfs` is the
  # zfs binary as a shell word (already quoted, or a variable like "$zfs").
  datasetCommands = zfs: d:
    let
      props = lib.optional (d ? mountpoint) "mountpoint=${d.mountpoint}"
        ++ map (k: "${k}=${d.properties.${k}}") (attrNames (d.properties or { }));
      create = [ "create" "-p" ] ++ concatLists (map (p: [ "-o" p ]) props) ++ [ d.dataset ];
    in
    [
      "if ! ${zfs} list -H -o name ${lib.escapeShellArg d.dataset} >/dev/null 2>&1; then"
      "  ${zfs} ${lib.escapeShellArgs create}"
      "fi"
    ];

  # sanoid's retention key for each snapshot frequency of the lock.
  sanoidKey = every:
    { frequent = "frequently"; hourly = "hourly"; daily = "daily"; weekly = "weekly"; monthly = "monthly"; }.${every};

  # ---- merge-mode files ---------------------------------------------------------------------

  # A fixed script: merge-file FORMAT DECLARED.json TARGET [MODE]. It reads the live TARGET
  # (json, yaml or toml), merges the declared JSON into it (declared keys win, recursively; the
  # application's other keys stay), and replaces TARGET atomically. A live file that cannot be
  # read is left as it is, with a warning, so activation never fails on an application's file.
  mergeScript = pkgs.writeShellScript "setup-mac-merge-file" ''
    set -eu
    format=$1 declared=$2 target=$3 mode=''${4:-}
    jq=${pkgs.jq}/bin/jq
    remarshal=${pkgs.remarshal}/bin
    dir=$(dirname "$target")
    mkdir -p "$dir"
    tmp=$(mktemp "$dir/.setup-mac-merge.XXXXXX")
    trap 'rm -f "$tmp" "$tmp.live.json" "$tmp.merged.json"' EXIT
    if [ -s "$target" ]; then
      case $format in
        json) cp "$target" "$tmp.live.json" ;;
        *) "$remarshal/''${format}2json" "$target" "$tmp.live.json" ;;
      esac || { echo "setup-mac: cannot read $target as $format; left unchanged" >&2; exit 0; }
      "$jq" -s '.[0] * .[1]' "$tmp.live.json" "$declared" > "$tmp.merged.json" \
        || { echo "setup-mac: cannot merge into $target; left unchanged" >&2; exit 0; }
    else
      cp "$declared" "$tmp.merged.json"
    fi
    case $format in
      json) "$jq" . "$tmp.merged.json" > "$tmp" ;;
      *) "$remarshal/json2''${format}" "$tmp.merged.json" "$tmp" ;;
    esac
    if [ -n "$mode" ]; then chmod "$mode" "$tmp"; fi
    mv -f "$tmp" "$target"
  '';

  # The command that merges one lock file entry into the live file at `target` (absolute).
  mergeCommand = program: target: file:
    let declared = pkgs.writeText "setup-mac-merge.json" (builtins.toJSON file.value);
    in lib.escapeShellArgs ([ "${mergeScript}" file.format "${declared}" target ] ++ lib.optional (file ? mode) file.mode);

  mergeFiles = levelList: filter (e: e.value.merge or false) (entries levelList "files");
  linkedFiles = levelList: filter (e: !(e.value.merge or false)) (entries levelList "files");

  # An attribute set from { program, key, value } entries (setup-mac's merge has already made
  # sure no two programs own one key).
  byKey = f: es: lib.listToAttrs (map (e: lib.nameValuePair e.key (f e)) es);
}
