#!/usr/bin/env node
/**
 * Generates synthetic setup-mac workspaces for the benchmark: N program modules in
 * `programs/<category>/<name>.ts` with a realistic mix, and a `setup-mac.jsonc` with a darwin and
 * a NixOS host that each enable about 70% of them. Deterministic: the same N and seed give the
 * same bytes.
 *
 * Mix, per module: 2–6 zod options with defaults and descriptions (every module has a list
 * option, `extraArgs`, that contributions target, so they concatenate instead of conflicting);
 * packages; a json, toml or text file (paths unique per module); environment variables; about
 * 20% a service, a third of those scheduled; 0–3 `requires`, only to lower-numbered modules (so
 * the graph is acyclic); about 30% `contributes` to other modules (function-valued only towards
 * lower-numbered ones); per-platform `overrides`; a few ZFS datasets, wrappers, hooks and health
 * checks; a shared helper in `programs/_lib/`.
 *
 * Usage: node bench/generate.mjs [N…] [--seed S] [--one-host] [--out DIR]
 *        (default: 100 1000 5000 into bench/.work/<N>, or bench/.work/<N>-one-host)
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** mulberry32: a small seeded PRNG, enough for reproducible shapes. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

const CATEGORIES = [
  "cli",
  "dev/lang",
  "dev/tools",
  "editors",
  "shell",
  "vcs",
  "network",
  "monitoring",
  "maintenance",
  "containers",
  "ai",
  "media",
  "security",
  "databases",
  "desktop",
  "fonts",
];
const WORDS = [
  "atlas",
  "birch",
  "cobalt",
  "delta",
  "ember",
  "fjord",
  "garnet",
  "harbor",
  "iris",
  "juniper",
  "kestrel",
  "lumen",
  "marble",
  "nimbus",
  "onyx",
  "pixel",
  "quartz",
  "raven",
  "sable",
  "tundra",
  "umber",
  "vortex",
  "willow",
  "xenon",
  "yarrow",
  "zephyr",
];
const THEMES = ["dark", "light", "solarized", "nord", "gruvbox"];
const LEVELS = ["debug", "info", "warn", "error"];

const isLegacy = (i) => i > 10 && i % 47 === 0;
const pad = (i) => String(i).padStart(5, "0");
const camel = (s) => s.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const envName = (name) => name.toUpperCase().replace(/-/g, "_");

/** The plan of one module: everything needed to write its file and the config entries for it. */
function planModule(i, r, names, lower) {
  const name = names[i];
  const word = name.split("-")[0];
  const category = CATEGORIES[i % CATEGORIES.length];
  const options = [
    { key: "extraArgs", kind: "list", default: [] },
    { key: "logLevel", kind: "enum", values: LEVELS, default: r.pick(LEVELS) },
  ];
  const optionKinds = ["string", "port", "bool", "theme", "record"];
  const count = r.int(0, 4);
  for (let k = 0; k < count; k++) {
    const kind = optionKinds[(i + k) % optionKinds.length];
    if (kind === "string")
      options.push({ key: "dataDir", kind, default: `~/.local/share/${name}` });
    if (kind === "port") options.push({ key: "port", kind, default: 1024 + ((i * 7) % 60000) });
    if (kind === "bool") options.push({ key: "enableTelemetry", kind, default: r.chance(0.2) });
    if (kind === "theme")
      options.push({ key: "theme", kind: "enum", values: THEMES, default: r.pick(THEMES) });
    if (kind === "record") options.push({ key: "settings", kind, default: {} });
  }
  // Only lower-numbered, non-legacy modules: the requires graph is acyclic, and a legacy module
  // (kept off on every host, as the target of `conflicts`) is never switched on by a requirement.
  const { eligible, legacyTargets } = lower;
  const requires = new Set();
  const nReq = eligible.length ? r.int(0, 3) : 0;
  for (let k = 0; k < nReq; k++) requires.add(r.pick(eligible));
  const contributes = [];
  if (names.length > 1 && r.chance(0.3)) {
    const n = r.int(1, 2);
    for (let k = 0; k < n; k++) {
      const t = r.int(0, names.length - 1);
      if (t === i || contributes.some((c) => c.target === names[t])) continue;
      // Function-valued contributions read this module's options: only towards lower numbers,
      // so they never form a cycle.
      contributes.push({ target: names[t], fn: t < i && r.chance(0.5) });
    }
  }
  const legacy = isLegacy(i);
  const conflicts =
    !legacy && legacyTargets.length && r.chance(0.03) ? [r.pick(legacyTargets)] : [];
  return {
    i,
    name,
    word,
    category,
    options,
    requires: [...requires].sort(),
    conflicts,
    contributes,
    legacy,
    file: r.pick(["json", "toml", "text"]),
    service: r.chance(0.2) ? (r.chance(0.33) ? "scheduled" : "daemon") : undefined,
    systemService: r.chance(0.3),
    dataset: r.chance(0.05),
    wrapper: r.chance(0.1),
    hook: r.chance(0.1),
    helper: r.chance(0.15),
    platformsField: r.chance(0.5),
    overrides: r.chance(0.6),
    packages: Array.from({ length: r.int(1, 3) }, (_, k) =>
      k === 0 ? word + pad(i) : r.pick(WORDS),
    ),
    homepage: r.chance(0.5),
  };
}

