import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { onTarget, switchCommand, systemRollbackCommand } from "./platform.js";

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
