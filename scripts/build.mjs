// Builds dist/: the CLI as one ES module bundle with lazily loaded verbs (code splitting), and the
// library entry. esbuild stays external: it ships a native binary per platform; so does
// web-tree-sitter, whose WebAssembly files are read from its package.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

// The build's identity: every source file and the locked dependencies. Caches of derived data
// (catalog, JSON Schema) are keyed on it, so a rebuilt CLI never reads what another build wrote.
const hash = createHash("sha256");
const sources = readdirSync(new URL("../src", import.meta.url), { recursive: true })
  .filter((f) => f.endsWith(".ts"))
  .sort();
for (const file of sources) {
  hash.update(file);
  hash.update(readFileSync(new URL(`../src/${file}`, import.meta.url)));
}
hash.update(readFileSync(new URL("../package-lock.json", import.meta.url)));
const buildId = hash.digest("hex").slice(0, 16);
// Build into a fresh folder and swap it in, so a CLI running meanwhile never sees half a dist/.
const dist = new URL("../dist", import.meta.url);
const next = new URL(`../dist.next-${process.pid}`, import.meta.url);
const old = new URL(`../dist.old-${process.pid}`, import.meta.url);
rmSync(next, { recursive: true, force: true });

await build({
  // isolate: the worker that loads and evaluates program modules (decision 0022).
  entryPoints: { cli: "src/cli/main.ts", index: "src/index.ts", isolate: "src/isolate/worker.ts" },
  outdir: `dist.next-${process.pid}`,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  // jsonc-parser's UMD "main" breaks inside a bundle; its ES module build does not.
  mainFields: ["module", "main"],
  // web-tree-sitter finds its tree-sitter.wasm next to its own file, so it stays in node_modules.
  external: ["esbuild", "web-tree-sitter"],
  define: {
    __SETUP_MAC_VERSION__: JSON.stringify(pkg.version),
    __SETUP_MAC_BUILD__: JSON.stringify(buildId),
  },
  chunkNames: "chunks/[name]-[hash]",
  // Bundled CommonJS dependencies (write-file-atomic) expect require, __filename and __dirname.
  banner: {
    js: [
      'import { createRequire as __createRequire } from "node:module";',
      'import { fileURLToPath as __fileURLToPath } from "node:url";',
      "const require = __createRequire(import.meta.url);",
      "const __filename = __fileURLToPath(import.meta.url);",
      'const __dirname = __fileURLToPath(new URL(".", import.meta.url));',
    ].join(" "),
  },
  logLevel: "warning",
});

// The dashboard's page (`setup-mac ui`): one browser bundle and one stylesheet, no external assets.
await build({
  entryPoints: { app: "src/ui/client/main.ts" },
  outdir: `dist.next-${process.pid}/ui`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
// The docs site's search: MiniSearch and its page script, one classic script (the site also works
// from file://, where modules are refused).
await build({
  entryPoints: ["src/emit/docs-search/client.ts"],
  outfile: `dist.next-${process.pid}/docs/search.js`,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync("src/ui/client/style.css", `dist.next-${process.pid}/ui/app.css`);
// migrate --from-flake's evaluation function, read at run time (decision 0024).
mkdirSync(`dist.next-${process.pid}/migrate`, { recursive: true });
copyFileSync("src/migrate/from-flake.nix", `dist.next-${process.pid}/migrate/from-flake.nix`);

try {
  renameSync(dist, old);
} catch {
  /* no previous build */
}
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