function zodOf(o) {
  const d = JSON.stringify(o.default);
  switch (o.kind) {
    case "list":
      return `z.array(z.string()).default(${d}).describe("Extra command-line arguments")`;
    case "enum":
      return `z.enum(${JSON.stringify(o.values)}).default(${d}).describe("${o.key === "theme" ? "Colour theme" : "Log verbosity"}")`;
    case "string":
      return `z.string().min(1).default(${d}).describe("Where state is kept")`;
    case "port":
      return `z.number().int().min(1).max(65535).default(${d}).describe("Port it listens on")`;
    case "bool":
      return `z.boolean().default(${d}).describe("Send anonymous usage data")`;
    case "record":
      return `z.record(z.string(), z.string()).default({}).describe("Extra settings written to the config file")`;
  }
  throw new Error(o.kind);
}

function moduleSource(m) {
  const has = (key) => m.options.some((o) => o.key === key);
  const lines = [];
  lines.push(`/** ${m.name}: a synthetic program module for the benchmark (module #${m.i}). */`);
  lines.push(`import { bin, defineProgram, mkDefault, z } from "setup-mac";`);
  if (m.helper) {
    const depth = m.category.split("/").length;
    lines.push(`import { configDir } from "${"../".repeat(depth)}_lib/paths";`);
  }
  lines.push("");
  lines.push("export default defineProgram({");
  lines.push(`  name: ${JSON.stringify(m.name)},`);
  lines.push(`  description: ${JSON.stringify(`The ${m.word} tool, number ${m.i}`)},`);
  if (m.homepage) lines.push(`  homepage: "https://example.org/${m.name}",`);
  if (m.platformsField) lines.push(`  platforms: ["darwin", "nixos"],`);
  if (m.requires.length) lines.push(`  requires: ${JSON.stringify(m.requires)},`);
  if (m.conflicts.length) lines.push(`  conflicts: ${JSON.stringify(m.conflicts)},`);
  lines.push("  options: z.object({");
  for (const o of m.options) lines.push(`    ${o.key}: ${zodOf(o)},`);
  lines.push("  }),");
  lines.push("  config: ({ options, host }) => ({");
  lines.push(`    packages: ${JSON.stringify(m.packages)},`);
  const dir = m.helper ? `\${configDir(host, ${JSON.stringify(m.name)})}` : `~/.config/${m.name}`;
  const settings = has("settings") ? ", ...options.settings" : "";
  if (m.file === "json") {
    lines.push(`    files: {`);
    lines.push(
      `      [\`${dir}/config.json\`]: { json: { logLevel: options.logLevel, args: options.extraArgs${settings} } },`,
    );
    lines.push(`    },`);
  } else if (m.file === "toml") {
    lines.push(`    files: {`);
    lines.push(
      `      "/etc/${m.name}/${m.name}.toml": { toml: { log: { level: options.logLevel }, args: options.extraArgs${settings} }, mode: "0644" },`,
    );
    lines.push(`    },`);
  } else {
    lines.push(`    files: {`);
    lines.push(
      `      [\`${dir}/${m.name}.conf\`]: { text: [\`log-level = \${options.logLevel}\`, ...options.extraArgs].join("\\n") + "\\n" },`,
    );
    lines.push(`    },`);
  }
  lines.push(`    env: {`);
  lines.push(`      ${envName(m.name)}_LOG: options.logLevel,`);
  lines.push(`      ${envName(m.name)}_ARGS: mkDefault(options.extraArgs.join(" ")),`);
  lines.push(`    },`);
  if (m.service) {
    const scope = m.systemService ? "system" : "user";
    lines.push(`    services: {`);
    lines.push(`      ${m.service === "scheduled" ? "job" : "server"}: {`);
    lines.push(
      `        command: [bin(${JSON.stringify(m.word + pad(m.i))}), ${m.service === "scheduled" ? '"run"' : '"serve"'}, ...options.extraArgs],`,
    );
    lines.push(`        scope: ${JSON.stringify(scope)},`);
    if (m.service === "scheduled") {
      lines.push(
        `        schedule: ${m.i % 2 ? '{ every: "15m" }' : "{ calendar: { hour: 3, minute: " + (m.i % 60) + " } }"},`,
      );
      lines.push(`        restart: "never",`);
    } else {
      lines.push(`        restart: "on-failure",`);
      lines.push(`        after: ["network-online"],`);
      lines.push(`        environment: { LOG_LEVEL: options.logLevel },`);
      if (has("port")) lines.push(`        health: { tcp: \`127.0.0.1:\${options.port}\` },`);
    }
    lines.push(`      },`);
    lines.push(`    },`);
  }
  if (m.wrapper) {
    lines.push(
      `    wrappers: { ${JSON.stringify(m.word + "-" + pad(m.i))}: { package: ${JSON.stringify(m.word + pad(m.i))}, addFlags: [\`--log-level=\${options.logLevel}\`] } },`,
    );
  }
  if (m.hook) {
    lines.push(
      `    hooks: { postSetup: [bin(${JSON.stringify(m.word + pad(m.i))}), "init", "--quiet"] },`,
    );
  }
  lines.push(
    `    health: [{ command: [bin(${JSON.stringify(m.word + pad(m.i))}), "--version"] }],`,
  );
  lines.push("  }),");
  if (m.overrides) {
    lines.push("  overrides: {");
    lines.push(
      `    darwin: ({ options }) => ({ env: { ${envName(m.name)}_HOME: "~/Library/Application Support/${m.name}" }${m.i % 3 === 0 ? `, darwin: { "system.defaults.CustomUserPreferences.${camel("org-" + m.name)}.logLevel": options.logLevel }` : ""} }),`,
    );
    lines.push(
      `    nixos: (${m.dataset ? "{ host }" : ""}) => ({ env: { ${envName(m.name)}_HOME: "~/.local/share/${m.name}" }${m.dataset ? `, ...(host.zfs ? { datasets: { data: { dataset: "tank/bench/${m.name}", mountpoint: "/var/lib/${m.name}", snapshots: { keep: 7, every: "daily" } } } } : {})` : ""} }),`,
    );
    lines.push("  },");
  }
  if (m.contributes.length) {
    lines.push("  contributes: {");
    for (const c of m.contributes) {
      if (c.fn)
        lines.push(
          `    ${JSON.stringify(c.target)}: ({ options }) => ({ extraArgs: [\`--from-${m.name}=\${options.logLevel}\`] }),`,
        );
      else lines.push(`    ${JSON.stringify(c.target)}: { extraArgs: ["--with-${m.name}"] },`);
    }
    lines.push("  },");
  }
  lines.push("});");
  return lines.join("\n") + "\n";
}

