/**
 * The tests that use real tools skip themselves where a tool is missing, so that a developer can
 * run the rest anywhere. In CI a skip would hide a missing install step: there, every tool must
 * be present.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const TOOLS: [string, string[]][] = [
  ["nix-instantiate", ["--version"]],
  ["systemd-analyze", ["--version"]],
  ["systemd-tmpfiles", ["--version"]],
  ["jq", ["--version"]],
  ["sh", ["-c", "exit 0"]],
];

describe.runIf(process.env.CI)("CI has every tool the tests use", () => {
  it.each(TOOLS)("%s", (tool, args) => {
    const r = spawnSync(tool, args, { encoding: "utf8" });
    expect(r.error, `${tool} is missing: .ci/run must install it`).toBeUndefined();
    expect(r.status).toBe(0);
  });
});
