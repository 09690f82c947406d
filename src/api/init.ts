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
import type { FlakeHost, HostField, MissingField } from "../init/flake.js";
import { place, readFlakeHosts } from "../init/flake.js";
import { openFlake } from "../adapters/flake-files.js";
import { CONFIG_FILE } from "../load/config.js";
import { readTextIfPresent } from "../adapters/node-fs.js";
import { sha256 } from "../emit/hash.js";

export const ADAPTER_DIR = "setup-mac/nix";
const MANIFEST = "setup-mac-adapters.json";

export interface InitOptions {
  workspace?: string;
  /** Overwrite adapter files even where they were edited by hand. */
  force?: boolean;
  /** The user of new hosts whose user flake.nix does not determine. */
  user?: string;
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * Asks for a field of a new host that flake.nix does not determine (the CLI passes one on a
   * terminal). An answer must be valid; `undefined` leaves the field out, marked in the config.
   */
  ask?: (question: InitQuestion) => Promise<string | undefined>;
}

/** A host field init could not read from the flake, put to the user. */
export interface InitQuestion {
  host: string;
  field: HostField;
  /** Why it is not known, with file:line. */
  why: string;
  /** A value to offer (the platform's usual system, $USER), accepted only when confirmed. */
  suggestion?: string;
  /** Whether an answer is valid for this field. */
  valid: (answer: string) => boolean;
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
  /** Host fields left out of the new config because flake.nix does not determine them. */
  warnings: string[];
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

/** A new host as init writes it: what the flake said, what was asked, and what is left out. */
export interface NewHost {
  name: string;
  platform: FlakeHost["platform"];
  system?: string;
  user?: string;
  home?: string;
  standalone?: boolean;
  /** Fields left out, each with why (written as a comment where the field would be). */
  missing: MissingField[];
}

const SYSTEM_RE = /^(aarch64|x86_64|i686|armv7l|riscv64)-(darwin|linux)$/;
const USER_RE = /^[a-z_][a-z0-9_.-]*$/;

/**
 * The config text for new hosts, with comments that explain each part. A field the flake does
 * not determine is left out, with a comment saying why and what to set: `check` then reports it
 * as required, so nothing builds on a guess.
 */
export function initialConfig(hosts: NewHost[]): string {
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
  const fieldLine = (h: NewHost, field: HostField, value: string | undefined, example: string) => {
    if (value !== undefined) return `      ${JSON.stringify(field)}: ${JSON.stringify(value)},`;
    const m = h.missing.find((x) => x.field === field);
    const reason = m ? `${place(m.at)}: ${m.why}` : "not found in flake.nix";
    return `      // "${field}" is not set: ${reason.replace(/\n/g, " ")}. Set it, e.g. "${field}": "${example}",`;
  };
  const defaultHome = (h: NewHost) =>
    h.platform === "darwin" ? `/Users/${h.user}` : `/home/${h.user}`;
  hosts.forEach((h, i) => {
    lines.push(
      `    ${JSON.stringify(h.name)}: {`,
      `      "platform": "${h.platform}",`,
      fieldLine(h, "system", h.system, h.platform === "darwin" ? "aarch64-darwin" : "x86_64-linux"),
      fieldLine(h, "user", h.user, "lars"),
      ...(h.user && h.home && h.home !== defaultHome(h)
        ? [`      "home": ${JSON.stringify(h.home)},`]
        : []),
      ...(h.standalone ? ['      "switch": "home-manager",'] : []),
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
  if (options.user !== undefined && !USER_RE.test(options.user)) {
    throw new SetupMacError(
      diagnostic("usage", `--user ${JSON.stringify(options.user)} is not a user name`, {
        hint: "give the login name of the hosts' user, e.g. `--user lars`",
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

  const warnings: string[] = [];
  const flakeFiles = await openFlake(root);
  const flake = flakeFiles.flake;
  let found: FlakeHost[] = [];
  if (!flake) notes.push("There is no flake.nix here: add hosts to setup-mac.jsonc by hand.");
  else if (flakeFiles.syntaxError) {
    notes.push(
      `flake.nix:${flakeFiles.syntaxError.line} has a syntax error (${flakeFiles.syntaxError.message}): no hosts were read. Fix it (\`nix flake check\` shows it) and run \`setup-mac init\` again.`,
    );
  } else {
    const reading = readFlakeHosts(flake, flakeFiles.load);
    found = reading.hosts;
    notes.push(...reading.notes);
    if (found.length === 0) {
      notes.push(
        "No darwinConfigurations, nixosConfigurations or homeConfigurations were found in flake.nix: add hosts to setup-mac.jsonc by hand.",
      );
    }
  }

  const existingConfig = readTextIfPresent(join(root, CONFIG_FILE));
  let configHosts = new Set<string>();
  if (existingConfig === undefined) {
    const hosts = await completeHosts(found, options, env, warnings);
    plan(CONFIG_FILE, initialConfig(hosts), "created");
    // The result shows what was written: answers and --user included, open fields still missing.
    found = found.map((h, i) => {
      const { system, user } = hosts[i]!;
      return {
        ...h,
        ...(system ? { system } : {}),
        ...(user ? { user } : {}),
        missing: hosts[i]!.missing,
      };
    });
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
    warnings,
  };
}

/**
 * New hosts with what the flake leaves open filled in from `--user` or by asking; whatever
 * stays open is left out and warned about, naming the host, the field and where the trail ends.
 */
async function completeHosts(
  found: FlakeHost[],
  options: InitOptions,
  env: NodeJS.ProcessEnv,
  warnings: string[],
): Promise<NewHost[]> {
  const out: NewHost[] = [];
  for (const h of found) {
    const host: NewHost = {
      name: h.name,
      platform: h.platform,
      ...(h.system ? { system: h.system } : {}),
      ...(h.user ? { user: h.user } : {}),
      ...(h.home ? { home: h.home } : {}),
      ...(h.standalone ? { standalone: true } : {}),
      missing: [],
    };
    for (const m of h.missing) {
      let answer: string | undefined;
      if (m.field === "user" && options.user) answer = options.user;
      else if (options.ask) {
        const envUser = env.USER ?? env.LOGNAME;
        answer = await options.ask({
          host: h.name,
          field: m.field,
          why: `${place(m.at)}: ${m.why}`,
          suggestion:
            m.field === "system"
              ? h.platform === "darwin"
                ? "aarch64-darwin"
                : "x86_64-linux"
              : envUser && USER_RE.test(envUser)
                ? envUser
                : undefined,
          valid: (a) => (m.field === "system" ? SYSTEM_RE : USER_RE).test(a),
        });
      }
      if (answer !== undefined) {
        host[m.field] = answer;
        continue;
      }
      host.missing.push(m);
      warnings.push(
        `host ${h.name} has no ${m.field}: ${m.why} (${place(m.at)}). Set "${m.field}" for it in ${CONFIG_FILE}${m.field === "user" ? " (or run init with --user)" : ""}.`,
      );
    }
    out.push(host);
  }
  return out;
}
