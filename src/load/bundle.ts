/**
 * Loads every program module of a workspace with ONE esbuild bundle instead of one transpile per
 * file, cached by content hash outside the source folder (which may be read-only, e.g. in the Nix
 * store). Each module is wrapped so that it is evaluated on its own: one module that throws names
 * its file and does not take the others down.
 *
 * `import … from "setup-mac"` inside a module resolves to the running CLI itself through a global,
 * so a workspace needs no node_modules.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve as resolvePath, sep } from "node:path";
import { builtinModules, createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import type { DiscoveredModule } from "./discover.js";
import { writeCacheFile } from "../adapters/atomic-write.js";
import { sha256 } from "../emit/hash.js";
import * as apiSurface from "../api-surface.js";

/** Bumped whenever the bundle's shape changes, so old caches are never read. */
const BUNDLE_FORMAT = 5;

export const API_GLOBAL = "setup-mac.api";
/** Where the isolate puts the `require` a bundle uses for Node built-ins (see `moduleRequire`). */
export const REQUIRE_GLOBAL = "setup-mac.require";

/**
 * Node built-ins a program module may use: computation only. Evaluation is a pure function of the
 * module's inputs (decision 22), so files, processes, the network, the host's facts from `os` and
 * the module system itself are out of reach; a module reads the host through `host`.
 */
export const PURE_BUILTINS: ReadonlySet<string> = new Set([
  "assert",
  "assert/strict",
  "buffer",
  "crypto",
  "events",
  "path",
  "path/posix",
  "path/win32",
  "punycode",
  "querystring",
  "string_decoder",
  "url",
  "util",
]);

/** The built-in's name without `node:`, when `id` names a Node built-in. */
export function builtinName(id: string): string | undefined {
  const bare = id.startsWith("node:") ? id.slice(5) : id;
  return builtinModules.includes(bare) || id.startsWith("node:") ? bare : undefined;
}

function impureBuiltinHint(name: string): string {
  return `program modules are pure functions of their inputs: \`${name}\` is not available while they evaluate; read the machine through \`host\`, ship files with \`files\`, and run commands in \`hooks\` (they run at apply time)`;
}

/**
 * Where the bundle's code is: a file in the cache, or (with the cache off) the code itself, or two
 * layered files (decision 0031): the last whole bundle for the modules unchanged since, and one of
 * the edited modules; `map` gives, per module, its layer and its index in that layer.
 */
export type BundleSource =
  { path: string } | { code: string } | { layers: string[]; map: [layer: number, index: number][] };

export interface BundleResult {
  /**
   * The bundle to import (in the isolate, never here): its `modules` export holds one loader per
   * module, in discovery order. Undefined when the modules do not bundle (see `diagnostics`).
   */
  source?: BundleSource;
  /** sha256 of each module file's bytes, by workspace-relative path. */
  hashes: Map<string, string>;
  diagnostics: Diagnostic[];
  cache: "hit" | "miss" | "off";
  /** Where the bundle lives in the cache, when it came from or went into it. */
  cached?: CachedBundle;
  /**
   * Per module file: a hash of its bytes and of every helper file it imports, directly or not
   * (the evaluation cache's key for its code). Missing for a module when one of them could not
   * be hashed.
   */
  closures: Map<string, string>;
}

/** A bundle in the load cache: its folder and file name (the name is its content key). */
export interface CachedBundle {
  dir: string;
  bundle: string;
}

interface Manifest {
  format: number;
  esbuild: string;
  modules: string[];
  /** Every file the bundle was built from (modules and their helpers) → sha256. */
  inputs: Record<string, string>;
  /** Per module: the helper files it imports, directly or not, sorted. */
  deps: Record<string, string[]>;
  /** The name derived caches key on: the overlay's when there is one, else the base's. */
  bundle: string;
  /** The last whole bundle, with what it was built from. */
  base: {
    bundle: string;
    modules: string[];
    inputs: Record<string, string>;
    deps: Record<string, string[]>;
  };
  /** The modules edited since the base, bundled on their own (decision 0031). */
  overlay?: { bundle: string; modules: string[] };
}

/**
 * An edit rebundles only the edited modules (and those whose helpers changed) into an overlay on
 * the last whole bundle, up to this many modules (or 5% of them, when more); past it, everything
 * is bundled again into a new base.
 */
