/**
 * Module code runs in the evaluation isolate (decision 0022): through the built CLI on copies of
 * the bundled example, a module that never returns, allocates without bound, ends the process,
 * throws a non-Error, writes to stdout or reaches for the machine becomes a diagnostic naming its
 * file, the host and the limit, and every verb that evaluates exits 1 without writing anything.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, copyExampleTo } from "../e2e/cli.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temp.push(dir);
  return dir;
};

const EVIL = "programs/test/evil.ts";
const module_ = (atImport: string, inConfig: string) => `import { defineProgram } from "setup-mac";
declare const require: (name: string) => unknown;
${atImport};
export default defineProgram({
  name: "evil",
  description: "A module that misbehaves",
  config: () => {
    ${inConfig};
    return { packages: ["hello"] };
  },
});
`;

/** The example with a well-behaved \`evil\` enabled on both hosts, and small limits. */
const template = (() => {
  const dir = tempDir("sm-isolate-template-");
  copyExampleTo(dir);
  mkdirSync(join(dir, "programs/test"));
  writeFileSync(join(dir, EVIL), module_("", ""));
  const config = join(dir, "setup-mac.jsonc");
  const text = readFileSync(config, "utf8");
  const head = '"$schema": "./setup-mac/schema.json",';
  expect(text).toContain(head);
  // 128 MiB stops an allocation in a moment; the example needs far less.
  writeFileSync(config, text.replace(head, `${head}\n  "evaluation": { "memory": 128 },`));
  const enabled = cli(
    ["--workspace", dir, "--host", "evo-x2,macbook", "programs", "enable", "evil"],
    {
      env: { SETUP_MAC_CACHE_DIR: tempDir("sm-isolate-cache-") },
    },
  );
  expect(enabled.stderr).toBe("");
  expect(enabled.code).toBe(0);
  const built = cli(["--workspace", dir, "build"], {
    env: { SETUP_MAC_CACHE_DIR: tempDir("sm-isolate-cache-") },
  });
  expect(built.code, built.stderr).toBe(0);
  return dir;
})();

/** A copy of the template whose \`evil\` runs \`atImport\` when it is loaded and \`inConfig\` in \`config\`. */
function workspaceWith(atImport: string, inConfig: string): string {
  const dir = tempDir("sm-isolate-");
  cpSync(template, dir, { recursive: true, filter: (src) => basename(src) !== ".setup-mac" });
  writeFileSync(join(dir, EVIL), module_(atImport, inConfig));
  return dir;
}

/** Every file of a workspace with its bytes, to prove a failed verb wrote nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, "base64"));
    }
  };
  walk(dir);
  return out;
}

/** A second is plenty for the example; a loop is stopped after it. */
const run = (dir: string, ...args: string[]) => runWithin(1, dir, ...args);
const runWithin = (seconds: number, dir: string, ...args: string[]) =>
  cli(["--workspace", dir, "--eval-timeout", String(seconds), ...args], {
    env: { SETUP_MAC_CACHE_DIR: tempDir("sm-isolate-cache-") },
  });

/** Every verb that evaluates, as a user runs it. */
const VERBS: Record<string, (out: string) => string[]> = {
  check: () => ["check"],
  build: (out) => ["build", "--out", out],
  "programs list": () => ["programs", "list"],
  "programs info": () => ["programs", "info", "evil"],
  "programs enable": () => ["programs", "enable", "restic-backup", "--host", "evo-x2"],
  "apply --dry-run": () => ["--host", "evo-x2", "apply", "--dry-run"],
};

interface Case {
  name: string;
  atImport?: string;
  inConfig?: string;
  /** What the diagnostic says, after the module's file. */
  expected: RegExp;
  /** The verbs that must fail (default: all; `programs list` does not run \`config\`). */
  verbs?: string[];
  /** The exit status: 1, the module is wrong; 4 for a time limit (default 1; decision 0020). */
  exit?: number;
  /** The module time limit, in seconds (default 1). */
  timeout?: number;
}

const WHILE_LOADING = [
  "check",
  "build",
  "programs list",
  "programs info",
  "programs enable",
  "apply --dry-run",
];
const IN_CONFIG = WHILE_LOADING.filter((v) => v !== "programs list");

