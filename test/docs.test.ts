/** `setup-mac docs build/serve` on the example and on hostile input, as a user runs them. */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDocs } from "../src/api/docs.js";
import { typeText } from "../src/emit/docs.js";
import { SetupMacError } from "../src/errors/index.js";
import { BIN, cli, copyExampleTo } from "./e2e/cli.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

function example(): string {
  const dir = mkdtempSync(join(tmpdir(), "sm-docs-"));
  temp.push(dir);
  copyExampleTo(join(dir, "ws"));
  return join(dir, "ws");
}

/** Every `href`/`src` of a page that is not an absolute http(s) link must name a file of the site. */
function brokenLinks(out: string, files: string[]): string[] {
  const broken: string[] = [];
  for (const file of files.filter((f) => f.endsWith(".html"))) {
    const html = readFileSync(join(out, file), "utf8");
    for (const [, target] of html.matchAll(/(?:href|src)="([^"]*)"/g)) {
      if (/^https?:\/\//.test(target!)) continue;
      if (!existsSync(resolve(dirname(join(out, file)), target!)))
        broken.push(`${file} → ${target}`);
    }
  }
  return broken;
}

describe("docs build", () => {
  it("writes an index and a page per program of the example, every link resolving", async () => {
    const ws = example();
    const r = cli(["--workspace", ws, "docs", "build"], {
      env: { SETUP_MAC_CACHE_DIR: join(ws, "..", "cache") },
    });
    expect(r.code).toBe(0);
    const out = join(ws, ".setup-mac/docs");
    expect(r.stdout).toBe(`wrote  ${out}/index.html (21 program pages, 25 files)\n`);
    const result = await buildDocs({ workspace: ws, cacheDir: null });
    expect(result.files).toContain("programs/vscode.html");
    expect(brokenLinks(out, result.files)).toEqual([]);

    const index = readFileSync(join(out, "index.html"), "utf8");
    expect(index).toContain("<p>21 programs on 2 hosts.</p>");
    expect(index).toMatch(
      /<tr data-search="[^"]*" data-program="vscode"><td><a href="programs\/vscode\.html">vscode<\/a><\/td><td>editors<\/td><td>darwin, nixos<\/td><td>evo-x2, macbook<\/td>/,
    );
    const vscode = readFileSync(join(out, "programs/vscode.html"), "utf8");
    expect(vscode).toContain('<dt>requires</dt><dd><a href="../programs/git.html">git</a></dd>');
    expect(vscode).toContain(
      '<dt>conflicts with</dt><dd><a href="../programs/vscodium.html">vscodium</a></dd>',
    );
    expect(vscode).toMatch(
      /<tr><td><code>fontSize<\/code><\/td><td>integer, [^<]+<\/td><td><code>\d+<\/code><\/td>/,
    );
    const ollama = readFileSync(join(out, "programs/ollama.html"), "utf8");
    expect(ollama).toContain("<code>server (system, as ollama)</code>");
    expect(ollama).toContain("<code>tank/ai/ollama</code>");
    // Nothing runs but the site's own script; every page says so.
    for (const file of result.files.filter((f) => f.endsWith(".html")))
      expect(readFileSync(join(out, file), "utf8")).toContain(
        "default-src 'none'; style-src 'self'; script-src 'self'",
      );
  });

  it("escapes whatever a module says, and links only http(s) homepages", async () => {
    const ws = mkdtempSync(join(tmpdir(), "sm-docs-hostile-"));
    temp.push(ws);
    mkdirSync(join(ws, "programs/x"), { recursive: true });
    const evil = `<script>alert(1)</script>"'&`;
    writeFileSync(
      join(ws, "programs/x/evil.ts"),
      `import { defineProgram, z } from "setup-mac";
export default defineProgram({
  name: "evil",
  description: ${JSON.stringify(evil)},
  homepage: "javascript:alert(1)",
  options: z.object({ "a<b": z.string().default(${JSON.stringify(`"><img src=x onerror=alert(1)>`)}).describe(${JSON.stringify(evil)}) }),
  config: () => ({ env: { ${JSON.stringify("EVIL")}: ${JSON.stringify(evil)} } }),
});
`,
    );
    writeFileSync(
      join(ws, "setup-mac.jsonc"),
      JSON.stringify({
        hosts: {
          "h<1": undefined,
          h: {
            platform: "nixos",
            system: "x86_64-linux",
            user: "u",
            description: evil,
            programs: { evil: true },
          },
        },
      }),
    );
    const result = await buildDocs({ workspace: ws, cacheDir: null, out: join(ws, "site") });
    const all = result.files.map((f) => readFileSync(join(ws, "site", f), "utf8")).join("\n");
    expect(all).not.toContain("<script>alert");
    expect(all).not.toContain("<img");
    expect(all).not.toContain("javascript:");
    expect(all).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;");
    expect(all).toContain("<code>a&lt;b</code>");
  });

  it("replaces only a folder it wrote itself (or an empty one)", async () => {
    const ws = example();
    const mine = join(ws, "..", "site");
    await buildDocs({ workspace: ws, cacheDir: null, out: mine });
    writeFileSync(join(mine, "programs/stale.html"), "old");
    await buildDocs({ workspace: ws, cacheDir: null, out: mine });
    expect(existsSync(join(mine, "programs/stale.html"))).toBe(false);

    const empty = join(ws, "..", "empty");
    mkdirSync(empty);
    await buildDocs({ workspace: ws, cacheDir: null, out: empty });
    expect(existsSync(join(empty, "index.html"))).toBe(true);

    // The workspace itself, say: never replaced.
    const error = await buildDocs({ workspace: ws, cacheDir: null, out: ws }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SetupMacError);
    expect((error as SetupMacError).message).toContain(
      `${ws} exists and is not a documentation folder setup-mac wrote`,
    );
    expect(existsSync(join(ws, "programs/editors/vscode.ts"))).toBe(true);
  });
});

describe("docs serve", () => {
  it("serves the site on 127.0.0.1 and nothing outside it, until stopped", async () => {
    const ws = example();
    const child = spawn(
      process.execPath,
      [BIN, "--workspace", ws, "docs", "serve", "--port", "0"],
      {
        env: { ...process.env, NO_COLOR: "1", SETUP_MAC_CACHE_DIR: join(ws, "..", "cache") },
      },
    );
    let stdout = "";
    const url = await new Promise<string>((resolveUrl, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
        if (m) resolveUrl(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`exited ${String(code)}: ${stdout}`)));
    });
    try {
      expect(stdout).toMatch(
        /^Serving 21 programs at http:\/\/127\.0\.0\.1:\d+\/ \(this machine only; Ctrl-C stops\)\n/,
      );
      const index = await fetch(url);
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await index.text()).toContain("21 programs on 2 hosts");
      expect((await fetch(`${url}programs/git.html`)).status).toBe(200);
      expect((await fetch(`${url}style.css`)).headers.get("content-type")).toBe(
        "text/css; charset=utf-8",
      );
      for (const path of [
        "..%2F..%2Fsetup-mac.jsonc",
        "%2e%2e/%2e%2e/flake.nix",
        ".setup-mac-docs",
        "programs/nope.html",
      ])
        expect((await fetch(`${url}${path}`)).status, path).toBe(404);
      expect((await fetch(url, { method: "POST" })).status).toBe(405);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(0);
  });
});

describe("typeText", () => {
  it("says a JSON Schema's type in a few words", () => {
    expect(typeText({ type: "integer", minimum: 1, maximum: 65535 })).toBe("integer, 1–65535");
    expect(
      typeText({ type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 }),
    ).toBe("integer");
    expect(typeText({ type: "array", items: { type: "string" } })).toBe("list of string");
    expect(
      typeText({
        type: "object",
        propertyNames: { type: "string" },
        additionalProperties: { type: "boolean" },
      }),
    ).toBe("map of string → boolean");
    expect(typeText({ type: "string", enum: ["dark", "light"] })).toBe('"dark" | "light"');
    expect(typeText({ type: ["string", "null"], format: "email" })).toBe("string (email) or null");
    expect(typeText({ anyOf: [{ type: "boolean" }, { const: "auto" }] })).toBe('boolean | "auto"');
    expect(typeText({})).toBe("any");
    expect(typeText({ type: "string", "x-setup-mac-merge": "lines" })).toBe("lines");
    expect(typeText({ type: ["string", "null"], "x-setup-mac-merge": "lines" })).toBe(
      "lines or null",
    );
  });
});
