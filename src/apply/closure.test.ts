import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { HostLock } from "../emit/lock-types.js";
import {
  currentGenerationCandidates,
  firstNixError,
  formatBytes,
  locateBuildError,
  parseClosureDiff,
  parseClosureSizes,
  summarizeClosure,
} from "./closure.js";

// Printed by Nix 2.8's `nix store diff-closures` for two closures built for this test (see below).
const REAL = readFileSync(
  new URL("../../test/fixtures/closure/diff-closures-2.8.txt", import.meta.url),
  "utf8",
);

describe("nix store diff-closures output", () => {
  it("parses added, removed, changed and size-only packages, colours stripped", () => {
    expect(REAL).toContain("\x1b[31;1m");
    expect(parseClosureDiff(REAL)).toEqual({
      packages: [
        { name: "gone", kind: "removed", before: ["2.1"], after: [], sizeDeltaKiB: -15.7 },
        { name: "hello", kind: "changed", before: ["2.12"], after: ["2.12.1"], sizeDeltaKiB: 31.1 },
        { name: "openssl", kind: "changed", before: ["3.0.1"], after: ["3.0.2"] },
        { name: "system", kind: "changed", before: ["1"], after: ["2"] },
        { name: "tool", kind: "added", before: [], after: ["1.0"] },
        { name: "zsh", kind: "size", before: [], after: [], sizeDeltaKiB: 18.6 },
      ],
      other: [],
    });
  });

  it("reads the forms of Nix's documentation: several versions, ε, and lines it does not know", () => {
    const text = [
      "libfoo: 1.2, 1.3 → 1.4",
      "dolphin: 20.08.1 → 20.08.2, +13.9 KiB",
      "kdeconnect: 20.08.2 → ∅, -6597.8 KiB",
      "etc: ε → ∅",
      "warning: something new",
      "",
    ].join("\n");
    expect(parseClosureDiff(text)).toEqual({
      packages: [
        { name: "libfoo", kind: "changed", before: ["1.2", "1.3"], after: ["1.4"] },
        {
          name: "dolphin",
          kind: "changed",
          before: ["20.08.1"],
          after: ["20.08.2"],
          sizeDeltaKiB: 13.9,
        },
        {
          name: "kdeconnect",
          kind: "removed",
          before: ["20.08.2"],
          after: [],
          sizeDeltaKiB: -6597.8,
        },
        { name: "etc", kind: "removed", before: [""], after: [] },
      ],
      other: ["warning: something new"],
    });
  });

  it("summarizes for the plan, with the closure size", () => {
    const sizes = parseClosureSizes(
      JSON.stringify([
        { path: "/nix/store/a-system-1", closureSize: 17112 },
        { path: "/nix/store/b-system-2", closureSize: 52184 },
      ]),
    );
    expect(
      summarizeClosure({
        ...parseClosureDiff(REAL),
        before: "/nix/store/a-system-1",
        after: "/nix/store/b-system-2",
        sizeBefore: sizes.get("/nix/store/a-system-1")!,
        sizeAfter: sizes.get("/nix/store/b-system-2")!,
      }),
    ).toEqual([
      "+ tool 1.0",
      "- gone 2.1, -15.7 KiB",
      "~ hello 2.12 → 2.12.1, +31.1 KiB",
      "~ openssl 3.0.1 → 3.0.2",
      "~ system 1 → 2",
      "  1 package changed in size only: zsh",
      "closure 16.7 KiB → 51.0 KiB (+34.3 KiB)",
    ]);
    // Newer Nix prints an object keyed by path.
    expect(
      parseClosureSizes(JSON.stringify({ "/nix/store/a": { closureSize: 5 } })).get("/nix/store/a"),
    ).toBe(5);
    expect(parseClosureSizes("not json").size).toBe(0);
    expect([formatBytes(512), formatBytes(3 * 1024 ** 3), formatBytes(-2048)]).toEqual([
      "512 B",
      "3.0 GiB",
      "-2.0 KiB",
    ]);
  });

  const nix = spawnSync("nix", ["--version"], { encoding: "utf8" });
  it.skipIf(nix.status !== 0)("matches what the installed Nix prints for two real closures", () => {
    const dir = mkdtempSync(join(tmpdir(), "sm-closure-"));
    try {
      const store = join(dir, "store");
      writeFileSync(
        join(dir, "c.nix"),
        `{ v }: let f = builtins.toFile; pad = n: builtins.concatStringsSep "" (builtins.genList (_: "0123456789abcdef") n);
         in f "system-\${v}" (builtins.concatStringsSep " " [
           (f "hello-\${if v == "1" then "2.12" else "2.12.1"}" (pad (if v == "1" then 10 else 2000)))
           (if v == "1" then f "gone-2.1" (pad 1000) else f "tool-1.0" "tool") ])`,
      );
      const env = {
        ...process.env,
        NIX_CONFIG: "sandbox = false\nbuild-users-group =\nexperimental-features = nix-command",
      };
      const path = (v: string) =>
        JSON.parse(
          spawnSync(
            "nix-instantiate",
            [
              "--store",
              store,
              "--read-write-mode",
              "--eval",
              join(dir, "c.nix"),
              "--argstr",
              "v",
              v,
            ],
            { encoding: "utf8", env },
          ).stdout,
        ) as string;
      const r = spawnSync(
        "nix",
        ["--store", store, "store", "diff-closures", path("1"), path("2")],
        {
          encoding: "utf8",
          env,
        },
      );
      expect(parseClosureDiff(r.stdout)).toEqual({
        packages: [
          { name: "gone", kind: "removed", before: ["2.1"], after: [], sizeDeltaKiB: -15.7 },
          {
            name: "hello",
            kind: "changed",
            before: ["2.12"],
            after: ["2.12.1"],
            sizeDeltaKiB: 31.1,
          },
          { name: "system", kind: "changed", before: ["1"], after: ["2"] },
          { name: "tool", kind: "added", before: [], after: ["1.0"] },
        ],
        other: [],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the running generation", () => {
  it("is the system profile, or home-manager's profile in its own lookup order", () => {
    expect(currentGenerationCandidates("system", {})).toEqual(["/run/current-system"]);
    expect(
      currentGenerationCandidates("home-manager", { HOME: "/home/lars", USER: "lars" }),
    ).toEqual([
      "/home/lars/.local/state/nix/profiles/home-manager",
      "/nix/var/nix/profiles/per-user/lars/home-manager",
    ]);
    expect(currentGenerationCandidates("home-manager", { XDG_STATE_HOME: "/s" })).toEqual([
      "/s/nix/profiles/home-manager",
    ]);
  });
});

describe("a failed build traced back to a program", () => {
  const lock = {
    programs: {
      web: { source: { path: "programs/servers/web.ts" } },
      "web-ui": { source: { path: "programs/servers/web-ui.ts" } },
    },
  } as unknown as HostLock;

  it("from the adapter's own message, inside a trace", () => {
    const output = [
      "building the system configuration...",
      "error:",
      "       … while evaluating the attribute 'config.system.build.toplevel'",
      "       … while evaluating definitions from `/nix/store/0a1b-source/setup-mac/nix/nixos.nix (setup-mac, host box)':",
      "",
      "       error: setup-mac: program 'web' needs package 'nginxx', which is not in nixpkgs",
    ].join("\n");
    expect(locateBuildError(output, lock)).toEqual({
      program: "web",
      file: "programs/servers/web.ts",
      evidence: "error: setup-mac: program 'web' needs package 'nginxx', which is not in nixpkgs",
    });
    expect(firstNixError(output)).toBe(
      "error: setup-mac: program 'web' needs package 'nginxx', which is not in nixpkgs",
    );
  });

  it("from an attribute path or a generated unit name, the longest program name first", () => {
    expect(
      locateBuildError(
        "error: attribute 'nope' missing\n       … while evaluating the attribute 'setup-mac.programs.web-ui.home'",
        lock,
      )?.program,
    ).toBe("web-ui");
    expect(
      locateBuildError(
        "error: The option `systemd.services.setup-mac-web-ui-server.serviceConfig.Foo' does not exist.",
        lock,
      )?.program,
    ).toBe("web-ui");
    expect(locateBuildError("error: label org.setup-mac.web.server is bad", lock)?.program).toBe(
      "web",
    );
  });

  it("names nobody when the error is not ours, or the program is not the host's", () => {
    expect(locateBuildError("error: hash mismatch in fixed-output derivation", lock)).toBe(
      undefined,
    );
    expect(locateBuildError("setup-mac: program 'other' needs package 'x'", lock)).toBe(undefined);
    expect(firstNixError("all fine")).toBe(undefined);
  });
});
