/**
 * A service from the lock as a launchd property list: a value tree built here, then written
 * byte for byte the way nixpkgs' `lib.generators.toPlist { escape = true; }` writes it — the
 * generator nix-darwin and home-manager use — so the preview is the file the machine gets
 * (decision 0025): keys sorted at every level, tab indentation, XML-escaped text, no final newline.
 */
import type { ArgLock, ServiceLock } from "../lock-types.js";

/** How command elements become words: `{ bin, pkg }` to a path, strings unchanged. */
export interface ArgContext {
  resolveArg(arg: ArgLock): string;
}

/** The plist value model: what a launchd job description can hold. */
export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

/** A value a plist cannot hold. */
export class LaunchdRenderError extends Error {
  /** Permanent name of this error. */
  readonly code = "launchd-unrepresentable";
  readonly where: string;

  constructor(where: string, problem: string) {
    super(`cannot render ${where}: ${problem}`);
    this.name = "LaunchdRenderError";
    this.where = where;
  }
}

type Calendar = Extract<NonNullable<ServiceLock["schedule"]>, { calendar: unknown }>["calendar"];

/** The launchd job dictionary for a lock service, before it becomes XML. */
export function launchdJob(svc: ServiceLock, ctx: ArgContext): Record<string, PlistValue> {
  const where = `${svc.label}.plist`;
  const scheduled = svc.schedule !== undefined;
  if (scheduled && svc.restart === "always") {
    throw new LaunchdRenderError(
      where,
      'a scheduled service cannot restart "always" (it would never finish); use "on-failure" or "never"',
    );
  }
  // Checked word by word before they are joined into one sh script, so an error names the word.
  const argv = checkXml(
    svc.command.map((arg) => ctx.resolveArg(arg)),
    where,
    "command",
  ) as string[];
  const job: Record<string, PlistValue> = {
    Label: svc.label,
    ProgramArguments: waitForNixStore(argv),
    // A job that runs on a schedule must not also start at load; launchd treats
    // KeepAlive { SuccessfulExit } as "run at load" too, so scheduled jobs are never kept alive.
    RunAtLoad: !scheduled,
    KeepAlive: scheduled
      ? false
      : svc.restart === "always"
        ? true
        : svc.restart === "on-failure"
          ? { SuccessfulExit: false }
          : false,
  };
  if (svc.environment !== undefined && Object.keys(svc.environment).length > 0) {
    job.EnvironmentVariables = { ...svc.environment };
  }
  if (svc.user !== undefined) job.UserName = svc.user;
  if (svc.group !== undefined) job.GroupName = svc.group;
  if (svc.workingDirectory !== undefined) {
    job.WorkingDirectory = absolute(svc.workingDirectory, `${where} WorkingDirectory`);
  }
  if (svc.logs !== undefined) {
    const logs = absolute(svc.logs, `${where} StandardOutPath`);
    job.StandardOutPath = logs;
    job.StandardErrorPath = logs;
  }
  if (svc.schedule !== undefined) {
    if ("every" in svc.schedule) {
      if (!Number.isInteger(svc.schedule.every) || svc.schedule.every <= 0) {
        throw new LaunchdRenderError(
          `${where} StartInterval`,
          `every ${svc.schedule.every} is not a positive whole number of seconds`,
        );
      }
      job.StartInterval = svc.schedule.every;
    } else {
      // A list of one, as the adapters pass it (launchd takes a dictionary or an array of them).
      job.StartCalendarInterval = [
        calendarInterval(svc.schedule.calendar, `${where} StartCalendarInterval`),
      ];
    }
  }
  return job;
}

