/**
 * Corrupt state, through the built CLI on copies of the bundled example: a mangled config, lock or
 * generation is reported with its place and a fix, is never overwritten, and the verbs that can
 * still work without it do.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, copyExampleTo, EXAMPLE } from "../e2e/cli.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const cache = mkdtempSync(join(tmpdir(), "sm-corrupt-cache-"));
temp.push(cache);
const env = { SETUP_MAC_CACHE_DIR: cache };

const CONFIG = "setup-mac.jsonc";
const LOCK = "setup-mac.lock.json";
const exampleConfig = readFileSync(join(EXAMPLE, CONFIG));
const exampleLock = readFileSync(join(EXAMPLE, LOCK));

function copyExample(): string {
  const dir = mkdtempSync(join(tmpdir(), "sm-corrupt-"));
  temp.push(dir);
  copyExampleTo(dir);
  return dir;
}

const run = (dir: string, ...args: string[]) => cli(["--workspace", dir, ...args], { env });

/** Deterministic "random" bytes (mulberry32), so a failure can be reproduced. */
function randomBytes(seed: number, length: number): Buffer {
  let a = seed;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** `line:column` just past the end of a text. */
function endOf(bytes: Buffer): string {
  const lines = bytes.toString().split("\n");
  return `${lines.length}:${lines.at(-1)!.length + 1}`;
}

/** Random bytes without NUL, so the JSONC parser (not the NUL check) has to find the problem. */
const noNul = (b: Buffer) => Buffer.from(b.map((x) => x || 1));

const configCases: { name: string; bytes: Buffer; error: RegExp }[] = [
  {
    // Cut inside the `defaults` object: the parser reaches the end still expecting a `}`.
    name: "truncated",
    bytes: exampleConfig.subarray(0, exampleConfig.indexOf('"vscode"')),
    error: new RegExp(
      `^setup-mac\\.jsonc:${endOf(exampleConfig.subarray(0, exampleConfig.indexOf('"vscode"')))}: error\\[config-syntax\\]: invalid JSONC: expected a property name in double quotes\\n {2}fix: fix the syntax`,
      "m",
    ),
  },
  {
    name: "empty",
    bytes: Buffer.alloc(0),
    error:
      /^setup-mac\.jsonc:1:1: error\[config-syntax\]: invalid JSONC: expected a value\n {2}fix: the file is empty; write a config \(see `setup-mac init`\) or restore it from git$/m,
  },
  {
    name: "binary with NUL bytes",
    bytes: Buffer.concat([Buffer.from('{\n  "ho'), Buffer.from([0, 0, 1, 2]), Buffer.from("x")]),
    error:
      /^setup-mac\.jsonc:2:6: error\[config-syntax\]: the file contains a NUL byte: it is binary or corrupt, not JSONC\n {2}fix: restore setup-mac\.jsonc from git/m,
  },
  {
    name: "random bytes",
    bytes: noNul(randomBytes(42, 512)),
    error: /^setup-mac\.jsonc:\d+:\d+: error\[config-syntax\]: invalid JSONC: .+\n {2}fix: /m,
  },
  {
    name: "invalid JSONC (a missing comma)",
    bytes: Buffer.from(
      exampleConfig.toString().replace('"userName": "Lars Artmann",', '"userName": "Lars Artmann"'),
    ),
    error:
      /^setup-mac\.jsonc:12:7: error\[config-syntax\]: invalid JSONC: expected `,`\n {2}fix: fix the syntax at this position/m,
  },
  {
    name: "an unknown key",
    bytes: Buffer.from(
      exampleConfig
        .toString()
        .replace(
          '"$schema": "./setup-mac/schema.json",',
          '"$schema": "./setup-mac/schema.json", "colour": true,',
        ),
    ),
    error:
      /^setup-mac\.jsonc:6:41: error\[config-invalid\]: the top level has unknown key `colour`\n {2}fix: remove or rename it/m,
  },
];

describe("a corrupt setup-mac.jsonc", () => {
  for (const c of configCases) {
    it(`${c.name}: every verb stops with file:line:column and a fix, and nothing rewrites it`, () => {
      const dir = copyExample();
      writeFileSync(join(dir, CONFIG), c.bytes);
      for (const args of [
        ["check"],
        ["programs", "list"],
        ["build"],
        ["--host", "evo-x2", "programs", "enable", "bat"],
        ["--host", "evo-x2", "programs", "disable", "git"],
        ["--host", "evo-x2", "programs", "config", "git", "set", "userName", "Someone"],
        ["--host", "evo-x2", "programs", "config", "git", "unset", "userName"],
      ]) {
        const r = run(dir, ...args);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1);
        expect(r.stderr, args.join(" ")).toMatch(c.error);
        expect(r.stderr).not.toContain("internal error");
        expect(readFileSync(join(dir, CONFIG)).equals(c.bytes), args.join(" ")).toBe(true);
      }
      // Nothing derived from it was touched either.
      expect(readFileSync(join(dir, LOCK)).equals(exampleLock)).toBe(true);
      expect(readdirSync(dir).filter((f) => f.startsWith(CONFIG) && f !== CONFIG)).toEqual([]);
    });
  }

  it("--json reports the same diagnostics as data", () => {
    const dir = copyExample();
    writeFileSync(join(dir, CONFIG), "");
    const r = run(dir, "--json", "check");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; diagnostics: unknown[] };
    expect(out.ok).toBe(false);
    expect(out.diagnostics[0]).toMatchObject({
      code: "config-syntax",
      location: { file: CONFIG, line: 1, column: 1 },
    });
  });
});

