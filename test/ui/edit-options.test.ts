/** editProgramOptions, what the dashboard's form saves: several keys in one edit, and a dry run. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { editProgramOptions } from "../../src/api/config.js";
import { SetupMacError } from "../../src/errors/index.js";
import { copyExampleTo } from "../e2e/cli.js";

const dir = mkdtempSync(join(tmpdir(), "sm-ui-edit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ws = join(dir, "ws");
copyExampleTo(ws);
const opts = { workspace: ws, cacheDir: join(dir, "cache"), hosts: ["macbook"] };
const config = () => readFileSync(join(ws, "setup-mac.jsonc"), "utf8");

describe("editProgramOptions", () => {
  it("validates a dry run without writing, with the CLI's message", async () => {
    const before = config();
    const ok = await editProgramOptions(
      "vscode",
      { set: { fontSize: 18 } },
      { ...opts, dryRun: true },
    );
    expect(ok.changed).toBe(true);
    expect(config()).toBe(before);
    const bad = await editProgramOptions(
      "vscode",
      { set: { fontSize: 500 } },
      { ...opts, dryRun: true },
    ).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SetupMacError);
    expect((bad as SetupMacError).diagnostics[0]!.message).toMatch(
      /^option `vscode\.fontSize` is not of type `integer, 6–72`: 500 from setup-mac\.jsonc \(hosts\.macbook\.programs\.vscode\)/,
    );
    expect(config()).toBe(before);
  });

  it("sets one key and unsets another in one write, keeping comments", async () => {
    const before = config();
    const r = await editProgramOptions(
      "vscode",
      { set: { theme: "Solarized Light" }, unset: ["fontSize"] },
      opts,
    );
    expect(r).toMatchObject({ hosts: ["macbook"], changed: true });
    const after = config();
    expect(after).toContain('"vscode": { "theme": "Solarized Light" }');
    expect(after).not.toContain('"fontSize": 15');
    expect(after).toContain("// editors\n");
    expect(
      after.replace('"vscode": { "theme": "Solarized Light" }', '"vscode": { "fontSize": 15 }'),
    ).toBe(before);
  });
});