const HELPER = `/** Shared by some modules of the benchmark workspace: a relative import, not a program. */
import type { HostInfo } from "setup-mac";

export function configDir(host: HostInfo, app: string): string {
  return host.platform === "darwin" ? \`~/Library/Application Support/\${app}\` : \`~/.config/\${app}\`;
}
`;

function hostEntry(m, r) {
  if (m.legacy) return false;
  if (!r.chance(0.55)) return undefined;
  if (r.chance(0.6)) return true;
  const entry = {};
  const theme = m.options.find((o) => o.key === "theme");
  if (theme) entry.theme = r.pick(THEMES);
  entry.logLevel = r.pick(LEVELS);
  if (r.chance(0.3)) entry.extraArgs = [`--host-arg-${m.i}`];
  return entry;
}

/** The config `configText` wrote last (its hosts and shared defaults), for the Nix twin. */
let lastConfig;

function configText(modules, seed, hostCount) {
  const r = rng(seed ^ 0x5eed);
  const hosts = {
    macbook: {
      description: "synthetic darwin host",
      platform: "darwin",
      system: "aarch64-darwin",
      user: "bench",
      programs: {},
    },
    server: {
      description: "synthetic NixOS host with ZFS",
      platform: "nixos",
      system: "x86_64-linux",
      user: "bench",
      homeManager: true,
      zfs: true,
      programs: {},
    },
  };
  if (hostCount === 1) delete hosts.server;
  for (const host of Object.values(hosts)) {
    for (const m of modules) {
      const entry = hostEntry(m, r);
      if (entry !== undefined) host.programs[m.name] = entry;
    }
  }
  const defaults = {};
  for (const m of modules) if (r.chance(0.05)) defaults[m.name] = { logLevel: r.pick(LEVELS) };
  const body = JSON.stringify({ $schema: "./setup-mac/schema.json", defaults, hosts }, null, 2);
  lastConfig = { defaults, hosts };
  return (
    `// A synthetic workspace for the setup-mac benchmark: ${modules.length} programs, ${hostCount === 1 ? "one host" : "two hosts"}.\n` +
    `// Generated by bench/generate.mjs (seed ${seed}); do not edit.\n` +
    body +
    "\n"
  );
}

