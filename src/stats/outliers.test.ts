import { describe, expect, it } from "vitest";
import { findOutliers, median } from "./outliers.js";

describe("median", () => {
  it("handles empty, odd and even inputs", () => {
    expect(median([])).toBe(0);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe("findOutliers", () => {
  it("flags a module above the absolute limit", () => {
    const out = findOutliers([
      { file: "a.ts", ms: 60 },
      { file: "b.ts", ms: 40 },
    ]);
    expect(out).toEqual([{ file: "a.ts", ms: 60, reason: "absolute", medianMs: 50 }]);
  });

  it("flags a module far above the median, but not sub-floor noise", () => {
    const times = [
      { file: "a.ts", ms: 1 },
      { file: "b.ts", ms: 1 },
      { file: "c.ts", ms: 1 },
      { file: "slow.ts", ms: 20 },
      { file: "noise.ts", ms: 4 },
    ];
    expect(findOutliers(times).map((o) => [o.file, o.reason])).toEqual([["slow.ts", "median"]]);
  });

  it("takes thresholds and sorts slowest first", () => {
    const out = findOutliers(
      [
        { file: "b.ts", ms: 12 },
        { file: "a.ts", ms: 12 },
        { file: "c.ts", ms: 30 },
      ],
      { absoluteMs: 10, medianFactor: 100, minMs: 0 },
    );
    expect(out.map((o) => o.file)).toEqual(["c.ts", "a.ts", "b.ts"]);
  });

  it("finds nothing in an even run", () => {
    expect(findOutliers([1, 2, 3].map((ms) => ({ file: `${ms}.ts`, ms })))).toEqual([]);
  });
});
