import { describe, expect, it } from "vitest";
import { waitUntilReady, type ReadyCheck } from "./ready.js";

/** A clock that only moves when the code under test sleeps or a check takes time. */
function fakeTime() {
  let now = 0;
  return {
    clock: { now: () => new Date(now) },
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
  };
}

describe("waitUntilReady", () => {
  it("asks until the service answers, with growing pauses", async () => {
    const t = fakeTime();
    const seen: number[] = [];
    const answers: ReadyCheck[] = [
      { ok: false, detail: "connection refused" },
      { ok: false, detail: "connection refused" },
      { ok: true, detail: "HTTP 200" },
    ];
    const result = await waitUntilReady(
      async (remaining) => {
        seen.push(remaining);
        return answers.shift()!;
      },
      { timeoutMs: 5000, clock: t.clock, sleep: t.sleep },
    );
    expect(result).toEqual({
      ok: true,
      detail: "HTTP 200",
      attempts: 3,
      waitedMs: 600,
      timedOut: false,
    });
    // Each check is told how long is left: 5 s, after 200 ms, after 200 + 400 ms.
    expect(seen).toEqual([5000, 4800, 4400]);
  });

  it("gives up at the deadline with the last thing it saw", async () => {
    const t = fakeTime();
    const result = await waitUntilReady(
      async () => {
        t.advance(100);
        return { ok: false, detail: "HTTP 503 from http://127.0.0.1:1/" };
      },
      { timeoutMs: 2000, clock: t.clock, sleep: t.sleep },
    );
    expect(result.ok).toBe(false);
    expect(result.timedOut).toBe(true);
    expect(result.detail).toBe("HTTP 503 from http://127.0.0.1:1/");
    expect(result.waitedMs).toBeLessThanOrEqual(2000);
    expect(result.attempts).toBe(4);
  });

  it("stops at once when waiting cannot help", async () => {
    const t = fakeTime();
    let calls = 0;
    const result = await waitUntilReady(
      async () => {
        calls += 1;
        return { ok: false, detail: "unit failed", final: true };
      },
      { timeoutMs: 60_000, clock: t.clock, sleep: t.sleep },
    );
    expect(calls).toBe(1);
    // The result is the wait's own shape: the check's `final` flag does not leak into it.
    expect(result).toEqual({
      ok: false,
      detail: "unit failed",
      attempts: 1,
      waitedMs: 0,
      timedOut: false,
    });
  });
});
