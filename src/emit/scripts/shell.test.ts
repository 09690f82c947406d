import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { PermissionLock } from "../lock-types.js";
import {
  permissionCommands,
  renderArgv,
  renderTmpfilesLine,
  ShellRenderError,
  shellQuote,
} from "./shell.js";
import { errorOf as errorOfType, HOSTILE } from "../../../test/helpers/hostile.js";

const hostile = [...HOSTILE, "", "~", "a=b", "*", "\n"];

/** What sh actually passes to a program for a rendered command line. */
function argvSeenBySh(line: string): string[] {
  const result = spawnSync("sh", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" });
  expect(result.stderr).toBe("");
  return result.stdout.split("\0").slice(0, -1);
}

const errorOf = (fn: () => unknown): ShellRenderError => errorOfType(ShellRenderError, fn);

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("renderArgv", () => {
  it("single-quotes every word that is not plainly harmless", () => {
    expect(renderArgv(["/bin/echo", ...hostile])).toBe(
      "/bin/echo %h '$HOME' '${x}' '\"' ''\\''' '\\' 'a b' '; rm -rf ~' '$(id)' '`id`' '' '~' 'a=b' '*' '\n'",
    );
  });

  it("hands sh the exact words (real sh)", () => {
    expect(argvSeenBySh(renderArgv(hostile))).toEqual(hostile);
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: "binary" }).map((s) => s.replace(/\0|\p{Cs}/gu, "")),
          { minLength: 1 },
        ),
        (argv) => {
          expect(argvSeenBySh(renderArgv(argv))).toEqual(argv);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses NUL", () => {
    expect(errorOf(() => shellQuote("a\0b")).message).toBe(
      '"a\\u0000b" contains a NUL character, which no argument can hold',
    );
  });
});

const permission: PermissionLock = { path: "/srv/data", mode: "0750", owner: "root", create: true };

describe("renderTmpfilesLine", () => {
  it("renders d and z lines, quoting awkward paths", () => {
    expect(renderTmpfilesLine(permission)).toBe("d /srv/data 0750 root - -");
    expect(renderTmpfilesLine({ ...permission, group: "backup", create: false })).toBe(
      "z /srv/data 0750 root backup -",
    );
    expect(renderTmpfilesLine({ ...permission, path: `/srv/a b%c"q'\\z` })).toBe(
      `d "/srv/a b%%c\\"q'\\\\z" 0750 root - -`,
    );
  });

  it("refuses line breaks and bad fields with a typed error", () => {
    expect(
      errorOf(() => renderTmpfilesLine({ ...permission, path: "/srv/a\nd /etc 0777 root - -" }))
        .message,
    ).toBe('permission "/srv/a\\nd /etc 0777 root - -": the path contains a line break');
    expect(errorOf(() => renderTmpfilesLine({ ...permission, mode: "rwx" })).message).toBe(
      'permission "/srv/data": mode "rwx" is not octal like "0750"',
    );
    expect(errorOf(() => renderTmpfilesLine({ ...permission, owner: "a b" })).message).toBe(
      'permission "/srv/data": owner "a b" is not a user or group name',
    );
  });

  const tmpfiles = spawnSync("systemd-tmpfiles", ["--version"]).status === 0;
  it.skipIf(!tmpfiles || process.getuid?.() !== 0)(
    "creates exactly the named directory with systemd-tmpfiles --root (skipped without systemd-tmpfiles or root)",
    () => {
      const root = mkdtempSync(join(tmpdir(), "tmpfiles-root-"));
      const conf = mkdtempSync(join(tmpdir(), "tmpfiles-conf-"));
      temps.push(root, conf);
      const name = `a b%c"q'\\z é $HOME`;
      const lines = [
        renderTmpfilesLine({
          path: `/srv/${name}`,
          mode: "0750",
          owner: "root",
          group: "root",
          create: true,
        }),
        renderTmpfilesLine({ path: "/srv/absent", mode: "0700", owner: "root", create: false }),
      ];
      writeFileSync(join(conf, "test.conf"), `${lines.join("\n")}\n`);
      const result = spawnSync(
        "systemd-tmpfiles",
        ["--create", `--root=${root}`, join(conf, "test.conf")],
        {
          encoding: "utf8",
        },
      );
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(readdirSync(join(root, "srv"))).toEqual([name]);
      expect((statSync(join(root, "srv", name)).mode & 0o7777).toString(8)).toBe("750");
    },
  );
});

describe("permissionCommands", () => {
  it("creates or only adjusts, passing values as arguments (real sh)", () => {
    const dir = mkdtempSync(join(tmpdir(), "perm-"));
    temps.push(dir);
    const path = join(dir, "x $(touch pwned) y");
    const me = String(process.getuid?.() ?? 0);
    const adjust = permissionCommands({ path, mode: "0700", owner: me, create: false });
    expect(adjust).toHaveLength(1);
    const sh = (argv: string[]) =>
      spawnSync("sh", ["-c", renderArgv(argv)], { cwd: dir, encoding: "utf8" });
    expect(sh(adjust[0] ?? []).status).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    const create = permissionCommands({ path, mode: "0705", owner: me, create: true });
    expect(create.map((argv) => argv[0])).toEqual(["/bin/mkdir", "/bin/chmod", "/usr/sbin/chown"]);
    expect(sh(create[0] ?? []).status).toBe(0);
    expect(sh(create[1] ?? []).status).toBe(0);
    expect(readdirSync(dir)).toEqual(["x $(touch pwned) y"]);
    expect((statSync(path).mode & 0o777).toString(8)).toBe("705");
  });
});