const CASES: Case[] = [
  {
    name: "a config() that never returns",
    inConfig: "for (;;) {}",
    exit: 4,
    expected:
      /error\[module-timeout\] \(host [a-z0-9-]+\): did not finish in `config` on host `[a-z0-9-]+` within 1 s/,
    verbs: IN_CONFIG,
  },
  {
    name: "a loop at import",
    atImport: "for (;;) {}",
    exit: 4,
    expected: /error\[module-timeout\]: did not finish while loading within 1 s/,
    verbs: ["check"],
  },
  {
    name: "a config() that allocates without bound",
    inConfig: "const a: number[][] = []; for (;;) a.push(new Array(1e5).fill(1))",
    // Memory, not time, must stop it: on a loaded machine filling 128 MiB can take over 1 s.
    timeout: 20,
    expected:
      /error\[module-out-of-memory\] \(host [a-z0-9-]+\): used more than 128 MiB of memory in `config`/,
    verbs: IN_CONFIG,
  },
  {
    name: "process.exit(0) at import",
    atImport: "process.exit(0)",
    expected: /error\[module-exit\]: ended the evaluation \(exit code 0\) while loading/,
  },
  {
    name: "process.exit(0) in config()",
    inConfig: "process.exit(0)",
    expected:
      /error\[module-exit\] \(host [a-z0-9-]+\): ended the evaluation \(exit code 0\) in `config`/,
    verbs: IN_CONFIG,
  },
  {
    name: "a non-Error thrown from config()",
    inConfig: 'throw "nope"',
    expected:
      /error\[config-throws\] \(host [a-z0-9-]+\): `config` of `evil` throws on host [a-z0-9-]+: nope/,
    verbs: ["check"],
  },
  {
    name: "an import of node:fs",
    atImport: 'import { readFileSync } from "node:fs"; void readFileSync',
    expected: /error\[module-impure-import\]: imports the Node built-in `node:fs`/,
    verbs: ["check", "programs list"],
  },
  {
    name: "a computed require of child_process",
    inConfig: 'const name = "node:child" + "_process"; require(name)',
    expected:
      /error\[config-throws\] \(host [a-z0-9-]+\): `config` of `evil` throws on host [a-z0-9-]+: require\("node:child_process"\) is refused/,
    verbs: ["check"],
  },
];

describe("a misbehaving module", () => {
  for (const c of CASES) {
    const verbs = c.verbs ?? WHILE_LOADING;
    it(`${c.name}: ${verbs.join(", ")} exit ${c.exit ?? 1} naming the module, and write nothing`, () => {
      const dir = workspaceWith(c.atImport ?? "", c.inConfig ?? "");
      const before = snapshot(dir);
      for (const verb of verbs) {
        const out = tempDir("sm-isolate-out-");
        const result = runWithin(c.timeout ?? 1, dir, ...VERBS[verb]!(out));
        expect(result.code, `${verb}: ${result.stderr}`).toBe(c.exit ?? 1);
        expect(result.stderr, verb).toMatch(new RegExp(`^${EVIL}: ${c.expected.source}`, "m"));
        expect(result.stderr, verb).toMatch(/^ {2}fix: /m);
        expect(result.stderr, verb).not.toContain("this is a bug");
        expect(readdirSync(out), `${verb} rendered nothing`).toEqual([]);
        expect(snapshot(dir), `${verb} left the workspace as it was`).toEqual(before);
      }
    });
  }

  it("that fails only in config() leaves `programs list` working: listing does not evaluate", () => {
    const dir = workspaceWith("", "for (;;) {}");
    const result = run(dir, "programs", "list");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^evil +test +/m);
  });

  it("that writes to stdout gets its output shown as a warning, never mixed into --json", () => {
    const dir = workspaceWith('process.stdout.write("at import\\n")', 'console.log("in config")');
    const result = run(dir, "--json", "check");
    expect(result.code, result.stderr).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      ok: boolean;
      diagnostics: { code: string; message: string }[];
    };
    expect(parsed.ok).toBe(true);
    const output = parsed.diagnostics.filter((d) => d.code === "module-output");
    expect(output.map((d) => d.message).join("\n")).toMatch(/at import/);
    expect(output.map((d) => d.message).join("\n")).toMatch(/in config/);
    const plain = run(dir, "check");
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/at import|in config/);
    expect(plain.stderr).toMatch(new RegExp(`^${EVIL}: warning\\[module-output\\]`, "m"));
  });

  it("cannot make a disabled program evaluate: disabling the culprit works", () => {
    const dir = workspaceWith("", "for (;;) {}");
    const result = run(dir, "--host", "evo-x2,macbook", "programs", "disable", "evil");
    expect(result.code, result.stderr).toBe(0);
    expect(run(dir, "check").code).toBe(0);
  });

  it("--eval-timeout takes seconds, and refuses anything else as a usage error", () => {
    const result = cli(["--eval-timeout", "0", "check"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("give seconds, more than 0 and at most 3600");
  });
});
