import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildCommand, onTarget, switchCommand, systemRollbackCommand } from "./platform.js";

describe("the platform's commands", () => {
  it("switches each kind of host with its own tool", () => {
    expect(switchCommand("macbook", { platform: "darwin", user: "lars" }, "system")).toEqual([
      "darwin-rebuild",
      "switch",
      "--flake",
      ".#macbook",
    ]);
    expect(
      switchCommand("evo-x2", { platform: "nixos", user: "lars" }, "system", "root@evo-x2"),
    ).toEqual(["nixos-rebuild", "switch", "--flake", ".#evo-x2", "--target-host", "root@evo-x2"]);
    expect(switchCommand("evo-x2", { platform: "nixos", user: "lars" }, "home-manager")).toEqual([
      "home-manager",
      "switch",
      "--flake",
      ".#lars@evo-x2",
    ]);
  });

  it("builds with the platform's own build, and switches nix-darwin as root", () => {
    const mac = { platform: "darwin", user: "lars" } as const;
    const box = { platform: "nixos", user: "lars" } as const;
    expect(buildCommand("macbook", mac, "system")).toEqual([
      "darwin-rebuild",
      "build",
      "--flake",
      ".#macbook",
    ]);
    expect(buildCommand("evo-x2", box, "system", "root@evo-x2")).toEqual([
      "nixos-rebuild",
      "build",
      "--flake",
      ".#evo-x2",
      "--target-host",
      "root@evo-x2",
    ]);
    expect(buildCommand("evo-x2", box, "home-manager")).toEqual([
      "home-manager",
      "build",
      "--flake",
      ".#lars@evo-x2",
    ]);
    // darwin-rebuild switch refuses to run unless root: off root it goes through sudo -n.
    expect(switchCommand("macbook", mac, "system", undefined, { root: false })).toEqual([
      "sudo",
      "-n",
      "darwin-rebuild",
      "switch",
      "--flake",
      ".#macbook",
    ]);
    expect(switchCommand("evo-x2", box, "system", undefined, { root: false })[0]).toBe(
      "nixos-rebuild",
    );
  });

  it("rolls back with the platform's own rollback", () => {
    expect(systemRollbackCommand({ platform: "darwin" }, "system")).toEqual([
      "darwin-rebuild",
      "--rollback",
    ]);
    expect(systemRollbackCommand({ platform: "nixos" }, "system")).toEqual([
      "nixos-rebuild",
      "switch",
      "--rollback",
    ]);
    expect(systemRollbackCommand({ platform: "nixos" }, "home-manager")).toEqual([
      "home-manager",
      "generations",
    ]);
  });

  it("reaches a target host over SSH, argv kept apart from the remote command", () => {
    expect(onTarget(["zfs", "list"], "root@evo-x2")).toEqual([
      "ssh",
      "root@evo-x2",
      "--",
      "zfs list",
    ]);
    expect(onTarget(["zfs", "list"])).toEqual(["zfs", "list"]);
    // ssh hands the remote shell one line: every argument is quoted for it.
    const line = onTarget(["hookcmd", "; rm -rf ~", "$(id)", "it's"], "h")[3]!;
    expect(line).toBe(`hookcmd '; rm -rf ~' '$(id)' 'it'\\''s'`);
    const seen = spawnSync("sh", ["-c", `printf '%s\\0' ${line.slice("hookcmd ".length)}`], {
      encoding: "utf8",
    });
    expect(seen.stdout.split("\0").slice(0, -1)).toEqual(["; rm -rf ~", "$(id)", "it's"]);
  });
});
