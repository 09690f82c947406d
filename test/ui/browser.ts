/**
 * Headless Chromium for the browser tests: one place for the executable, the reason a run skips,
 * where screenshots go, and the flags that keep Chromium quiet and offline in CI.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Empty when Chromium is installed; otherwise the suffix that names why the suite skips. */
export const chromiumMissing = existsSync(CHROMIUM)
  ? ""
  : ` — SKIPPED: ${CHROMIUM} is not installed (apt-get install chromium); CI installs it`;

export const SHOTS = fileURLToPath(new URL("../../artifacts/screenshots/", import.meta.url));

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