/**
 * Writes one workspace of `n` modules into `out` (replacing it) and returns its summary. With
 * `hosts: 1` the config has only the darwin host (with the same programs and values).
 */
export function generate(
  n,
  {
    seed = 1,
    hosts = 2,
    out = join(here, ".work", hosts === 1 ? `${n}-one-host` : String(n)),
  } = {},
) {
  const r = rng(seed * 1_000_003 + n);
  const names = Array.from({ length: n }, (_, i) => `${r.pick(WORDS)}-${pad(i)}`);
  const modules = [];
  const lower = { eligible: [], legacyTargets: [] };
  for (let i = 0; i < n; i++) {
    const m = planModule(i, r, names, lower);
    modules.push(m);
    (m.legacy ? lower.legacyTargets : lower.eligible).push(m.name);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "programs", "_lib"), { recursive: true });
  writeFileSync(join(out, "programs", "_lib", "paths.ts"), HELPER);
  for (const m of modules) {
    const path = join(out, "programs", m.category, `${m.name}.ts`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, moduleSource(m));
  }
  writeFileSync(join(out, "setup-mac.jsonc"), configText(modules, seed, hosts));
  writeNixTwin(join(out, "nix-twin"), modules, lastConfig, Object.keys(lastConfig.hosts)[0]);
  return {
    out,
    modules: n,
    contributing: modules.filter((m) => m.contributes.length).length,
    services: modules.filter((m) => m.service).length,
  };
}

// ------------------------------------------------------------------------- the Nix twin
/*
 * The same programs as NixOS-style modules for `lib.evalModules`, so the benchmark compares like
 * with like: each module declares its options (same types and defaults) under `programs.<name>`
 * and, when enabled, defines packages, a file, environment variables, the programs it requires
 * (`enable = true`) and its contributions to other programs' `extraArgs` (only when the target is
 * enabled, computed ones from its own options). One host's config: what it enables, its values,
 * the shared defaults at `mkDefault`. Services, overrides and the rest are not modelled, so this
 * under-counts the Nix side's work.
 */