export const OVERLAY_LIMIT = 50;

function layeredSource(dir: string, manifest: Manifest): BundleSource {
  if (!manifest.overlay) return { path: join(dir, manifest.base.bundle) };
  const base = new Map(manifest.base.modules.map((f, i) => [f, i]));
  const overlay = new Map(manifest.overlay.modules.map((f, i) => [f, i]));
  return {
    layers: [join(dir, manifest.base.bundle), join(dir, manifest.overlay.bundle)],
    map: manifest.modules.map((f) =>
      overlay.has(f) ? [1, overlay.get(f)!] : [0, base.get(f) ?? -1],
    ),
  };
}

export { sha256 };

/** Where the load cache lives: `$SETUP_MAC_CACHE_DIR`, else `$XDG_CACHE_HOME/setup-mac`, else `~/.cache/setup-mac`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SETUP_MAC_CACHE_DIR) return env.SETUP_MAC_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "setup-mac");
}

function readHashes(
  root: string,
  files: Iterable<string>,
  known?: ReadonlyMap<string, string>,
): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const file of files) {
    try {
      out.set(file, known?.get(file) ?? sha256(readFileSync(join(root, file))));
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * The workspace folder as esbuild sees it: symbolic links resolved, so the inputs it reports are
 * inside it (through a link they would be `../…` paths that cannot be hashed, and nothing cached).
 */
export function realRoot(root: string): string {
  const abs = resolvePath(root);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/** The workspace's folder in the load cache, or null when the cache is off. */
export function workspaceCacheDir(
  absRoot: string,
  cacheDir: string | null | undefined,
): string | null {
  return cacheDir === null
    ? null
    : join(cacheDir ?? cacheRoot(), "load", sha256(absRoot).slice(0, 16));
}

/**
 * The cached bundle that was built from exactly these module files and helpers, byte for byte, or
 * undefined. `hashes` holds the module files' hashes; helpers are hashed here.
 */
export function validCachedBundle(
  root: string,
  cacheDir: string,
  files: readonly string[],
  hashes: ReadonlyMap<string, string>,
):
  | (CachedBundle & {
      inputs: Record<string, string>;
      deps: Record<string, string[]>;
      source: BundleSource;
    })
  | undefined {
  const manifest = readManifest(cacheDir);
  if (!manifest) return undefined;
  if (manifest.modules.length !== files.length || manifest.modules.some((f, i) => f !== files[i]))
    return undefined;
  for (const [file, hash] of Object.entries(manifest.inputs)) {
    const known = hashes.get(file);
    if (known !== undefined) {
      if (known !== hash) return undefined;
      continue;
    }
    // A helper file: hash it now.
    try {
      if (sha256(readFileSync(join(root, file))) !== hash) return undefined;
    } catch {
      return undefined;
    }
  }
  if (!existsSync(join(cacheDir, manifest.base.bundle))) return undefined;
  if (manifest.overlay && !existsSync(join(cacheDir, manifest.overlay.bundle))) return undefined;
  if (typeof manifest.deps !== "object" || manifest.deps === null) return undefined;
  return {
    dir: cacheDir,
    bundle: manifest.bundle,
    inputs: manifest.inputs,
    deps: manifest.deps,
    source: layeredSource(cacheDir, manifest),
  };
}

function readManifest(cacheDir: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(cacheDir, "manifest.json"), "utf8")) as Manifest;
    if (manifest.format !== BUNDLE_FORMAT) return undefined;
    const base = manifest.base as Partial<Manifest["base"]> | undefined;
    if (!base || !Array.isArray(base.modules) || typeof base.inputs !== "object") return undefined;
    if (typeof base.deps !== "object" || typeof base.bundle !== "string") return undefined;
    return manifest;
  } catch {
    return undefined;
  }
}

/**
 * The modules the base bundle of `manifest` still serves: same file bytes, same helpers' bytes,
 * and no helper that has become a program module since (importing one is an error).
 */
