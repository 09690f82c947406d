import { describe, expect, it } from "vitest";
import type { ModuleSample, TimingRun } from "./history.js";
import { median, moduleStats, percentile, slowModules } from "./outliers.js";

const run = (modules: Record<string, ModuleSample>, command = "check"): TimingRun => ({
  at: "2026-12-07T10:00:00.000Z",
  command,
  hosts: 1,
  modules,
});

describe("median and percentile", () => {
  it("handle empty, odd and even inputs", () => {
    expect(median([])).toBe(0);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it("percentile is the nearest rank", () => {
    expect(percentile([], 95)).toBe(0);
    expect(percentile([5], 95)).toBe(5);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile([1, 2, 3, 4, 100], 95)).toBe(100);
    expect(percentile([1, 2, 3, 4, 100], 0)).toBe(1);
  });
});

describe("moduleStats", () => {
  it("counts a module's time only in the runs where its code ran, and its cache hits", () => {
    const stats = moduleStats([
      run({ "a.ts": [1, 9, "miss"], "b.ts": [0.5, 0, null] }),
      run({ "a.ts": [1, 0.1, "hit"], "b.ts": [0.5, 0, null] }),
      run({ "a.ts": [null, null, "hit"], "b.ts": [null, null, "hit"] }),
      run({ "a.ts": [2, 18, "miss"], "b.ts": [1.5, 0, null] }),
    ]);
    expect(stats).toEqual([
      {
        file: "a.ts",
        runs: 4,
        measured: 2,
        lastMs: 20,
        medianMs: 15,
        p95Ms: 20,
        loadMs: 1.5,
        evaluateMs: 13.5,
        hits: 2,
        misses: 2,
        hitRate: 0.5,
      },
      {
        file: "b.ts",
        runs: 4,
        measured: 3,
        lastMs: 1.5,
        medianMs: 0.5,
        p95Ms: 1.5,
        loadMs: 0.5,
        evaluateMs: 0,
        hits: 1,
        misses: 0,
        hitRate: 1,
      },
    ]);
  });

  it("sorts slowest median first, a module never measured last, then by file", () => {
    const stats = moduleStats([
      run({ "z.ts": [1, 1, "miss"], "y.ts": [1, 1, "miss"], "x.ts": [null, null, "hit"] }),
      run({ "m.ts": [30, 0, "miss"] }),
    ]);
    expect(stats.map((s) => s.file)).toEqual(["m.ts", "y.ts", "z.ts", "x.ts"]);
    expect(stats.at(-1)).toMatchObject({ measured: 0, lastMs: null, medianMs: null });
  });
});

describe("slowModules", () => {
  it("judges by the last run while there are fewer than 3 measured runs", () => {
    expect(
      slowModules([run({ "slow.ts": [1, 80, "miss"], "fast.ts": [1, 2, "miss"] })], 50),
    ).toEqual([{ file: "slow.ts", ms: 81, basis: "last", runs: 1 }]);
    // The last measured run, not the first: a module made fast stops warning at once.
    expect(
      slowModules([run({ "a.ts": [1, 80, "miss"] }), run({ "a.ts": [1, 2, "miss"] })], 50),
    ).toEqual([]);
  });

  it("judges by the median from 3 measured runs on: one noisy run never warns", () => {
    const runs = [10, 12, 90].map((ms) => run({ "a.ts": [0, ms, "miss"] }));
    expect(slowModules(runs, 50)).toEqual([]);
    const slow = [60, 70, 10].map((ms) => run({ "a.ts": [0, ms, "miss"] }));
    expect(slowModules(slow, 50)).toEqual([{ file: "a.ts", ms: 60, basis: "median", runs: 3 }]);
  });

  it("is an absolute limit: a module far above the others but under it is not slow", () => {
    const runs = [
      run({ "a.ts": [0, 0.1, "miss"], "b.ts": [0, 0.2, "miss"], "c.ts": [0, 40, "miss"] }),
    ];
    expect(slowModules(runs, 50)).toEqual([]);
    expect(slowModules(runs, 30).map((s) => s.file)).toEqual(["c.ts"]);
  });

  it("ignores runs whose output came from the cache, and lists the slowest first", () => {
    const runs = [
      run({ "a.ts": [0, 70, "miss"], "b.ts": [0, 200, "miss"] }),
      run({ "a.ts": [0, 1, "hit"], "b.ts": [null, null, "hit"] }),
      run({ "a.ts": [null, null, "hit"], "b.ts": [null, null, "hit"] }),
    ];
    expect(slowModules(runs, 50).map((s) => [s.file, s.ms, s.basis])).toEqual([
      ["b.ts", 200, "last"],
      ["a.ts", 70, "last"],
    ]);
  });
});
