import { describe, expect, it } from "vitest";
import type { TimingRun } from "./history.js";
import { appendRun, buildRun, HISTORY_FORMAT, parseHistory, serializeHistory } from "./history.js";

const run = (n: number, modules = 1): TimingRun => ({
  at: new Date(Date.UTC(2026, 11, 7, 10, 0, n)).toISOString(),
  command: "check",
  hosts: 1,
  modules: Object.fromEntries(
    Array.from({ length: modules }, (_, i) => [`m${i}.ts`, [1, 2, "miss"]] as const),
  ) as TimingRun["modules"],
});

describe("buildRun", () => {
  it("records every module that ran or was cached, sorted, times rounded to 0.01 ms", () => {
    const record = buildRun({
      at: new Date("2026-12-07T10:00:00Z"),
      command: "programs status",
      hosts: 2,
      times: [
        ["programs/b.ts", 1.23456, 7.891],
        ["programs/a.ts", 0.004, 0],
      ],
      cache: { "programs/b.ts": "hit", "programs/c.ts": "miss" },
    });
    expect(record).toEqual({
      at: "2026-12-07T10:00:00.000Z",
      command: "programs status",
      hosts: 2,
      modules: {
        "programs/a.ts": [0, 0, null],
        "programs/b.ts": [1.23, 7.89, "hit"],
        "programs/c.ts": [null, null, "miss"],
      },
    });
    expect(Object.keys(record.modules)).toEqual([
      "programs/a.ts",
      "programs/b.ts",
      "programs/c.ts",
    ]);
  });
});

describe("parseHistory", () => {
  it("reads back what serializeHistory wrote", () => {
    const runs = [run(1, 2), run(2, 3)];
    expect(parseHistory(serializeHistory(runs))).toEqual(runs);
  });

  it("reads garbage, truncated text and another format as an empty history", () => {
    const text = serializeHistory([run(1)]);
    expect(parseHistory("")).toEqual([]);
    expect(parseHistory("not json")).toEqual([]);
    expect(parseHistory(text.slice(0, text.length / 2))).toEqual([]);
    expect(parseHistory(JSON.stringify({ format: HISTORY_FORMAT + 1, runs: [run(1)] }))).toEqual(
      [],
    );
    expect(parseHistory("[]")).toEqual([]);
  });

  it("leaves out a run that does not fit the shape and keeps the others", () => {
    const bad = { ...run(2), modules: { "a.ts": [1, "fast", "miss"] } };
    const negative = { ...run(3), modules: { "a.ts": [-1, 1, "miss"] } };
    const text = JSON.stringify({ format: HISTORY_FORMAT, runs: [run(1), bad, negative, run(4)] });
    expect(parseHistory(text)).toEqual([run(1), run(4)]);
  });
});

describe("appendRun", () => {
  it("keeps the newest maxRuns runs, the new one last", () => {
    let runs: TimingRun[] = [];
    for (let i = 0; i < 60; i++) runs = appendRun(runs, run(i));
    expect(runs).toHaveLength(50);
    expect(runs[0]).toEqual(run(10));
    expect(runs.at(-1)).toEqual(run(59));
  });

  it("keeps fewer runs of many modules, but never fewer than minRuns", () => {
    const limits = { maxRuns: 50, maxEntries: 1000, minRuns: 5 };
    let runs: TimingRun[] = [];
    for (let i = 0; i < 20; i++) runs = appendRun(runs, run(i, 100), limits);
    expect(runs.map((r) => r.at)).toEqual(
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((i) => run(i).at),
    );
    for (let i = 20; i < 30; i++) runs = appendRun(runs, run(i, 600), limits);
    expect(runs).toHaveLength(5);
    expect(runs.at(-1)!.at).toBe(run(29).at);
  });
});
