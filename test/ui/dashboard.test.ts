/**
 * `setup-mac ui` end to end, as a user runs it: the built CLI serves a copy of the example, and
 * headless Chromium walks hosts → program → a bad value (refused live) → a good one → save → plan
 * → apply → the timeline → rollback. Platform commands are stand-ins on PATH that record their
 * argv. Screenshots go to artifacts/screenshots/ (git-ignored; CI keeps them).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, copyExampleTo } from "../e2e/cli.js";
import { chromiumMissing, launchChromium, SHOTS } from "./browser.js";

/** Polls as long as a loaded machine may need: the server evaluates before it answers. */
const poll = <T>(fn: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(fn, { timeout: 30_000, ...options });

const missing = chromiumMissing;

const STANDIN = `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
fs.appendFileSync(path.join(__dirname, "calls.log"), JSON.stringify([path.basename(process.argv[1]), ...process.argv.slice(2)]) + "\\n");
console.log("building the system configuration...");
if (process.argv[2] === "build") {
  // Like the real build: the result linked as ./result (apply builds before it asks).
  fs.mkdirSync(path.join(__dirname, "system"), { recursive: true });
  fs.rmSync("result", { force: true });
  fs.symlinkSync(path.join(__dirname, "system"), "result");
}
`;

let dir: string;
let ws: string;
let bin: string;
let child: ChildProcess;
let url: string;
let browser: Browser;
let page: Page;

const config = () => readFileSync(join(ws, "setup-mac.jsonc"), "utf8");
const calls = () =>
  readFileSync(join(bin, "calls.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[])
    // The build before each switch is tested with apply; here the switches count.
    .filter((c) => c[1] !== "build");

async function shot(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe.skipIf(Boolean(missing))(`setup-mac ui in Chromium${missing}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sm-ui-"));
    ws = join(dir, "ws");
    bin = join(dir, "bin");
    copyExampleTo(ws);
    mkdirSync(bin);
    writeFileSync(join(bin, "calls.log"), "");
    writeFileSync(join(bin, "darwin-rebuild"), STANDIN);
    chmodSync(join(bin, "darwin-rebuild"), 0o755);
    child = spawn(process.execPath, [BIN, "--workspace", ws, "ui", "--port", "0"], {
      env: {
        ...process.env,
        NO_COLOR: "1",
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        SETUP_MAC_HOME: join(dir, "home"),
        SETUP_MAC_CACHE_DIR: join(dir, "cache"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /Dashboard at (http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}\/) /.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      child.once("exit", (code) => reject(new Error(`setup-mac ui exited ${code}: ${out}`)));
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    child?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses every request without the token, and writes from another origin", async () => {
    const origin = new URL(url).origin;
    for (const path of ["/", "/api/hosts", "/app.js", `/${"x".repeat(43)}/api/hosts`]) {
      const r = await fetch(origin + path);
      expect(r.status).toBe(403);
      expect(await r.text()).toBe(
        "refused: this address lacks the dashboard's token; open the address `setup-mac ui` printed\n",
      );
    }
    const forged = await fetch(url + "api/save", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ program: "vscode", host: "macbook", set: { fontSize: 20 } }),
    });
    expect(forged.status).toBe(403);
    expect(config()).toContain('"vscode": { "fontSize": 15 }');
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("walks hosts → program → invalid and valid values → save → plan → apply → rollback", async () => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });

    // Hosts: both hosts, their platforms and programs.
    await page.goto(url);
    const macbook = page.locator('article[data-host="macbook"]');
    await poll(() => macbook.locator("h2").textContent()).toBe("macbook darwin");
    expect(await macbook.locator(".applied").textContent()).toContain("never applied");
    expect(await macbook.locator(".drift").textContent()).toBe(
      "differs from the last generation: 0 in sync, 0 changed, 19 not applied, 0 removed",
    );
    await shot("hosts");

    // A first apply from the plan page, so later plans are measured against generation 1.
    await macbook.getByRole("link", { name: "Plan" }).click();
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    await page.getByRole("button", { name: "Yes, apply" }).click();
    await poll(() => page.locator(".outcome").textContent(), { timeout: 60_000 }).toMatch(
      /^Applied: generation 1/,
    );
    expect(await page.locator("pre.log").textContent()).toContain(
      "→ switch darwin-rebuild switch --flake .#macbook",
    );
    expect(calls()).toEqual([["darwin-rebuild", "switch", "--flake", ".#macbook"]]);

    // The program page from the host's card, which now counts every program as applied.
    await page.goto(url);
    await poll(() => macbook.locator(".drift").textContent()).toBe(
      "in sync with the last generation: 19 in sync, 0 changed, 0 not applied, 0 removed",
    );
    expect(await macbook.locator(".applied").textContent()).toContain(
      "last applied: generation 1,",
    );
    await macbook.getByRole("link", { name: "vscode", exact: true }).click();
    await poll(() => page.locator("h1").textContent()).toBe("vscode editors");
    expect(await page.locator(".tabs [aria-current=page]").textContent()).toBe("macbook");
    const fontSize = page.locator('[data-option="fontSize"]');
    expect(await fontSize.locator("input").inputValue()).toBe("15");
    expect(await fontSize.locator(".provenance").textContent()).toContain(
      "from setup-mac.jsonc (hosts.macbook.programs.vscode)",
    );
    expect(await page.locator("svg.relations").textContent()).toContain("git");
    await shot("program");

    // A bad value: refused live by the server's evaluation, Save stays disabled, nothing written.
    const before = config();
    await fontSize.locator("input").fill("abc");
    await poll(() => fontSize.locator(".error").textContent()).toBe("`abc` is not a number");
    await fontSize.locator("input").fill("500");
    await poll(() => fontSize.locator(".error").textContent()).toContain(
      "option `vscode.fontSize` is not of type `integer, 6–72`: 500",
    );
    expect(await page.getByRole("button", { name: "Save" }).isDisabled()).toBe(true);
    await shot("program-invalid");
    expect(config()).toBe(before);

    // A good one: valid, saved through the config editor, comments kept.
    await fontSize.locator("input").fill("17");
    await poll(() => page.locator(".status").textContent()).toBe("valid");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => page.locator(".saved").textContent()).toContain(
      "Saved fontSize for macbook in setup-mac.jsonc",
    );
    const after = config();
    expect(after).toBe(
      before.replace('"vscode": { "fontSize": 15 }', '"vscode": { "fontSize": 17 }'),
    );
    expect(after).toContain("// editors\n");
    expect(after).toContain('"vscodium": false, // conflicts with vscode');
    await poll(() => fontSize.locator("input").inputValue()).toBe("17");

    // The plan shows the change against generation 1.
    await page.getByRole("link", { name: "see the plan" }).click();
    await poll(() => page.locator(".changes").textContent()).toContain("~ vscode");
    expect(await page.locator(".changes").textContent()).toContain("~fontSize");
    expect(await page.locator("section .muted").first().textContent()).toBe("against generation 1");
    await shot("plan");

    await page.getByRole("button", { name: "Apply", exact: true }).click();
    await page.getByRole("button", { name: "Yes, apply" }).click();
    await poll(() => page.locator(".outcome").textContent(), { timeout: 60_000 }).toMatch(
      /^Applied: generation 2/,
    );
    await poll(() => page.locator(".nothing").textContent()).toBe("no program changes");

    // The timeline: generation 2 on top, then 1; roll back to 1 after a confirmation.
    await page.getByRole("link", { name: "generations" }).click();
    const gens = page.locator("li.generation");
    await poll(() => gens.count()).toBe(2);
    expect(await gens.first().getAttribute("data-generation")).toBe("2");
    expect(await gens.first().locator(".changes").textContent()).toContain("~fontSize");
    await shot("generations");
    const first = page.locator('li.generation[data-generation="1"]');
    await first.getByRole("button", { name: "Roll back to 1" }).click();
    await first.getByRole("button", { name: "Yes, roll back to 1" }).click();
    await poll(() => page.locator(".outcome").textContent(), { timeout: 60_000 }).toMatch(
      /^Applied: generation 3/,
    );
    await poll(() => gens.count()).toBe(3);
    expect(await gens.first().locator("h2").textContent()).toContain("rollback to 1");
    await shot("rollback");
    expect(config()).toBe(before);

    // One program's settings from generation 2: only vscode's entry changes back.
    const second = page.locator('li.generation[data-generation="2"]');
    await second.getByLabel("program to roll back").selectOption("vscode");
    await second.getByRole("button", { name: "Roll back vscode" }).click();
    await second.getByRole("button", { name: "Yes, roll back vscode" }).click();
    await poll(() => page.locator(".outcome").textContent(), { timeout: 60_000 }).toMatch(
      /^Applied: generation 4/,
    );
    await poll(() => gens.count()).toBe(4);
    expect(await gens.first().locator("h2").textContent()).toContain("rollback vscode to 2");
    expect(config()).toBe(after);
    expect(calls()).toEqual(
      Array.from({ length: 4 }, () => ["darwin-rebuild", "switch", "--flake", ".#macbook"]),
    );
    expect(errors).toEqual([]);
  }, 180_000);
});
