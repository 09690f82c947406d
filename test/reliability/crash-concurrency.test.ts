import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setProgramEnabled } from "../../src/config/edit.js";
import { parseConfig } from "../../src/load/config.js";
import { makeFixture, program, type Fixture } from "../apply/fixture.js";
import { BIN, cli } from "../e2e/cli.js";

const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => rmSync(f.root, { recursive: true, force: true })));

const NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];

function workspace(): Fixture {
  const programs: Record<string, string> = {
    web: program(
      "web",
      `options: z.object({ title: z.string().default("t") }), config: ({ options }) => ({ packages: ["nginx"], files: { "/etc/web/title": { text: options.title } }, datasets: { d: { dataset: "tank/web" } } })`,
    ),
  };
  for (const name of NAMES)
    programs[name] = program(name, `config: () => ({ packages: ["${name}"] })`);
  const f = makeFixture(programs, { web: true });
  fixtures.push(f);
  return f;
}

const envOf = (f: Fixture, extra: Record<string, string> = {}) => ({
  ...f.env,
  SETUP_MAC_CACHE_DIR: f.cache,
  SETUP_MAC_HOME: join(f.root, "home"),
  ...extra,
});

function leftovers(f: Fixture): string[] {
  const names = readdirSync(f.root).filter((n) => /\.\d+$/.test(n));
  const gens = existsSync(join(f.root, ".setup-mac/generations"))
    ? readdirSync(join(f.root, ".setup-mac/generations")).filter((n) => n.startsWith(".tmp-"))
    : [];
  return [...names, ...gens];
}

