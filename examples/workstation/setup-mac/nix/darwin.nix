# setup-mac: the nix-darwin adapter. Maps the system level of the host's lock entry onto
# nix-darwin options. The home level (home files, session variables, launchd agents with
# home-manager) is home.nix's job.
#
# nix-darwin runs a fixed list of named activation scripts (as root); custom names are ignored.
# setup-mac uses two of the slots meant for this: `extraActivation` (before /etc and launchd are
# set up) for preSetup hooks, ZFS datasets, permissions and merged /etc files, and
# `postActivation` (last) for postSetup hooks.
{ name, host }:
{ config, lib, pkgs, ... }:

let
  sm = import ./lib.nix { inherit lib pkgs; };
  inherit (builtins) filter map;

  system = sm.levels host "system";
  services = sm.entries system "services";
  ofScope = scope: filter (e: e.value.scope == scope) services;
  datasets = sm.entries system "datasets";
  permissions = sm.entries system "permissions";
  files = sm.linkedFiles system;
  merged = sm.mergeFiles system;

  # nix-darwin sets Label itself at mkDefault (org.nixos.<name>): ours sits just above that, so
  # the two never conflict and the host's configuration can still override it.
  job = e:
    let j = sm.launchdJob e.program e.value;
    in
    sm.defaults (removeAttrs j [ "Label" ] // { ProgramArguments = sm.waitForNixStore j.ProgramArguments; })
    // { Label = lib.mkOverride 900 j.Label; };

  jobs = es: sm.byKey (e: { serviceConfig = job e; }) (map (e: e // { key = e.value.label; }) es);

  section = title: lines: lib.optionals (lines != [ ]) ([ "# setup-mac: ${title}" ] ++ lines);

  extraActivation = lib.concatStringsSep "\n" (
    lib.concatMap (l: sm.hooksOf "" l "preSetup") system
    ++ section "ZFS datasets" (lib.optionals (datasets != [ ]) (
      [
        ''zfs=$(PATH="$PATH:/usr/local/zfs/bin:/usr/local/bin" command -v zfs || true)''
        ''if [ -z "$zfs" ]; then''
        ''  echo "setup-mac: zfs is not installed; ZFS datasets were not created" >&2''
        "else"
      ]
      ++ map (line: "  ${line}") (lib.concatMap (e: sm.datasetCommands ''"$zfs"'' e.value) datasets)
      ++ [ "fi" ]
    ))
    ++ section "permissions" (lib.concatMap (e: sm.permissionCommands e.value) permissions)
    ++ section "merged files" (map (e: sm.mergeCommand e.program "/etc/${e.key}" e.value) merged)
  );

  postActivation = lib.concatStringsSep "\n" (lib.concatMap (l: sm.hooksOf "" l "postSetup") system);

  # /etc files are links into the Nix store on nix-darwin: there is no mode to set.
  oddModes = filter (e: e.value ? mode && !(lib.elem e.value.mode [ "0644" "0444" ])) files;
  snapshotted = filter (e: e.value ? snapshots) datasets;
in
if host.platform != "darwin" then
  throw "setup-mac: host '${name}' is a ${host.platform} host in the lock; import its .${host.platform} module, not .darwin."
else {
  config = lib.mkMerge ([
    {
      environment.systemPackages = sm.levelPackages system;

      environment.etc = sm.byKey (e: { text = sm.atPriority e.value.priority e.value.text; }) files;

      environment.variables = sm.byKey (e: sm.atPriority e.value.priority e.value.value)
        (sm.entries system "env");

      launchd.daemons = jobs (ofScope "system");
      # User agents land on the system level only when the host does not use home-manager.
      launchd.user.agents = jobs (ofScope "user");

      warnings =
        map (e: "setup-mac: /etc/${e.key} of program '${e.program}' asks for mode ${e.value.mode}, but nix-darwin links /etc files read-only from the Nix store; the mode is not applied.") oddModes
        ++ map (e: "setup-mac: dataset ${e.value.dataset} of program '${e.program}' asks for snapshots, which setup-mac schedules only on NixOS (sanoid); none are taken on this host.") snapshotted;
    }

    (lib.mkIf (ofScope "user" != [ ]) {
      # nix-darwin runs launchd.user.agents for the primary user and refuses them without one.
      system.primaryUser = lib.mkDefault host.user;
    })

    (lib.mkIf (extraActivation != "") {
      system.activationScripts.extraActivation.text = extraActivation;
    })

    (lib.mkIf (postActivation != "") {
      system.activationScripts.postActivation.text = postActivation;
    })
  ] ++ sm.rawDefinitions system "darwin");
}