/** launchd's calendar dictionary: only the fields that are set; absent fields match every value. */
export function calendarInterval(calendar: Calendar, where: string): Record<string, number> {
  const out: Record<string, number> = {};
  const fields = [
    ["Minute", calendar.minute, 0, 59],
    ["Hour", calendar.hour, 0, 23],
    ["Weekday", calendar.weekday, 0, 7],
    ["Day", calendar.day, 1, 31],
    ["Month", calendar.month, 1, 12],
  ] as const;
  for (const [key, value, min, max] of fields) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new LaunchdRenderError(where, `${key} ${value} is not in ${min}..${max}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * The command as nix-darwin's adapter and home-manager pass it to launchd: through `/bin/sh`,
 * after `/bin/wait4path /nix/store` (the store is a separate volume, mounted late at boot), with
 * the words quoted as nixpkgs' `lib.escapeShellArgs` quotes them.
 */
export function waitForNixStore(argv: readonly string[]): string[] {
  return [
    "/bin/sh",
    "-c",
    `/bin/wait4path /nix/store && exec ${argv.map(escapeShellArg).join(" ")}`,
  ];
}

/** nixpkgs' `lib.escapeShellArg`: words of safe characters stay bare, others are single-quoted. */
export function escapeShellArg(word: string): string {
  return /^[A-Za-z0-9,._+:@%/-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** Render a lock service to a launchd plist, as `lib.generators.toPlist` renders it. */
export function renderLaunchdPlist(svc: ServiceLock, ctx: ArgContext): string {
  return renderPlist(launchdJob(svc, ctx), `${svc.label}.plist`);
}

/** Render any plist value tree; strings XML 1.0 cannot hold are refused by key path. */
export function renderPlist(value: PlistValue, where: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    plistExpr("", sortKeys(checkXml(value, where, ""))),
    "</plist>",
  ].join("\n");
}

const escapeXml = (text: string): string =>
  text.replace(
    /["'<>&]/g,
    (c) => ({ '"': "&quot;", "'": "&apos;", "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c] ?? c,
  );

/** One value at indentation `ind`, line for line as `toPlist`'s `expr` writes it. */
function plistExpr(ind: string, value: PlistValue): string {
  if (typeof value === "boolean") return `${ind}${value ? "<true/>" : "<false/>"}`;
  if (typeof value === "number") {
    // Nix prints floats with six decimals (`toString 1.5` is "1.500000").
    return Number.isInteger(value)
      ? `${ind}<integer>${value}</integer>`
      : `${ind}<real>${value.toFixed(6)}</real>`;
  }
  if (typeof value === "string") return `${ind}<string>${escapeXml(value)}</string>`;
  const inner = `\t${ind}`;
  if (Array.isArray(value)) {
    return [
      `${ind}<array>`,
      value.map((item) => plistExpr(inner, item)).join("\n"),
      `${ind}</array>`,
    ].join("\n");
  }
  const entries = Object.entries(value).flatMap(([key, item]) => [
    `${inner}<key>${escapeXml(key)}</key>`,
    plistExpr(inner, item),
  ]);
  return [`${ind}<dict>`, entries.join("\n"), `${ind}</dict>`].join("\n");
}

// XML 1.0 Char: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF (lone surrogates
// are excluded by matching code points with the `u` flag). Also refused: U+0085, U+2028 and
// U+2029, which XML 1.1 readers (the `plist` package's parser among them) turn into a line feed,
// and CR: nixpkgs' toPlist writes text unescaped, and every XML reader reads a raw CR back as LF.
const NOT_XML = /[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]|[\u0085\u2028\u2029]/u;

function checkXml(value: PlistValue, where: string, path: string): PlistValue {
  const checkText = (text: string, at: string): void => {
    const bad = NOT_XML.exec(text);
    if (bad === null) return;
    const what =
      bad[0] === "\0"
        ? "a NUL character"
        : bad[0] === "\r"
          ? "a carriage return"
          : `the character U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
    const why = /[\u0085\u2028\u2029]/.test(bad[0])
      ? "which XML readers disagree on (XML 1.1 reads it as a line feed)"
      : bad[0] === "\r"
        ? "which the plist as Nix writes it (unescaped) would read back as a line feed"
        : "which XML cannot hold";
    throw new LaunchdRenderError(where, `${at === "" ? "a value" : at} contains ${what}, ${why}`);
  };
  if (typeof value === "string") {
    checkText(value, path);
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new LaunchdRenderError(where, `${path} is ${value}, which a plist cannot hold`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkXml(item, where, `${path}[${i}]`));
  } else if (typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const at = path === "" ? key : `${path}.${key}`;
      // A JavaScript object cannot hold this key as data: it would set the prototype.
      if (key === "__proto__")
        throw new LaunchdRenderError(where, `${at} is a key no plist reader keeps`);
      checkText(key, at);
      checkXml(item, where, at);
    }
  }
  return value;
}

function sortKeys(value: PlistValue): PlistValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object") {
    const out: Record<string, PlistValue> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] as PlistValue);
    return out;
  }
  return value;
}

function absolute(path: string, where: string): string {
  if (!path.startsWith("/")) {
    throw new LaunchdRenderError(where, `${JSON.stringify(path)} is not an absolute path`);
  }
  return path;
}
