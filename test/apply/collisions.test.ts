import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { apply } from "../../src/api/apply.js";
import { makeFixture, program, runnerWith, type Fixture } from "./fixture.js";

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(): { f: Fixture; home: string; opts: Parameters<typeof apply>[0] } {
  const f = makeFixture(
    {
      notes: program(
        "notes",
        `config: () => ({ files: { "~/.config/notes/config": { text: "managed\\n" } } })`,
      ),
    },
    { notes: true },
  );
  const home = mkdtempSync(join(tmpdir(), "sm-home-"));
  cleanup.push(f.root, home);
  return {
    f,
    home,
    opts: { workspace: f.root, cacheDir: f.cache, host: "box", yes: true, runner: f.runner, home },
  };
}

function put(home: string, rel: string, text: string): string {
  const path = join(home, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe("files in the way of new managed files", () => {
  it("a different file stops the apply before anything is written, naming the fixes", async () => {
    const { f, home, opts } = setup();
    put(home, ".config/notes/config", "my own\n");
    await expect(apply(opts)).rejects.toThrow(
      "error[files-in-the-way]: a file stands where box gets managed files; nothing was changed:\n" +
        "  ~/.config/notes/config (notes): a file with other content is in the way\n" +
        "  fix: keep a copy with `--backup-ext bak`, or replace one with `--force-file ~/path` (repeatable); or remove the file yourself",
    );
    expect(f.calls()).toEqual([]);
    expect(existsSync(join(f.root, "setup-mac.lock.json"))).toBe(false);
    expect(readFileSync(join(home, ".config/notes/config"), "utf8")).toBe("my own\n");
  });

  it("--backup-ext moves it aside without overwriting an earlier backup", async () => {
    const { home, opts } = setup();
    const path = put(home, ".config/notes/config", "my own\n");
    writeFileSync(`${path}.bak`, "an older backup\n");
    const result = await apply({ ...opts, backupExt: "bak" });
    expect(result.status).toBe("applied");
    expect(readFileSync(`${path}.bak`, "utf8")).toBe("an older backup\n");
    expect(readFileSync(`${path}.bak.1`, "utf8")).toBe("my own\n");
    expect(existsSync(path)).toBe(false);
  });

  it("a file with the declared content is adopted", async () => {
    const { home, opts } = setup();
    const path = put(home, ".config/notes/config", "managed\n");
    const result = await apply(opts);
    expect(result.plan.collisions.map((c) => [c.target, c.kind, c.action])).toEqual([
      ["~/.config/notes/config", "identical", "adopt"],
    ]);
    expect(existsSync(path)).toBe(false);
  });

  it("--force-file replaces one; a foreign symlink counts as in the way", async () => {
    const { home, opts } = setup();
    mkdirSync(join(home, ".config/notes"), { recursive: true });
    symlinkSync("/etc/hostname", join(home, ".config/notes/config"));
    await expect(apply(opts)).rejects.toThrow(
      "~/.config/notes/config (notes): a link to /etc/hostname is in the way",
    );
    const result = await apply({ ...opts, forceFiles: ["~/.config/notes/config"] });
    expect(result.status).toBe("applied");
    expect(existsSync(join(home, ".config/notes/config"))).toBe(false);
  });

  it("a symlinked folder leading out of the home directory is refused even with --force-file", async () => {
    const { home, opts } = setup();
    const outside = mkdtempSync(join(tmpdir(), "sm-outside-"));
    cleanup.push(outside);
    mkdirSync(join(home, ".config"), { recursive: true });
    symlinkSync(outside, join(home, ".config/notes"));
    await expect(apply({ ...opts, forceFiles: ["~/.config/notes/config"] })).rejects.toThrow(
      "~/.config/notes/config (notes): a path through a symlinked folder that leads out of the home directory is in the way",
    );
  });

  it("a failed switch puts a backed-up file back", async () => {
    const { f, home, opts } = setup();
    const path = put(home, ".config/notes/config", "my own\n");
    await expect(
      apply({ ...opts, backupExt: "bak", runner: runnerWith(f, { SWITCH_EXIT: "1" }) }),
    ).rejects.toThrow(/step "switch" failed/);
    expect(readFileSync(path, "utf8")).toBe("my own\n");
    expect(existsSync(`${path}.bak`)).toBe(false);
  });
});