const lockCases: { name: string; bytes: Buffer; problem: RegExp }[] = [
  {
    name: "truncated",
    bytes: exampleLock.subarray(0, 1000),
    problem:
      /^setup-mac\.lock\.json:\d+:\d+: warning\[lock-invalid\]: the lock file is not valid JSON/m,
  },
  {
    name: "empty",
    bytes: Buffer.alloc(0),
    problem: /^setup-mac\.lock\.json:1:1: warning\[lock-invalid\]: the lock file is empty$/m,
  },
  {
    name: "binary",
    bytes: Buffer.concat([exampleLock.subarray(0, 40), randomBytes(7, 256), Buffer.from([0])]),
    problem:
      /^setup-mac\.lock\.json:\d+:\d+: warning\[lock-invalid\]: the lock file (contains a NUL byte|is not valid JSON)/m,
  },
  {
    name: "from a newer setup-mac (version 99)",
    bytes: Buffer.from(exampleLock.toString().replace(/"version": 1\n/, '"version": 99\n')),
    problem:
      /^setup-mac\.lock\.json:\d+:3: warning\[lock-invalid\]: the lock has format version 99, newer than this setup-mac reads \(1\): upgrade setup-mac$/m,
  },
];

describe("a corrupt setup-mac.lock.json", () => {
  for (const c of lockCases) {
    it(`${c.name}: read-only verbs work; build keeps it aside byte for byte, says so, writes a new one`, () => {
      const dir = copyExample();
      writeFileSync(join(dir, LOCK), c.bytes);

      for (const args of [
        ["programs", "list"],
        ["check"],
        ["--host", "evo-x2", "diff"],
        ["generations"],
      ]) {
        const r = run(dir, ...args);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
        expect(r.stderr).not.toContain("internal error");
        expect(readFileSync(join(dir, LOCK)).equals(c.bytes), args.join(" ")).toBe(true);
      }
      expect(run(dir, "programs", "list").stdout).toMatch(/^vscode +editors /m);

      // A dry run only says what it would do.
      expect(run(dir, "build", "--dry-run").code).toBe(0);
      expect(readFileSync(join(dir, LOCK)).equals(c.bytes)).toBe(true);

      const r = run(dir, "build");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(c.problem);
      const aside = readdirSync(dir).filter((f) => f.startsWith(`${LOCK}.corrupt-`));
      expect(aside).toEqual([
        expect.stringMatching(/^setup-mac\.lock\.json\.corrupt-\d{8}T\d{6}Z$/),
      ]);
      expect(r.stderr).toContain(
        `note: ${LOCK} could not be read; it was kept as ${aside[0]} and a new one was written`,
      );
      expect(readFileSync(join(dir, aside[0]!)).equals(c.bytes)).toBe(true);
      expect(readFileSync(join(dir, LOCK)).equals(exampleLock)).toBe(true);

      // The copy is never overwritten: corrupt again, build again, two copies.
      writeFileSync(join(dir, LOCK), "{");
      const again = run(dir, "--json", "build");
      expect(again.code).toBe(0);
      const json = JSON.parse(again.stdout) as { keptAside: { aside: string } };
      expect(json.keptAside.aside).not.toBe(aside[0]);
      expect(readFileSync(join(dir, aside[0]!)).equals(c.bytes)).toBe(true);
      expect(readFileSync(join(dir, json.keptAside.aside), "utf8")).toBe("{");
    });
  }

  it("a readable lock is replaced without a copy", () => {
    const dir = copyExample();
    const r = run(dir, "build");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(readdirSync(dir).some((f) => f.includes(".corrupt-"))).toBe(false);
  });
});

