import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findFlakeHosts } from "./flake.js";

describe("finding a flake's hosts", () => {
  it("reads the bundled example's flake", () => {
    const text = readFileSync(
      new URL("../../examples/workstation/flake.nix", import.meta.url),
      "utf8",
    );
    expect(findFlakeHosts(text)).toEqual([
      { name: "evo-x2", platform: "nixos", system: "x86_64-linux" },
      { name: "macbook", platform: "darwin", system: "aarch64-darwin" },
    ]);
  });

  it("reads attribute-set, quoted and dotted forms, and ignores strings and comments", () => {
    const text = `{
      outputs = { nixpkgs, darwin, ... }: {
        # darwinConfigurations.commented = …;
        description = "nixosConfigurations.inString = x";
        nixosConfigurations = {
          desk = nixpkgs.lib.nixosSystem { system = "x86_64-linux"; modules = [ ./desk.nix ]; };
          "media-box" = nixpkgs.lib.nixosSystem {
            system = "aarch64-linux";
          };
        };
        darwinConfigurations."work-mac" = darwin.lib.darwinSystem { modules = [ ]; };
      };
    }`;
    expect(findFlakeHosts(text)).toEqual([
      { name: "desk", platform: "nixos", system: "x86_64-linux" },
      { name: "media-box", platform: "nixos", system: "aarch64-linux" },
      { name: "work-mac", platform: "darwin" },
    ]);
  });

  it("finds nothing in a flake without hosts", () => {
    expect(findFlakeHosts('{ outputs = _: { packages.x86_64-linux.default = "x"; }; }')).toEqual(
      [],
    );
  });
});
