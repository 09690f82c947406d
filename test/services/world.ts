/** A workspace with services on a NixOS and a macOS host, and stand-in service managers. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { NodeProcessRunner } from "../../src/adapters/node-runner.js";
import type { ServicesOptions } from "../../src/api/services.js";
import { calls } from "../status/standins.js";
import { serviceStandins, type ManagerState } from "./standins.js";

export const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

export const program = (name: string, body: string) =>
  `import { defineProgram, z } from "setup-mac";\nexport default defineProgram({ name: "${name}", description: "${name} for tests", ${body} });\n`;

/** A free loopback port (closed again, so the service under test can take it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface World {
  root: string;
  cache: string;
  bin: string;
  env: Record<string, string>;
  stateFile: string;
  runner: NodeProcessRunner;
  calls(): string[][];
  reset(): void;
  state(): ManagerState;
  opts(host: string, extra?: Partial<ServicesOptions & { refs: string[] }>): ServicesOptions;
}

/**
 * A workspace with a NixOS host and a macOS host, each with a web server (system scope, an HTTP
 * health check on `port`), a user daemon and a scheduled job.
 */
export function world(state: ManagerState, port = 1, webCommand = ["web-server"]): World {
  const root = mkdtempSync(join(tmpdir(), "sm-services-"));
  temp.push(root);
  const cache = join(root, ".cache");
  mkdirSync(join(root, "programs/test"), { recursive: true });
  writeFileSync(
    join(root, "programs/test/web.ts"),
    program(
      "web",
      `config: () => ({ services: { server: { command: ${JSON.stringify(webCommand)}, scope: "system", health: { http: "http://127.0.0.1:${port}/", timeout: 1000, retries: 0 } } } })`,
    ),
  );
  writeFileSync(
    join(root, "programs/test/sync.ts"),
    program(
      "sync",
      `config: ({ host }) => ({ services: { daemon: { command: ["sync-daemon", "--serve"], ...(host.platform === "darwin" ? { logs: "~/Library/Logs/sync.log" } : {}) } } })`,
    ),
  );
  writeFileSync(
    join(root, "programs/test/gc.ts"),
    program(
      "gc",
      `config: () => ({ services: { collect: { command: ["nix-collect-garbage"], scope: "system", schedule: { every: "1d" } } } })`,
    ),
  );
  const programs = { web: true, sync: true, gc: true };
  writeFileSync(
    join(root, "setup-mac.jsonc"),
    JSON.stringify({
      hosts: {
        box: { platform: "nixos", system: "x86_64-linux", user: "lars", programs },
        mac: { platform: "darwin", system: "aarch64-darwin", user: "lars", programs },
      },
    }),
  );
  const bin = join(root, ".bin");
  const s = serviceStandins(bin, state, ["nixos-rebuild", "darwin-rebuild"]);
  const runner = new NodeProcessRunner({ baseEnv: { ...process.env, ...s.env } });
  return {
    root,
    cache,
    bin,
    env: s.env,
    stateFile: s.stateFile,
    runner,
    calls: () => calls(s.log),
    reset: () => writeFileSync(s.log, ""),
    state: () => JSON.parse(readFileSync(s.stateFile, "utf8")) as ManagerState,
    opts: (host, extra = {}) => ({ workspace: root, cacheDir: cache, host, runner, ...extra }),
  };
}