/** Runs the CLI and kills it with SIGKILL after `ms`, like a power cut. */
function runAndKill(f: Fixture, args: string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "--workspace", f.root, ...args], {
      env: { ...process.env, ...envOf(f) },
      stdio: "ignore",
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("a crash mid-write", () => {
  for (const step of ["snapshot", "lock", "switch"]) {
    it(`apply killed after "${step}": files whole, the next apply notices and finishes`, () => {
      const f = workspace();
      const config = f.config();
      const killed = cli(["--workspace", f.root, "--host", "box", "apply", "--yes"], {
        env: envOf(f, { SETUP_MAC_TEST_CRASH_AFTER: step }),
      });
      expect(killed.code).toBe(null);
      expect(f.config()).toBe(config);
      const lockPath = join(f.root, "setup-mac.lock.json");
      if (existsSync(lockPath))
        expect(() => JSON.parse(readFileSync(lockPath, "utf8")) as unknown).not.toThrow();
      expect(existsSync(join(f.root, ".setup-mac/apply-in-progress.json"))).toBe(true);
      expect(existsSync(join(f.root, ".setup-mac/generations/1"))).toBe(false);

      const next = cli(["--workspace", f.root, "--host", "box", "apply", "--yes"], {
        env: envOf(f),
      });
      expect(next.code).toBe(0);
      expect(next.stdout).toMatch(
        new RegExp(
          `note: An earlier apply to box \\(pid \\d+, .+\\) stopped during "${step}"; its previous lock was restored\\. This apply finishes the job; \`setup-mac programs rollback\` goes back instead\\.`,
        ),
      );
      expect(next.stdout).toContain("Applied to box: generation 1");
      expect(existsSync(join(f.root, ".setup-mac/apply-in-progress.json"))).toBe(false);
      expect(leftovers(f)).toEqual([]);
    });
  }

  it("enable and build killed at random moments leave every file old or new, never partial", async () => {
    const f = workspace();
    // Each kill lands somewhere between start-up and the end of the write.
    for (const [i, ms] of [40, 120, 200, 260, 320, 380, 450, 520].entries()) {
      const name = NAMES[i]!;
      const prior = f.config();
      await runAndKill(f, ["--host", "box", "programs", "enable", name], ms);
      const now = f.config();
      const parsed = parseConfig(now);
      expect(parsed.ok).toBe(true);
      expect([prior, setProgramEnabled(prior, "box", name, true)]).toContain(now);
      await runAndKill(f, ["build"], ms);
      const lockPath = join(f.root, "setup-mac.lock.json");
      if (existsSync(lockPath))
        expect(() => JSON.parse(readFileSync(lockPath, "utf8")) as unknown).not.toThrow();
    }
    expect(f.config().startsWith("// test workspace\n")).toBe(true);
    // A later run sweeps the temp files a kill leaves (planted too, so this cannot pass vacuously).
    writeFileSync(join(f.root, "setup-mac.jsonc.1234567"), "half a config");
    writeFileSync(join(f.root, "setup-mac.lock.json.7654321"), "half a lock");
    expect(
      cli(["--workspace", f.root, "--host", "box", "programs", "enable", "web"], { env: envOf(f) })
        .code,
    ).toBe(0);
    expect(cli(["--workspace", f.root, "build"], { env: envOf(f) }).code).toBe(0);
    expect(leftovers(f)).toEqual([]);
  });
});

describe("concurrency", () => {
  it("8 parallel enables are serialised: every edit present, comments kept", async () => {
    const f = workspace();
    const runs = NAMES.map(
      (name) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(
            process.execPath,
            [BIN, "--workspace", f.root, "--host", "box", "programs", "enable", name],
            {
              env: { ...process.env, ...envOf(f), NO_COLOR: "1" },
              stdio: "ignore",
            },
          );
          child.on("exit", (code) => resolve(code));
        }),
    );
    expect(await Promise.all(runs)).toEqual(NAMES.map(() => 0));
    const text = f.config();
    expect(text.startsWith("// test workspace\n")).toBe(true);
    const parsed = parseConfig(text);
    expect(parsed.ok && Object.keys(parsed.doc.config.hosts.box!.programs!).sort()).toEqual(
      [...NAMES, "web"].sort(),
    );
  });

  it("an apply during an enable waits for it; both land", async () => {
    const f = workspace();
    const enable = new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, "--workspace", f.root, "--host", "box", "programs", "enable", "alpha"],
        { env: { ...process.env, ...envOf(f) }, stdio: "ignore" },
      );
      child.on("exit", resolve);
    });
    const apply = new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, "--workspace", f.root, "--host", "box", "apply", "--yes"],
        { env: { ...process.env, ...envOf(f) }, stdio: "ignore" },
      );
      child.on("exit", resolve);
    });
    expect(await Promise.all([enable, apply])).toEqual([0, 0]);
    expect(f.config()).toContain('"alpha": true');
  });

  it("a lock left by a killed process is reclaimed and reported", () => {
    const f = workspace();
    mkdirSync(join(f.root, ".setup-mac/lock"), { recursive: true });
    writeFileSync(
      join(f.root, ".setup-mac/lock.owner.json"),
      JSON.stringify({
        pid: 2 ** 22 + 17,
        command: "apply",
        host: hostname(),
        since: "2026-11-25T10:00:00.000Z",
      }),
    );
    const r = cli(["--workspace", f.root, "--host", "box", "programs", "enable", "alpha"], {
      env: envOf(f),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `note: Reclaimed the workspace lock of \`setup-mac apply\` (pid ${2 ** 22 + 17}), which had stopped.`,
    );
  });

  it("a lock held by a live process makes the second one wait, then say who holds it (exit 3)", () => {
    const f = workspace();
    mkdirSync(join(f.root, ".setup-mac/lock"), { recursive: true });
    writeFileSync(
      join(f.root, ".setup-mac/lock.owner.json"),
      JSON.stringify({
        pid: process.pid,
        command: "apply",
        host: hostname(),
        since: "2026-11-25T10:00:00.000Z",
      }),
    );
    const r = cli(["--workspace", f.root, "--host", "box", "apply", "--yes"], { env: envOf(f) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `error[workspace-busy]: the workspace is locked by \`setup-mac apply\` (pid ${process.pid} on ${hostname()}, since 2026-11-25T10:00:00.000Z)`,
    );
  });
});

describe("no terminal", () => {
  it("apply with stdin closed and no --yes fails at once, shows the plan, changes nothing", () => {
    const f = workspace();
    const r = cli(["--workspace", f.root, "--host", "box", "apply"], { env: envOf(f) });
    expect(r.code).toBe(2); // usage: --yes is needed without a terminal
    expect(r.stdout).toContain("Plan for box (first apply)\n  + web (");
    expect(r.stderr).toContain("error[confirmation-required]");
    expect(f.calls()).toEqual([]);
    expect(existsSync(join(f.root, "setup-mac.lock.json"))).toBe(false);
  });
});
