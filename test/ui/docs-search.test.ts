/**
 * The docs site's search in headless Chromium, opened from file:// as a user may: typing an
 * option's name lists it and filters the program table (MiniSearch, bundled at build time).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { buildDocs } from "../../src/api/docs.js";
import { copyExampleTo } from "../e2e/cli.js";
import { chromiumMissing, launchChromium, SHOTS } from "./browser.js";

const missing = chromiumMissing;

const dir = mkdtempSync(join(tmpdir(), "sm-docs-search-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(Boolean(missing))(`docs site search in Chromium${missing}`, () => {
  it("finds an option by name and by a word of its description", async () => {
    const ws = join(dir, "ws");
    copyExampleTo(ws);
    const site = await buildDocs({ workspace: ws, cacheDir: join(dir, "cache") });
    expect(site.files).toContain("search-index.js");
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(site.out, "index.html")).href);
      const rows = page.locator("#programs tbody tr:not(.hidden)");
      expect(await rows.count()).toBe(21);

      await page.locator("#search").fill("fontSize");
      await expect
        .poll(() => page.locator("#results li").first().textContent())
        .toMatch(/^vscode\.fontSize — /);
      expect(await rows.count()).toBeLessThan(21);
      expect(await rows.locator("td:first-child").allTextContents()).toContain("vscode");

      // A word of a description, with a typo: fuzzy matching still finds it.
      await page.locator("#search").fill("snapshts");
      await expect
        .poll(() => page.locator("#results").textContent())
        .toContain("ollama.snapshotsKeep");
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "docs-search.png"), fullPage: true });

      await page.getByRole("link", { name: "ollama.snapshotsKeep" }).click();
      await expect.poll(() => page.locator("h1").textContent()).toBe("ollama");
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
