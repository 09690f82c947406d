import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { swapInFolder, sweepTempFiles, writeFileAtomic } from "./atomic-write.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "atomic-write-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Starts a real write-file-atomic write in a child process, parks it after the temp file was
 * created, and SIGKILLs it there: exactly the leftover a killed `apply` produces.
 */
async function killMidWrite(target: string): Promise<void> {
  const modulePath = createRequire(import.meta.url).resolve("write-file-atomic");
  const script = `
    const writeFileAtomic = require(${JSON.stringify(modulePath)});
    setInterval(() => {}, 1000);
    writeFileAtomic(${JSON.stringify(target)}, "half-written", {
      tmpfileCreated: () => { process.stdout.write("created\\n"); return new Promise(() => {}); },
    });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("created")) resolve();
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`writer exited early with ${code}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describe("writeFileAtomic", () => {
  it("writes a new file and replaces an existing one without leaving temp files", async () => {
    const target = join(dir, "setup-mac.lock.json");
    await writeFileAtomic(target, "first\n");
    expect(readFileSync(target, "utf8")).toBe("first\n");
    await writeFileAtomic(target, Buffer.from("second\n"));
    expect(readFileSync(target, "utf8")).toBe("second\n");
    expect(readdirSync(dir)).toEqual(["setup-mac.lock.json"]);
  });

  it("keeps an existing file's mode and uses the given mode for a new file", async () => {
    const existing = join(dir, "existing");
    writeFileSync(existing, "x", { mode: 0o600 });
    await writeFileAtomic(existing, "y");
    expect(statSync(existing).mode & 0o777).toBe(0o600);
    const fresh = join(dir, "fresh");
    await writeFileAtomic(fresh, "z", { mode: 0o640 });
    expect(statSync(fresh).mode & 0o777).toBe(0o640);
  });

  it("rejects when the directory does not exist", async () => {
    await expect(writeFileAtomic(join(dir, "missing", "file"), "x")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});

describe("sweepTempFiles", () => {
  it("removes the temp file a killed write left behind, and the target is untouched", async () => {
    const target = join(dir, "setup-mac.jsonc");
    writeFileSync(target, "{}\n");
    await killMidWrite(target);
    const leftovers = readdirSync(dir).filter((n) => n !== "setup-mac.jsonc");
    expect(leftovers).toHaveLength(1);
    expect(leftovers[0]).toMatch(/^setup-mac\.jsonc\.\d+$/);
    expect(readFileSync(target, "utf8")).toBe("{}\n");

    const removed = await sweepTempFiles(dir, "setup-mac.jsonc");
    expect(removed).toEqual([join(dir, leftovers[0] ?? "")]);
    expect(readdirSync(dir)).toEqual(["setup-mac.jsonc"]);
  });

  it("leaves files that only look similar alone", async () => {
    for (const name of [
      "setup-mac.jsonc",
      "setup-mac.jsonc.bak",
      "setup-mac.jsonc.12ab",
      "setup-mac.jsonc.",
      "other.jsonc.123",
      "xsetup-mac.jsonc.123",
      "setup-mac.jsonc.123",
    ]) {
      writeFileSync(join(dir, name), "");
    }
    expect(await sweepTempFiles(dir, "setup-mac.jsonc")).toEqual([
      join(dir, "setup-mac.jsonc.123"),
    ]);
    expect(readdirSync(dir).sort()).toEqual([
      "other.jsonc.123",
      "setup-mac.jsonc",
      "setup-mac.jsonc.",
      "setup-mac.jsonc.12ab",
      "setup-mac.jsonc.bak",
      "xsetup-mac.jsonc.123",
    ]);
  });

  it("treats regular-expression characters in the name literally", async () => {
    writeFileSync(join(dir, "a+b.json.1"), "");
    writeFileSync(join(dir, "aab.json.2"), "");
    expect(await sweepTempFiles(dir, "a+b.json")).toEqual([join(dir, "a+b.json.1")]);
  });

  it("spares temp files younger than olderThanMs", async () => {
    const young = join(dir, "lock.json.1");
    const old = join(dir, "lock.json.2");
    writeFileSync(young, "");
    writeFileSync(old, "");
    const now = new Date("2026-11-01T12:00:00Z");
    utimesSync(young, new Date("2026-11-01T11:59:59Z"), new Date("2026-11-01T11:59:59Z"));
    utimesSync(old, new Date("2026-11-01T11:00:00Z"), new Date("2026-11-01T11:00:00Z"));
    expect(await sweepTempFiles(dir, "lock.json", { olderThanMs: 60_000, now })).toEqual([old]);
    expect(readdirSync(dir)).toEqual(["lock.json.1"]);
  });

  it("returns nothing for a missing directory", async () => {
    expect(await sweepTempFiles(join(dir, "missing"), "x")).toEqual([]);
  });
});

describe("swapInFolder", () => {
  it("swaps a folder in whole, can put the previous back, and leaves nothing when fill fails", async () => {
    const parent = mkdtempSync(join(tmpdir(), "sm-swap-"));
    const target = join(parent, "site");
    const read = () => readFileSync(join(target, "f"), "utf8");
    // A staging folder a killed run left behind is swept.
    mkdirSync(join(parent, ".site.next-1"));
    (await swapInFolder(target, async (d) => writeFileSync(join(d, "f"), "one"))).commit();
    expect(read()).toBe("one");

    const second = await swapInFolder(target, async (d) => writeFileSync(join(d, "f"), "two"));
    expect(read()).toBe("two");
    second.restore();
    expect(read()).toBe("one");

    await expect(
      swapInFolder(target, async (d) => {
        writeFileSync(join(d, "f"), "half");
        throw new Error("fill failed");
      }),
    ).rejects.toThrow("fill failed");
    expect(read()).toBe("one");
    expect(readdirSync(parent)).toEqual(["site"]);
    rmSync(parent, { recursive: true, force: true });
  });
});
