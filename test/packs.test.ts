/**
 * Packs against a registry on the loopback interface that serves real npm-shaped metadata and
 * tarballs made here with node-tar: add, integrity, rejection of a pack that does not load,
 * list, remove, search.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPack, parseSpec, removePack, searchPacks } from "../src/api/packs.js";
import { listPacks } from "../src/api/pack-state.js";
import { doctor } from "../src/api/doctor.js";
import { SetupMacError } from "../src/errors/index.js";
import { cli, cliAsync } from "./e2e/cli.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temp.push(d);
  return d;
};

const HELLO = (
  name: string,
  description = "says hello",
) => `import { defineProgram } from "setup-mac";
import { greeting } from "../_lib/words";
export default defineProgram({ name: "${name}", description: "${description}", config: () => ({ packages: [greeting] }) });
`;

/** Packs a folder of files as npm does (everything under package/) into a .tgz. */
async function tarball(
  files: Record<string, string>,
  links: Record<string, string> = {},
): Promise<Buffer> {
  const dir = tempDir("sm-pack-src-");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, "package", path)), { recursive: true });
    writeFileSync(join(dir, "package", path), text);
  }
  for (const [path, target] of Object.entries(links))
    symlinkSync(target, join(dir, "package", path));
  const out = join(dir, "pack.tgz");
  await tar.c({ gzip: true, cwd: dir, file: out, portable: true }, ["package"]);
  return readFileSync(out);
}