function servedByBase(
  root: string,
  manifest: Manifest,
  files: readonly string[],
  hashes: ReadonlyMap<string, string>,
): Set<string> {
  const { base } = manifest;
  const inBase = new Set(base.modules);
  const current = new Map(hashes);
  const hashOf = (file: string) => {
    if (!current.has(file)) {
      try {
        current.set(file, sha256(readFileSync(join(root, file))));
      } catch {
        current.set(file, "");
      }
    }
    return current.get(file);
  };
  const modules = new Set(files);
  const out = new Set<string>();
  for (const file of files) {
    const deps = base.deps[file];
    if (!inBase.has(file) || !deps || base.inputs[file] !== hashes.get(file)) continue;
    if (deps.every((d) => !modules.has(d) && base.inputs[d] === hashOf(d))) out.add(file);
  }
  return out;
}

/** sha256 of every module file, by workspace-relative path (empty when one cannot be read). */
export function hashModules(root: string, files: readonly string[]): Map<string, string> {
  return readHashes(resolvePath(root), files) ?? new Map<string, string>();
}

/**
 * Bundles (or reuses the cached bundle of) the given modules. Nothing of the modules runs here:
 * the isolate imports the bundle (`importBundle`).
 */
export async function bundleModules(
  root: string,
  modules: readonly DiscoveredModule[],
  options: {
    cacheDir?: string | null;
    apiVersion?: string;
    /** Called when the cached bundle is not valid, before bundling starts (an edit). */
    onStale?: () => void;
  } = {},
): Promise<BundleResult> {
  const absRoot = realRoot(root);
  const files = modules.map((m) => m.file);
  const hashes = readHashes(absRoot, files) ?? new Map<string, string>();
  const cacheDir = workspaceCacheDir(absRoot, options.cacheDir);

  if (cacheDir) {
    const valid = validCachedBundle(absRoot, cacheDir, files, hashes);
    if (valid)
      return {
        source: valid.source,
        hashes,
        diagnostics: [],
        cache: "hit",
        cached: { dir: valid.dir, bundle: valid.bundle },
        closures: moduleClosures(files, valid.deps, new Map(Object.entries(valid.inputs))),
      };
  }

  options.onStale?.();
  const layered = cacheDir ? await overlayBundle(absRoot, cacheDir, modules, hashes) : undefined;
  if (layered) return layered;

  const built = await build(absRoot, modules);
  if (built.code === undefined)
    return { hashes, diagnostics: built.diagnostics, cache: "miss", closures: new Map() };
  // Module files keep the hashes taken before bundling: if one changed while esbuild read it,
  // the manifest holds the older hash and the next load rebuilds (hashing again afterwards
  // could record the new bytes next to a bundle of the old). Helpers are hashed here.
  const inputHashes = readHashes(absRoot, built.inputs, hashes);
  const closures = inputHashes ? moduleClosures(files, built.deps, inputHashes) : new Map();

  let cache: BundleResult["cache"] = "off";
  let cached: CachedBundle | undefined;
  let source: BundleSource | undefined;
  if (cacheDir) {
    if (inputHashes) {
      const key = sha256(
        JSON.stringify([BUNDLE_FORMAT, [...inputHashes].sort(), built.code.length]) + built.code,
      ).slice(0, 32);
      const bundleName = `${key}.mjs`;
      try {
        mkdirSync(cacheDir, { recursive: true });
        writeCacheFile(join(cacheDir, bundleName), built.code);
        const inputs = Object.fromEntries(inputHashes);
        const manifest: Manifest = {
          format: BUNDLE_FORMAT,
          esbuild: built.esbuildVersion,
          modules: files,
          inputs,
          deps: built.deps,
          bundle: bundleName,
          base: { bundle: bundleName, modules: files, inputs, deps: built.deps },
        };
        writeCacheFile(join(cacheDir, "manifest.json"), JSON.stringify(manifest));
        pruneCache(cacheDir, bundleName);
        source = { path: join(cacheDir, bundleName) };
        cache = "miss";
        cached = { dir: cacheDir, bundle: bundleName };
      } catch {
        // An unwritable cache is harmless: load from memory instead.
        source = undefined;
      }
    }
  }
  source ??= { code: built.code };
  return {
    source,
    hashes,
    diagnostics: built.diagnostics,
    cache,
    ...(cached ? { cached } : {}),
    closures,
  };
}

/**
 * After an edit: bundles only the modules the last whole bundle no longer serves into an overlay
 * on it, and records both (decision 0031). Undefined when there is no usable base, when too many
 * modules changed, or when the overlay cannot be written: then everything is bundled again.
 */