const nixString = (s) => JSON.stringify(s).replace(/\$\{/g, "\\${");
const nixValue = (v) =>
  Array.isArray(v)
    ? `[ ${v.map(nixValue).join(" ")} ]`
    : typeof v === "object" && v !== null
      ? `{ ${Object.entries(v)
          .map(([k, x]) => `${nixString(k)} = ${nixValue(x)};`)
          .join(" ")} }`
      : typeof v === "string"
        ? nixString(v)
        : String(v);

function nixType(o) {
  switch (o.kind) {
    case "list":
      return "types.listOf types.str";
    case "enum":
      return `types.enum ${nixValue(o.values)}`;
    case "string":
      return "types.str";
    case "port":
      return "types.port";
    case "bool":
      return "types.bool";
    case "record":
      return "types.attrsOf types.str";
  }
  throw new Error(o.kind);
}

function nixModule(m) {
  const n = nixString(m.name);
  const lines = [];
  lines.push(`{ config, lib, ... }:`);
  lines.push(`let cfg = config.programs.${n}; inherit (lib) mkOption types; in {`);
  lines.push(`  options.programs.${n} = {`);
  lines.push(`    enable = lib.mkEnableOption ${n};`);
  for (const o of m.options)
    lines.push(
      `    ${o.key} = mkOption { type = ${nixType(o)}; default = ${nixValue(o.default)}; description = ${nixString(o.key)}; };`,
    );
  lines.push(`  };`);
  lines.push(`  config = lib.mkIf cfg.enable {`);
  lines.push(`    packages = ${nixValue(m.packages)};`);
  lines.push(
    `    files.${nixString(`~/.config/${m.name}/${m.name}.conf`)}.text = "log-level = \${cfg.logLevel}\n" + lib.concatStringsSep "\n" cfg.extraArgs;`,
  );
  lines.push(`    env.${nixString(envName(m.name) + "_LOG")} = cfg.logLevel;`);
  lines.push(
    `    env.${nixString(envName(m.name) + "_ARGS")} = lib.mkDefault (lib.concatStringsSep " " cfg.extraArgs);`,
  );
  const programs = [];
  for (const r of m.requires) programs.push(`    ${nixString(r)}.enable = true;`);
  for (const c of m.contributes)
    programs.push(
      `    ${nixString(c.target)}.extraArgs = lib.mkIf config.programs.${nixString(c.target)}.enable [ ${c.fn ? `"--from-${m.name}=\${cfg.logLevel}"` : nixString(`--with-${m.name}`)} ];`,
    );
  if (programs.length) lines.push(`    programs = {`, ...programs, `    };`);
  lines.push(`  };`);
  lines.push(`}`);
  return lines.join("\n") + "\n";
}

function writeNixTwin(dir, modules, config, host) {
  mkdirSync(join(dir, "modules"), { recursive: true });
  for (const m of modules) writeFileSync(join(dir, "modules", `${m.name}.nix`), nixModule(m));
  const values = [];
  for (const [name, entry] of Object.entries(config.hosts[host].programs)) {
    if (entry === false) continue;
    values.push(`    ${nixString(name)}.enable = true;`);
    if (typeof entry === "object")
      for (const [k, v] of Object.entries(entry))
        values.push(`    ${nixString(name)}.${k} = ${nixValue(v)};`);
  }
  const defaults = [];
  for (const [name, entry] of Object.entries(config.defaults))
    for (const [k, v] of Object.entries(entry))
      defaults.push(`    ${nixString(name)}.${k} = lib.mkDefault ${nixValue(v)};`);
  for (const [file, lines] of [
    ["host.nix", values],
    ["defaults.nix", defaults],
  ])
    writeFileSync(
      join(dir, file),
      `{ lib, ... }: {\n  programs = {\n${lines.join("\n")}\n  };\n}\n`,
    );
  writeFileSync(
    join(dir, "base.nix"),
    `{ lib, ... }: let inherit (lib) mkOption types; in {
  options.packages = mkOption { type = types.listOf types.str; default = [ ]; };
  options.files = mkOption { type = types.attrsOf (types.submodule { options.text = mkOption { type = types.str; }; }); default = { }; };
  options.env = mkOption { type = types.attrsOf types.str; default = { }; };
}
`,
  );
  writeFileSync(
    join(dir, "eval.nix"),
    `# lib.evalModules over the same programs as the workspace (bench/generate.mjs), one host.
{ lib }:
let
  names = builtins.attrNames (builtins.readDir ./modules);
  result = lib.evalModules {
    modules = [ ./base.nix ./host.nix ./defaults.nix ] ++ map (f: ./modules + "/\${f}") names;
  };
in { inherit (result.config) packages files env; }
`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  let seed = 1;
  let outArg;
  let hostCount = 2;
  const sizes = [];
  for (let k = 0; k < args.length; k++) {
    if (args[k] === "--seed") seed = Number(args[++k]);
    else if (args[k] === "--out") outArg = args[++k];
    else if (args[k] === "--one-host") hostCount = 1;
    else sizes.push(Number(args[k].replace(/[_,]/g, "")));
  }
  if (!sizes.length) sizes.push(100, 1000, 5000);
  for (const n of sizes) {
    const summary = generate(n, {
      seed,
      hosts: hostCount,
      ...(outArg ? { out: sizes.length > 1 ? join(outArg, String(n)) : outArg } : {}),
    });
    console.log(
      `${summary.modules} modules (${summary.contributing} contributing, ${summary.services} with services) → ${summary.out}`,
    );
  }
}
