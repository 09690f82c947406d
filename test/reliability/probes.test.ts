/**
 * Health probes against loopback servers that answer, answer late, never answer or refuse, run by
 * the built CLI's `apply --json`: every probe is bounded by its timeout, retried as often as it
 * says, and reported as `{ name, ok, attempts, durationMs, detail }`. Outcomes are asserted, never
 * durations.
 */
import { createServer, type Server } from "node:http";
import { rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixture, program } from "../apply/fixture.js";
import { cliAsync } from "../e2e/cli.js";

let fast: Server;
let slow: Server;
let flaky: Server;
let flakyCalls = 0;
let closedPort = 0;

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
};
const ports = { fast: 0, slow: 0, flaky: 0 };

beforeAll(async () => {
  fast = createServer((_req, res) => res.end("ok"));
  // Accepts the connection, never answers.
  slow = createServer(() => undefined);
  // 503 once, then 200: only a retry sees it healthy.
  flaky = createServer((_req, res) => {
    res.statusCode = flakyCalls++ === 0 ? 503 : 200;
    res.end();
  });
  ports.fast = await listen(fast);
  ports.slow = await listen(slow);
  ports.flaky = await listen(flaky);
  const closed = createServer();
  closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});
afterAll(async () => {
  for (const server of [fast, slow, flaky]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

interface ProbeResult {
  name: string;
  ok: boolean;
  attempts: number;
  durationMs: number;
  detail: string;
}

describe("apply --json reports every probe", () => {
  it("answering, late, silent, flaky and refusing servers: bounded, retried, reported", async () => {
    const url = (port: number) => `http://127.0.0.1:${port}/health`;
    const checks = [
      { name: "fast", http: url(ports.fast), timeout: 2000, retries: 2 },
      { name: "flaky", http: url(ports.flaky), timeout: 2000, retries: 2 },
      { name: "silent", http: url(ports.slow), timeout: 300, retries: 1 },
      { name: "refused", http: url(closedPort), timeout: 2000, retries: 1 },
      { name: "tcp open", tcp: `127.0.0.1:${ports.fast}`, timeout: 2000, retries: 1 },
      { name: "tcp refused", tcp: `127.0.0.1:${closedPort}`, timeout: 2000, retries: 2 },
      { name: "missing command", command: ["no-such-command-here"], timeout: 2000, retries: 3 },
    ];
    const f = makeFixture(
      { web: program("web", `config: () => ({ health: ${JSON.stringify(checks)} })`) },
      { web: true },
    );
    try {
      const r = await cliAsync(
        ["--workspace", f.root, "--host", "box", "--json", "apply", "--yes"],
        {
          ...f.env,
          SETUP_MAC_CACHE_DIR: f.cache,
        },
      );
      expect(r.stderr).not.toContain("internal error");
      // Unhealthy after the switch is an outside failure (4) with --json too.
      expect(r.code).toBe(4);
      const result = JSON.parse(r.stdout) as {
        status: string;
        health: ProbeResult[];
        generation: { health: { ok: boolean; failed: string[] } };
      };
      expect(result.status).toBe("applied");
      const byName = Object.fromEntries(result.health.map((h) => [h.name, h]));
      expect(Object.keys(byName).sort()).toEqual(checks.map((c) => c.name).sort());
      for (const h of result.health) {
        expect(Object.keys(h).sort()).toEqual(["attempts", "detail", "durationMs", "name", "ok"]);
        expect(typeof h.durationMs).toBe("number");
      }
      const outcome = (name: string) => {
        const { ok, attempts, detail } = byName[name]!;
        return { ok, attempts, detail };
      };
      expect(outcome("fast")).toEqual({
        ok: true,
        attempts: 1,
        detail: `HTTP 200 from ${url(ports.fast)}`,
      });
      expect(outcome("flaky")).toEqual({
        ok: true,
        attempts: 2,
        detail: `HTTP 200 from ${url(ports.flaky)}`,
      });
      expect(outcome("silent")).toEqual({
        ok: false,
        attempts: 2,
        detail: `${url(ports.slow)}: timed out after 300 ms`,
      });
      expect(outcome("refused")).toEqual({
        ok: false,
        attempts: 2,
        detail: `connection refused: ${url(closedPort)}`,
      });
      expect(outcome("tcp open")).toEqual({
        ok: true,
        attempts: 1,
        detail: `127.0.0.1:${ports.fast} accepted the connection`,
      });
      expect(outcome("tcp refused")).toEqual({
        ok: false,
        attempts: 3,
        detail: `connection refused: 127.0.0.1:${closedPort}`,
      });
      // Retrying cannot make a missing program appear: one attempt.
      expect(outcome("missing command")).toEqual({
        ok: false,
        attempts: 1,
        detail: "command not found: no-such-command-here",
      });
      expect(result.generation.health.ok).toBe(false);
      expect([...result.generation.health.failed].sort()).toEqual([
        "missing command",
        "refused",
        "silent",
        "tcp refused",
      ]);
    } finally {
      rmSync(f.root, { recursive: true, force: true });
      rmSync(f.cache, { recursive: true, force: true });
    }
  });
});