async function overlayBundle(
  root: string,
  cacheDir: string,
  modules: readonly DiscoveredModule[],
  hashes: Map<string, string>,
): Promise<BundleResult | undefined> {
  const manifest = readManifest(cacheDir);
  if (!manifest || !existsSync(join(cacheDir, manifest.base.bundle))) return undefined;
  const files = modules.map((m) => m.file);
  if (hashes.size !== files.length) return undefined;
  const served = servedByBase(root, manifest, files, hashes);
  const edited = modules.filter((m) => !served.has(m.file));
  if (edited.length === 0 || edited.length > Math.max(OVERLAY_LIMIT, files.length / 20))
    return undefined;
  const built = await build(root, edited, new Set(files));
  if (built.esbuildVersion !== manifest.esbuild) return undefined;
  if (built.code === undefined)
    return { hashes, diagnostics: built.diagnostics, cache: "miss", closures: new Map() };
  const overlayHashes = readHashes(root, built.inputs, hashes);
  if (!overlayHashes) return undefined;
  const inputs: Record<string, string> = {};
  const deps: Record<string, string[]> = {};
  for (const file of files) {
    if (served.has(file)) {
      deps[file] = manifest.base.deps[file]!;
      for (const f of [file, ...deps[file]]) inputs[f] = manifest.base.inputs[f]!;
    } else {
      deps[file] = built.deps[file] ?? [];
      for (const f of [file, ...deps[file]]) inputs[f] = overlayHashes.get(f)!;
    }
  }
  const key = sha256(
    JSON.stringify([BUNDLE_FORMAT, manifest.base.bundle, Object.entries(inputs).sort()]) +
      built.code,
  ).slice(0, 32);
  const bundleName = `${key}.mjs`;
  const next: Manifest = {
    format: BUNDLE_FORMAT,
    esbuild: manifest.esbuild,
    modules: files,
    inputs,
    deps,
    bundle: bundleName,
    base: manifest.base,
    overlay: { bundle: bundleName, modules: edited.map((m) => m.file) },
  };
  try {
    writeCacheFile(join(cacheDir, bundleName), built.code);
    writeCacheFile(join(cacheDir, "manifest.json"), JSON.stringify(next));
  } catch {
    return undefined;
  }
  pruneCache(cacheDir, [manifest.base.bundle, bundleName]);
  return {
    source: layeredSource(cacheDir, next),
    hashes,
    diagnostics: built.diagnostics,
    cache: "miss",
    cached: { dir: cacheDir, bundle: bundleName },
    closures: moduleClosures(files, deps, new Map(Object.entries(inputs))),
  };
}

/** Each module's code hash: its bytes and its helpers' (see `BundleResult.closures`). */
function moduleClosures(
  files: readonly string[],
  deps: Record<string, string[]>,
  hashes: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of files) {
    const parts = [file, ...(deps[file] ?? [])].map((f) => [f, hashes.get(f)]);
    if (parts.some(([, h]) => h === undefined)) continue;
    out.set(file, sha256(JSON.stringify(parts)));
  }
  return out;
}

/**
 * Bundles kept per workspace: the current one and the one before it, which a process that read
 * the previous manifest may be about to import (the manifest names only the newest, so older
 * bundles are never read again).
 */
export const KEEP_BUNDLES = 2;
/** A workspace's cache folder unused this long is removed (the workspace moved or is gone). */
export const STALE_WORKSPACE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Bounds the load cache after a new bundle was written into `dir`: every edit of a module makes a
 * new bundle (and its catalog and schema), so without this the cache only grows. Keeps the
 * `KEEP_BUNDLES` newest bundles of this workspace with the files named after them, removes
 * leftover temporary files, and removes the folders of other workspaces whose manifest has not
 * been touched in `STALE_WORKSPACE_MS`. Best effort: a file another process still reads was
 * already imported (or it falls back to bundling again), and errors are ignored.
 */