describe("a corrupt generation", () => {
  const GENERATIONS = ".setup-mac/generations";

  function withGenerations(): string {
    const dir = copyExample();
    for (const n of [1, 2, 3, 4]) {
      const g = join(dir, GENERATIONS, String(n));
      mkdirSync(g, { recursive: true });
      writeFileSync(join(g, CONFIG), exampleConfig);
      writeFileSync(join(g, LOCK), exampleLock);
      const record = {
        format: 1,
        number: n,
        host: "evo-x2",
        time: `2026-11-0${n}T10:00:00.000Z`,
        kind: "apply",
        inputsHash: "0".repeat(64),
        changes: { host: "evo-x2", programs: [], empty: true },
        removed: [],
      };
      writeFileSync(join(g, "generation.json"), JSON.stringify(record, null, 2) + "\n");
    }
    writeFileSync(join(dir, GENERATIONS, "2", "generation.json"), randomBytes(3, 200));
    rmSync(join(dir, GENERATIONS, "3", LOCK));
    return dir;
  }

  it("generations lists the readable ones and reports each bad one with its file and a fix", () => {
    const dir = withGenerations();
    const garbage = readFileSync(join(dir, GENERATIONS, "2", "generation.json"));
    const r = run(dir, "generations");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 +evo-x2 +2026-11-01 10:00:00Z +apply /m);
    expect(r.stdout).toMatch(/^4 +evo-x2 +2026-11-04 10:00:00Z +apply /m);
    expect(r.stdout).not.toMatch(/^[23] /m);
    expect(r.stderr).toMatch(
      /^\.setup-mac\/generations\/2\/generation\.json: warning\[generation-corrupt\]: generation 2 cannot be read: .+\n {2}fix: it is left as it is; move \.setup-mac\/generations\/2 aside to silence this, other generations still work$/m,
    );
    expect(r.stderr).toMatch(
      /^\.setup-mac\/generations\/3\/generation\.json: warning\[generation-corrupt\]: generation 3 cannot be read: setup-mac\.lock\.json is missing\n {2}fix: /m,
    );
    expect(r.stderr).not.toContain("internal error");

    const json = JSON.parse(run(dir, "--json", "generations").stdout) as {
      generations: { number: number }[];
      problems: { code: string; location: { file: string } }[];
    };
    expect(json.generations.map((g) => g.number)).toEqual([1, 4]);
    expect(json.problems.map((p) => p.location.file)).toEqual([
      `${GENERATIONS}/2/generation.json`,
      `${GENERATIONS}/3/generation.json`,
    ]);

    // diff compares with the newest readable generation; a dry rollback goes back past the bad ones.
    const d = run(dir, "--host", "evo-x2", "diff");
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain("evo-x2: against generation 4");
    const back = run(dir, "--host", "evo-x2", "programs", "rollback", "--dry-run");
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain("dry run: nothing was changed");

    // Left exactly as they were.
    expect(readFileSync(join(dir, GENERATIONS, "2", "generation.json")).equals(garbage)).toBe(true);
    expect(existsSync(join(dir, GENERATIONS, "3", LOCK))).toBe(false);
    expect(readdirSync(join(dir, GENERATIONS)).sort()).toEqual(["1", "2", "3", "4"]);
  });
});
