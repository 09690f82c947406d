/**
 * Every writer and every server against real symlinks in real temporary workspaces: a link (or
 * `..`) that leads out of the workspace or the site is refused with `path-outside-workspace`, and
 * what lies outside is left byte for byte as it was. Servers are asked over loopback HTTP with
 * raw request paths (fetch would normalise `..` and `%2e%2e` away before sending).
 */
import { request } from "node:http";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { apply } from "../src/api/apply.js";
import { build } from "../src/api/build.js";
import {
  disablePrograms,
  enablePrograms,
  setProgramOption,
  unsetProgramOption,
} from "../src/api/config.js";
import { buildDocs, serveDocs } from "../src/api/docs.js";
import { init } from "../src/api/init.js";
import { migrate } from "../src/api/migrate.js";
import { addPack, removePack } from "../src/api/packs.js";
import { writePreviews } from "../src/api/previews.js";
import { scaffold } from "../src/api/scaffold.js";
import { SetupMacError } from "../src/errors/index.js";
import { startUi } from "../src/ui/server.js";
import { makeFixture, program, type Fixture } from "./apply/fixture.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A small workspace (one program, host `box`) and a folder outside it with a file in it. */
function setup(): { f: Fixture; out: string; opts: { workspace: string; cacheDir: string } } {
  const f = makeFixture(
    {
      tool: program(
        "tool",
        `config: () => ({ packages: ["tool"], files: { "~/.config/tool/rc": { text: "x" } } })`,
      ),
      other: program(
        "other",
        `options: z.object({ n: z.number().default(1) }), config: () => ({})`,
      ),
    },
    { tool: true },
  );
  const out = mkdtempSync(join(tmpdir(), "sm-outside-"));
  writeFileSync(join(out, "keep.txt"), "outside\n");
  temp.push(f.root, f.cache, out);
  return { f, out, opts: { workspace: f.root, cacheDir: f.cache } };
}

/** Everything under `dir` with contents, to show nothing outside changed. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (lstatSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else files[`${rel}${name}`] = readFileSync(p, "utf8");
    }
  };
  walk(dir, "");
  return files;
}

/** Runs `fn`, expects the refusal, returns its one diagnostic. */
async function refused(fn: () => Promise<unknown>) {
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SetupMacError);
  const e = error as SetupMacError;
  expect(e.exitCode).toBe(1);
  const outside = e.diagnostics.filter((d) => d.code === "path-outside-workspace");
  expect(outside).toHaveLength(1);
  return outside[0]!;
}

describe("the config file", () => {
  it("is refused by every edit when it is a symlink out of the workspace", async () => {
    const { f, out, opts } = setup();
    writeFileSync(join(out, "setup-mac.jsonc"), f.config());
    rmSync(join(f.root, "setup-mac.jsonc"));
    symlinkSync(join(out, "setup-mac.jsonc"), join(f.root, "setup-mac.jsonc"));
    const before = snapshot(out);
    const d = await refused(() => enablePrograms(["other"], opts));
    expect(d.location?.file).toBe("setup-mac.jsonc");
    expect(d.message).toBe(
      `setup-mac.jsonc (the config file) is a symlink to ${join(out, "setup-mac.jsonc")}, outside the workspace; setup-mac only writes inside the workspace`,
    );
    expect(d.hint).toBe(
      "replace the symlink with a real file (move what it points to into the workspace), or move the workspace",
    );
    await refused(() => disablePrograms(["tool"], opts));
    await refused(() => setProgramOption("other", "n", 2, { ...opts, hosts: ["box"] }));
    await refused(() => unsetProgramOption("other", "n", { ...opts, hosts: ["box"] }));
    expect(snapshot(out)).toEqual(before);
  });

  it("is edited in place, the link kept, when the link stays inside the workspace", async () => {
    const { f, opts } = setup();
    mkdirSync(join(f.root, "config"));
    writeFileSync(join(f.root, "config/setup-mac.jsonc"), f.config());
    rmSync(join(f.root, "setup-mac.jsonc"));
    symlinkSync("config/setup-mac.jsonc", join(f.root, "setup-mac.jsonc"));
    const result = await enablePrograms(["other"], opts);
    expect(result.changed).toBe(true);
    expect(lstatSync(join(f.root, "setup-mac.jsonc")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(f.root, "config/setup-mac.jsonc"), "utf8")).toContain('"other": true');
  });
});

