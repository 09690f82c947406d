import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatDiagnosticPlain } from "../src/errors/index.js";
import { loadCatalog } from "../src/load/catalog.js";
import { loadWorkspace } from "../src/load/index.js";
import { KEEP_BUNDLES, pruneCache } from "../src/load/bundle.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodTree(d, 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});

function chmodTree(dir: string, mode: number) {
  try {
    chmodSync(dir, mode);
  } catch {
    /* gone */
  }
}

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "sm-load-"));
  dirs.push(root);
  const all: Record<string, string> = {
    "setup-mac.jsonc":
      '{ "hosts": { "h": { "platform": "nixos", "system": "x86_64-linux", "user": "u" } } }\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function cacheDir(): string {
  const d = mkdtempSync(join(tmpdir(), "sm-cache-"));
  dirs.push(d);
  return d;
}

const program = (name: string, extra = "") =>
  `import { defineProgram, z } from "setup-mac";\n${extra}\nexport default defineProgram({ name: "${name}", description: "${name}", options: z.object({ n: z.number().default(1) }) });\n`;

describe("loading modules", () => {
  it("finds programs/**/*.ts with categories and skips helpers and tests", async () => {
    const root = workspace({
      "programs/editors/vscode.ts": program("vscode", 'import { x } from "../_lib/x";\nvoid x;'),
      "programs/_lib/x.ts": "export const x = 1;\n",
      "programs/dev/lang/rust.ts": program("rust"),
      "programs/top.ts": program("top"),
      "programs/dev/lang/rust.test.ts": "throw new Error('not a module');\n",
    });
    const ws = await loadWorkspace(root, { cacheDir: null });
    expect(ws.diagnostics).toEqual([]);
    expect([...ws.programs.values()].map((p) => [p.program.name, p.category, p.file])).toEqual([
      ["rust", "dev/lang", "programs/dev/lang/rust.ts"],
      ["vscode", "editors", "programs/editors/vscode.ts"],
      ["top", "", "programs/top.ts"],
    ]);
    expect(ws.programs.get("vscode")!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a module that throws or exports nothing names its file; the others still load", async () => {
    const root = workspace({
      "programs/a/good.ts": program("good"),
      "programs/a/throws.ts": 'throw new Error("boom at load");\n',
      "programs/a/empty.ts": "export const nothing = 1;\n",
      "programs/a/wrong.ts": "export default { name: 'wrong' };\n",
      "programs/a/misnamed.ts": program("other"),
      "programs/a/invalid.ts":
        'import { defineProgram } from "setup-mac";\nexport default defineProgram({ name: "invalid", description: "" });\n',
    });
    const ws = await loadWorkspace(root, { cacheDir: null });
    expect([...ws.programs.keys()]).toEqual(["good"]);
    expect(ws.diagnostics.map(formatDiagnosticPlain)).toEqual([
      "programs/a/empty.ts: error[module-no-program]: has no default export\n  fix: end the module with `export default defineProgram({ name, description, … })`",
      "programs/a/invalid.ts: error[module-invalid]: `description` must not be empty\n  fix: see the ProgramDefinition type for every field",
      'programs/a/misnamed.ts: error[program-name-mismatch]: defines program `other` but the file is named misnamed.ts\n  fix: rename the file to other.ts or the program to "misnamed"',
      "programs/a/throws.ts: error[module-throws]: throws while loading: boom at load\n  fix: a module must only define its program; move side effects out of the top level",
      "programs/a/wrong.ts: error[module-no-program]: does not export a program as its default export\n  fix: end the module with `export default defineProgram({ name, description, … })`",
    ]);
  });

  it("a module can import every name of the API surface from setup-mac", async () => {
    const surface = await import("../src/api-surface.js");
    const names = Object.keys(surface).sort();
    const root = workspace({
      "programs/a/all.ts": `import { ${names.join(", ")} } from "setup-mac";
export const seen = [${names.join(", ")}].map((v) => typeof v);
export default defineProgram({ name: "all", description: "imports everything" });
`,
    });
    const ws = await loadWorkspace(root, { cacheDir: null });
    expect(ws.diagnostics).toEqual([]);
    expect(ws.programs.has("all")).toBe(true);
  });

  it("a syntax error names the file, line and column", async () => {
    const root = workspace({
      "programs/a/good.ts": program("good"),
      "programs/a/broken.ts":
        'import { defineProgram } from "setup-mac";\nexport default defineProgram({ name: "broken",, });\n',
    });
    const ws = await loadWorkspace(root, { cacheDir: null });
    expect(ws.diagnostics.map(formatDiagnosticPlain)).toEqual([
      'programs/a/broken.ts:2:47: error[module-syntax]: Expected identifier but found ","\n  fix: fix the TypeScript in this file; `setup-mac check` lists every problem at once',
    ]);
  });

  it("a program may not import another program", async () => {
    const root = workspace({
      "programs/a/one.ts": program("one"),
      "programs/a/two.ts": program("two", 'import one from "./one";\nvoid one;'),
    });
    const ws = await loadWorkspace(root, { cacheDir: null });
    expect(ws.diagnostics.map(formatDiagnosticPlain)).toEqual([
      "programs/a/two.ts: error[program-imports-program]: imports another program module, programs/a/one.ts\n  fix: programs meet only through `requires`, `conflicts` and `contributes`; move shared code to programs/_lib/",
    ]);
  });
});

describe("the load cache", () => {
  it("is used when nothing changed and never serves an edited module or helper", async () => {
    const root = workspace({
      "programs/a/one.ts": program("one", 'import { d } from "../_lib/d";\nexport const used = d;'),
      "programs/_lib/d.ts": 'export const d = "first";\n',
    });
    const cache = cacheDir();
    expect((await loadWorkspace(root, { cacheDir: cache })).cache).toBe("miss");
    expect((await loadWorkspace(root, { cacheDir: cache })).cache).toBe("hit");

    writeFileSync(
      join(root, "programs/a/one.ts"),
      program("one", 'import { d } from "../_lib/d";\nexport const used = d;').replace(
        'description: "one"',
        'description: "edited"',
      ),
    );
    const edited = await loadWorkspace(root, { cacheDir: cache });
    expect(edited.cache).toBe("miss");
    expect(edited.programs.get("one")!.program.description).toBe("edited");

    writeFileSync(
      join(root, "programs/_lib/d.ts"),
      'export const d = "second";\nthrow new Error("helper changed");\n',
    );
    const helper = await loadWorkspace(root, { cacheDir: cache });
    expect(helper.cache).toBe("miss");
    expect(helper.diagnostics[0]!.message).toBe("throws while loading: helper changed");

    writeFileSync(join(root, "programs/a/two.ts"), program("two"));
    const added = await loadWorkspace(root, { cacheDir: cache });
    expect(added.cache).toBe("miss");
    expect(added.programs.has("two")).toBe(true);
  });

  it("keeps only the newest bundles of a workspace and forgets workspaces long unused", async () => {
    const root = workspace({ "programs/a/one.ts": program("one") });
    const cache = cacheDir();
    const bundles = () => {
      const dir = join(cache, "load", readdirSync(join(cache, "load"))[0]!);
      return readdirSync(dir).filter((f) => f !== "manifest.json" && f !== "eval");
    };
    // A workspace folder nobody used for two months, and one used yesterday.
    const old = join(cache, "load", "0123456789abcdef");
    const recent = join(cache, "load", "fedcba9876543210");
    for (const [dir, days] of [
      [old, 60],
      [recent, 1],
    ] as const) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "manifest.json"), "{}");
      const when = new Date(Date.now() - days * 24 * 60 * 60 * 1000);
      utimesSync(join(dir, "manifest.json"), when, when);
    }

    const seen: string[] = [];
    for (const description of ["first", "second", "third", "fourth"]) {
      writeFileSync(
        join(root, "programs/a/one.ts"),
        program("one").replace('description: "one"', `description: "${description}"`),
      );
      const ws = await loadWorkspace(root, { cacheDir: cache });
      expect(ws.cache).toBe("miss");
      seen.push(ws.cached!.bundle);
      // Every bundle's catalog sits next to it; each edit makes a new bundle (an overlay on the
      // first, whole one, which stays while overlays build on it: decision 0031).
      expect(bundles().filter((f) => f.endsWith(".mjs")).length).toBeLessThanOrEqual(
        KEEP_BUNDLES + 1,
      );
    }
    expect(new Set(seen).size).toBe(4);
    // The base and the newest two remain, each with its catalog; the others are gone with theirs.
    const left = bundles().sort();
    expect(left).toEqual(
      [seen[0]!, ...seen.slice(-KEEP_BUNDLES)]
        .flatMap((b) => [b, b.replace(/\.mjs$/, ".catalog.json")])
        .sort(),
    );
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    // And the newest still loads from the cache.
    expect((await loadWorkspace(root, { cacheDir: cache })).cache).toBe("hit");
  });

  it("pruning never removes a temporary file another process may be writing", () => {
    const dir = cacheDir();
    const current = `${"a".repeat(32)}.mjs`;
    const writing = `${"b".repeat(32)}.mjs.123.456.tmp`;
    const leftover = `${"c".repeat(32)}.mjs.123.456.tmp`;
    for (const f of [current, writing, leftover, `${"d".repeat(32)}.mjs`])
      writeFileSync(join(dir, f), "");
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(join(dir, leftover), twoHoursAgo, twoHoursAgo);
    utimesSync(join(dir, `${"d".repeat(32)}.mjs`), twoHoursAgo, twoHoursAgo);
    pruneCache(dir, current);
    // The previous bundle (d) is kept for a process that read the previous manifest.
    expect(readdirSync(dir).sort()).toEqual([current, `${"d".repeat(32)}.mjs`, writing].sort());
  });

  it("a deleted, corrupt or read-only cache is harmless", async () => {
    const root = workspace({ "programs/a/one.ts": program("one") });
    const cache = cacheDir();
    await loadWorkspace(root, { cacheDir: cache });
    rmSync(cache, { recursive: true, force: true });
    expect((await loadWorkspace(root, { cacheDir: cache })).programs.has("one")).toBe(true);

    const corrupt = cacheDir();
    await loadWorkspace(root, { cacheDir: corrupt });
    const { readdirSync } = await import("node:fs");
    const sub = join(corrupt, "load", readdirSync(join(corrupt, "load"))[0]!);
    writeFileSync(join(sub, "manifest.json"), "{ not json");
    expect((await loadWorkspace(root, { cacheDir: corrupt })).programs.has("one")).toBe(true);

    // Tests may run as root, which ignores file modes: a cache path below a regular file can
    // never be created by anyone.
    const blocker = join(cacheDir(), "a-file");
    writeFileSync(blocker, "");
    const ws = await loadWorkspace(root, { cacheDir: join(blocker, "cache") });
    expect(ws.diagnostics).toEqual([]);
    expect(ws.cache).toBe("off");
    expect(ws.programs.has("one")).toBe(true);
  });

  it("serves `programs list` from the catalog only while no module or helper changed", async () => {
    const root = workspace({
      "programs/a/one.ts": program("one", 'import { d } from "../_lib/d";\nexport const used = d;'),
      "programs/_lib/d.ts": 'export const d = "first";\n',
      "programs/a/broken.ts": 'throw new Error("broken at load");\n',
    });
    const cache = cacheDir();
    const cold = await loadCatalog(root, { cacheDir: cache });
    expect(cold.cache).toBe("miss");
    const warm = await loadCatalog(root, { cacheDir: cache });
    expect(warm.cache).toBe("hit");
    expect(warm.programs).toEqual(cold.programs);
    expect(warm.diagnostics).toEqual(cold.diagnostics);
    expect(warm.diagnostics.map((d) => d.code)).toEqual(["module-throws"]);
    expect(warm.programs.get("one")).toEqual({
      name: "one",
      description: "one",
      file: "programs/a/one.ts",
      category: "a",
    });

    writeFileSync(
      join(root, "programs/a/one.ts"),
      program("one").replace('description: "one"', 'description: "edited"'),
    );
    const edited = await loadCatalog(root, { cacheDir: cache });
    expect(edited.cache).toBe("miss");
    expect(edited.programs.get("one")!.description).toBe("edited");

    writeFileSync(join(root, "programs/_lib/d.ts"), 'throw new Error("helper changed");\n');
    writeFileSync(
      join(root, "programs/a/one.ts"),
      program("one", 'import { d } from "../_lib/d";\nexport const used = d;'),
    );
    expect((await loadCatalog(root, { cacheDir: cache })).cache).toBe("miss");
    const helper = await loadCatalog(root, { cacheDir: cache });
    expect(helper.cache).toBe("hit");
    expect(helper.programs.has("one")).toBe(false);
    expect(helper.diagnostics.map((d) => d.message)).toContain(
      "throws while loading: helper changed",
    );

    const { readdirSync } = await import("node:fs");
    const sub = join(cache, "load", readdirSync(join(cache, "load"))[0]!);
    for (const f of readdirSync(sub))
      if (f.endsWith(".catalog.json")) writeFileSync(join(sub, f), "{ not json");
    const corrupt = await loadCatalog(root, { cacheDir: cache });
    expect(corrupt.programs).toEqual(helper.programs);
    expect((await loadCatalog(root, { cacheDir: cache })).cache).toBe("hit");
    expect((await loadCatalog(root, { cacheDir: null })).cache).toBe("off");
  });

  it("writes nothing into the workspace, so a read-only one (like the Nix store) loads", async () => {
    const root = workspace({ "programs/a/one.ts": program("one") });
    const { readdirSync } = await import("node:fs");
    const before = readdirSync(root, { recursive: true }).sort();
    chmodSync(root, 0o555);
    const ws = await loadWorkspace(root, { cacheDir: cacheDir() });
    expect(ws.programs.has("one")).toBe(true);
    expect(readdirSync(root, { recursive: true }).sort()).toEqual(before);
  });
});
