{
  description = "Lars's machines: macbook (nix-darwin) and evo-x2 (NixOS), programs managed by setup-mac";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    nix-darwin = {
      url = "github:nix-darwin/nix-darwin/master";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    home-manager = {
      url = "github:nix-community/home-manager";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      nix-darwin,
      home-manager,
      ...
    }:
    let
      user = "lars";

      # Unfree packages that programs/ use (vscode).
      allowUnfree =
        { lib, ... }:
        {
          nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "vscode" ];
        };

      nixSettings = {
        nix.settings.experimental-features = [
          "nix-command"
          "flakes"
        ];
      };
    in
    {
      darwinConfigurations.macbook = nix-darwin.lib.darwinSystem {
        system = "aarch64-darwin";
        modules = [
          allowUnfree
          nixSettings
          {
            networking.hostName = "macbook";
            system.primaryUser = user;
            users.users.${user}.home = "/Users/${user}";
            security.pam.services.sudo_local.touchIdAuth = true;
            system.configurationRevision = self.rev or self.dirtyRev or null;
            system.stateVersion = 6;
          }

          # setup-mac: the import lines `setup-mac init` printed. Each reads setup-mac.lock.json
          # (written by `setup-mac build` / `apply`) for the named host.
          # System level (packages, launchd daemons, /etc files, raw nix-darwin options)
          (import ./setup-mac/nix { host = "macbook"; }).darwin

          home-manager.darwinModules.home-manager
          {
            home-manager.useGlobalPkgs = true;
            home-manager.useUserPackages = true;
            home-manager.users.${user} = {
              imports = [
                # setup-mac: home level (~ files, launchd agents, session variables, hooks)
                (import ./setup-mac/nix { host = "macbook"; }).home
              ];
              home.stateVersion = "25.05";
            };
          }
        ];
      };

      nixosConfigurations.evo-x2 = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          allowUnfree
          nixSettings
          (
            { pkgs, ... }:
            {
              networking.hostName = "evo-x2";
              # ZFS needs a stable host id (head -c 8 /etc/machine-id).
              networking.hostId = "8425e349";
              networking.networkmanager.enable = true;

              boot.loader.systemd-boot.enable = true;
              boot.loader.efi.canTouchEfiVariables = true;
              boot.supportedFilesystems = [ "zfs" ];
              # Strix Halo (Radeon 8060S) wants a recent kernel that ZFS still supports.
              boot.kernelPackages = pkgs.linuxPackages_6_12;

              fileSystems."/" = {
                device = "tank/system/root";
                fsType = "zfs";
              };
              fileSystems."/nix" = {
                device = "tank/system/nix";
                fsType = "zfs";
              };
              fileSystems."/home" = {
                device = "tank/data/home";
                fsType = "zfs";
              };
              fileSystems."/boot" = {
                device = "/dev/disk/by-label/BOOT";
                fsType = "vfat";
                options = [ "umask=0077" ];
              };
              services.zfs.autoScrub.enable = true;

              services.xserver.enable = true;
              services.displayManager.gdm.enable = true;
              services.desktopManager.gnome.enable = true;

              users.users.${user} = {
                isNormalUser = true;
                extraGroups = [
                  "wheel"
                  "networkmanager"
                  "video"
                  "render"
                ];
              };

              system.configurationRevision = self.rev or self.dirtyRev or null;
              system.stateVersion = "25.05";
            }
          )

          # setup-mac: system level (packages, systemd units and timers, ZFS datasets, tmpfiles, raw NixOS options)
          (import ./setup-mac/nix { host = "evo-x2"; }).nixos

          home-manager.nixosModules.home-manager
          {
            home-manager.useGlobalPkgs = true;
            home-manager.useUserPackages = true;
            home-manager.users.${user} = {
              imports = [
                # setup-mac: home level (~ files, systemd user units, session variables, hooks)
                (import ./setup-mac/nix { host = "evo-x2"; }).home
              ];
              home.stateVersion = "25.05";
            };
          }
        ];
      };
    };
}
