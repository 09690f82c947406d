/**
 * The evaluation cache never serves a stale result (decision 0027): every kind of edit a user
 * makes between two builds changes the result, and the cached entry of an unchanged program is
 * reused. A damaged or unwritable cache only means evaluating again.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { timings } from "../src/adapters/timings.js";
import { realRoot, workspaceCacheDir } from "../src/load/bundle.js";
import { programsPath, resetCacheWarning } from "../src/load/eval-cache.js";
import { loadWorkspace } from "../src/load/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
beforeEach(() => {
  timings.cache.clear();
  resetCacheWarning();
});

const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

const config = (user = "u", a = "") =>
  `{ "hosts": { "h": { "platform": "nixos", "system": "x86_64-linux", "user": "${user}", "programs": { "a": ${a || "true"}, "b": true } } } }\n`;

const files = {
  "setup-mac.jsonc": config(),
  "programs/_lib/word.ts": `export const WORD = "helper1";\n`,
  "programs/x/a.ts": `import { defineProgram, z } from "setup-mac";
import { WORD } from "../_lib/word.js";
export default defineProgram({
  name: "a", description: "a",
  options: z.object({ n: z.number().default(1), tags: z.array(z.string()).default([]) }),
  config: ({ options, host }) => ({ env: { A: ["body1", WORD, options.n, options.tags.join("+"), host.user].join(":") } }),
});
`,
  "programs/x/b.ts": `import { defineProgram } from "setup-mac";
export default defineProgram({
  name: "b", description: "b",
  contributes: { a: { tags: ["from-b1"] } },
  config: () => ({ env: { B: "b" } }),
});
`,
};

function workspace(): { root: string; cache: string } {
  const root = temp("sm-evalcache-");
  for (const [path, text] of Object.entries(files)) write(root, path, text);
  return { root, cache: temp("sm-evalcache-dir-") };
}

function write(root: string, path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** Loads and returns a's `A` variable on host h (and the load's diagnostics). */
async function valueOfA(root: string, cacheDir: string | null, buildId = "test-build") {
  const ws = await loadWorkspace(root, { cacheDir, buildId, hosts: () => ["h"] });
  const lock = ws.evaluation?.hosts.get("h")?.lock;
  expect(ws.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return { value: lock?.programs.a?.home?.env?.A?.value, ws };
}

const EXPECTED = "body1:helper1:1:from-b1:u";

describe("evaluation cache: an edit is never served stale", () => {
  const edits: [string, (root: string) => void, string][] = [
    [
      "the module's body",
      (root) => write(root, "programs/x/a.ts", files["programs/x/a.ts"].replace("body1", "body2")),
      "body2:helper1:1:from-b1:u",
    ],
    [
      "a helper file the module imports",
      (root) => write(root, "programs/_lib/word.ts", `export const WORD = "helper2";\n`),
      "body1:helper2:1:from-b1:u",
    ],
    [
      "an option's default",
      (root) =>
        write(
          root,
          "programs/x/a.ts",
          files["programs/x/a.ts"].replace("z.number().default(1)", "z.number().default(7)"),
        ),
      "body1:helper1:7:from-b1:u",
    ],
    [
      "a config value",
      (root) => write(root, "setup-mac.jsonc", config("u", `{ "n": 3 }`)),
      "body1:helper1:3:from-b1:u",
    ],
    [
      "another module's contribution",
      (root) =>
        write(root, "programs/x/b.ts", files["programs/x/b.ts"].replace("from-b1", "from-b2")),
      "body1:helper1:1:from-b2:u",
    ],
    [
      "the host's facts",
      (root) => write(root, "setup-mac.jsonc", config("someone-else")),
      "body1:helper1:1:from-b1:someone-else",
    ],
  ];
  for (const [what, edit, expected] of edits) {
    it(`re-evaluates after an edit of ${what}`, async () => {
      const { root, cache } = workspace();
      expect((await valueOfA(root, cache)).value).toBe(EXPECTED);
      expect((await valueOfA(root, cache)).value).toBe(EXPECTED);
      edit(root);
      expect((await valueOfA(root, cache)).value).toBe(expected);
      // And the same without any cache, for the record.
      expect((await valueOfA(root, null)).value).toBe(expected);
    });
  }

  it("re-evaluates only the programs whose inputs changed", async () => {
    const { root, cache } = workspace();
    await valueOfA(root, cache);
    write(root, "setup-mac.jsonc", config("u", `{ "n": 3 }`));
    timings.cache.clear();
    expect((await valueOfA(root, cache)).value).toBe("body1:helper1:3:from-b1:u");
    expect(Object.fromEntries(timings.cache)).toEqual({
      "programs/x/a.ts": "miss",
      "programs/x/b.ts": "hit",
    });
  });

  it("never reuses what another build of setup-mac wrote", async () => {
    const { root, cache } = workspace();
    await valueOfA(root, cache, "build-1");
    // Make the stored entries recognisable, as if an older build had turned the same inputs into
    // another lock entry.
    const path = programsPath(workspaceCacheDir(realRoot(root), cache)!);
    const file = deserialize(readFileSync(path)) as {
      entries: Record<
        string,
        Record<string, [string, { home: { env: { A: { value: string } } } }]>
      >;
    };
    file.entries.h!.a![1].home.env.A.value = "from-another-build";
    writeFileSync(path, serialize(file));
    // A comment in the config: the whole-run answer is not reused, the programs' entries may be.
    write(root, "setup-mac.jsonc", "// edited\n" + config());
    expect((await valueOfA(root, cache, "build-1")).value).toBe("from-another-build");
    write(root, "setup-mac.jsonc", "// edited again\n" + config());
    expect((await valueOfA(root, cache, "build-2")).value).toBe(EXPECTED);
  });

  it("does not reuse the whole answer across builds of setup-mac", async () => {
    const { root, cache } = workspace();
    await valueOfA(root, cache, "build-1");
    timings.cache.clear();
    await valueOfA(root, cache, "build-1");
    expect(timings.cache.get("programs/x/a.ts")).toBe("hit");
    timings.cache.clear();
    await valueOfA(root, cache, "build-2");
    expect(timings.cache.get("programs/x/a.ts")).toBe("miss");
  });
});

describe("evaluation cache: damage is harmless", () => {
  const evalFiles = (root: string, cache: string) => {
    const dir = join(workspaceCacheDir(realRoot(root), cache)!, "eval");
    return readdirSync(dir).map((f) => join(dir, f));
  };

  it("evaluates again when the cache folder was deleted", async () => {
    const { root, cache } = workspace();
    await valueOfA(root, cache);
    rmSync(cache, { recursive: true, force: true });
    expect((await valueOfA(root, cache)).value).toBe(EXPECTED);
  });

  for (const [what, damage] of [
    ["truncated", (text: Buffer) => text.subarray(0, Math.floor(text.length / 2))],
    ["garbage", () => Buffer.from('{"not": "v8" ')],
    ["empty", () => Buffer.alloc(0)],
  ] as const) {
    it(`evaluates again when its files are ${what}`, async () => {
      const { root, cache } = workspace();
      await valueOfA(root, cache);
      const paths = evalFiles(root, cache);
      expect(paths.length).toBe(2);
      for (const p of paths) writeFileSync(p, damage(readFileSync(p)));
      // The answer is right even though the edit is one a damaged entry could hide.
      write(root, "setup-mac.jsonc", config("u", `{ "n": 4 }`));
      const { value, ws } = await valueOfA(root, cache);
      expect(value).toBe("body1:helper1:4:from-b1:u");
      expect(ws.diagnostics).toEqual([]);
      expect((await valueOfA(root, cache)).value).toBe("body1:helper1:4:from-b1:u");
    });
  }

  it("evaluates every time, and quietly, when the cache cannot be made", async () => {
    const { root } = workspace();
    const blocker = join(temp("sm-evalcache-ro-"), "a-file");
    writeFileSync(blocker, "not a folder");
    const first = await valueOfA(root, join(blocker, "cache"));
    expect(first.value).toBe(EXPECTED);
    // Like the bundle cache (`cache: "off"`), an evaluation cache that cannot exist is no error.
    expect(first.ws.cache).toBe("off");
    expect(first.ws.diagnostics).toEqual([]);
    write(root, "setup-mac.jsonc", config("u", `{ "n": 5 }`));
    const second = await valueOfA(root, join(blocker, "cache"));
    expect(second.value).toBe("body1:helper1:5:from-b1:u");
    expect(second.ws.diagnostics).toEqual([]);
  });
});

/**
 * The layer of decision 0031: module summaries (an unchanged module's code does not run at all),
 * resolved options by key, and answers made by the CLI from the cache alone. Each edit below
 * reaches a program through a path the first suite does not: a computed contribution reading
 * its contributor's options, `requires`, the JSON Schema's parts.
 */
describe("evaluation cache: summaries and resolved options are never stale", () => {
  const lazyFiles = {
    "setup-mac.jsonc": `{ "defaults": { "c": { "word": "c1" } }, "hosts": { "h": { "platform": "nixos", "system": "x86_64-linux", "user": "u", "programs": { "a": true, "c": true } } } }\n`,
    "programs/x/a.ts": `import { defineProgram, z } from "setup-mac";
export default defineProgram({
  name: "a", description: "a",
  requires: ["c"],
  options: z.object({ tags: z.array(z.string()).default([]).describe("tags1") }),
  config: ({ options, enabled }) => ({ env: { A: [options.tags.join("+"), enabled("d") ? "d-on" : "d-off"].join(":") } }),
});
`,
    "programs/x/c.ts": `import { defineProgram, z } from "setup-mac";
export default defineProgram({
  name: "c", description: "c",
  options: z.object({ word: z.string().default("c0") }),
  contributes: { a: ({ options, enabled }) => ({ tags: ["from-" + options.word + (enabled("d") ? "-d" : "")] }) },
});
`,
    "programs/x/d.ts": `import { defineProgram } from "setup-mac";
export default defineProgram({ name: "d", description: "d" });
`,
  };
  const setup = () => {
    const root = temp("sm-evalcache-lazy-");
    for (const [path, text] of Object.entries(lazyFiles)) write(root, path, text);
    return { root, cache: temp("sm-evalcache-lazy-dir-") };
  };
  const load = async (root: string, cache: string | null) => {
    const ws = await loadWorkspace(root, {
      cacheDir: cache,
      buildId: "test-build",
      hosts: () => ["h"],
      schema: true,
    });
    expect(ws.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
    return {
      value: ws.evaluation?.hosts.get("h")?.lock?.programs.a?.home?.env?.A?.value,
      schema: ws.schemaText ?? "",
      ws,
    };
  };

  const edits: [string, (root: string) => void, string][] = [
    [
      "the config value a computed contribution reads",
      (root) =>
        write(
          root,
          "setup-mac.jsonc",
          lazyFiles["setup-mac.jsonc"].replace(`"c": true`, `"c": { "word": "c2" }`),
        ),
      "from-c2:d-off",
    ],
    [
      "the computed contribution's code",
      (root) =>
        write(root, "programs/x/c.ts", lazyFiles["programs/x/c.ts"].replace(`"from-"`, `"by-"`)),
      "by-c1:d-off",
    ],
    [
      "the contributor's option default (the config no longer sets it)",
      (root) =>
        write(
          root,
          "setup-mac.jsonc",
          lazyFiles["setup-mac.jsonc"].replace(`"defaults": { "c": { "word": "c1" } }, `, ""),
        ),
      "from-c0:d-off",
    ],
    [
      "a shared default",
      (root) =>
        write(
          root,
          "setup-mac.jsonc",
          lazyFiles["setup-mac.jsonc"].replace(`"word": "c1"`, `"word": "c3"`),
        ),
      "from-c3:d-off",
    ],
    [
      "the enabled set (another program switched on)",
      (root) =>
        write(
          root,
          "setup-mac.jsonc",
          lazyFiles["setup-mac.jsonc"].replace(`"a": true`, `"a": true, "d": true`),
        ),
      "from-c1-d:d-on",
    ],
    [
      "a module's requires (its summary)",
      (root) =>
        write(
          root,
          "programs/x/a.ts",
          lazyFiles["programs/x/a.ts"].replace(`requires: ["c"]`, `requires: ["c", "d"]`),
        ),
      "from-c1-d:d-on",
    ],
  ];
  for (const [what, edit, expected] of edits) {
    it(`re-evaluates after an edit of ${what}`, async () => {
      const { root, cache } = setup();
      expect((await load(root, cache)).value).toBe("from-c1:d-off");
      // A comment only: the answer comes from the summaries and the memo.
      write(root, "setup-mac.jsonc", "// 1\n" + lazyFiles["setup-mac.jsonc"]);
      expect((await load(root, cache)).value).toBe("from-c1:d-off");
      edit(root);
      expect((await load(root, cache)).value).toBe(expected);
      expect((await load(root, null)).value).toBe(expected);
    });
  }

  it("answers a config edit that changes no value from the cache alone, without the isolate", async () => {
    const { root, cache } = setup();
    await load(root, cache);
    write(root, "setup-mac.jsonc", "// a comment\n" + lazyFiles["setup-mac.jsonc"]);
    timings.enabled = true;
    timings.spans.length = 0;
    try {
      expect((await load(root, cache)).value).toBe("from-c1:d-off");
      const spans = timings.spans.map((s) => s.name);
      expect(spans).toContain("answer from the evaluation cache");
      expect(spans).not.toContain("isolate");
    } finally {
      timings.enabled = false;
      timings.spans.length = 0;
    }
  });

  it("runs only the edited module's code after a config value edit", async () => {
    const { root, cache } = setup();
    await load(root, cache);
    write(
      root,
      "setup-mac.jsonc",
      lazyFiles["setup-mac.jsonc"].replace(`"a": true`, `"a": { "tags": ["t"] }`),
    );
    timings.enabled = true;
    timings.modules.clear();
    try {
      expect((await load(root, cache)).value).toBe("t+from-c1:d-off");
      // a's options and config changed; c's contribution is a function of c's options, which
      // did not change, but a's options merge it: c's code runs for that, d's never does.
      expect([...timings.modules.keys()].sort()).toEqual(["programs/x/a.ts", "programs/x/c.ts"]);
    } finally {
      timings.enabled = false;
      timings.modules.clear();
    }
  });

  it("makes the JSON Schema again from an edited module's options", async () => {
    const { root, cache } = setup();
    const first = await load(root, cache);
    expect(first.schema).toContain("tags1");
    write(root, "programs/x/a.ts", lazyFiles["programs/x/a.ts"].replace("tags1", "tags2"));
    const second = await load(root, cache);
    expect(second.schema).toContain("tags2");
    expect(second.schema).not.toContain("tags1");
    expect(second.schema).toBe((await load(root, null)).schema);
  });
});

describe("bundle overlay: an edit rebundles only the edited modules (decision 0031)", () => {
  const manifestOf = (root: string, cache: string) =>
    JSON.parse(
      readFileSync(join(workspaceCacheDir(realRoot(root), cache)!, "manifest.json"), "utf8"),
    ) as { overlay?: { modules: string[] }; base: { bundle: string } };

  it("bundles an edited module on its own, over the last whole bundle", async () => {
    const { root, cache } = workspace();
    await valueOfA(root, cache);
    const base = manifestOf(root, cache).base.bundle;
    write(root, "programs/x/a.ts", files["programs/x/a.ts"].replace("body1", "body2"));
    expect((await valueOfA(root, cache)).value).toBe("body2:helper1:1:from-b1:u");
    expect(manifestOf(root, cache)).toMatchObject({
      base: { bundle: base },
      overlay: { modules: ["programs/x/a.ts"] },
    });
    // The next edit, of another module: both are in the overlay, the base is still the same.
    write(root, "programs/x/b.ts", files["programs/x/b.ts"].replace("from-b1", "from-b2"));
    expect((await valueOfA(root, cache)).value).toBe("body2:helper1:1:from-b2:u");
    expect(manifestOf(root, cache).overlay?.modules.sort()).toEqual([
      "programs/x/a.ts",
      "programs/x/b.ts",
    ]);
    expect(manifestOf(root, cache).base.bundle).toBe(base);
    // Reverting an edit serves that module from the base again.
    write(root, "programs/x/a.ts", files["programs/x/a.ts"]);
    expect((await valueOfA(root, cache)).value).toBe("body1:helper1:1:from-b2:u");
    expect(manifestOf(root, cache).overlay?.modules).toEqual(["programs/x/b.ts"]);
  });

  it("rebundles the modules that import an edited helper", async () => {
    const { root, cache } = workspace();
    await valueOfA(root, cache);
    write(root, "programs/_lib/word.ts", `export const WORD = "helper3";\n`);
    expect((await valueOfA(root, cache)).value).toBe("body1:helper3:1:from-b1:u");
    expect(manifestOf(root, cache).overlay?.modules).toEqual(["programs/x/a.ts"]);
  });
});
