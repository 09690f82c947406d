/**
 * Packs: program modules shared as npm packages. `packs add` downloads a pack's tarball from the
 * registry, checks it against the registry's sha512 integrity, and unpacks only its `programs/`
 * files into `packs/<name>/` of the workspace — vendored, so builds stay offline and reviewable
 * in git — and pins the exact version and integrity in `setup-mac.jsonc`. A pack whose modules do
 * not load is not added. Nothing of a pack ever runs at install time: it has no scripts here.
 */
import { createHash } from "node:crypto";
import { sha256 } from "../emit/hash.js";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { swapInFolder, writeFileAtomic } from "../adapters/atomic-write.js";
import { confineWrite } from "../adapters/confine.js";
import { ArchiveError, checkPackArchive, unpackPack } from "../adapters/pack-archive.js";
import { withWorkspaceLock } from "../adapters/workspace-lock.js";
import { removeConfigValue, setConfigValue } from "../config/edit.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import { CONFIG_FILE } from "../load/config.js";
import { loadWorkspace, readConfig } from "../load/index.js";
import { ISOLATE_STOPS } from "../isolate/limits.js";
import { packName } from "../schema/workspace.js";
import { evaluateWorkspace } from "./workspace.js";
import { PACK_MANIFEST, packDir, readManifest, type PackManifest } from "./pack-state.js";

import type { WorkspaceOptions } from "./workspace.js";
import type { PackChange } from "./update.js";

/** npm's keyword for packs, which `packs search` looks for. */
export const PACK_KEYWORD = "setup-mac-pack";
const MAX_TARBALL = 50 * 1024 * 1024;

export interface PackOptions extends WorkspaceOptions {
  /** The npm registry (default: `$SETUP_MAC_REGISTRY`, `$npm_config_registry`, npmjs.org). */
  registry?: string;
  fetch?: typeof fetch;
}

export function registryOf(options: PackOptions, env: NodeJS.ProcessEnv = process.env): string {
  const url =
    options.registry ??
    env.SETUP_MAC_REGISTRY ??
    env.npm_config_registry ??
    "https://registry.npmjs.org/";
  return url.endsWith("/") ? url : `${url}/`;
}

/** `name`, `name@1.2.3`, `@scope/name@next` → name and version or tag. */
export function parseSpec(spec: string): { name: string; want: string } {
  const at = spec.indexOf("@", 1);
  const name = at > 0 ? spec.slice(0, at) : spec;
  const want = at > 0 ? spec.slice(at + 1) : "latest";
  if (!packName.safeParse(name).success || want === "")
    throw usage(
      `\`${spec}\` is not a pack name (like \`setup-mac-pack-dev\` or \`@you/pack@1.2.0\`)`,
    );
  return { name, want };
}

function usage(message: string, hint = "see `setup-mac packs --help`"): SetupMacError {
  return new SetupMacError(diagnostic("pack-invalid", message, { hint }));
}

async function getJson(url: string, options: PackOptions): Promise<unknown> {
  const response = await request(url, options);
  if (response.status === 404) return undefined;
  if (!response.ok) throw netError(url, `the registry answered HTTP ${response.status}`);
  try {
    return (await response.json()) as unknown;
  } catch {
    throw netError(url, "the registry's answer is not JSON");
  }
}

