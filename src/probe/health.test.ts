import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFileSystem } from "../adapters/node-fs.js";
import { nodeHttpClient, nodeTcpConnector } from "../adapters/node-net.js";
import { NodeProcessRunner } from "../adapters/node-runner.js";
import type { ProbeLock } from "../emit/lock-types.js";
import type { ProcessRunner, RunResult } from "../ports/index.js";
import { parseTcpTarget, runProbe, runProbes, type ProbeDeps } from "./health.js";

/** A loopback HTTP server answering through `handler`; closed with all its connections. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close(): void }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleeps: number[] = [];
const deps: ProbeDeps = {
  runner: new NodeProcessRunner({ killGraceMs: 200 }),
  http: nodeHttpClient,
  tcp: nodeTcpConnector,
  files: nodeFileSystem,
  resolveArg: (a) => (typeof a === "string" ? a : `/nix/store/fake-${a.pkg}/bin/${a.bin}`),
  platform: "nixos",
  scope: "user",
  // Back-off is recorded, not waited for: the tests stay fast.
  sleep: async (ms) => {
    sleeps.push(ms);
  },
};

const probe = (
  body: Omit<ProbeLock, "name" | "timeout" | "retries">,
  extra: Partial<ProbeLock> = {},
) => ({ name: "p", timeout: 2000, retries: 0, ...body, ...extra }) as ProbeLock;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "health-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("http probes", () => {
  it("passes on 200", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    try {
      const result = await runProbe(probe({ http: `${server.url}/healthz` }), deps);
      expect(result).toMatchObject({
        name: "p",
        ok: true,
        attempts: 1,
        detail: `HTTP 200 from ${server.url}/healthz`,
      });
      expect(typeof result.durationMs).toBe("number");
    } finally {
      server.close();
    }
  });

  it("fails on 500 after all retries, backing off in between", async () => {
    let requests = 0;
    const server = await serve((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    sleeps.length = 0;
    try {
      const result = await runProbe(probe({ http: `${server.url}/` }, { retries: 2 }), deps);
      expect(result).toMatchObject({
        ok: false,
        attempts: 3,
        detail: `HTTP 500 from ${server.url}/`,
      });
      expect(requests).toBe(3);
      expect(sleeps).toEqual([250, 500]);
    } finally {
      server.close();
    }
  });

  it("succeeds on the third attempt of a server that is still starting", async () => {
    let requests = 0;
    const server = await serve((_req, res) => {
      requests++;
      res.writeHead(requests < 3 ? 503 : 200).end();
    });
    try {
      const result = await runProbe(probe({ http: server.url }, { retries: 4 }), deps);
      expect(result).toMatchObject({
        ok: true,
        attempts: 3,
        detail: `HTTP 200 from ${server.url}`,
      });
    } finally {
      server.close();
    }
  });

  it("checks for an explicit status instead of 2xx", async () => {
    const server = await serve((_req, res) => res.writeHead(401).end());
    try {
      expect(await runProbe(probe({ http: server.url, status: 401 }), deps)).toMatchObject({
        ok: true,
        detail: `HTTP 401 from ${server.url}`,
      });
      expect(await runProbe(probe({ http: server.url, status: 204 }), deps)).toMatchObject({
        ok: false,
        detail: `HTTP 401 from ${server.url} (expected 204)`,
      });
    } finally {
      server.close();
    }
  });

  it("times out a server that never answers", async () => {
    const server = await serve(() => {
      // Never respond.
    });
    try {
      const result = await runProbe(
        probe({ http: server.url }, { timeout: 200, retries: 1 }),
        deps,
      );
      expect(result).toMatchObject({
        ok: false,
        attempts: 2,
        detail: `${server.url}: timed out after 200 ms`,
      });
    } finally {
      server.close();
    }
  });

  it("reports a refused connection", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/healthz`;
    expect(await runProbe(probe({ http: url }), deps)).toMatchObject({
      ok: false,
      attempts: 1,
      detail: `connection refused: ${url}`,
    });
  });

  it("does not retry a URL that cannot work", async () => {
    expect(await runProbe(probe({ http: "gopher://x/" }, { retries: 3 }), deps)).toMatchObject({
      ok: false,
      attempts: 1,
      detail: "unsupported protocol gopher: in gopher://x/",
    });
  });

  it("bounds an attempt even when the port ignores the abort signal", async () => {
    const stuck: ProbeDeps = { ...deps, http: { get: () => new Promise(() => {}) } };
    expect(
      await runProbe(probe({ http: "http://stuck/" }, { timeout: 50, retries: 0 }), stuck),
    ).toMatchObject({ ok: false, detail: "http://stuck/: timed out after 50 ms" });
  });
});

describe("tcp probes", () => {
  it("passes when the port accepts and fails when it refuses", async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await runProbe(probe({ tcp: `127.0.0.1:${port}` }), deps)).toMatchObject({
        ok: true,
        detail: `127.0.0.1:${port} accepted the connection`,
      });
    } finally {
      server.close();
    }
    const closed = await closedPort();
    expect(
      await runProbe(probe({ tcp: `127.0.0.1:${closed}` }, { retries: 1 }), deps),
    ).toMatchObject({
      ok: false,
      attempts: 2,
      detail: `connection refused: 127.0.0.1:${closed}`,
    });
  });

  it("rejects a malformed target without retrying", async () => {
    expect(await runProbe(probe({ tcp: "localhost" }, { retries: 3 }), deps)).toMatchObject({
      ok: false,
      attempts: 1,
      detail: 'invalid tcp target "localhost": expected host:port, e.g. 127.0.0.1:5432 or [::1]:22',
    });
  });

  it("parses host:port targets", () => {
    expect(parseTcpTarget("127.0.0.1:5432")).toEqual({ host: "127.0.0.1", port: 5432 });
    expect(parseTcpTarget("[::1]:22")).toEqual({ host: "::1", port: 22 });
    expect(parseTcpTarget("db.local:1")).toEqual({ host: "db.local", port: 1 });
    expect(parseTcpTarget("::1:22")).toBeUndefined();
    expect(parseTcpTarget("host:0")).toBeUndefined();
    expect(parseTcpTarget("host:70000")).toBeUndefined();
    expect(parseTcpTarget("host:")).toBeUndefined();
  });
});

describe("file probes", () => {
  it("passes for a present file and fails for an absent one", async () => {
    const present = join(dir, "present");
    writeFileSync(present, "");
    expect(await runProbe(probe({ file: present }), deps)).toMatchObject({
      ok: true,
      detail: `${present} exists`,
    });
    const absent = join(dir, "absent");
    expect(await runProbe(probe({ file: absent }, { retries: 1 }), deps)).toMatchObject({
      ok: false,
      attempts: 2,
      detail: `${absent} does not exist`,
    });
  });
});

describe("command probes", () => {
  it("passes on exit 0", async () => {
    expect(await runProbe(probe({ command: ["sh", "-c", "exit 0"] }), deps)).toMatchObject({
      ok: true,
      detail: "sh -c exit 0: exit 0",
    });
  });

  it("fails on a non-zero exit, quoting the last line of stderr", async () => {
    const result = await runProbe(
      probe({ command: ["sh", "-c", "echo starting; echo 'database locked' >&2; exit 4"] }),
      deps,
    );
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/: exit 4: database locked$/);
  });

  it("times out a command that hangs, and kills it", async () => {
    expect(
      await runProbe(probe({ command: ["sleep", "30"] }, { timeout: 200 }), deps),
    ).toMatchObject({ ok: false, detail: "sleep 30: timed out after 200 ms" });
  });

  it("reports a missing binary once, without retrying", async () => {
    const result = await runProbe(
      probe({ command: [{ bin: "code-server", pkg: "code-server" }, "--version"] }, { retries: 2 }),
      deps,
    );
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      detail: "command not found: /nix/store/fake-code-server/bin/code-server",
    });
  });
});

/** A runner that answers from a script and records every argv, for the service managers this machine lacks. */
function scriptedRunner(answer: (argv: readonly string[]) => Partial<RunResult>): {
  runner: ProcessRunner;
  calls: string[][];
} {
  const calls: string[][] = [];
  return {
    calls,
    runner: {
      run: async (argv) => {
        calls.push([...argv]);
        return {
          exitCode: 0,
          signal: null,
          stdout: "",
          stderr: "",
          timedOut: false,
          cancelled: false,
          truncated: { stdout: false, stderr: false },
          durationMs: 1,
          ...answer(argv),
        };
      },
    },
  };
}

