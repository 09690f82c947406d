/**
 * A key given twice in setup-mac.jsonc: every verb refuses the file, naming both lines, instead
 * of the loader reading one copy and the editor changing the other.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, copyExampleTo } from "../e2e/cli.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("a key that appears twice in setup-mac.jsonc", () => {
  it("is an error naming both lines for list, disable, check and build, and nothing is written", () => {
    const dir = mkdtempSync(join(tmpdir(), "sm-dup-"));
    temp.push(dir);
    copyExampleTo(dir);
    const configPath = join(dir, "setup-mac.jsonc");
    const original = readFileSync(configPath, "utf8");
    // The macbook's programs: ripgrep switched off on line 58, then on again further down.
    const text = original.replace(
      '        "fish": true,\n',
      '        "ripgrep": false,\n        "fish": true,\n',
    );
    expect(text).not.toBe(original);
    writeFileSync(configPath, text);
    const line = text.split("\n").findIndex((l) => l.includes('"ripgrep": true')) + 1;
    expect(line).toBe(66);
    const expected =
      `setup-mac.jsonc:66:9: error[config-duplicate-key]: \`ripgrep\` appears twice in \`hosts.macbook.programs\`, at lines 58 and 66: which one counts is undefined\n` +
      "  fix: keep one `ripgrep` in `hosts.macbook.programs` (merge what the copies say into it) and delete the other\n";
    const lock = readFileSync(join(dir, "setup-mac.lock.json"), "utf8");
    for (const args of [
      ["programs", "list"],
      ["--host", "macbook", "programs", "disable", "ripgrep"],
      ["--host", "macbook", "programs", "enable", "ripgrep"],
      ["check"],
      ["build"],
    ]) {
      const r = cli(["--workspace", dir, ...args], {
        env: { SETUP_MAC_CACHE_DIR: join(dir, ".cache") },
      });
      expect({ args, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
        args,
        code: 1,
        stderr: expected,
        stdout: "",
      });
    }
    expect(readFileSync(configPath, "utf8")).toBe(text);
    expect(readFileSync(join(dir, "setup-mac.lock.json"), "utf8")).toBe(lock);
  });
});