async function request(url: string, options: PackOptions): Promise<Response> {
  try {
    return await (options.fetch ?? fetch)(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw netError(url, (error as Error).message);
  }
}

function netError(url: string, problem: string): SetupMacError {
  return new SetupMacError(
    diagnostic("pack-fetch", `cannot fetch ${url}: ${problem}`, {
      hint: "check the network, or point SETUP_MAC_REGISTRY (or npm_config_registry) at a registry you can reach",
    }),
  );
}

interface Packument {
  "dist-tags"?: Record<string, string>;
  versions?: Record<
    string,
    { dist?: { tarball?: string; integrity?: string }; keywords?: string[] }
  >;
}

export interface AddResult {
  name: string;
  version: string;
  integrity: string;
  /** Files written under `packs/<name>/`, relative to it. */
  files: string[];
  /** The programs the pack brings. */
  programs: string[];
  /** The version that was installed before, when this replaced it. */
  replaced?: string;
}

/** Installs (or moves to another version of) a pack; the workspace must load with it. */
export async function addPack(spec: string, options: PackOptions = {}): Promise<AddResult> {
  const root = resolve(options.workspace ?? ".");
  const { name, want } = parseSpec(spec);
  // Where the pack and its pin go is checked before anything is fetched.
  const configPath = confineWrite(root, CONFIG_FILE, { what: "the config file" });
  const target = confineWrite(root, packDir(root, name), { what: "the pack's folder" });
  const registry = registryOf(options);
  const url = `${registry}${name.replace("/", "%2f")}`;
  const packument = (await getJson(url, options)) as Packument | undefined;
  if (!packument?.versions)
    throw new SetupMacError(
      diagnostic("pack-not-found", `there is no package \`${name}\` in ${registry}`, {
        hint: "`setup-mac packs search` lists the packs the registry has",
      }),
    );
  const version = packument.versions[want] ? want : packument["dist-tags"]?.[want];
  const meta = version ? packument.versions[version] : undefined;
  if (!version || !meta)
    throw usage(
      `\`${name}\` has no version or tag \`${want}\``,
      `versions: ${Object.keys(packument.versions).slice(-8).join(", ")}; tags: ${Object.keys(packument["dist-tags"] ?? {}).join(", ") || "none"} (ranges are not taken: a pack is pinned to one version)`,
    );
  const integrity = meta.dist?.integrity;
  const tarball = meta.dist?.tarball;
  if (!integrity?.startsWith("sha512-") || !tarball)
    throw usage(
      `${name}@${version} has no sha512 integrity in the registry, so it cannot be pinned`,
      "publish it with a current npm, which records one",
    );
  const bytes = await download(tarball, options);
  const actual = `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
  if (actual !== integrity)
    throw new SetupMacError(
      diagnostic(
        "pack-integrity",
        `${name}@${version}: the tarball does not match the registry's integrity (${integrity}, got ${actual})`,
        {
          hint: "nothing was installed; try again, and if it persists the registry or the connection is not to be trusted",
        },
      ),
    );
  // Read the whole archive before the workspace is touched: one that cannot be unpacked
  // (corrupt, truncated, a decompression bomb) leaves nothing behind.
  try {
    await checkPackArchive(bytes);
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    throw new SetupMacError(
      diagnostic(
        "pack-archive",
        `${name}@${version}: the tarball cannot be unpacked: ${error.reason}`,
        {
          hint: "nothing was installed; the registry's tarball is damaged or hostile: tell the pack's authors, or pick another version",
        },
      ),
    );
  }

  return withWorkspaceLock(root, "packs add", async () => {
    const configBefore = readFileSync(configPath, "utf8");
    readConfig(root, configBefore); // a broken config is reported before anything changes
    const replaced = readManifest(target)?.version;
    let files: string[] = [];
    const fill = async (dir: string) => {
      files = await unpackPack(bytes, dir);
      if (!files.some((f) => f.endsWith(".ts") && !f.split("/").some((p) => p.startsWith("_"))))
        throw usage(
          `${name}@${version} has no program modules under programs/: it is not a setup-mac pack`,
        );
      const manifest: PackManifest = {
        name,
        version,
        integrity,
        files: Object.fromEntries(files.map((f) => [f, sha256(readFileSync(join(dir, f)))])),
      };
      writeFileSync(join(dir, PACK_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    };
    const configAfter = setConfigValue(configBefore, ["packs", name], { version, integrity });
    // The pack's modules load, in the isolate, in a scratch copy of the workspace with the pack
    // in place and pinned; only then is anything in the workspace changed.
    const programs = await validatePack(
      root,
      target,
      configAfter,
      fill,
      options,
      `${name}@${version}`,
    );
    // Swap it in (the staging folders are hidden: discovery never takes them for packs) and pin it.
    const swapped = await swapInFolder(target, fill);
    try {
      await writeFileAtomic(configPath, configAfter);
    } catch (error) {
      swapped.restore();
      throw error;
    }
    swapped.commit();
    return { name, version, integrity, files, programs, ...(replaced ? { replaced } : {}) };
  });
}

/** Top-level entries of a workspace that its modules never need (besides dot folders: state, caches, VCS). */
const NOT_COPIED = new Set(["node_modules", "result"]);

/**
 * Loads the workspace with the pack at `target` (filled by `fill`) and `configText`, in a scratch
 * copy: the pack's modules are imported only in the isolate, and the workspace is not touched.
 * Returns the pack's programs; throws `pack-rejected` with the problems of the pack's files, or
 * with whatever stopped the isolate (a hang, an exit, an out-of-memory), which vouches for nothing.
 */
async function validatePack(
  root: string,
  target: string,
  configText: string,
  fill: (dir: string) => Promise<void>,
  options: PackOptions,
  label: string,
): Promise<string[]> {
  const scratch = mkdtempSync(join(tmpdir(), "setup-mac-pack-"));
  const rel = relative(root, target).split(sep).join("/");
  try {
    cpSync(root, scratch, {
      recursive: true,
      filter: (src) => {
        const path = relative(root, src).split(sep).join("/");
        if (path === "") return true;
        const top = path.split("/")[0]!;
        if (top.startsWith(".") || NOT_COPIED.has(top)) return false;
        return path !== rel && !path.startsWith(`${rel}/`);
      },
    });
    await fill(join(scratch, target.slice(root.length)));
    writeFileSync(join(scratch, CONFIG_FILE), configText);
    const mine = (file: string) => file.startsWith(`${rel}/`);
    let problems: Diagnostic[];
    let programs: string[] = [];
    try {
      const workspace = await loadWorkspace(scratch, {
        cacheDir: null,
        ...(options.limits ? { limits: options.limits } : {}),
      });
      problems = workspace.diagnostics.filter(
        (d) => (d.location && mine(d.location.file)) || ISOLATE_STOPS.has(d.code),
      );
      programs = [...workspace.programs.values()]
        .filter((p) => mine(p.file))
        .map((p) => p.program.name)
        .sort();
    } catch (error) {
      if (!(error instanceof SetupMacError)) throw error;
      problems = error.diagnostics;
    }
    if (problems.length)
      throw new SetupMacError(
        problems.concat(
          diagnostic(
            "pack-rejected",
            `${label} was not added: its modules do not load in this workspace`,
            {
              hint: "the problems above name the files; report them to the pack's authors; nothing in the workspace was changed",
            },
          ),
        ),
      );
    return programs;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function download(url: string, options: PackOptions): Promise<Buffer> {
  if (!/^https?:\/\//.test(url)) throw netError(url, "the tarball is not an http(s) URL");
  const response = await request(url, options);
  if (!response.ok || !response.body) throw netError(url, `HTTP ${response.status}`);
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_TARBALL)
    throw netError(url, `the tarball is larger than ${MAX_TARBALL} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_TARBALL) throw netError(url, `the tarball is larger than ${MAX_TARBALL} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Removes a pack and its pin; refuses while a host enables one of its programs. */
export async function removePack(
  name: string,
  options: WorkspaceOptions = {},
): Promise<{ programs: string[] }> {
  const root = resolve(options.workspace ?? ".");
  const configPath = confineWrite(root, CONFIG_FILE, { what: "the config file" });
  const dir = confineWrite(root, packDir(root, name), { what: "the pack's folder" });
  return withWorkspaceLock(root, "packs remove", async () => {
    const text = readFileSync(configPath, "utf8");
    const config = readConfig(root, text).config;
    if (!config.packs?.[name] && !existsSync(dir))
      throw usage(
        `\`${name}\` is not installed`,
        "`setup-mac packs list` shows the installed packs",
      );
    const evaluated = await evaluateWorkspace({ workspace: root, cacheDir: options.cacheDir });
    const prefix = `${relative(root, dir)}/`;
    const programs = [...evaluated.workspace.programs.values()]
      .filter((p) => p.file.startsWith(prefix))
      .map((p) => p.program.name)
      .sort();
    const inUse = Object.entries(config.hosts).flatMap(([host, h]) =>
      programs
        .filter((p) => h.programs?.[p] !== undefined && h.programs[p] !== false)
        .map((p) => `${p} on ${host}`),
    );
    if (inUse.length)
      throw usage(
        `\`${name}\` cannot go while its programs are enabled: ${inUse.join(", ")}`,
        `disable them first: setup-mac programs disable ${[...new Set(inUse.map((u) => u.split(" ")[0]))].join(" ")}`,
      );
    await writeFileAtomic(configPath, removeConfigValue(text, ["packs", name]));
    rmSync(dir, { recursive: true, force: true });
    return { programs };
  });
}

export interface SearchHit {
  name: string;
  version: string;
  description: string;
}

/** Packs in the registry (npm packages with the `setup-mac-pack` keyword) matching `text`. */
export async function searchPacks(text: string, options: PackOptions = {}): Promise<SearchHit[]> {
  const registry = registryOf(options);
  const query = encodeURIComponent(`keywords:${PACK_KEYWORD} ${text}`.trim());
  const url = `${registry}-/v1/search?text=${query}&size=50`;
  const body = (await getJson(url, options)) as
    | { objects?: { package?: { name?: string; version?: string; description?: string } }[] }
    | undefined;
  return (body?.objects ?? [])
    .map((o) => o.package)
    .filter((p): p is { name: string; version: string; description?: string } =>
      Boolean(p?.name && p.version),
    )
    .map((p) => ({ name: p.name, version: p.version, description: p.description ?? "" }));
}

/** The version `latest` points at in the registry. */
export async function latestVersion(name: string, options: PackOptions = {}): Promise<string> {
  const registry = registryOf(options);
  const url = `${registry}${name.replace("/", "%2f")}`;
  const packument = (await getJson(url, options)) as Packument | undefined;
  const latest = packument?.["dist-tags"]?.latest;
  if (!latest)
    throw new SetupMacError(
      diagnostic("pack-not-found", `${registry} has no \`latest\` version of \`${name}\``, {
        hint: "check the name, or point SETUP_MAC_REGISTRY at the registry the pack came from",
      }),
    );
  return latest;
}

/** Moves each pack to the registry's latest version (`programs update`). */
export async function updatePacks(
  names: readonly string[],
  pins: Readonly<Record<string, { version: string }>>,
  options: PackOptions & { dryRun?: boolean } = {},
): Promise<PackChange[]> {
  const out: PackChange[] = [];
  for (const name of names) {
    const from = pins[name]!.version;
    const to = await latestVersion(name, options);
    if (to === from) out.push({ name, from, to, kind: "unchanged" });
    else if (options.dryRun) out.push({ name, from, to, kind: "would-update" });
    else {
      await addPack(`${name}@${to}`, options);
      out.push({ name, from, to, kind: "updated" });
    }
  }
  return out;
}
