/**
 * `init`: make an existing flake repository a setup-mac workspace. Writes the config (only when
 * there is none), `programs/`, the Nix adapters and a `.gitignore` entry; never touches
 * `flake.nix`; prints the import line for each host. Running it again changes nothing, and
 * adapter files the user edited are kept unless `force`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeAllInside } from "../adapters/confine.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import type { FlakeHost } from "../init/flake.js";
import { findFlakeHosts } from "../init/flake.js";
import { CONFIG_FILE } from "../load/config.js";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { sha256 } from "../emit/hash.js";

export const ADAPTER_DIR = "setup-mac/nix";
const MANIFEST = "setup-mac-adapters.json";

export interface InitOptions {
  workspace?: string;
  /** Overwrite adapter files even where they were edited by hand. */
  force?: boolean;
  /** The primary user for new hosts (default: found in flake.nix, else $USER). */
  user?: string;
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
}

export type FileAction = "created" | "updated" | "unchanged" | "kept-edited";

export interface InitResult {
  root: string;
  hosts: (FlakeHost & { inConfig: boolean })[];
  files: { path: string; action: FileAction }[];
  /** host → the Nix expressions to add to its module lists. */
  importLines: Record<string, { system: string; home: string }>;
  /** host → the adapter levels its configuration already imports (`nixos`, `darwin`, `home`). */
  imported: Record<string, string[]>;
  notes: string[];
}

/** The folder of the setup-mac package (holds `nix/`), found from this file upwards. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && existsSync(join(dir, "nix"))) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "setup-mac")
          return dir;
      } catch {
        /* keep looking */
      }
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error("internal: cannot find the setup-mac package's nix/ folder");
    dir = parent;
  }
}

/** The adapter files shipped with this version: name → text. */
export function adapterFiles(): Map<string, string> {
  const dir = join(packageRoot(), "nix");
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith(".nix")) out.set(name, readFileSync(join(dir, name), "utf8"));
  }
  return out;
}

/** The config text for new hosts, with comments that explain each part. */
export function initialConfig(hosts: FlakeHost[], user: string): string {
  const lines = [
    "{",
    "  // setup-mac: the hosts of this flake and the programs each one runs.",
    "  // `setup-mac programs enable <name> --host <host>` edits this file and keeps comments.",
    '  "$schema": "./setup-mac/schema.json",',
    "",
    "  // Option values shared by every host; a host's own values beat them.",
    '  "defaults": {},',
    "",
    '  "hosts": {',
  ];
  hosts.forEach((h, i) => {
    const system = h.system ?? (h.platform === "darwin" ? "aarch64-darwin" : "x86_64-linux");
    lines.push(
      `    ${JSON.stringify(h.name)}: {`,
      `      "platform": "${h.platform}",`,
      `      "system": "${system}",${h.system ? "" : " // not found in flake.nix: check it"}`,
      `      "user": ${JSON.stringify(user)},`,
      '      "programs": {},',
      `    }${i < hosts.length - 1 ? "," : ""}`,
    );
  });
  lines.push("  },", "}", "");
  return lines.join("\n");
}

const PROGRAMS_README = `# Program modules

One file per program: \`programs/<category>/<name>.ts\`, default-exporting \`defineProgram({ … })\`
from "setup-mac". The folder is the category. Files and folders starting with \`_\` hold shared
helpers and are not modules.

\`setup-mac programs new <name>\` scaffolds one; \`setup-mac check\` validates them all.
`;

