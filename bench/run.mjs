#!/usr/bin/env node
/**
 * The setup-mac benchmark: whole processes, several runs each, on synthetic workspaces made by
 * bench/generate.mjs. Prints a markdown table (median, min, max wall time; peak RSS) and how
 * time grows with the number of modules. Never part of the test suite: timings are not assertions.
 *
 * Usage: npm run bench [-- --sizes 100,1000,5000] [--runs 5] [--readme] [--json FILE]
 *
 * cold = an empty load cache (SETUP_MAC_CACHE_DIR pointing at a fresh temporary folder);
 * warm = the cache filled by an earlier run. The built CLI is copied first, so a rebuild of
 * dist/ while the benchmark runs cannot change what is measured.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const work = join(here, ".work");

// ---------------------------------------------------------------------------------- arguments
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const sizes = value("--sizes", "100,1000,5000")
  .split(",")
  .map((s) => Number(s.replace(/_/g, "")));
const runs = Number(value("--runs", "5"));
const jsonOut = value("--json", undefined);

// ---------------------------------------------------------------------------------- the CLI
if (!existsSync(join(repo, "dist", "cli.js"))) {
  console.error("dist/ is missing: run `npm run build` first (npm run bench does).");
  process.exit(2);
}
// A private copy of the built CLI: node_modules (esbuild) still resolves from the repository.
const cliDir = join(work, "cli");
rmSync(cliDir, { recursive: true, force: true });
cpSync(join(repo, "bin"), join(cliDir, "bin"), { recursive: true });
cpSync(join(repo, "dist"), join(cliDir, "dist"), { recursive: true });
const cli = join(cliDir, "bin", "setup-mac.js");

const TIME = "/usr/bin/time";
const hasTime = spawnSync(TIME, ["-f", "%M", "true"]).status === 0;
// Without /usr/bin/time, a preload reports the process's own peak RSS on exit.
const rssPreload =
  "data:text/javascript," +
  encodeURIComponent(
    'process.on("exit",()=>process.stderr.write("\\n@@maxrss "+process.resourceUsage().maxRSS+"\\n"))',
  );

/**
 * Runs one process (node with `argv`, or `argv[0]` when `exe` is set); returns wall milliseconds
 * and peak RSS in KiB. Fails loudly on a non-zero exit.
 */
