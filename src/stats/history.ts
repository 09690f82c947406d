/**
 * The timing history behind `setup-mac stats` and `check`'s slow-module warning (decision 0029):
 * one record per evaluating run, with each module's own load and evaluate time and whether its
 * output came from the evaluation cache, one JSON line each. Pure: parsing, building and bounding
 * records. The file itself is read and written by `adapters/timing-history.ts`.
 */
/** Bumped when a record's shape changes; a line of another version is skipped. */
export const HISTORY_FORMAT = 1;

/**
 * How many runs are kept at most, and how many bytes (whichever is hit first: a run of 1,000
 * modules is about 50 kB, so large workspaces keep fewer), but never fewer than `minRuns`, so the
 * median over the last runs is always there. A full file is cut to `keep` of its size and runs,
 * so it is rewritten once every few runs, not on every one.
 */
export const HISTORY_LIMITS = { maxRuns: 50, maxBytes: 1024 * 1024, minRuns: 5, keep: 0.8 };

/**
 * One module in one run: milliseconds of its own code while loading and while evaluating (on
 * every host together; `null` when its code did not run because the whole answer came from the
 * cache), and whether its output came from the evaluation cache (`null`: it was not evaluated on
 * any host, or the cache was off).
 */
export type ModuleSample = [loadMs: number | null, evaluateMs: number | null, cache: Cache];
type Cache = "hit" | "miss" | null;

/** One evaluating run. */
export interface TimingRun {
  /** When it ran (ISO 8601, UTC). */
  at: string;
  /** The verb, as typed (`check`, `programs status`), or `library` when called as a function. */
  command: string;
  /** How many hosts it evaluated. */
  hosts: number;
  /** Per module file (workspace-relative). */
  modules: Record<string, ModuleSample>;
}

const isMs = (v: unknown) => v === null || (typeof v === "number" && v >= 0 && v < 1e9);
const isCache = (v: unknown) => v === null || v === "hit" || v === "miss";

/**
 * One line of the file as a run, or undefined when it is not one (torn by a kill, edited, of
 * another version). Checked by hand rather than with a schema: a history of 1,000 modules has
 * tens of thousands of entries, and this runs on every `check`.
 */
function parseLine(line: string): TimingRun | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const { v, at, command, hosts, modules } = json as Record<string, unknown>;
  if (v !== HISTORY_FORMAT || typeof at !== "string" || Number.isNaN(Date.parse(at)))
    return undefined;
  if (typeof command !== "string" || !Number.isInteger(hosts) || (hosts as number) < 0)
    return undefined;
  if (typeof modules !== "object" || modules === null || Array.isArray(modules)) return undefined;
  for (const sample of Object.values(modules)) {
    if (!Array.isArray(sample) || sample.length !== 3) return undefined;
    if (!isMs(sample[0]) || !isMs(sample[1]) || !isCache(sample[2])) return undefined;
  }
  return { at, command, hosts: hosts as number, modules: modules as TimingRun["modules"] };
}

/** How a line starts when no module code ran in its run (the whole answer came from the cache). */
const SERVED_PREFIX = `{"v":${HISTORY_FORMAT},"ran":false,`;

/**
 * The runs of a history file's text (JSON lines, oldest first): only the newest `last` lines, and
 * with `ran`, only the runs in which module code ran (the others are not even parsed: they hold
 * no times). A line that is not a run (a torn last line, garbage, another version) is left out:
 * the history is only a measurement, never a reason to fail.
 */
export function parseHistory(
  text: string,
  options: { last?: number; ran?: boolean } = {},
): TimingRun[] {
  const lines = text.split("\n").filter((line) => line.trim());
  return (options.last === undefined ? lines : lines.slice(-options.last)).flatMap((line) => {
    if (options.ran && line.startsWith(SERVED_PREFIX)) return [];
    const run = parseLine(line);
    return run ? [run] : [];
  });
}

/** The line of one run, newline-terminated. */
export function serializeRun(run: TimingRun): string {
  const ran = Object.values(run.modules).some(([load]) => load !== null);
  return JSON.stringify({ v: HISTORY_FORMAT, ran, ...run }) + "\n";
}

/** What one load measured, as `loadWorkspace` has it. */
export interface RunMeasurements {
  at: Date;
  command: string;
  hosts: number;
  /** Per module whose code ran: own load and evaluate milliseconds. */
  times: readonly (readonly [file: string, loadMs: number, evaluateMs: number])[];
  /** Per module evaluated on some host: whether its output came from the evaluation cache. */
  cache: Readonly<Record<string, "hit" | "miss">>;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The record of one run. Modules are sorted by file, times rounded to 0.01 ms. */
export function buildRun(m: RunMeasurements): TimingRun {
  const modules: Record<string, ModuleSample> = {};
  const times = new Map(m.times.map(([file, load, evaluate]) => [file, [load, evaluate]]));
  for (const file of [...new Set([...times.keys(), ...Object.keys(m.cache)])].sort()) {
    const t = times.get(file);
    modules[file] = [t ? round(t[0]!) : null, t ? round(t[1]!) : null, m.cache[file] ?? null];
  }
  return { at: m.at.toISOString(), command: m.command, hosts: m.hosts, modules };
}

/**
 * Whether adding a line of `lineBytes` to a history file of `fileBytes` makes it too big: over
 * `maxBytes`, or more runs than `maxRuns` (estimated from this line's size, so nothing is read on
 * the common path: a workspace's runs are all about the same size).
 */
export function isFull(
  fileBytes: number,
  lineBytes: number,
  limits: typeof HISTORY_LIMITS = HISTORY_LIMITS,
): boolean {
  const total = fileBytes + lineBytes;
  return total > limits.maxBytes || total > limits.maxRuns * lineBytes;
}

/**
 * A full history's text cut down, with `line` (the new run) last: the newest runs within `keep`
 * of the limits, but at least `minRuns` of them (counting the new one).
 */
export function trimHistory(
  text: string,
  line: string,
  limits: typeof HISTORY_LIMITS = HISTORY_LIMITS,
): string {
  const lines = text.split("\n").filter((l) => l.trim());
  const maxRuns = Math.max(limits.minRuns, Math.floor(limits.maxRuns * limits.keep));
  const maxBytes = limits.maxBytes * limits.keep;
  const kept = [line];
  let size = Buffer.byteLength(line);
  for (let i = lines.length - 1; i >= 0 && kept.length < maxRuns; i--) {
    size += Buffer.byteLength(lines[i]!) + 1;
    if (kept.length >= limits.minRuns && size > maxBytes) break;
    kept.unshift(lines[i]! + "\n");
  }
  return kept.join("");
}
