/**
 * Is telemetry on, and where do its files live: what `main` asks after every verb, so it is kept
 * cheap (no zod, no other modules): two environment variables and at most one small file read.
 * Anything unreadable or malformed means off; `telemetry status` explains why.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/** Where telemetry's files are. */
export interface TelemetryPaths {
  /** The user's choice (`telemetry on|off`): `$XDG_CONFIG_HOME/setup-mac/telemetry.json`. */
  settings: string;
  /** The events: `$XDG_STATE_HOME/setup-mac/telemetry/`. */
  dir: string;
}

function home(env: Env): string {
  return env.HOME || homedir();
}

/** XDG base directories must be absolute; a relative one is ignored (as the spec says). */
function xdg(value: string | undefined, fallback: string): string {
  return value && value.startsWith("/") ? value : fallback;
}

export function telemetryPaths(env: Env): TelemetryPaths {
  const config = xdg(env.XDG_CONFIG_HOME, join(home(env), ".config"));
  const state = xdg(env.XDG_STATE_HOME, join(home(env), ".local", "state"));
  return {
    settings: join(config, "setup-mac", "telemetry.json"),
    dir: join(state, "setup-mac", "telemetry"),
  };
}

/** Why telemetry is on or off. */
export type TelemetrySource = "DO_NOT_TRACK" | "SETUP_MAC_TELEMETRY" | "settings" | "default";

const yes = (v: string) => /^(1|true|on|yes)$/i.test(v.trim());
const no = (v: string) => /^(0|false|off|no)$/i.test(v.trim());

/**
 * The environment's word, if it has one: `DO_NOT_TRACK` set to anything but empty or `0` is off
 * and beats everything; `SETUP_MAC_TELEMETRY=0|1` beats the settings file.
 */
export function environmentSwitch(env: Env): { on: boolean; source: TelemetrySource } | undefined {
  const dnt = env.DO_NOT_TRACK;
  if (dnt !== undefined && dnt.trim() !== "" && !no(dnt))
    return { on: false, source: "DO_NOT_TRACK" };
  const own = env.SETUP_MAC_TELEMETRY;
  if (own !== undefined && no(own)) return { on: false, source: "SETUP_MAC_TELEMETRY" };
  if (own !== undefined && yes(own)) return { on: true, source: "SETUP_MAC_TELEMETRY" };
  return undefined;
}

/** Whether this run is recorded: the environment, else `"enabled": true` in the settings file. */
export function telemetryEnabled(env: Env): boolean {
  const fromEnv = environmentSwitch(env);
  if (fromEnv) return fromEnv.on;
  try {
    const value: unknown = JSON.parse(readFileSync(telemetryPaths(env).settings, "utf8"));
    return typeof value === "object" && value !== null && "enabled" in value
      ? value.enabled === true
      : false;
  } catch {
    return false;
  }
}