describe("service probes", () => {
  it("asks systemctl --user is-active on NixOS for user services", async () => {
    const { runner, calls } = scriptedRunner(() => ({ exitCode: 0, stdout: "active\n" }));
    const result = await runProbe(probe({ service: "setup-mac-x-server" }), { ...deps, runner });
    expect(calls).toEqual([["systemctl", "--user", "is-active", "setup-mac-x-server"]]);
    expect(result).toMatchObject({ ok: true, detail: "user unit setup-mac-x-server is active" });
  });

  it("asks the system manager for system services and reports a failed unit", async () => {
    const { runner, calls } = scriptedRunner(() => ({ exitCode: 3, stdout: "failed\n" }));
    const result = await runProbe(probe({ service: "server" }), {
      ...deps,
      runner,
      resolveService: (name) => ({
        unit: `setup-mac-ollama-${name}`,
        label: `org.setup-mac.ollama.${name}`,
        scope: "system",
      }),
    });
    expect(calls).toEqual([["systemctl", "is-active", "setup-mac-ollama-server"]]);
    expect(result).toMatchObject({
      ok: false,
      detail: "system unit setup-mac-ollama-server is failed",
    });
  });

  it("asks launchctl print gui/<uid>/<label> on darwin and requires state = running", async () => {
    const { runner, calls } = scriptedRunner(() => ({
      stdout: "gui/501/org.setup-mac.x.server = {\n\tactive count = 1\n\tstate = running\n}\n",
    }));
    const darwin = { ...deps, runner, platform: "darwin" as const, uid: 501 };
    expect(await runProbe(probe({ service: "org.setup-mac.x.server" }), darwin)).toMatchObject({
      ok: true,
      detail: "launchd job gui/501/org.setup-mac.x.server is running",
    });
    expect(calls).toEqual([["launchctl", "print", "gui/501/org.setup-mac.x.server"]]);

    const stopped = scriptedRunner(() => ({ stdout: "\tstate = not running\n" }));
    expect(
      await runProbe(probe({ service: "org.setup-mac.x.server" }), {
        ...darwin,
        runner: stopped.runner,
      }),
    ).toMatchObject({
      ok: false,
      detail: "launchd job gui/501/org.setup-mac.x.server is not running",
    });
  });

  it("uses the system domain for darwin daemons and reports a job that is not loaded", async () => {
    const { runner, calls } = scriptedRunner(() => ({
      exitCode: 113,
      stderr: "Could not find service",
    }));
    const result = await runProbe(probe({ service: "org.setup-mac.x.daemon" }), {
      ...deps,
      runner,
      platform: "darwin",
      scope: "system",
    });
    expect(calls).toEqual([["launchctl", "print", "system/org.setup-mac.x.daemon"]]);
    expect(result).toMatchObject({
      ok: false,
      detail: "launchd job system/org.setup-mac.x.daemon is not loaded",
    });
  });

  it("needs the uid for darwin user agents", async () => {
    const { runner, calls } = scriptedRunner(() => ({}));
    const result = await runProbe(probe({ service: "org.x" }, { retries: 2 }), {
      ...deps,
      runner,
      platform: "darwin",
    });
    expect(calls).toEqual([]);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
  });
});

describe("runProbes", () => {
  it("keeps the input order and never runs more than `concurrency` at once", async () => {
    let running = 0;
    let peak = 0;
    const runner: ProcessRunner = {
      run: async (argv) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return {
          exitCode: argv[1] === "bad" ? 1 : 0,
          signal: null,
          stdout: "",
          stderr: "",
          timedOut: false,
          cancelled: false,
          truncated: { stdout: false, stderr: false },
          durationMs: 5,
        };
      },
    };
    const list = Array.from({ length: 9 }, (_, i) =>
      probe({ command: ["check", i === 4 ? "bad" : "good"] }, { name: `p${i}` }),
    );
    const results = await runProbes(list, { ...deps, runner }, { concurrency: 3 });
    expect(results.map((r) => r.name)).toEqual(list.map((p) => p.name));
    expect(results.map((r) => r.ok)).toEqual([
      true,
      true,
      true,
      true,
      false,
      true,
      true,
      true,
      true,
    ]);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  it("returns an empty list for no probes", async () => {
    expect(await runProbes([], deps)).toEqual([]);
  });
});
