/**
 * The telemetry files: the settings (the user's choice) and the events, JSON lines under the XDG
 * state directory, rotated by size.
 *
 * Appending is one `O_APPEND` write of one line shorter than PIPE_BUF (see `eventLine`), so lines
 * of concurrent runs do not interleave on a local file system. Two runs rotating at the same
 * instant can lose one file's worth of old events; telemetry accepts that rather than take a lock
 * on every command.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../adapters/atomic-write.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import { parseEvents } from "./event.js";
import type { TelemetryEvent, TelemetrySettings } from "./schema.js";
import { telemetrySettings } from "./schema.js";

/** How much is kept: files of at most `maxBytes`, the newest `files` of them. */
export interface Rotation {
  maxBytes: number;
  files: number;
}

/** 1 MiB per file, three files: about 10,000 runs. */
export const DEFAULT_ROTATION: Rotation = { maxBytes: 1024 * 1024, files: 3 };

const CURRENT = "events.jsonl";

/** The event files, newest first: `events.jsonl`, `events.1.jsonl`, … */
export function eventFileNames(rotation: Rotation = DEFAULT_ROTATION): string[] {
  return Array.from({ length: rotation.files }, (_, i) =>
    i === 0 ? CURRENT : `events.${i}.jsonl`,
  );
}

/**
 * Appends one line to the current file, first rotating when the line would take it past
 * `maxBytes`: each file moves one place older and the oldest is dropped.
 */
export function appendEventLine(
  dir: string,
  line: string,
  rotation: Rotation = DEFAULT_ROTATION,
): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = eventFileNames(rotation);
  const current = join(dir, CURRENT);
  let size = 0;
  try {
    size = statSync(current).size;
  } catch {
    // no file yet
  }
  if (size > 0 && size + Buffer.byteLength(line) > rotation.maxBytes) {
    if (names.length === 1) rmSync(current, { force: true });
    for (let i = names.length - 1; i > 0; i--) {
      const from = join(dir, names[i - 1]!);
      if (existsSync(from)) renameSync(from, join(dir, names[i]!));
    }
  }
  appendFileSync(current, line, { mode: 0o600 });
}

/** One event file as `status` shows it. */
export interface EventFile {
  path: string;
  bytes: number;
}

/** Every stored event, oldest first; lines that do not parse are counted in `skipped`. */
export function readEvents(
  dir: string,
  rotation: Rotation = DEFAULT_ROTATION,
): { events: TelemetryEvent[]; skipped: number; files: EventFile[] } {
  const events: TelemetryEvent[] = [];
  const files: EventFile[] = [];
  let skipped = 0;
  for (const name of eventFileNames(rotation).reverse()) {
    const path = join(dir, name);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new SetupMacError(
        diagnostic("telemetry-unreadable", `cannot read ${path}: ${(error as Error).message}`, {
          location: { file: path },
          hint: "fix its permissions, or delete the events with `setup-mac telemetry purge`",
        }),
      );
    }
    const parsed = parseEvents(text);
    events.push(...parsed.events);
    skipped += parsed.skipped;
    files.push({ path, bytes: Buffer.byteLength(text) });
  }
  return { events, skipped, files };
}

/** Deletes every event file (and the folder when nothing else is in it); returns how many. */
export function purgeEvents(dir: string, rotation: Rotation = DEFAULT_ROTATION): number {
  let removed = 0;
  for (const name of eventFileNames(rotation)) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    rmSync(path, { force: true });
    removed++;
  }
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or not there: leave it
  }
  return removed;
}

/**
 * The settings file: undefined when there is none (telemetry was never turned on); an error
 * naming the file and the fix when it is not valid.
 */
export function readSettings(path: string): TelemetrySettings | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SetupMacError(
      diagnostic("telemetry-settings", `cannot read ${path}: ${(error as Error).message}`, {
        location: { file: path },
        hint: "fix its permissions, or run `setup-mac telemetry off` to write it again",
      }),
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = telemetrySettings.safeParse(value);
  if (parsed.success) return parsed.data;
  const problem =
    value === undefined
      ? "is not JSON"
      : parsed.error.issues
          .map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`)
          .join("; ");
  throw new SetupMacError(
    diagnostic("telemetry-settings", `the telemetry settings ${problem}`, {
      location: { file: path },
      hint: 'run `setup-mac telemetry on` or `off` to write it again (it holds { "enabled": true|false, "endpoint"?: "http://…" })',
    }),
  );
}

/** Writes the settings atomically, creating the folder. */
export async function writeSettings(path: string, settings: TelemetrySettings): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600 });
}
