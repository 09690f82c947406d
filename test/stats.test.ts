/**
 * The timing history (decision 0029) with real module code in the isolate: modules that
 * busy-wait a known time against a fast one, `check`'s slow-module warning, and `stats`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { check } from "../src/api/check.js";
import { stats } from "../src/api/stats.js";
import { historyPath, readTimingHistory, recordTimingRun } from "../src/adapters/timing-history.js";
import { realRoot, workspaceCacheDir } from "../src/load/bundle.js";
import { serializeRun, type TimingRun } from "../src/stats/history.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

/** Busy-waits `ms` of wall-clock time: deterministic at least `ms`, whatever the machine. */
const spin = (ms: number) =>
  `{ const until = performance.now() + ${ms}; while (performance.now() < until) {} }`;

const SLOW_EVAL = "programs/x/slow-eval.ts";
const SLOW_LOAD = "programs/x/slow-load.ts";
const FAST = "programs/x/fast.ts";

function workspace(evaluation = ""): { root: string; cacheDir: string; history: string } {
  const root = temp("sm-stats-");
  const files: Record<string, string> = {
    "setup-mac.jsonc": `{ ${evaluation} "hosts": { "h": { "platform": "nixos", "system": "x86_64-linux", "user": "u", "programs": { "slow-eval": true, "slow-load": true, "fast": true } } } }\n`,
    [SLOW_EVAL]: `import { defineProgram } from "setup-mac";
export default defineProgram({
  name: "slow-eval", description: "waits in config",
  config: () => { ${spin(80)} return { env: { A: "a" } }; },
});
`,
    [SLOW_LOAD]: `import { defineProgram } from "setup-mac";
${spin(80)}
export default defineProgram({ name: "slow-load", description: "waits at its top level", config: () => ({ env: { B: "b" } }) });
`,
    [FAST]: `import { defineProgram } from "setup-mac";
export default defineProgram({ name: "fast", description: "fast", config: () => ({ env: { C: "c" } }) });
`,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const cacheDir = temp("sm-stats-cache-");
  return { root, cacheDir, history: historyPath(workspaceCacheDir(realRoot(root), cacheDir)!) };
}

const slowWarnings = (r: Awaited<ReturnType<typeof check>>) =>
  r.diagnostics.filter((d) => d.code === "slow-module");

describe("check warns about a slow module", () => {
  it("names the slow modules, not the fast one, as warnings that leave the result ok", async () => {
    const { root, cacheDir, history } = workspace();
    const result = await check({ workspace: root, cacheDir });
    expect(result.ok).toBe(true);
    const warnings = slowWarnings(result);
    expect(warnings.map((d) => [d.location?.file, d.severity]).sort()).toEqual([
      [SLOW_EVAL, "warning"],
      [SLOW_LOAD, "warning"],
    ]);
    expect(warnings[0]!.message).toMatch(
      /^takes \d+ ms to load and evaluate \(in its last run\), over the 50 ms limit$/,
    );
    expect(warnings[0]!.hint).toContain('"evaluation": { "slowModuleMs": 50 }');

    // The history splits where the time went: the top level is loading, `config` evaluating.
    const [run] = readTimingHistory(dirname(dirname(history)));
    expect(run!.command).toBe("library");
    expect(run!.hosts).toBe(1);
    const [evalLoad, evalEval, evalCache] = run!.modules[SLOW_EVAL]!;
    const [loadLoad, loadEval] = run!.modules[SLOW_LOAD]!;
    expect(evalEval).toBeGreaterThanOrEqual(80);
    expect(evalLoad).toBeLessThan(80);
    expect(evalCache).toBe("miss");
    expect(loadLoad).toBeGreaterThanOrEqual(80);
    expect(loadEval).toBeLessThan(80);
    expect(run!.modules[FAST]![0]! + run!.modules[FAST]![1]!).toBeLessThan(50);
  });

  it("keeps warning when the next run comes from the cache, by the runs that measured it", async () => {
    const { root, cacheDir, history } = workspace();
    await check({ workspace: root, cacheDir });
    const again = await check({ workspace: root, cacheDir });
    expect(
      slowWarnings(again)
        .map((d) => d.location?.file)
        .sort(),
    ).toEqual([SLOW_EVAL, SLOW_LOAD]);
    const runs = readTimingHistory(dirname(dirname(history)));
    expect(runs).toHaveLength(2);
    // The whole answer was reused: no module code ran, every module was a hit.
    expect(runs[1]!.modules[SLOW_EVAL]).toEqual([null, null, "hit"]);
  });

  it("judges by the median from 3 runs on: one slow run among fast ones does not warn", async () => {
    const { root, cacheDir, history } = workspace();
    const fast: TimingRun = {
      at: "2026-12-07T09:00:00.000Z",
      command: "build",
      hosts: 1,
      modules: {
        [SLOW_EVAL]: [0.5, 2, "miss"],
        [SLOW_LOAD]: [2, 0.5, "miss"],
        [FAST]: [0.5, 0.1, "miss"],
      },
    };
    mkdirSync(dirname(history), { recursive: true });
    writeFileSync(history, [fast, fast, fast].map(serializeRun).join(""));
    const result = await check({ workspace: root, cacheDir });
    expect(slowWarnings(result)).toEqual([]);
    expect(readTimingHistory(dirname(dirname(history)))).toHaveLength(4);

    // Three more slow runs (each after an edit, so its code runs) make the slow times the median.
    const touch = () => {
      for (const file of [SLOW_EVAL, SLOW_LOAD])
        writeFileSync(join(root, file), readFileSync(join(root, file), "utf8") + "\n");
    };
    touch();
    expect(slowWarnings(await check({ workspace: root, cacheDir }))).toEqual([]);
    touch();
    expect(slowWarnings(await check({ workspace: root, cacheDir }))).toEqual([]);
    touch();
    const last = await check({ workspace: root, cacheDir });
    expect(
      slowWarnings(last)
        .map((d) => d.location?.file)
        .sort(),
    ).toEqual([SLOW_EVAL, SLOW_LOAD]);
    expect(slowWarnings(last)[0]!.message).toMatch(/\(the median of its last 7 runs\)/);
  });

  it("takes the limit from the option, else from the config's evaluation.slowModuleMs", async () => {
    const configured = workspace(`"evaluation": { "slowModuleMs": 5000 },`);
    const quiet = await check({ workspace: configured.root, cacheDir: configured.cacheDir });
    expect(slowWarnings(quiet)).toEqual([]);
    const strict = await check({
      workspace: configured.root,
      cacheDir: configured.cacheDir,
      slowModuleMs: 60,
    });
    expect(slowWarnings(strict)).toHaveLength(2);
    expect(slowWarnings(strict)[0]!.message).toMatch(/over the 60 ms limit$/);
  });

  it("a corrupt or unwritable history is harmless, and the cache off still judges this run", async () => {
    const { root, cacheDir, history } = workspace();
    mkdirSync(dirname(history), { recursive: true });
    writeFileSync(history, '{"v":1,"at":\n\u0000garbage');
    expect(slowWarnings(await check({ workspace: root, cacheDir }))).toHaveLength(2);
    expect(readTimingHistory(dirname(dirname(history)))).toHaveLength(1);

    // A folder where the file should be: it cannot be replaced, and nothing fails. This run's
    // answer comes whole from the cache (no code ran), so there is nothing to judge it by…
    rmSync(history);
    mkdirSync(history);
    const blocked = await check({ workspace: root, cacheDir });
    expect(blocked.diagnostics).toEqual([]);
    // …until the code runs again.
    for (const file of [SLOW_EVAL, SLOW_LOAD])
      writeFileSync(join(root, file), readFileSync(join(root, file), "utf8") + "\n");
    expect(slowWarnings(await check({ workspace: root, cacheDir }))).toHaveLength(2);

    const off = await check({ workspace: root, cacheDir: null });
    expect(slowWarnings(off)).toHaveLength(2);
  });
});

describe("stats", () => {
  it("has no runs before anything was evaluated", async () => {
    const { root, cacheDir } = workspace();
    const report = await stats({ workspace: root, cacheDir });
    expect(report).toMatchObject({ recorded: 0, runs: 0, modules: [], slow: [], sections: [] });
  });

  it("summarises the recorded runs, the newest N with `last`, with further sections", async () => {
    const { root, cacheDir } = workspace();
    await check({ workspace: root, cacheDir });
    await check({ workspace: root, cacheDir });
    const seen: unknown[] = [];
    const report = await stats({
      workspace: root,
      cacheDir,
      sections: [
        (context) => {
          seen.push(context);
          return {
            name: "usage",
            title: "Usage",
            columns: ["VERB"],
            rows: [["check"]],
            data: { check: 2 },
          };
        },
        () => undefined,
      ],
    });
    expect(report.recorded).toBe(2);
    expect(report.runs).toBe(2);
    expect(report.commands).toEqual({ library: 2 });
    expect(report.keep).toBe(50);
    expect(report.modules.map((m) => m.file).slice(2)).toEqual([FAST]);
    const slowEval = report.modules.find((m) => m.file === SLOW_EVAL)!;
    expect(slowEval).toMatchObject({ runs: 2, measured: 1, hits: 1, misses: 1, hitRate: 0.5 });
    expect(slowEval.evaluateMs).toBeGreaterThanOrEqual(80);
    expect(report.slow.map((s) => s.file).sort()).toEqual([SLOW_EVAL, SLOW_LOAD]);
    expect(report.sections).toEqual([
      { name: "usage", title: "Usage", columns: ["VERB"], rows: [["check"]], data: { check: 2 } },
    ]);
    expect(seen).toEqual([{ root }]);

    const newest = await stats({ workspace: root, cacheDir, last: 1 });
    expect(newest.runs).toBe(1);
    expect(newest.recorded).toBe(2);
    // The newest run was served whole from the cache: nothing measured in it.
    expect(newest.modules.every((m) => m.measured === 0 && m.hits === 1)).toBe(true);
    expect(newest.slow).toEqual([]);
  });
});

describe("the history file", () => {
  it("appends a run on a line of its own after a torn last line", () => {
    const cacheDir = temp("sm-stats-file-");
    const r = (n: number): TimingRun => ({
      at: new Date(Date.UTC(2026, 11, 7, 10, 0, n)).toISOString(),
      command: "build",
      hosts: 1,
      modules: { "a.ts": [1, 2, "miss"] },
    });
    expect(recordTimingRun(cacheDir, r(1))).toBe(true);
    writeFileSync(
      historyPath(cacheDir),
      readFileSync(historyPath(cacheDir), "utf8") + '{"v":1,"at',
    );
    expect(recordTimingRun(cacheDir, r(2))).toBe(true);
    expect(readTimingHistory(cacheDir)).toEqual([r(1), r(2)]);
    for (let i = 3; i <= 60; i++) recordTimingRun(cacheDir, r(i));
    const runs = readTimingHistory(cacheDir);
    expect(runs.length).toBeLessThanOrEqual(50);
    expect(runs.at(-1)).toEqual(r(60));
  });
});