function findUser(flake: string | undefined, env: NodeJS.ProcessEnv): string {
  const primary = flake && /\bsystem\.primaryUser\s*=\s*"([a-z_][a-z0-9_.-]*)"/.exec(flake);
  if (primary) return primary[1]!;
  const users = flake && /\busers\.users\.("?)([a-z_][a-z0-9_.-]*)\1\s*[.=]/.exec(flake);
  if (users) return users[2]!;
  const user = env.USER ?? env.LOGNAME;
  return user && /^[a-z_][a-z0-9_.-]*$/.test(user) ? user : "user";
}

/** Sets up a workspace in an existing flake repository. */
export async function init(options: InitOptions = {}): Promise<InitResult> {
  const root = resolve(options.workspace ?? ".");
  const env = options.env ?? process.env;
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new SetupMacError(
      diagnostic("workspace-missing", `${root} is not a folder`, {
        hint: "run `setup-mac init` inside your flake repository",
      }),
    );
  }
  const notes: string[] = [];
  const files: InitResult["files"] = [];
  const writes: { path: string; text: string }[] = [];
  const plan = (rel: string, text: string, action: FileAction) => {
    files.push({ path: rel, action });
    if (action === "created" || action === "updated") writes.push({ path: join(root, rel), text });
  };

  const flake = readTextIfPresent(join(root, "flake.nix"));
  const found = flake ? findFlakeHosts(flake) : [];
  if (!flake) notes.push("There is no flake.nix here: add hosts to setup-mac.jsonc by hand.");
  else if (found.length === 0) {
    notes.push(
      "No darwinConfigurations or nixosConfigurations were found in flake.nix (hosts defined in other files or by a function are not seen): add hosts to setup-mac.jsonc by hand.",
    );
  }

  const existingConfig = readTextIfPresent(join(root, CONFIG_FILE));
  let configHosts = new Set<string>();
  if (existingConfig === undefined) {
    plan(CONFIG_FILE, initialConfig(found, options.user ?? findUser(flake, env)), "created");
    configHosts = new Set(found.map((h) => h.name));
  } else {
    files.push({ path: CONFIG_FILE, action: "unchanged" });
    const { parseConfig } = await import("../load/config.js");
    const parsed = parseConfig(existingConfig);
    if (parsed.ok) configHosts = new Set(Object.keys(parsed.doc.config.hosts));
    const missing = found.filter((h) => !configHosts.has(h.name));
    if (missing.length) {
      notes.push(
        `flake.nix defines ${missing.map((h) => h.name).join(", ")}, which ${CONFIG_FILE} does not list: add ${missing.length === 1 ? "it" : "them"} under "hosts" to manage ${missing.length === 1 ? "it" : "them"}.`,
      );
    }
  }

  if (!existsSync(join(root, "programs"))) plan("programs/README.md", PROGRAMS_README, "created");

  // Adapters: write what is missing, upgrade what we wrote before, keep what the user edited.
  const manifestPath = join(root, ADAPTER_DIR, MANIFEST);
  let manifest: { files: Record<string, string> } = { files: {} };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as typeof manifest;
  } catch {
    /* first run, or an unreadable manifest: every differing file counts as edited */
  }
  const edited: string[] = [];
  const newManifest: Record<string, string> = {};
  for (const [name, text] of adapterFiles()) {
    const rel = `${ADAPTER_DIR}/${name}`;
    const current = readTextIfPresent(join(root, rel));
    newManifest[name] = sha256(text);
    if (current === undefined) plan(rel, text, "created");
    else if (current === text) files.push({ path: rel, action: "unchanged" });
    else if (options.force || manifest.files[name] === sha256(current)) plan(rel, text, "updated");
    else {
      edited.push(rel);
      newManifest[name] = manifest.files[name] ?? "";
      files.push({ path: rel, action: "kept-edited" });
    }
  }
  const manifestText = JSON.stringify({ files: newManifest }, null, 2) + "\n";
  const manifestCurrent = readTextIfPresent(manifestPath);
  if (manifestCurrent !== manifestText)
    plan(
      `${ADAPTER_DIR}/${MANIFEST}`,
      manifestText,
      manifestCurrent === undefined ? "created" : "updated",
    );
  if (edited.length) {
    notes.push(
      `Kept ${edited.join(", ")}: ${edited.length === 1 ? "it was" : "they were"} changed by hand. \`setup-mac init --force\` replaces ${edited.length === 1 ? "it" : "them"} with this version's adapters.`,
    );
  }

  const gitignore = readTextIfPresent(join(root, ".gitignore"));
  if (!gitignore || !/^\/?\.setup-mac\/?$/m.test(gitignore)) {
    const text =
      (gitignore ? gitignore.replace(/\n?$/, "\n") : "") +
      "# setup-mac: generations, logs and local state\n.setup-mac/\n";
    plan(".gitignore", text, gitignore === undefined ? "created" : "updated");
  }

  if (!options.dryRun) {
    await writeAllInside(root, writes);
  }

  // Lines already in the flake (or files it imports) need not be added again.
  const { findAdapterImports } = await import("./doctor.js");
  const imported: InitResult["imported"] = {};
  for (const i of flake ? findAdapterImports(root) : []) {
    if (i.host && i.level) (imported[i.host] ??= []).push(i.level);
  }
  const importLines: InitResult["importLines"] = {};
  for (const h of found) {
    const base = `(import ./setup-mac/nix { host = ${JSON.stringify(h.name)}; })`;
    importLines[h.name] = { system: `${base}.${h.platform}`, home: `${base}.home` };
  }
  return {
    root,
    hosts: found.map((h) => ({ ...h, inConfig: configHosts.has(h.name) })),
    files,
    importLines,
    imported,
    notes,
  };
}