describe("the state folder and the lock", () => {
  it("build refuses a .setup-mac that leads out, and a lock file linked out", async () => {
    const { f, out, opts } = setup();
    symlinkSync(out, join(f.root, ".setup-mac"));
    const before = snapshot(out);
    const d = await refused(() => build(opts));
    expect(d.message).toBe(
      `.setup-mac (the state folder) is a symlink to ${out}, outside the workspace; setup-mac only writes inside the workspace`,
    );
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(join(f.root, "setup-mac.lock.json"))).toBe(false);

    rmSync(join(f.root, ".setup-mac"));
    writeFileSync(join(out, "lock.json"), "{}\n");
    symlinkSync(join(out, "lock.json"), join(f.root, "setup-mac.lock.json"));
    const lock = await refused(() => build(opts));
    expect(lock.location?.file).toBe("setup-mac.lock.json");
    expect(lock.message).toContain("(the lock file) is a symlink to");
    expect(readFileSync(join(out, "lock.json"), "utf8")).toBe("{}\n");
  });

  it("apply refuses generations or logs that lead out, before it runs anything", async () => {
    const { f, out, opts } = setup();
    mkdirSync(join(f.root, ".setup-mac"));
    symlinkSync(out, join(f.root, ".setup-mac/generations"));
    const before = snapshot(out);
    const base = { ...opts, host: "box", yes: true, runner: f.runner };
    const d = await refused(() => apply(base));
    expect(d.location?.file).toBe(".setup-mac/generations");
    expect(f.calls()).toEqual([]);
    expect(existsSync(join(f.root, "setup-mac.lock.json"))).toBe(false);

    rmSync(join(f.root, ".setup-mac/generations"));
    symlinkSync(out, join(f.root, ".setup-mac/logs"));
    expect((await refused(() => apply(base))).location?.file).toBe(".setup-mac/logs");
    expect(f.calls()).toEqual([]);
    expect(snapshot(out)).toEqual(before);
  });
});

describe("packs", () => {
  it("add refuses a pack folder linked out before it fetches; remove leaves the target alone", async () => {
    const { f, out, opts } = setup();
    mkdirSync(join(f.root, "packs"));
    symlinkSync(out, join(f.root, "packs/foo"));
    const before = snapshot(out);
    // Nothing listens on port 9: a fetch would fail with pack-fetch, not this.
    const d = await refused(() =>
      addPack("foo@1.0.0", { ...opts, registry: "http://127.0.0.1:9/" }),
    );
    expect(d.message).toBe(
      `packs/foo (the pack's folder) is a symlink to ${out}, outside the workspace; setup-mac only writes inside the workspace`,
    );
    await refused(() => removePack("foo", opts));
    expect(snapshot(out)).toEqual(before);

    rmSync(join(f.root, "packs/foo"));
    symlinkSync(out, join(f.root, "packs/@you"));
    expect((await refused(() => removePack("@you/dev", opts))).location?.file).toBe("packs/@you");
  });
});

describe("init, migrate, programs new, previews", () => {
  it("init refuses a setup-mac/ that leads out and writes nothing at all", async () => {
    const root = mkdtempSync(join(tmpdir(), "sm-init-"));
    const out = mkdtempSync(join(tmpdir(), "sm-outside-"));
    temp.push(root, out);
    symlinkSync(out, join(root, "setup-mac"));
    const d = await refused(() => init({ workspace: root, env: { USER: "lars" } }));
    expect(d.location?.file).toBe("setup-mac");
    expect(readdirSync(out)).toEqual([]);
    expect(readdirSync(root).sort()).toEqual(["setup-mac"]);
  });

  it("migrate and programs new refuse a programs folder that leads out", async () => {
    const { f, out } = setup();
    rmSync(join(f.root, "programs"), { recursive: true });
    symlinkSync(out, join(f.root, "programs"));
    const before = snapshot(out);
    const d = await refused(() => scaffold("ripgrep", { workspace: f.root, template: "cli" }));
    expect(d.location?.file).toBe("programs");
    expect(d.message).toBe(
      `programs is a symlink to ${out}, outside the workspace; setup-mac only writes inside the workspace (it was to write programs/cli/ripgrep.ts, the new module)`,
    );
    const src = fileURLToPath(new URL("fixtures/migrate/nix/home.nix", import.meta.url));
    const m = await refused(() => migrate([src], { workspace: f.root }));
    expect(m.location?.file).toBe("programs");
    expect(snapshot(out)).toEqual(before);
  });

  it("previews refuse an --out inside the workspace that leads out; elsewhere is the user's choice", async () => {
    const { f, out, opts } = setup();
    const { lock } = await build({ ...opts, dryRun: true });
    symlinkSync(out, join(f.root, "previews"));
    const before = snapshot(out);
    await refused(() => writePreviews(lock, join(f.root, "previews"), { workspace: f.root }));
    expect(snapshot(out)).toEqual(before);
    const chosen = join(out, "chosen");
    const written = await writePreviews(lock, chosen, { workspace: f.root });
    expect(written.length).toBeGreaterThan(0);
  });
});