interface Published {
  tarball: Buffer;
  /** Lie about the integrity. */
  integrity?: string;
}
const registry = new Map<string, Map<string, Published>>();
let server: Server;
let base = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/-/v1/search") {
      const text = url.searchParams.get("text") ?? "";
      const words = text.split(" ").filter((w) => !w.startsWith("keywords:"));
      const objects = [...registry.keys()]
        .filter((n) => words.every((w) => n.includes(w)))
        .map((n) => ({
          package: {
            name: n,
            version: [...registry.get(n)!.keys()].at(-1),
            description: `the ${n} pack`,
          },
        }));
      res.end(JSON.stringify({ objects, total: objects.length }));
      return;
    }
    const tgz = /^\/(.+)\/-\/(\d+\.\d+\.\d+)\.tgz$/.exec(url.pathname);
    if (tgz) {
      const p = registry.get(decodeURIComponent(tgz[1]!))?.get(tgz[2]!);
      if (!p) return void res.writeHead(404).end();
      res.end(p.tarball);
      return;
    }
    const name = decodeURIComponent(url.pathname.slice(1));
    const versions = registry.get(name);
    if (!versions) return void res.writeHead(404).end("{}");
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        name,
        "dist-tags": { latest: [...versions.keys()].at(-1) },
        versions: Object.fromEntries(
          [...versions].map(([v, p]) => [
            v,
            {
              name,
              version: v,
              keywords: ["setup-mac-pack"],
              dist: {
                tarball: `${base}${name.replace("/", "%2f")}/-/${v}.tgz`,
                integrity:
                  p.integrity ??
                  `sha512-${createHash("sha512").update(p.tarball).digest("base64")}`,
              },
            },
          ]),
        ),
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

  const publish = async (
    name: string,
    version: string,
    files: Record<string, string>,
    extra: Partial<Published> = {},
  ) => {
    if (!registry.has(name)) registry.set(name, new Map());
    registry.get(name)!.set(version, { tarball: await tarball(files), ...extra });
  };
  const lib = { "programs/_lib/words.ts": 'export const greeting = "hello";\n' };
  await publish("hello-pack", "1.0.0", {
    "package.json": '{"name":"hello-pack","version":"1.0.0","scripts":{"postinstall":"rm -rf /"}}',
    "programs/tools/hello.ts": HELLO("hello"),
    "README.md": "not taken",
    "index.js": "not taken either",
    ...lib,
  });
  await publish("hello-pack", "1.1.0", {
    "programs/tools/hello.ts": HELLO("hello", "says hello, louder"),
    "programs/tools/hola.ts": HELLO("hola"),
    ...lib,
  });
  await publish("broken-pack", "1.0.0", { "programs/x/broken.ts": "export default {" });
  // Top-level code that must never run in the CLI: it would hang it, or end it with success.
  await publish("hanging-pack", "1.0.0", {
    "programs/x/hang.ts": `for (;;) {}\n${HELLO("hang")}`,
    ...lib,
  });
  await publish("exiting-pack", "1.0.0", {
    "programs/x/bye.ts": `process.exit(0);\n${HELLO("bye")}`,
    ...lib,
  });
  await publish(
    "tampered-pack",
    "1.0.0",
    { "programs/x/t.ts": HELLO("t") },
    { integrity: "sha512-AAAA" },
  );
  await publish("@team/tools", "2.0.0", {
    "programs/dev/team-tool.ts": HELLO("team-tool"),
    ...lib,
  });
  registry.get("@team/tools")!.get("2.0.0")!.tarball = await tarball(
    { "programs/dev/team-tool.ts": HELLO("team-tool"), ...lib },
    { "programs/dev/link.ts": "/etc/passwd" },
  );
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function workspace(): string {
  const root = tempDir("sm-packs-ws-");
  mkdirSync(join(root, "programs/cli"), { recursive: true });
  writeFileSync(
    join(root, "programs/cli/local.ts"),
    'import { defineProgram } from "setup-mac";\nexport default defineProgram({ name: "local", description: "mine" });\n',
  );
  writeFileSync(
    join(root, "setup-mac.jsonc"),
    '{\n  // my machines\n  "hosts": { "h": { "platform": "nixos", "system": "x86_64-linux", "user": "u", "programs": { "local": true } } },\n}\n',
  );
  return root;
}
/** Every file of a workspace (its cache aside) with its bytes. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && !path.startsWith(join(root, ".cache")))
      out[path.slice(root.length + 1)] = readFileSync(path, "base64");
  }
  return out;
}
const opts = (root: string) => ({
  workspace: root,
  registry: base,
  cacheDir: join(root, ".cache"),
});

describe("packs", () => {
  it("add: verifies the tarball, vendors only programs/, pins version and integrity, keeps comments", async () => {
    const root = workspace();
    // A killed earlier add left a hidden staging folder: it is swept, never loaded.
    mkdirSync(join(root, "packs/.hello-pack.next-99999/programs/tools"), { recursive: true });
    writeFileSync(
      join(root, "packs/.hello-pack.next-99999/programs/tools/half.ts"),
      "export default {",
    );
    const result = await addPack("hello-pack@1.0.0", opts(root));
    expect(result).toMatchObject({
      name: "hello-pack",
      version: "1.0.0",
      files: ["programs/_lib/words.ts", "programs/tools/hello.ts"],
      programs: ["hello"],
    });
    expect(existsSync(join(root, "packs/hello-pack/programs/tools/hello.ts"))).toBe(true);
    expect(existsSync(join(root, "packs/hello-pack/package.json"))).toBe(false);
    expect(existsSync(join(root, "packs/hello-pack/README.md"))).toBe(false);
    const config = readFileSync(join(root, "setup-mac.jsonc"), "utf8");
    expect(config).toContain("// my machines");
    expect(config).toMatch(
      /"packs": \{\s*"hello-pack": \{\s*"version": "1\.0\.0",\s*"integrity": "sha512-[^"]+"/,
    );
    // The pack's program is a program like any other.
    const r = cli(["--workspace", root, "programs", "list"], {
      env: { SETUP_MAC_CACHE_DIR: join(root, ".cache") },
    });
    expect(r.stdout).toMatch(/^hello +tools +darwin,nixos +- +says hello$/m);
    expect(listPacks({ workspace: root })).toEqual([
      { name: "hello-pack", version: "1.0.0", state: "ok" },
    ]);

    // latest moves to 1.1.0, with its new program; the old files go.
    const next = await addPack("hello-pack", opts(root));
    expect(next).toMatchObject({
      version: "1.1.0",
      replaced: "1.0.0",
      programs: ["hello", "hola"],
    });
    expect(readdirSync(join(root, "packs"))).toEqual(["hello-pack"]);

    // A pack folder without a pin is reported, not silently loaded.
    const configPath = join(root, "setup-mac.jsonc");
    const text = readFileSync(configPath, "utf8");
    writeFileSync(configPath, text.slice(0, text.indexOf('"packs"')) + "}\n");
    expect(listPacks({ workspace: root })).toEqual([
      { name: "hello-pack", version: "1.1.0", state: "unpinned" },
    ]);
  });

  it("refuses a tarball that does not match its integrity, and a pack whose modules do not load", async () => {
    const root = workspace();
    const before = readFileSync(join(root, "setup-mac.jsonc"), "utf8");
    const tampered = await addPack("tampered-pack", opts(root)).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(SetupMacError);
    expect((tampered as SetupMacError).diagnostics[0]!.message).toMatch(
      /^tampered-pack@1\.0\.0: the tarball does not match the registry's integrity \(sha512-AAAA, got sha512-/,
    );
    const broken = (await addPack("broken-pack", opts(root)).catch(
      (e: unknown) => e,
    )) as SetupMacError;
    expect(broken.diagnostics.map((d) => d.code)).toEqual(["module-syntax", "pack-rejected"]);
    expect(broken.diagnostics[0]!.location?.file).toBe("packs/broken-pack/programs/x/broken.ts");
    // Nothing stays behind.
    expect(readFileSync(join(root, "setup-mac.jsonc"), "utf8")).toBe(before);
    expect(existsSync(join(root, "packs/broken-pack"))).toBe(false);
    expect(existsSync(join(root, "packs/tampered-pack"))).toBe(false);
  });

  it("runs a pack's code only in the isolate: one that hangs or exits at import is refused, the workspace untouched", async () => {
    const root = workspace();
    // A generation and a lock of the last build: packs add must leave every byte as it was.
    const built = await cliAsync(["--workspace", root, "build"], {
      SETUP_MAC_CACHE_DIR: join(root, ".cache"),
    });
    expect(built.code, built.stderr).toBe(0);
    const before = tree(root);
    const hung = (await addPack("hanging-pack", {
      ...opts(root),
      limits: { moduleTimeoutMs: 500 },
    }).catch((e: unknown) => e)) as SetupMacError;
    expect(hung).toBeInstanceOf(SetupMacError);
    expect(hung.diagnostics.map((d) => [d.code, d.location?.file])).toEqual([
      ["module-timeout", "packs/hanging-pack/programs/x/hang.ts"],
      ["pack-rejected", undefined],
    ]);
    expect(tree(root)).toEqual(before);
    // Through the CLI: exit 1, never the pack's exit 0.
    const exited = await cliAsync(["--workspace", root, "packs", "add", "exiting-pack"], {
      SETUP_MAC_REGISTRY: base,
      SETUP_MAC_CACHE_DIR: join(root, ".cache"),
    });
    expect(exited.code, exited.stderr).toBe(1);
    expect(exited.stderr).toContain(
      "packs/exiting-pack/programs/x/bye.ts: error[module-exit]: ended the evaluation (exit code 0) while loading",
    );
    expect(exited.stderr).toContain("error[pack-rejected]: exiting-pack@1.0.0 was not added");
    expect(tree(root)).toEqual(before);
  });

  it("scoped packs install under packs/@scope/ and symbolic links in a tarball are not taken", async () => {
    const root = workspace();
    const result = await addPack("@team/tools@2.0.0", opts(root));
    expect(result.files).toEqual(["programs/_lib/words.ts", "programs/dev/team-tool.ts"]);
    expect(existsSync(join(root, "packs/@team/tools/programs/dev/link.ts"))).toBe(false);
  });

  it("list tells a pack edited by hand; remove refuses while a program is enabled", async () => {
    const root = workspace();
    await addPack("hello-pack@1.0.0", opts(root));
    writeFileSync(join(root, "packs/hello-pack/programs/tools/hello.ts"), HELLO("hello", "edited"));
    expect(listPacks({ workspace: root })).toEqual([
      {
        name: "hello-pack",
        version: "1.0.0",
        state: "modified",
        changed: ["programs/tools/hello.ts"],
      },
    ]);
    const r = cli(["--workspace", root, "packs", "list"], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^hello-pack +1\.0\.0 +modified: programs\/tools\/hello\.ts \(packs add hello-pack@1\.0\.0 restores it\)$/m,
    );
    const checked = await doctor({ workspace: root, cacheDir: join(root, ".cache") });
    expect(checked.findings.filter((f) => f.check === "packs")).toEqual([
      {
        check: "packs",
        severity: "warning",
        message: "hello-pack@1.0.0 was edited since it was installed: programs/tools/hello.ts",
        fix: "setup-mac packs add hello-pack@1.0.0 puts it back; to change a pack, copy the module into programs/ under another name",
      },
    ]);
    // In a git repository, a pack git does not track is one another checkout cannot load.
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: root });
    git("init", "-q");
    git("add", "setup-mac.jsonc", "programs");
    const untracked = await doctor({ workspace: root, cacheDir: join(root, ".cache") });
    expect(untracked.findings.find((f) => f.message.startsWith("packs/"))).toEqual({
      check: "git",
      severity: "warning",
      message:
        "packs/hello-pack is not tracked by git: another checkout of this repository cannot load the programs it brings",
      fix: "git add packs/hello-pack",
    });
    git("add", "packs");
    const tracked = await doctor({ workspace: root, cacheDir: join(root, ".cache") });
    expect(tracked.findings.find((f) => f.message.startsWith("packs/"))).toBeUndefined();

    const config = join(root, "setup-mac.jsonc");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace('"local": true', '"local": true, "hello": true'),
    );
    const refused = (await removePack("hello-pack", opts(root)).catch(
      (e: unknown) => e,
    )) as SetupMacError;
    expect(refused.diagnostics[0]!.message).toBe(
      "`hello-pack` cannot go while its programs are enabled: hello on h",
    );
    writeFileSync(config, readFileSync(config, "utf8").replace(', "hello": true', ""));
    expect(await removePack("hello-pack", opts(root))).toEqual({ programs: ["hello"] });
    expect(existsSync(join(root, "packs/hello-pack"))).toBe(false);
    expect(readFileSync(config, "utf8")).not.toContain("packs");
  });

  it("search asks the registry for packs; unknown names and ranges say what to do", async () => {
    expect((await searchPacks("hello", { registry: base })).map((h) => h.name)).toEqual([
      "hello-pack",
    ]);
    const root = workspace();
    const missing = (await addPack("no-such-pack", opts(root)).catch(
      (e: unknown) => e,
    )) as SetupMacError;
    expect(missing.diagnostics[0]!.message).toBe(`there is no package \`no-such-pack\` in ${base}`);
    const range = (await addPack("hello-pack@^1.0.0", opts(root)).catch(
      (e: unknown) => e,
    )) as SetupMacError;
    expect(range.diagnostics[0]!.message).toBe("`hello-pack` has no version or tag `^1.0.0`");
    expect(range.diagnostics[0]!.hint).toContain(
      "ranges are not taken: a pack is pinned to one version",
    );
    expect(parseSpec("@team/tools@next")).toEqual({ name: "@team/tools", want: "next" });
    expect(() => parseSpec("../evil")).toThrow("is not a pack name");
  });
});

describe("programs update with packs", () => {
  it("moves a pack to the registry's latest version; --dry-run only says so", async () => {
    const { update } = await import("../src/api/update.js");
    const root = workspace();
    await addPack("hello-pack@1.0.0", opts(root));
    const dry = await update({
      workspace: root,
      inputs: ["hello-pack"],
      registry: base,
      dryRun: true,
    });
    expect(dry.argv).toEqual([]); // no flake input was asked for: Nix is not run
    expect(dry.packs).toEqual([
      { name: "hello-pack", from: "1.0.0", to: "1.1.0", kind: "would-update" },
    ]);
    expect(listPacks({ workspace: root })[0]!.version).toBe("1.0.0");

    // No names and no flake.nix: the packs alone.
    const done = await update({ workspace: root, registry: base });
    expect(done.packs).toEqual([
      { name: "hello-pack", from: "1.0.0", to: "1.1.0", kind: "updated" },
    ]);
    expect(listPacks({ workspace: root })).toEqual([
      { name: "hello-pack", version: "1.1.0", state: "ok" },
    ]);
    // Asynchronously: the registry is this process's server.
    const again = await cliAsync(["--workspace", root, "programs", "update", "hello-pack"], {
      SETUP_MAC_REGISTRY: base,
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("pack hello-pack 1.1.0: already the latest\n");
  });
});
