/**
 * One lock per workspace, so two setup-mac processes never change it at once (two applies, or an
 * apply and a config edit). A second process waits a little, then reports who holds the lock. A
 * lock left by a killed process goes stale and is reclaimed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { diagnostic, SetupMacError } from "../errors/index.js";
import { confineWrite } from "./confine.js";
import { isAlive } from "./process-alive.js";

const STATE_DIR = ".setup-mac";
const OWNER_FILE = "lock.owner.json";

export interface LockOptions {
  /** How long to wait for another holder, in ms (default 5000). */
  waitMs?: number;
  /** After how long without a heartbeat a lock counts as abandoned, in ms (default 20000). */
  staleMs?: number;
}

export interface Owner {
  pid: number;
  command: string;
  host: string;
  since: string;
}

function readOwner(dir: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

/** Runs `fn` holding the workspace lock; throws a SetupMacError (exit 3) when it stays busy. */
export async function withWorkspaceLock<T>(
  root: string,
  command: string,
  fn: (lock: { reclaimed?: Owner }) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  // The state folder holds the lock, generations, logs: it must not lead out of the workspace.
  const dir = confineWrite(root, STATE_DIR, { what: "the state folder" });
  mkdirSync(dir, { recursive: true });
  const waitMs = options.waitMs ?? 5000;
  const staleMs = Math.max(options.staleMs ?? 20_000, 2000);
  // A lock whose owner died on this machine is reclaimed at once, and reported.
  const previous = readOwner(dir);
  let reclaimed: Owner | undefined;
  if (
    previous &&
    previous.host === hostname() &&
    previous.pid !== process.pid &&
    !isAlive(previous.pid)
  ) {
    rmSync(join(dir, "lock"), { recursive: true, force: true });
    rmSync(join(dir, OWNER_FILE), { force: true });
    reclaimed = previous;
  }
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: join(dir, "lock"),
      stale: staleMs,
      update: Math.floor(staleMs / 4),
      realpath: false,
      retries: {
        retries: Math.max(1, Math.ceil(waitMs / 100)),
        factor: 1,
        minTimeout: 100,
        maxTimeout: 100,
      },
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    const owner = readOwner(dir);
    const who = owner
      ? `\`setup-mac ${owner.command}\` (pid ${owner.pid} on ${owner.host}, since ${owner.since})`
      : "another setup-mac process";
    throw new SetupMacError(
      diagnostic("workspace-busy", `the workspace is locked by ${who}`, {
        location: { file: `${STATE_DIR}/lock` },
        hint: `wait for it to finish and try again; a lock left by a killed process is reclaimed after ${Math.round(staleMs / 1000)} s`,
      }),
      3,
    );
  }
  writeFileSync(
    join(dir, OWNER_FILE),
    JSON.stringify({
      pid: process.pid,
      command,
      host: hostname(),
      since: new Date().toISOString(),
    } satisfies Owner),
  );
  try {
    const result = await fn(reclaimed ? { reclaimed } : {});
    if (compromised) throw compromised;
    return result;
  } finally {
    rmSync(join(dir, OWNER_FILE), { force: true });
    await release().catch(() => undefined);
  }
}