function once(argv, env, exe) {
  const program = exe ?? process.execPath;
  const command = hasTime ? TIME : program;
  const full = hasTime
    ? ["-f", "@@maxrss %M", program, ...argv]
    : exe
      ? argv
      : ["--import", rssPreload, ...argv];
  const start = process.hrtime.bigint();
  const result = spawnSync(command, full, {
    env: { ...process.env, NO_COLOR: "1", ...env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `${argv.join(" ")} exited with ${result.status}:\n${result.stderr.slice(-2000)}`,
    );
  }
  const rss = Number(/@@maxrss (\d+)/.exec(result.stderr)?.[1] ?? NaN);
  return { ms, rss };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Measures `runs` processes. `prepare` runs before each one, outside the timing (for cold runs:
 * a fresh cache folder).
 */
function measure(label, argv, { prepare = () => ({}), count = runs, exe } = {}) {
  const samples = [];
  for (let k = 0; k < count; k++) samples.push(once(argv, prepare(k), exe));
  const ms = samples.map((s) => s.ms);
  const result = {
    label,
    runs: count,
    median: median(ms),
    min: Math.min(...ms),
    max: Math.max(...ms),
    rssMB: Math.max(...samples.map((s) => s.rss)) / 1024,
  };
  process.stderr.write(
    `  ${label.padEnd(34)} ${result.median.toFixed(0).padStart(6)} ms  (${result.min.toFixed(0)}–${result.max.toFixed(0)})  ${result.rssMB.toFixed(0)} MB\n`,
  );
  return result;
}

const tempDirs = [];
const freshCache = () => {
  const dir = mkdtempSync(join(tmpdir(), "setup-mac-bench-"));
  tempDirs.push(dir);
  return { SETUP_MAC_CACHE_DIR: dir };
};

/** The first program module of a workspace, by path: the one the edit rows change. */
function firstModule(root) {
  const files = readdirSync(join(root, "programs"), { recursive: true })
    .filter((f) => f.endsWith(".ts") && !f.startsWith("_lib"))
    .sort();
  return join(root, "programs", files[0]);
}

// A nixpkgs lib (a checkout of nix-community/nixpkgs.lib) to time `lib.evalModules` on the same
// programs in the same run; without it those rows and ratios are left out.
const nixpkgsLib = process.env.NIXPKGS_LIB;
if (nixpkgsLib && !existsSync(join(nixpkgsLib, "lib", "default.nix"))) {
  console.error(
    `NIXPKGS_LIB=${nixpkgsLib} has no lib/default.nix: point it at a nixpkgs.lib checkout.`,
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------- measure
const rows = [];
const bySize = {};
process.stderr.write(
  `setup-mac benchmark: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ${runs} runs each\n`,
);
rows.push({ n: "-", ...measure("node -e 0 (baseline)", ["-e", "0"]) });
rows.push({ n: "-", ...measure("setup-mac --help", [cli, "--help"]) });
rows.push({ n: "-", ...measure("setup-mac --version", [cli, "--version"]) });

try {
  for (const n of sizes) {
    const dir = join(work, String(n));
    if (!existsSync(join(dir, "setup-mac.jsonc"))) generate(n);
    const oneHost = join(work, `${n}-one-host`);
    if (!existsSync(join(oneHost, "nix-twin", "eval.nix"))) generate(n, { hosts: 1 });
    process.stderr.write(`${n} modules\n`);
    const ws = ["--workspace", dir];
    const warm = freshCache();
    const count = n >= 5000 ? Math.min(runs, 3) : runs;
    const opts = (extra) => ({ count, ...extra });
    // Fill the warm cache (and check the workspace is clean) before measuring.
    once([cli, ...ws, "check"], warm);
    once([cli, "--workspace", oneHost, "check"], freshCache());
    const results = {
      listCold: measure(
        `programs list, cold`,
        [cli, ...ws, "programs", "list"],
        opts({ prepare: freshCache }),
      ),
      listWarm: measure(
        `programs list, warm`,
        [cli, ...ws, "programs", "list"],
        opts({ prepare: () => warm }),
      ),
      checkCold: measure(`check, cold`, [cli, ...ws, "check"], opts({ prepare: freshCache })),
      checkWarm: measure(`check, warm`, [cli, ...ws, "check"], opts({ prepare: () => warm })),
      buildCold: measure(`build, cold`, [cli, ...ws, "build"], opts({ prepare: freshCache })),
      buildWarm: measure(`build, warm`, [cli, ...ws, "build"], opts({ prepare: () => warm })),
      // What one machine builds: the same modules, a config with only the darwin host.
      buildOneHost: measure(
        `build, cold, one host`,
        [cli, "--workspace", oneHost, "build"],
        opts({ prepare: freshCache }),
      ),
    };
    // What a user does fifty times a day: edit one module, or one config value, and build (one
    // host, the cache filled by the build before; each run edits again).
    const editCache = freshCache();
    once([cli, "--workspace", oneHost, "build"], editCache);
    const moduleFile = firstModule(oneHost);
    const moduleText = readFileSync(moduleFile, "utf8");
    results.buildModuleEdit = measure(
      `build, one module edited, one host`,
      [cli, "--workspace", oneHost, "build"],
      opts({
        prepare: (k) => {
          writeFileSync(moduleFile, moduleText.replace(/"--version"/, `"--version-${k}"`));
          return editCache;
        },
      }),
    );
    writeFileSync(moduleFile, moduleText);
    once([cli, "--workspace", oneHost, "build"], editCache);
    const configFile = join(oneHost, "setup-mac.jsonc");
    const configText = readFileSync(configFile, "utf8");
    const levels = ["debug", "info", "warn", "error"];
    results.buildConfigEdit = measure(
      `build, one config value edited, one host`,
      [cli, "--workspace", oneHost, "build"],
      opts({
        prepare: (k) => {
          // A different value at every run: the previous run's cache never has this one.
          const current = /"logLevel": "(\w+)"/.exec(configText)[1];
          const next = levels.filter((l) => l !== current)[k % 3];
          writeFileSync(
            configFile,
            configText.replace(/"logLevel": "\w+"/, `"logLevel": "${next}"`),
          );
          return editCache;
        },
      }),
    );
    writeFileSync(configFile, configText);
    if (nixpkgsLib) {
      results.evalModules = measure(
        `lib.evalModules, one host (Nix)`,
        [
          "--eval",
          "--strict",
          "--json",
          "--store",
          "dummy://",
          join(oneHost, "nix-twin", "eval.nix"),
          "--arg",
          "lib",
          `import ${join(nixpkgsLib, "lib")}`,
        ],
        opts({ exe: "nix-instantiate" }),
      );
    }
    bySize[n] = results;
    for (const r of Object.values(results)) rows.push({ n, ...r });
  }
} finally {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------- report
const fmt = (x) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const lines = [];
lines.push(
  `Measured with \`npm run bench\` on a ${cpus().length}-core ${process.platform === "linux" ? "Linux" : process.platform} VM, Node ${process.version.split(".")[0].slice(1)}; ` +
    `whole processes, ${runs} runs each (at most 3 at 5,000 modules); cold = empty load cache.`,
);
lines.push("");
lines.push("| modules | command | median | min | max | peak RSS |");
lines.push("|---:|---|---:|---:|---:|---:|");
for (const r of rows) {
  lines.push(
    `| ${typeof r.n === "number" ? r.n.toLocaleString("en-US") : r.n} | ${r.label} | ${fmt(r.median)} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.rssMB.toFixed(0)} MB |`,
  );
}

const measured = sizes.filter((n) => bySize[n]);
const growthRows = [
  ["listWarm", "programs list, warm"],
  ["checkWarm", "check, warm"],
  ["buildCold", "build, cold"],
  ["buildOneHost", "build, cold, one host"],
  ["buildModuleEdit", "build, one module edited"],
  ["buildConfigEdit", "build, one config value edited"],
  ["evalModules", "lib.evalModules (Nix)"],
].filter(([key]) => measured.every((n) => bySize[n][key]));
if (measured.length > 1) {
  lines.push("");
  lines.push(
    "Growth with the number of modules (median; per 1,000 modules in brackets; last column: time at the largest size over time at the smallest, against the ratio of sizes):",
  );
  lines.push("");
  const first = measured[0];
  const last = measured.at(-1);
  lines.push(
    `| command | ${measured.map((n) => n.toLocaleString("en-US")).join(" | ")} | growth (${last / first}× modules) |`,
  );
  lines.push(`|---|${measured.map(() => "---:").join("|")}|---:|`);
  for (const [key, label] of growthRows) {
    lines.push(
      `| ${label} | ${measured
        .map((n) => `${fmt(bySize[n][key].median)} (${fmt((bySize[n][key].median / n) * 1000)})`)
        .join(" | ")} | ${(bySize[last][key].median / bySize[first][key].median).toFixed(2)}× |`,
    );
  }
}

const targets = [];
const baseline = rows[0].median;
const help = rows[1].median;
targets.push([
  `\`--help\` within 1.5× of \`node -e 0\``,
  `${(help / baseline).toFixed(2)}×`,
  help <= 1.5 * baseline,
]);
const at1000 = bySize[1000];
if (at1000) {
  targets.push([
    "1,000 modules: warm `programs list` ≤ 200 ms",
    fmt(at1000.listWarm.median),
    at1000.listWarm.median <= 200,
  ]);
  targets.push([
    "1,000 modules: one module edited → `build` ≤ 300 ms",
    fmt(at1000.buildModuleEdit.median),
    at1000.buildModuleEdit.median <= 300,
  ]);
  targets.push([
    "1,000 modules: one config value edited → `build` ≤ 250 ms",
    fmt(at1000.buildConfigEdit.median),
    at1000.buildConfigEdit.median <= 250,
  ]);
}
for (const [n, factor] of [
  [1000, 2],
  [5000, 5],
]) {
  const r = bySize[n];
  if (!r?.evalModules) continue;
  const ratio = r.evalModules.median / r.buildOneHost.median;
  targets.push([
    `${n.toLocaleString("en-US")} modules: cold \`build\` (one host) ≥ ${factor}× faster than \`lib.evalModules\` (${fmt(r.evalModules.median)})`,
    `${ratio.toFixed(2)}×`,
    ratio >= factor,
  ]);
  const rss = r.buildOneHost.rssMB / r.evalModules.rssMB;
  targets.push([
    `${n.toLocaleString("en-US")} modules: peak RSS of cold \`build\` ≤ 1/4 of \`lib.evalModules\`' (${r.evalModules.rssMB.toFixed(0)} MB)`,
    `${r.buildOneHost.rssMB.toFixed(0)} MB (${rss.toFixed(2)})`,
    rss <= 0.25,
  ]);
}
if (measured.length > 1) {
  const first = measured[0];
  const last = measured.at(-1);
  const allowed = (last / first) * 1.1;
  for (const [key, label] of growthRows) {
    const ratio = bySize[last][key].median / bySize[first][key].median;
    targets.push([
      `linear growth: ${label} (${first.toLocaleString("en-US")} → ${last.toLocaleString("en-US")} modules, ≤ ${allowed.toFixed(1)}×)`,
      `${ratio.toFixed(2)}×`,
      ratio <= allowed,
    ]);
  }
}
lines.push("");
lines.push("| target | measured | met |");
lines.push("|---|---:|:---:|");
for (const [what, got, ok] of targets)
  lines.push(`| ${what} | ${got} | ${ok ? "yes" : "**no**"} |`);
lines.push("");
lines.push(
  "`lib.evalModules` (Nix, `nix-instantiate --eval --strict`) runs on the same programs written as NixOS-style modules by bench/generate.mjs (`nix-twin/`: options, packages, a file, environment, requires, contributions; no services or overrides, so the Nix side does less than setup-mac), when `NIXPKGS_LIB` points at a nixpkgs.lib checkout.",
);
const table = lines.join("\n");
console.log("\n" + table);

if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ rows, bySize }, null, 2));

if (flag("--readme")) {
  const readme = join(repo, "README.md");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const block = `${start}\n${table}\n${end}`;
  const text = existsSync(readme) ? readFileSync(readme, "utf8") : "";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const next =
    a >= 0 && b > a
      ? text.slice(0, a) + block + text.slice(b + end.length)
      : `${text.replace(/\n*$/, "\n")}\n## Performance\n\n${block}\n`;
  writeFileSync(readme, next);
  process.stderr.write("README.md: Performance section updated\n");
}
