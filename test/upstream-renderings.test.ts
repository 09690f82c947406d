/**
 * Previews equal what upstream renders (decision 0025): the committed fixture holds what
 * nix-darwin's and home-manager's own modules rendered from the example's lock through our
 * adapters (scripts/upstream-renderings.sh); the previews of the same lock must match it byte for
 * byte once store paths are masked.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Lock } from "../src/emit/lock-types.js";
import { maskStorePaths, renderPreviews } from "../src/emit/previews.js";

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/upstream-renderings/workstation.json", import.meta.url), "utf8"),
) as {
  nixDarwin: Record<"LaunchDaemons" | "LaunchAgents", Record<string, string>>;
  homeManager: Record<"LaunchAgents" | "systemdUser", Record<string, string>> & {
    files: Record<"darwin" | "linux", Record<string, string>>;
    sessionVariables: Record<"darwin" | "linux", string>;
  };
  nixos: { systemdSystem: Record<string, string> };
};
const lock = JSON.parse(
  readFileSync(new URL("../examples/workstation/setup-mac.lock.json", import.meta.url), "utf8"),
) as Lock;
const previews = renderPreviews(lock);

const cases: [string, Record<string, string>, string][] = [
  ["nix-darwin launchd daemons", fixture.nixDarwin.LaunchDaemons, "macbook/launchd/LaunchDaemons"],
  ["home-manager launchd agents", fixture.homeManager.LaunchAgents, "macbook/launchd/LaunchAgents"],
  ["home-manager systemd user units", fixture.homeManager.systemdUser, "evo-x2/systemd/user"],
  // The adapter's own ZFS dataset service (from the lock's datasets, not its services) has no
  // preview: its ExecStart is a NixOS job script whose text previews do not show.
  [
    "NixOS systemd system units",
    Object.fromEntries(
      Object.entries(fixture.nixos.systemdSystem).filter(
        ([name]) => name !== "setup-mac-zfs-datasets.service",
      ),
    ),
    "evo-x2/systemd/system",
  ],
];

describe("previews equal upstream's rendering", () => {
  for (const [kind, upstream, folder] of cases) {
    it(`${kind}: the same files, byte for byte with store paths masked`, () => {
      const ours = [...previews.keys()].filter((path) => path.startsWith(`${folder}/`)).sort();
      expect(ours.map((path) => path.slice(folder.length + 1))).toEqual(
        Object.keys(upstream).sort(),
      );
      expect(ours.length).toBeGreaterThan(0);
      for (const [name, text] of Object.entries(upstream)) {
        expect(previews.get(`${folder}/${name}`), name).toBe(maskStorePaths(text));
      }
    });
  }

  const hosts = [
    ["darwin", "macbook"],
    ["linux", "evo-x2"],
  ] as const;
  for (const [platform, host] of hosts) {
    it(`home-manager files on ${host}: the same paths and bytes, merged files left to activation`, () => {
      const folder = `${host}/files/home/`;
      const merged = Object.entries(lock.hosts[host]!.programs).flatMap(([, program]) =>
        Object.entries(program?.home?.files ?? {})
          .filter(([, file]) => file.merge === true)
          .map(([path]) => path),
      );
      const linked = [...previews.keys()]
        .filter((path) => path.startsWith(folder))
        .map((path) => path.slice(folder.length))
        .filter((path) => !merged.includes(path))
        .sort();
      const upstream = fixture.homeManager.files[platform];
      expect(linked).toEqual(Object.keys(upstream).sort());
      expect(linked.length).toBeGreaterThan(0);
      for (const [path, text] of Object.entries(upstream)) {
        expect(previews.get(`${folder}${path}`), path).toBe(text);
      }
    });

    it(`session variables on ${host}: the export lines home-manager writes`, () => {
      const upstream = fixture.homeManager.sessionVariables[platform];
      expect(upstream).toMatch(/^export [A-Z_]+="/);
      expect(previews.get(`${host}/session-variables.sh`)).toBe(upstream);
    });
  }

  it("the mask replaces exactly a store hash", () => {
    expect(
      maskStorePaths("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-atuin-18.4.0/bin/atuin"),
    ).toBe("/nix/store/...-atuin-18.4.0/bin/atuin");
    // Not a Nix hash (wrong length, or letters Nix's base32 never uses): left alone.
    expect(maskStorePaths("/nix/store/abc-x /nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x")).toBe(
      "/nix/store/abc-x /nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x",
    );
  });
});
