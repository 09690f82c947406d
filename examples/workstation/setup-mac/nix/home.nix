# setup-mac: the home-manager adapter. Maps the home level of the host's lock entry onto
# home-manager options: packages, files under $HOME, session variables, user services
# (systemd on NixOS, launchd agents on macOS), activation hooks and raw home-manager options.
{ name, host }:
{ config, lib, pkgs, ... }:

let
  sm = import ./lib.nix { inherit lib pkgs; };
  inherit (builtins) filter map;

  home = sm.levels host "home";
  services = sm.entries home "services";
  scheduled = filter (e: e.value ? schedule) services;
  files = sm.linkedFiles home;
  merged = sm.mergeFiles home;
  hooked = filter sm.hasHooks home;
  linux = host.platform == "nixos";

  # systemd.user.services.<unit>: home-manager's section/key form.
  unit = e:
    let
      svc = e.value;
      after = svc.after or [ ];
      env = svc.environment or { };
    in
    sm.defaults {
      Unit = lib.optionalAttrs (svc.description != "") { Description = sm.systemdText svc.description; }
        // lib.optionalAttrs (after != [ ]) { After = map (sm.systemdTarget "user") after; }
        // lib.optionalAttrs (lib.elem "network-online" after) { Wants = [ "network-online.target" ]; };
      Service = {
        ExecStart = sm.systemdCommand e.program svc.command;
        Restart = sm.systemdRestart svc.restart;
      }
      // lib.optionalAttrs (svc ? schedule) { Type = "oneshot"; }
      // lib.optionalAttrs (env != { }) {
        Environment = map (k: sm.systemdEnvironment k env.${k}) (builtins.attrNames env);
      }
      // lib.optionalAttrs (svc ? workingDirectory) { WorkingDirectory = sm.systemdText svc.workingDirectory; }
      // lib.optionalAttrs (svc ? logs) {
        StandardOutput = sm.systemdText "append:${svc.logs}";
        StandardError = sm.systemdText "append:${svc.logs}";
      };
      # A scheduled service is started by its timer. WantedBy must be a list.
      Install = lib.optionalAttrs (!(svc ? schedule)) { WantedBy = [ "default.target" ]; };
    };

  timer = e:
    sm.defaults {
      Unit.Description = sm.systemdText e.value.description;
      Timer = sm.timerSettings e.value.schedule;
      Install.WantedBy = [ "timers.target" ];
    };

  # launchd.agents.<label>: home-manager drops an agent without `enable = true`, and wraps
  # ProgramArguments itself to wait for the Nix store. It sets Label at mkDefault (with its own
  # prefix); ours sits just above that.
  agent = e:
    let j = sm.launchdJob e.program e.value;
    in {
      enable = lib.mkDefault true;
      config = sm.defaults (removeAttrs j [ "Label" ]) // { Label = lib.mkOverride 900 j.Label; };
    };

  byUnit = f: es: sm.byKey f (map (e: e // { key = e.value.unit; }) es);
  byLabel = f: es: sm.byKey f (map (e: e // { key = e.value.label; }) es);

  written = [ "writeBoundary" "linkGeneration" ];

  # Hooks run after home-manager has written its files, in the lock's order.
  hookEntries = lib.listToAttrs (lib.imap0
    (i: l: lib.nameValuePair "setup-mac-${l.name}" (lib.hm.dag.entryAfter
      (written
        ++ lib.optional (merged != [ ]) "setup-mac-merge-files"
        ++ lib.optional (i > 0) "setup-mac-${(lib.elemAt hooked (i - 1)).name}")
      (lib.concatStringsSep "\n" (sm.hooksOf "run " l "preSetup" ++ sm.hooksOf "run " l "postSetup"))))
    hooked);
in
if !host.homeManager then
  throw "setup-mac: host '${name}' has \"homeManager\": false in setup-mac.jsonc, so its lock has no home level; set it to true and run `setup-mac build`, or do not import .home."
else {
  config = lib.mkMerge ([
    {
      home.packages = sm.levelPackages home;

      # Files the application also writes (merge = true) are not linked: see setup-mac-merge-files.
      home.file = sm.byKey
        (e: { text = sm.atPriority e.value.priority e.value.text; }
          // lib.optionalAttrs (e.value ? mode && sm.executableMode e.value.mode) {
            executable = lib.mkDefault true;
          })
        files;

      home.sessionVariables = sm.byKey (e: sm.atPriority e.value.priority e.value.value)
        (sm.entries home "env");

      home.activation = hookEntries;
    }

    (lib.mkIf linux {
      systemd.user.services = byUnit unit services;
      systemd.user.timers = byUnit timer scheduled;
    })

    (lib.mkIf (!linux) {
      launchd.agents = byLabel agent services;
    })

    (lib.mkIf (merged != [ ]) {
      # The declared keys merged into the live file (declared keys win, the application's other
      # keys stay), written atomically; the file stays writable by the application.
      home.activation.setup-mac-merge-files = lib.hm.dag.entryAfter written (lib.concatStringsSep "\n"
        (map (e: "run ${sm.mergeCommand e.program "${host.home}/${e.key}" e.value}") merged));
    })
  ] ++ sm.rawDefinitions home "home");
}