export function pruneCache(
  dir: string,
  current: string | readonly string[],
  now: number = Date.now(),
): void {
  try {
    const entries = readdirSync(dir);
    const mine = typeof current === "string" ? [current] : current;
    const bundles = entries
      .filter((f) => /^[0-9a-f]{32}\.mjs$/.test(f) && !mine.includes(f))
      .map((f) => ({ f, mtime: mtimeOf(join(dir, f)) }))
      .sort((a, b) => b.mtime - a.mtime);
    const keep = new Set([...mine, ...bundles.slice(0, KEEP_BUNDLES - 1).map((b) => b.f)]);
    const keys = new Set([...keep].map((f) => f.slice(0, 32)));
    for (const f of entries) {
      // Another process may be writing a temporary file right now: only old ones are leftovers.
      const remove = f.endsWith(".tmp")
        ? now - mtimeOf(join(dir, f)) > 60 * 60 * 1000
        : /^[0-9a-f]{32}\./.test(f) && !keys.has(f.slice(0, 32));
      if (remove) rmSync(join(dir, f), { force: true });
    }
    const workspaces = dirname(dir);
    for (const other of readdirSync(workspaces)) {
      const path = join(workspaces, other);
      if (path === dir || !/^[0-9a-f]{16}$/.test(other)) continue;
      const used = mtimeOf(join(path, "manifest.json")) || mtimeOf(path);
      if (now - used > STALE_WORKSPACE_MS) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // Pruning is housekeeping: never a reason to fail a load.
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Forgets a cached bundle that would not import, so the next load bundles again. */
export function removeCachedBundle(cached: CachedBundle): void {
  for (const file of ["manifest.json", cached.bundle])
    try {
      rmSync(join(cached.dir, file), { force: true });
    } catch {
      // A read-only cache: the load bundles into memory instead.
    }
}

/** Imports a bundle (in the isolate): one loader per module, each evaluates its module when called. */
export async function importBundle(source: BundleSource): Promise<(() => unknown)[]> {
  if ("layers" in source) {
    const layers = await Promise.all(source.layers.map((path) => importBundle({ path })));
    return source.map.map(([layer, index]) => {
      const loader = layers[layer]?.[index];
      if (!loader) throw new Error(`the layered bundle has no module ${layer}:${index}`);
      return loader;
    });
  }
  const url =
    "path" in source
      ? pathToFileURL(source.path).href
      : `data:text/javascript;base64,${Buffer.from(source.code).toString("base64")}`;
  const mod = (await import(url)) as { modules: (() => unknown)[] };
  return mod.modules;
}

// The names a module may import, taken from the API surface itself: a name added there is
// importable without touching this file.
const apiShim = `
const api = globalThis[Symbol.for(${JSON.stringify(API_GLOBAL)})];
if (!api) throw new Error("setup-mac: program modules must be loaded by setup-mac");
export default api;
export const { ${Object.keys(apiSurface).sort().join(", ")} } = api;
`;

const SHIM_SUFFIX = `-${sha256(apiShim).slice(0, 12)}.mjs`;

/** Writes the API shim once per version into the temp folder; undefined when that fails. */
function writeShim(): string | undefined {
  const path = join(tmpdir(), `setup-mac-api${SHIM_SUFFIX}`);
  try {
    if (!existsSync(path)) writeCacheFile(path, apiShim);
    return path;
  } catch {
    return undefined;
  }
}

async function build(
  root: string,
  modules: readonly DiscoveredModule[],
  /** Every module of the workspace (for the check that a module imports no other), default `modules`. */
  allModules?: ReadonlySet<string>,
): Promise<{
  code?: string;
  inputs: string[];
  deps: Record<string, string[]>;
  diagnostics: Diagnostic[];
  esbuildVersion: string;
}> {
  const esbuild = await import("esbuild");
  const moduleSet = allModules ?? new Set(modules.map((m) => m.file));
  const entry =
    `export const modules = [\n` +
    modules.map((m) => `  () => require(${JSON.stringify("./" + m.file)}),\n`).join("") +
    `];\n`;
  const shimPlugin: Plugin = {
    name: "setup-mac-api",
    setup(b) {
      b.onResolve({ filter: /^setup-mac$/ }, () => ({
        path: "setup-mac",
        namespace: "setup-mac-api",
      }));
      b.onLoad({ filter: /.*/, namespace: "setup-mac-api" }, () => ({
        contents: apiShim,
        loader: "js",
      }));
    },
  };
  // Resolving "setup-mac" through an alias to a file is much faster than through a plugin (no
  // round trip to JavaScript per import); the plugin stays as the fallback.
  const shim = writeShim();
  const diagnostics: Diagnostic[] = [];
  try {
    const result = await esbuild.build({
      stdin: { contents: entry, resolveDir: root, sourcefile: "setup-mac-entry.js", loader: "js" },
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      metafile: true,
      logLevel: "silent",
      absWorkingDir: root,
      ...(shim ? { alias: { "setup-mac": shim } } : { plugins: [shimPlugin] }),
      // Modules may `require` the pure built-ins, through the isolate's guard (`moduleRequire`).
      banner: {
        js: `const require = globalThis[Symbol.for(${JSON.stringify(REQUIRE_GLOBAL)})] ?? (() => { throw new Error("setup-mac: program modules must be loaded by setup-mac"); });`,
      },
    });
    const inputs = Object.keys(result.metafile.inputs).filter(
      (p) => !p.includes(":") && !p.startsWith("setup-mac") && !p.endsWith(SHIM_SUFFIX),
    );
    // Programs meet only through requires/conflicts/contributes: importing another program is an error.
    for (const [path, input] of Object.entries(result.metafile.inputs)) {
      for (const imp of input.imports) {
        const name = imp.external ? builtinName(imp.path) : undefined;
        if (name !== undefined && !PURE_BUILTINS.has(name))
          diagnostics.push(
            diagnostic("module-impure-import", `imports the Node built-in \`${imp.path}\``, {
              location: { file: toPosix(path) },
              hint: impureBuiltinHint(name),
            }),
          );
      }
      if (!moduleSet.has(path)) continue;
      for (const imp of input.imports) {
        if (moduleSet.has(imp.path) && imp.path !== path) {
          diagnostics.push(
            diagnostic("program-imports-program", `imports another program module, ${imp.path}`, {
              location: { file: path },
              hint: "programs meet only through `requires`, `conflicts` and `contributes`; move shared code to programs/_lib/",
            }),
          );
        }
      }
    }
    const code = result.outputFiles[0]!.text;
    return {
      code: diagnostics.length ? undefined : code,
      inputs: inputs.map(toPosix),
      deps: helperClosures(result.metafile.inputs, moduleSet, new Set(inputs)),
      diagnostics,
      esbuildVersion: esbuild.version,
    };
  } catch (error) {
    const failure = error as {
      errors?: {
        text: string;
        location?: { file: string; line: number; column: number; lineText: string } | null;
      }[];
    };
    if (!failure.errors) throw error;
    for (const e of failure.errors) {
      diagnostics.push(
        diagnostic("module-syntax", e.text, {
          location: e.location
            ? {
                file: toPosix(relative(root, resolvePath(root, e.location.file))),
                line: e.location.line,
                column: e.location.column + 1,
              }
            : undefined,
          hint: "fix the TypeScript in this file; `setup-mac check` lists every problem at once",
        }),
      );
    }
    return { inputs: [], deps: {}, diagnostics, esbuildVersion: esbuild.version };
  }
}

/**
 * The `require` a bundle gets in the isolate: the pure built-ins, and a clear error for anything
 * else (a `require` whose name is computed at run time, which the bundler cannot see).
 */
export function moduleRequire(): (id: string) => unknown {
  const real = createRequire(import.meta.url);
  return (id: string) => {
    const name = builtinName(id);
    if (name !== undefined && PURE_BUILTINS.has(name)) return real(`node:${name}`) as unknown;
    const error = new Error(
      name !== undefined
        ? `require("${id}") is refused: ${impureBuiltinHint(name)}`
        : `require("${id}") is refused: only Node's pure built-ins are loaded at run time; import packages statically so they are bundled`,
    );
    throw error;
  };
}

/** Per module: every input file it reaches through its imports (not itself), sorted. */
function helperClosures(
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>,
  modules: ReadonlySet<string>,
  files: ReadonlySet<string>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const mod of modules) {
    const seen = new Set<string>([mod]);
    const todo = [mod];
    while (todo.length) {
      for (const imp of inputs[todo.pop()!]?.imports ?? []) {
        if (imp.external || !files.has(imp.path) || seen.has(imp.path)) continue;
        seen.add(imp.path);
        todo.push(imp.path);
      }
    }
    seen.delete(mod);
    out[toPosix(mod)] = [...seen].map(toPosix).sort();
  }
  return out;
}

function toPosix(p: string): string {
  return sep === "/" ? p : p.split(sep).join("/");
}
