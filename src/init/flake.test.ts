import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { openFlake } from "../adapters/flake-files.js";
import { nixParser } from "../adapters/nix-grammar.js";
import { readFlakeHosts } from "./flake.js";

const fixtures = resolve(import.meta.dirname, "../../test/fixtures/flakes");

async function read(name: string) {
  const files = await openFlake(join(fixtures, name));
  expect(files.syntaxError).toBeUndefined();
  return readFlakeHosts(files.flake!, files.load);
}

async function readText(text: string) {
  const tree = (await nixParser()).parse(text)!;
  return readFlakeHosts(tree.rootNode);
}

/** name, platform, system, user of each host, and the fields it misses. */
function summary(r: Awaited<ReturnType<typeof read>>) {
  return r.hosts.map((h) => [
    h.name,
    h.standalone ? `home-manager on ${h.platform}` : h.platform,
    h.system,
    h.user,
    ...(h.home ? [h.home] : []),
    ...h.missing.map((m) => `${m.field} missing at ${m.at.file}:${m.at.line}: ${m.why}`),
  ]);
}

describe("reading a flake's hosts", () => {
  it("follows flake-parts, let-bound users and mkHost helpers", async () => {
    const r = await read("flake-parts");
    expect(summary(r)).toEqual([
      ["evo-x2", "nixos", "x86_64-linux", "lars"],
      ["macbook", "darwin", "aarch64-darwin", "lars", "/Users/lars"],
      ["pi", "nixos", "aarch64-linux", "lars"],
      ["work-mac", "darwin", "x86_64-darwin", "lars.k", "/Users/lars.k"],
    ]);
    expect(r.notes).toEqual([]);
    expect(r.hosts.find((h) => h.name === "macbook")!.at).toEqual({ file: "flake.nix", line: 80 });
  });

  it("reads specialArgs, and the host files a flake imports", async () => {
    const r = await read("special-args");
    expect(summary(r)).toEqual([
      ["desk", "nixos", "x86_64-linux", "ana", "/home/ana"],
      ["studio", "darwin", "aarch64-darwin", "ana"],
    ]);
  });

  it("reads home-manager.users.${user} in hosts built by mapAttrs", async () => {
    const r = await read("hm-users");
    expect(summary(r)).toEqual([
      ["nas", "nixos", "aarch64-linux", "mia", "/home/mia"],
      ["pi", "nixos", "aarch64-linux", "mia", "/home/mia"],
    ]);
  });

  it("reads standalone home-manager configurations: user@host, legacyPackages, import nixpkgs", async () => {
    const r = await read("home-configurations");
    expect(summary(r)).toEqual([
      ["air", "home-manager on darwin", "aarch64-darwin", "lars"],
      ["server", "home-manager on nixos", "x86_64-linux", "ops", "/srv/ops"],
      ["thinkpad", "home-manager on nixos", "x86_64-linux", "lars"],
    ]);
    expect(r.notes).toEqual([
      'homeConfigurations.server has no "@host" in its name: setup-mac calls the host "server", and `apply` switches `.#ops@server`; name the configuration "ops@<host>" in flake.nix to match.',
    ]);
    // home-manager's own lookup: `homeConfigurations.<user>` when there is no `<user>@<host>`.
    const named = await readText(`{
      outputs = { nixpkgs, home-manager, ... }: {
        homeConfigurations.jdoe = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.aarch64-darwin;
          modules = [ ./home.nix ];
        };
      };
    }`);
    expect(summary(named)).toEqual([["jdoe", "home-manager on darwin", "aarch64-darwin", "jdoe"]]);
  });

  it("says what it cannot determine, why and where, and guesses nothing", async () => {
    const r = await read("unresolvable");
    expect(summary(r)).toEqual([
      [
        "box",
        "nixos",
        undefined,
        undefined,
        "system missing at settings.nix:1: `builtins.readFile` reads data init does not evaluate",
        "user missing at box.nix:3: the name `${config.my.user}` uses `config.my.user`, known only when Nix evaluates",
      ],
      [
        "mac",
        "darwin",
        "aarch64-darwin",
        undefined,
        'user missing at flake.nix:9: `builtins.getEnv "USER"` reads the environment when Nix evaluates',
      ],
      [
        "vm",
        "nixos",
        undefined,
        undefined,
        "system missing at flake.nix:21: `import ./vm.nix`: there is no vm.nix",
        "user missing at flake.nix:21: `import ./vm.nix`: there is no vm.nix",
      ],
    ]);
  });

  it("takes the user from specialArgs only when no module names one, and reports disagreement", async () => {
    const r = await readText(`{
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.a = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs = { user = "kim"; };
          modules = [ ./a.nix ];
        };
        nixosConfigurations.b = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [ { users.users.kim.isNormalUser = true; users.users.lee.isNormalUser = true; } ];
        };
        nixosConfigurations.c = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [ { home-manager.users.root = { }; home-manager.users.lee = { }; } ];
        };
      };
    }`);
    expect(summary(r)).toEqual([
      ["a", "nixos", "x86_64-linux", "kim"],
      [
        "b",
        "nixos",
        "x86_64-linux",
        undefined,
        "user missing at flake.nix:8: its modules name several: kim, lee",
      ],
      ["c", "nixos", "x86_64-linux", "lee"],
    ]);
  });

  it("reads helpers the flake exports through self, and modules in full form (config, options, imports)", async () => {
    const r = await readText(`{
      outputs = { self, nixpkgs, ... }: {
        lib.mkHost = name: nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [ ./hosts/\${name} { users.users.\${name}.isNormalUser = true; } ];
        };
        nixosConfigurations.kai = self.lib.mkHost "kai";
        nixosConfigurations.rev = self.lib.mkHost (self.rev or "dirty");
        # A module in full form: configuration under config, imports beside it.
        darwinConfigurations.full = nixpkgs.lib.darwinSystem {
          modules = [ {
            options.my.enable = nixpkgs.lib.mkEnableOption "x";
            imports = [ { nixpkgs.hostPlatform = "aarch64-darwin"; } ];
            config = { system.primaryUser = "ida"; users.users.not-this-one = { }; };
          } ];
        };
      };
    }`);
    expect(summary(r)).toEqual([
      ["full", "darwin", "aarch64-darwin", "ida"],
      ["kai", "nixos", "x86_64-linux", "kai"],
      ["rev", "nixos", "x86_64-linux", "dirty"],
    ]);
  });

  it("reads attribute-set, quoted and dotted forms, and ignores strings and comments", async () => {
    const r = await readText(`{
      outputs = { nixpkgs, darwin, ... }: {
        # darwinConfigurations.commented = …;
        description = "nixosConfigurations.inString = x";
        nixosConfigurations = {
          desk = nixpkgs.lib.nixosSystem { system = "x86_64-linux"; modules = [ { users.users.al = {}; } ]; };
          "media-box" = nixpkgs.lib.nixosSystem {
            system = "aarch64-linux";
            modules = [ { users.users.root = {}; } ];
          };
        };
        darwinConfigurations."work-mac" = darwin.lib.darwinSystem { modules = [ ]; };
      };
    }`);
    expect(summary(r)).toEqual([
      ["desk", "nixos", "x86_64-linux", "al"],
      [
        "media-box",
        "nixos",
        "aarch64-linux",
        undefined,
        "user missing at flake.nix:7: its modules set no `system.primaryUser`, `users.users.<name>` or `home-manager.users.<name>`",
      ],
      [
        "work-mac",
        "darwin",
        undefined,
        undefined,
        "system missing at flake.nix:12: neither `system = …` nor `nixpkgs.hostPlatform` is set in its modules",
        "user missing at flake.nix:12: its modules set no `system.primaryUser`, `users.users.<name>` or `home-manager.users.<name>`",
      ],
    ]);
  });

  it("reads the bundled example's flake", async () => {
    const files = await openFlake(resolve(import.meta.dirname, "../../examples/workstation"));
    expect(summary(readFlakeHosts(files.flake!, files.load))).toEqual([
      ["evo-x2", "nixos", "x86_64-linux", "lars"],
      ["macbook", "darwin", "aarch64-darwin", "lars", "/Users/lars"],
    ]);
  });

  it("finds nothing in a flake without hosts, and says when outputs cannot be read", async () => {
    expect(await readText('{ outputs = _: { packages.x86_64-linux.default = "x"; }; }')).toEqual({
      hosts: [],
      notes: [],
    });
    expect((await readText("{ outputs = inputs: import ./outputs.nix inputs; }")).notes).toEqual([
      "outputs is not something init can read (flake.nix:1: `import ./outputs.nix`: init reads only flake.nix here): add hosts by hand.",
    ]);
  });

  it.skipIf(spawnSync("nix-instantiate", ["--version"]).status !== 0)(
    "the fixture flakes are valid Nix (nix-instantiate --parse)",
    () => {
      const files = readdirSync(fixtures, { recursive: true, encoding: "utf8" }).filter((f) =>
        f.endsWith(".nix"),
      );
      expect(files.length).toBeGreaterThan(10);
      for (const f of files) {
        const r = spawnSync(
          "nix-instantiate",
          ["--parse", "--store", "dummy://", join(fixtures, f)],
          {
            encoding: "utf8",
          },
        );
        expect(r.stderr, f).toBe("");
      }
    },
  );
});
