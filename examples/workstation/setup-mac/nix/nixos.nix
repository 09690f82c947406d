# setup-mac: the NixOS adapter. Maps the system level of the host's lock entry onto NixOS
# options. The home level (home files, session variables, user services with home-manager) is
# home.nix's job. Everything generated is namespaced (`setup-mac-<program>-<service>`) and set at
# mkDefault, so the host's own configuration wins wherever it says something different.
{ name, host }:
{ config, lib, pkgs, ... }:

let
  sm = import ./lib.nix { inherit lib pkgs; };
  inherit (builtins) filter map;

  system = sm.levels host "system";
  services = sm.entries system "services";
  scheduled = filter (e: e.value ? schedule) services;
  ofScope = scope: filter (e: e.value.scope == scope) services;
  datasets = sm.entries system "datasets";
  snapshotted = filter (e: e.value ? snapshots) datasets;
  permissions = sm.entries system "permissions";
  files = sm.linkedFiles system;
  merged = sm.mergeFiles system;
  hooked = filter sm.hasHooks system;
  zfs = config.boot.zfs.package or pkgs.zfs;

  # systemd.services.<unit> / systemd.user.services.<unit>
  unit = e:
    let
      svc = e.value;
      after = svc.after or [ ];
    in
    sm.defaults {
      description = sm.systemdText svc.description;
      after = map (sm.systemdTarget svc.scope) after;
      wants = lib.optional (lib.elem "network-online" after) "network-online.target";
      # A scheduled service is started by its timer, not at boot.
      wantedBy = lib.optional (!(svc ? schedule))
        (if svc.scope == "user" then "default.target" else "multi-user.target");
      # NixOS writes each variable as it is (builtins.toJSON): `%` doubled so systemd's
      # specifier expansion gives the value back.
      environment = lib.mapAttrs (_: builtins.replaceStrings [ "%" ] [ "%%" ]) (svc.environment or { });
      serviceConfig = {
        ExecStart = sm.systemdCommand e.program svc.command;
        Restart = sm.systemdRestart svc.restart;
      }
      // lib.optionalAttrs (svc ? schedule) { Type = "oneshot"; }
      // lib.optionalAttrs (svc ? user) { User = sm.systemdText svc.user; }
      // lib.optionalAttrs (svc ? group) { Group = sm.systemdText svc.group; }
      // lib.optionalAttrs (svc ? workingDirectory) { WorkingDirectory = sm.systemdText svc.workingDirectory; }
      // lib.optionalAttrs (svc ? logs) {
        StandardOutput = sm.systemdText "append:${svc.logs}";
        StandardError = sm.systemdText "append:${svc.logs}";
      };
    };

  # systemd.timers.<unit> / systemd.user.timers.<unit>: same name as the service it starts.
  timer = e:
    sm.defaults {
      description = sm.systemdText e.value.description;
      wantedBy = [ "timers.target" ];
      timerConfig = sm.timerSettings e.value.schedule;
    };

  units = f: es: sm.byKey f (map (e: e // { key = e.value.unit; }) es);

  # Hooks run in the lock's order: each program's script depends on the previous one's.
  hookScripts = lib.listToAttrs (lib.imap0
    (i: l: lib.nameValuePair "setup-mac-${l.name}" {
      deps = [ "users" ]
        ++ lib.optional (merged != [ ]) "setup-mac-merge-files"
        ++ lib.optional (i > 0) "setup-mac-${(lib.elemAt hooked (i - 1)).name}";
      text = lib.concatStringsSep "\n" (
        sm.hooksOf "" l "preSetup" ++ sm.hooksOf "" l "postSetup"
      );
    })
    hooked);
in
if host.platform != "nixos" then
  throw "setup-mac: host '${name}' is a ${host.platform} host in the lock; import its .${host.platform} module, not .nixos."
else {
  config = lib.mkMerge ([
    {
      environment.systemPackages = sm.levelPackages system;

      environment.etc = sm.byKey
        (e: {
          text = sm.atPriority e.value.priority e.value.text;
        } // lib.optionalAttrs (e.value ? mode) {
          mode = sm.atPriority e.value.priority e.value.mode;
        })
        files;

      environment.variables = sm.byKey (e: sm.atPriority e.value.priority e.value.value)
        (sm.entries system "env");

      systemd.services = units unit (ofScope "system");
      systemd.timers = units timer (filter (e: e.value.scope == "system") scheduled);
      # User services land on the system level only when the host does not use home-manager.
      systemd.user.services = units unit (ofScope "user");
      systemd.user.timers = units timer (filter (e: e.value.scope == "user") scheduled);

      systemd.tmpfiles.rules = map (e: sm.tmpfilesRule e.value) permissions;

      system.activationScripts = hookScripts;
    }

    (lib.mkIf (datasets != [ ]) {
      systemd.services.setup-mac-zfs-datasets = sm.defaults {
        description = "setup-mac: create missing ZFS datasets";
        wantedBy = [ "multi-user.target" ];
        after = [ "zfs-import.target" "zfs-mount.service" ];
        before = map (e: "${e.value.unit}.service") (ofScope "system");
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
        };
        script = lib.concatStringsSep "\n" (
          lib.concatMap (e: sm.datasetCommands (lib.escapeShellArg "${zfs}/bin/zfs") e.value) datasets
          # A new mountpoint gets its tmpfiles.d permissions now, not only at the next boot.
          ++ map (e: "systemd-tmpfiles --create --prefix=${lib.escapeShellArg e.value.mountpoint} || true")
            (filter (e: e.value ? mountpoint) datasets)
        );
      };
    })

    (lib.mkIf (snapshotted != [ ]) {
      services.sanoid = {
        enable = lib.mkDefault true;
        # sanoid takes "frequently" snapshots only as often as it runs (hourly by default).
        interval = lib.mkIf (lib.any (e: e.value.snapshots.every == "frequent") snapshotted)
          (lib.mkDefault "*:0/15");
        datasets = lib.mkMerge (map
          (e: {
            ${e.value.dataset} = sm.defaults {
              ${sm.sanoidKey e.value.snapshots.every} = e.value.snapshots.keep;
              autosnap = true;
              autoprune = true;
            };
          })
          snapshotted);
      };
    })

    (lib.mkIf (merged != [ ]) {
      # /etc files something else also writes: the declared keys merged into the live file.
      system.activationScripts.setup-mac-merge-files = {
        deps = [ "users" ];
        text = lib.concatStringsSep "\n" (map (e: sm.mergeCommand e.program "/etc/${e.key}" e.value) merged);
      };
    })
  ] ++ sm.rawDefinitions system "nixos");
}