/** A GET with the path sent exactly as given; resolves to the status and body. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the docs site and its server", () => {
  it("docs build refuses a docs folder that leads out", async () => {
    const { f, out, opts } = setup();
    mkdirSync(join(f.root, ".setup-mac"));
    symlinkSync(out, join(f.root, ".setup-mac/docs"));
    const before = snapshot(out);
    const d = await refused(() => buildDocs(opts));
    expect(d.location?.file).toBe(".setup-mac/docs");
    expect(snapshot(out)).toEqual(before);
  });

  it("docs serve answers 404 for .., %2e%2e and links out of the site, 200 inside", async () => {
    const { out, opts } = setup();
    const site = await buildDocs(opts);
    writeFileSync(join(out, "secret.html"), "<p>secret</p>");
    writeFileSync(join(site.out, "..", "beside.html"), "<p>beside the site</p>");
    symlinkSync(join(out, "secret.html"), join(site.out, "leak.html"));
    symlinkSync(out, join(site.out, "elsewhere"));
    symlinkSync("index.html", join(site.out, "alias.html"));
    const { server, url } = await serveDocs(site.out);
    const port = Number(new URL(url).port);
    try {
      expect((await rawGet(port, "/")).status).toBe(200);
      expect((await rawGet(port, "/alias.html")).status).toBe(200);
      for (const path of [
        "/leak.html",
        "/elsewhere/secret.html",
        "/../beside.html",
        "/%2e%2e/beside.html",
        "/%2E%2E%2Fbeside.html",
        "/..%2fbeside.html",
        "/elsewhere%2fsecret.html",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      ]) {
        const answer = await rawGet(port, path);
        expect({ path, ...answer }).toEqual({ path, status: 404, body: "not found\n" });
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("the dashboard", () => {
  it("answers 404 to .. and %2e%2e, and its Save refuses a config linked out", async () => {
    const { f, out, opts } = setup();
    const assets = fileURLToPath(new URL("../dist/ui/", import.meta.url));
    const ui = await startUi({ ...opts, assets, port: 0 });
    try {
      // The URL parser folds `..` and `%2e%2e` before the token is checked: what climbs above
      // the token has no token (403); an encoded slash stays one unknown name (404).
      for (const [path, status] of [
        [`/${ui.token}/../../../etc/passwd`, 403],
        [`/${ui.token}/%2e%2e/%2e%2e/etc/passwd`, 403],
        [`/${ui.token}/%2e%2e/app.js`, 403],
        [`/${ui.token}/..%2f..%2fsetup-mac.jsonc`, 404],
        [`/${ui.token}/%2e%2e%2fsetup-mac.jsonc`, 404],
      ] as const) {
        const answer = await rawGet(ui.port, path);
        expect({ path, status: answer.status }).toEqual({ path, status });
        expect(answer.body).not.toContain("hosts");
      }
      writeFileSync(join(out, "setup-mac.jsonc"), f.config());
      rmSync(join(f.root, "setup-mac.jsonc"));
      symlinkSync(join(out, "setup-mac.jsonc"), join(f.root, "setup-mac.jsonc"));
      const before = snapshot(out);
      const response = await fetch(`${ui.url}api/save`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: `http://127.0.0.1:${ui.port}` },
        body: JSON.stringify({ program: "other", host: "box", set: { n: 3 } }),
      });
      expect(response.status).toBe(422);
      const answer = (await response.json()) as { problems: { code: string }[] };
      expect(answer.problems.map((p) => p.code)).toEqual(["path-outside-workspace"]);
      expect(snapshot(out)).toEqual(before);
    } finally {
      await ui.close();
    }
  });
});
