import { describe, expect, it } from "vitest";
import type { TimingRun } from "./history.js";
import {
  buildRun,
  HISTORY_FORMAT,
  HISTORY_LIMITS,
  isFull,
  parseHistory,
  serializeRun,
  trimHistory,
} from "./history.js";

const text = (runs: TimingRun[]) => runs.map(serializeRun).join("");

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
  it("with `ran`, skips the runs in which no module code ran without parsing them", () => {
    const served: TimingRun = { ...run(2), modules: { "m0.ts": [null, null, "hit"] } };
    const file = text([run(1), served, run(3)]);
    expect(file.split("\n")[1]).toMatch(/^\{"v":1,"ran":false,/);
    expect(parseHistory(file)).toEqual([run(1), served, run(3)]);
    expect(parseHistory(file, { ran: true })).toEqual([run(1), run(3)]);
    expect(parseHistory(file, { ran: true, last: 2 })).toEqual([run(3)]);
  });

  it("reads back what serializeRun wrote, one JSON line a run", () => {
    const runs = [run(1, 2), run(2, 3)];
    expect(text(runs).split("\n")).toHaveLength(3);
    expect(parseHistory(text(runs))).toEqual(runs);
  });

  it("reads garbage and an empty file as an empty history", () => {
    expect(parseHistory("")).toEqual([]);
    expect(parseHistory("not json\n")).toEqual([]);
    expect(parseHistory("[]\nnull\n42\n")).toEqual([]);
  });

  it("leaves out a torn, malformed or foreign line and keeps the others", () => {
    const line = (r: unknown) => JSON.stringify(r) + "\n";
    const v = HISTORY_FORMAT;
    const bad = [
      line({ v, ...run(2), modules: { "a.ts": [1, "fast", "miss"] } }),
      line({ v, ...run(3), modules: { "a.ts": [-1, 1, "miss"] } }),
      line({ v, ...run(4), modules: { "a.ts": [1, 1, "cached"] } }),
      line({ v, ...run(5), modules: { "a.ts": [1, 1] } }),
      line({ v, ...run(6), at: "yesterday" }),
      line({ v, ...run(7), hosts: -1 }),
      line({ v: v + 1, ...run(8) }),
      line({ ...run(9) }),
      serializeRun(run(10)).slice(0, 30) + "\n",
    ];
    expect(parseHistory(serializeRun(run(1)) + bad.join("") + serializeRun(run(11)))).toEqual([
      run(1),
      run(11),
    ]);
  });
});

describe("isFull and trimHistory", () => {
  /** Adds runs the way the file's writer does: append, or trim when full. */
  const add = (file: string, r: TimingRun, limits = HISTORY_LIMITS) => {
    const line = serializeRun(r);
    return isFull(Buffer.byteLength(file), Buffer.byteLength(line), limits)
      ? trimHistory(file, line, limits)
      : file + line;
  };

  it("appends up to maxRuns runs, then keeps the newest, the new one last", () => {
    let file = "";
    for (let i = 0; i < 50; i++) file = add(file, run(i));
    expect(parseHistory(file)).toHaveLength(50);
    file = add(file, run(50));
    const runs = parseHistory(file);
    expect(runs).toHaveLength(40);
    expect(runs[0]).toEqual(run(11));
    expect(runs.at(-1)).toEqual(run(50));
    for (let i = 51; i < 200; i++) file = add(file, run(i));
    expect(parseHistory(file).length).toBeLessThanOrEqual(50);
    expect(parseHistory(file).at(-1)).toEqual(run(199));
    expect(parseHistory(file, { last: 3 })).toEqual([run(197), run(198), run(199)]);
  });

  it("keeps fewer runs of many modules to stay under maxBytes, but never fewer than minRuns", () => {
    const size = serializeRun(run(0, 100)).length;
    const limits = { ...HISTORY_LIMITS, maxBytes: size * 10 };
    let file = "";
    for (let i = 0; i < 20; i++) file = add(file, run(i, 100), limits);
    expect(Buffer.byteLength(file)).toBeLessThanOrEqual(size * 10);
    expect(parseHistory(file).length).toBeGreaterThanOrEqual(8);
    expect(parseHistory(file).at(-1)).toEqual(run(19, 100));
    for (let i = 20; i < 30; i++) file = add(file, run(i, 600), limits);
    expect(parseHistory(file)).toHaveLength(5);
    expect(parseHistory(file).at(-1)!.at).toBe(run(29).at);
  });
});
