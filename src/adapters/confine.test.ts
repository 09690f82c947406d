import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SetupMacError } from "../errors/index.js";
import { confineIfInside, confineWrite, landingPath, servedInside } from "./confine.js";

const base = mkdtempSync(join(tmpdir(), "sm-confine-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const ws = join(base, "ws");
const elsewhere = join(base, "elsewhere");
mkdirSync(join(ws, "packs"), { recursive: true });
mkdirSync(join(ws, "real"), { recursive: true });
mkdirSync(elsewhere, { recursive: true });
writeFileSync(join(elsewhere, "setup-mac.jsonc"), "{}");
writeFileSync(join(ws, "real", "config.jsonc"), "{}");
symlinkSync(elsewhere, join(ws, "packs", "foo"));
symlinkSync(join(ws, "real"), join(ws, "inside"));
symlinkSync("../elsewhere/setup-mac.jsonc", join(ws, "out.jsonc"));
symlinkSync("real/config.jsonc", join(ws, "in.jsonc"));
symlinkSync(join(elsewhere, "missing"), join(ws, "dangling"));
symlinkSync("real/new.jsonc", join(ws, "dangling-inside"));
symlinkSync(ws, join(base, "ws-link"));

/** The one diagnostic of a refusal, or undefined when the path is accepted. */
function refusal(root: string, path: string, what?: string) {
  try {
    confineWrite(root, path, what ? { what } : {});
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SetupMacError);
    expect((error as SetupMacError).exitCode).toBe(1);
    const [d] = (error as SetupMacError).diagnostics;
    return { file: d!.location?.file, message: d!.message, hint: d!.hint, code: d!.code };
  }
}

describe("confineWrite", () => {
  it("accepts paths inside the workspace, existing or not, and links that stay inside", () => {
    expect(confineWrite(ws, "setup-mac.jsonc")).toBe(join(ws, "setup-mac.jsonc"));
    expect(confineWrite(ws, ".setup-mac/generations/1/lock.json")).toBe(
      join(ws, ".setup-mac/generations/1/lock.json"),
    );
    expect(refusal(ws, "inside/sub/file.ts")).toBeUndefined();
    expect(refusal(ws, "in.jsonc")).toBeUndefined();
    expect(refusal(ws, "dangling-inside")).toBeUndefined();
    expect(refusal(ws, join(ws, "real/../real/x"))).toBeUndefined();
  });

  it("compares real paths: a workspace reached through a link is fine", () => {
    expect(refusal(join(base, "ws-link"), "packs/bar/programs/x.ts")).toBeUndefined();
    expect(refusal(join(base, "ws-link"), "packs/foo/x")?.file).toBe("packs/foo");
  });

  it("refuses a folder on the way that is a symlink out of the workspace, naming it", () => {
    expect(refusal(ws, "packs/foo/programs/x.ts", "the pack's folder")).toEqual({
      code: "path-outside-workspace",
      file: "packs/foo",
      message: `packs/foo is a symlink to ${elsewhere}, outside the workspace; setup-mac only writes inside the workspace (it was to write packs/foo/programs/x.ts, the pack's folder)`,
      hint: "replace the symlink with a real directory (move what it points to into the workspace), or move the workspace",
    });
  });

  it("refuses a file that is a symlink out, with what it is", () => {
    expect(refusal(ws, "out.jsonc", "the config file")).toEqual({
      code: "path-outside-workspace",
      file: "out.jsonc",
      message: `out.jsonc (the config file) is a symlink to ../elsewhere/setup-mac.jsonc (${join(elsewhere, "setup-mac.jsonc")}), outside the workspace; setup-mac only writes inside the workspace`,
      hint: "replace the symlink with a real file (move what it points to into the workspace), or move the workspace",
    });
  });

  it("refuses a dangling link whose write would create a file outside", () => {
    expect(refusal(ws, "dangling")?.message).toBe(
      `dangling is a symlink to ${join(elsewhere, "missing")} (which does not exist: a write would create ${join(elsewhere, "missing")}), outside the workspace; setup-mac only writes inside the workspace`,
    );
  });

  it("refuses `..` that climbs out, before looking at the disk", () => {
    expect(refusal(ws, "../elsewhere/x", "a migrated module")).toEqual({
      code: "path-outside-workspace",
      file: "../elsewhere/x",
      message: `a migrated module \`../elsewhere/x\` leads outside the workspace (to ${join(elsewhere, "x")}); setup-mac only writes inside the workspace`,
      hint: "give a path inside the workspace, without `..` that climbs out of it",
    });
    expect(refusal(ws, "/etc/passwd")?.code).toBe("path-outside-workspace");
  });

  it("confineIfInside leaves a path outside the workspace alone (an explicit --out)", () => {
    expect(confineIfInside(ws, join(elsewhere, "site"))).toBe(join(elsewhere, "site"));
    expect(() => confineIfInside(ws, join(ws, "packs/foo/site"))).toThrow(
      /packs\/foo is a symlink/,
    );
  });

  it("landingPath follows links on the way and dangling links at the end", () => {
    expect(landingPath(join(ws, "packs/foo/a/b"))).toBe(join(elsewhere, "a/b"));
    expect(landingPath(join(ws, "dangling-inside"))).toBe(join(ws, "real/new.jsonc"));
  });
});

describe("servedInside", () => {
  it("serves files in the site, through links that stay inside, and nothing a link leads out to", () => {
    expect(servedInside(ws, join(ws, "real/config.jsonc"))).toBe(true);
    expect(servedInside(ws, join(ws, "in.jsonc"))).toBe(true);
    expect(servedInside(ws, join(ws, "out.jsonc"))).toBe(false);
    expect(servedInside(ws, join(ws, "packs/foo/setup-mac.jsonc"))).toBe(false);
    expect(servedInside(ws, join(ws, "missing.html"))).toBe(false);
  });
});
