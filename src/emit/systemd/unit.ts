/**
 * A systemd unit file as data — sections of ordered key/value entries whose values are typed by
 * how systemd reads them — and the one renderer that turns it into text. Nobody concatenates
 * user text into a unit: every value goes through the constructor that knows its quoting.
 *
 * The rules are systemd's own (systemd.syntax(7), systemd.service(5) "Command lines",
 * systemd.exec(5) `Environment=`), checked against `systemd-analyze verify` in the tests:
 * - every value is specifier-expanded, so `%` is written `%%`;
 * - command arguments are unquoted and C-unescaped, then `$VAR`/`${VAR}` are substituted, so
 *   `\` and `"` are escaped inside double quotes and `$` is written `$$`;
 * - the executable (first word) is neither substituted nor allowed to hold quotes, backslashes
 *   or control characters at all ("Executable name contains special characters");
 * - `Environment=` assignments are unquoted and unescaped, but `$` means nothing there;
 * - a line break or NUL cannot be held by any value: systemd's parser ends the line there.
 */
import { nixAttrOrder } from "../nix-text.js";

/** A value as systemd reads it; build one with `text`, `command`, `environment` or `unitNames`. */
export type UnitValue =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "command"; readonly argv: readonly string[] }
  | { readonly kind: "environment"; readonly name: string; readonly value: string }
  | { readonly kind: "units"; readonly names: readonly string[] };

export interface UnitEntry {
  readonly key: string;
  readonly value: UnitValue;
}

export interface UnitSection {
  readonly name: "Unit" | "Service" | "Timer" | "Install";
  readonly entries: readonly UnitEntry[];
}

/** A whole unit file; `name` (e.g. `x.service`) is used in error messages only. */
export interface UnitFile {
  readonly name: string;
  readonly sections: readonly UnitSection[];
}

/** A value systemd cannot hold. `where` is `<unit> [Section] Key`. */
export class SystemdRenderError extends Error {
  /** Permanent name of this error. */
  readonly code = "systemd-unrepresentable";
  readonly where: string;

  constructor(where: string, problem: string) {
    super(`cannot render ${where}: ${problem}`);
    this.name = "SystemdRenderError";
    this.where = where;
  }
}

/** A plain value (Description=, WorkingDirectory=, OnCalendar=…): specifiers escaped, nothing unquoted. */
export function text(value: string): UnitValue {
  return { kind: "text", text: value };
}

/** An `ExecStart=`-style command line from an argument vector; every word arrives literally. */
export function command(argv: readonly string[]): UnitValue {
  return { kind: "command", argv };
}

/** One `Environment=` assignment, quoted so spaces, quotes and `%` arrive literally. */
export function environment(name: string, value: string): UnitValue {
  return { kind: "environment", name, value };
}

/** A space-separated list of unit names (After=, Wants=, WantedBy=). */
export function unitNames(names: readonly string[]): UnitValue {
  return { kind: "units", names };
}

/** Render a unit file: `[Section]` headers, `Key=value` lines, a blank line between sections. */
export function renderUnitFile(unit: UnitFile): string {
  const blocks = unit.sections
    .filter((section) => section.entries.length > 0)
    .map((section) => {
      const lines = section.entries.map((entry) => {
        const where = `${unit.name} [${section.name}] ${entry.key}`;
        return `${entry.key}=${renderValue(entry.value, where)}`;
      });
      return [`[${section.name}]`, ...lines].join("\n");
    });
  return `${blocks.join("\n\n")}\n`;
}

/**
 * Render a unit file as NixOS writes one from `systemd.services`/`systemd.timers`
 * (nixos/lib/systemd-lib.nix, `commonUnitText`, `serviceToUnit`, `timerToUnit`): keys sorted by
 * name within a section (the options are attribute sets), `Environment=` lines first and sorted by
 * variable, `Environment=` written as a JSON string (`builtins.toJSON "NAME=value"`), a blank
 * line after `[Unit]` and after `[Timer]`, and `[Install]` preceded by a blank line. So a timer
 * has two blank lines before `[Install]`, and a service without `[Install]` ends on its last key.
 * Sections are `Unit`, then one of `Service`/`Timer`, then `Install` (its only key `WantedBy`).
 */
export function renderNixosUnitFile(unit: UnitFile): string {
  const section = (name: UnitSection["name"]): UnitEntry[] =>
    unit.sections.filter((s) => s.name === name).flatMap((s) => s.entries);
  const lines = (name: UnitSection["name"], entries: UnitEntry[]): string =>
    entries
      .map((entry) => {
        const where = `${unit.name} [${name}] ${entry.key}`;
        return `${entry.key}=${renderValue(entry.value, where, "nixos")}\n`;
      })
      .join("");
  const sorted = (entries: UnitEntry[]): UnitEntry[] =>
    [...entries].sort((a, b) => nixAttrOrder(a.key, b.key));
  const envName = (e: UnitEntry): string => (e.value.kind === "environment" ? e.value.name : "");

  let body: string;
  if (unit.sections.some((s) => s.name === "Timer")) {
    body = `[Timer]\n${lines("Timer", sorted(section("Timer")))}\n`;
  } else {
    const service = section("Service");
    const env = service
      .filter((e) => e.key === "Environment")
      .sort((a, b) => nixAttrOrder(envName(a), envName(b)));
    const rest = sorted(service.filter((e) => e.key !== "Environment"));
    body = `[Service]\n${lines("Service", env)}${lines("Service", rest)}`;
  }
  const install = section("Install");
  return (
    `[Unit]\n${lines("Unit", sorted(section("Unit")))}\n${body}` +
    (install.length > 0 ? `\n[Install]\n${lines("Install", install)}` : "")
  );
}

function renderValue(
  value: UnitValue,
  where: string,
  style: "setup-mac" | "nixos" = "setup-mac",
): string {
  switch (value.kind) {
    case "text":
      return renderText(value.text, where);
    case "command":
      return renderCommand(value.argv, where);
    case "environment":
      return style === "nixos"
        ? renderNixosEnvironment(value.name, value.value, where)
        : renderEnvironment(value.name, value.value, where);
    case "units":
      return value.names.map((name) => renderUnitName(name, where)).join(" ");
    default: {
      const never: never = value;
      throw new Error(`unknown unit value ${JSON.stringify(never)}`);
    }
  }
}

function rejectLineBreaks(value: string, where: string): void {
  if (value.includes("\0")) {
    throw new SystemdRenderError(where, `${JSON.stringify(value)} contains a NUL character`);
  }
  if (/[\n\r]/.test(value)) {
    throw new SystemdRenderError(
      where,
      `${JSON.stringify(value)} contains a line break, which a unit file cannot hold`,
    );
  }
}

function escapeSpecifiers(value: string): string {
  return value.replaceAll("%", "%%");
}

function renderText(value: string, where: string): string {
  rejectLineBreaks(value, where);
  // A plain value is never unescaped, so a trailing backslash would join the next line onto it.
  if (value.endsWith("\\")) {
    throw new SystemdRenderError(
      where,
      `${JSON.stringify(value)} ends with a backslash, which systemd reads as a line continuation`,
    );
  }
  if (value !== value.trim()) {
    throw new SystemdRenderError(
      where,
      `${JSON.stringify(value)} starts or ends with whitespace, which systemd strips`,
    );
  }
  return escapeSpecifiers(value);
}

// Prefix characters that change how systemd runs the executable (`-`, `@`, `+`, `!`, `:`); they
// are read after unquoting, so quoting cannot protect them.
const EXEC_PREFIX = /^[-@+!:]/;

function renderCommand(argv: readonly string[], where: string): string {
  const [executable, ...args] = argv;
  if (executable === undefined || executable === "") {
    throw new SystemdRenderError(where, "the command is empty");
  }
  return [
    renderExecutable(executable, where),
    ...args.map((arg) => renderArgument(arg, where)),
  ].join(" ");
}

function renderExecutable(path: string, where: string): string {
  rejectLineBreaks(path, where);
  const problem =
    // eslint-disable-next-line no-control-regex
    /["'\\\x00-\x1f\x7f]/.test(path)
      ? "contains a quote, a backslash or a control character, which systemd refuses in an executable"
      : path.includes("$")
        ? "contains `$`, which systemd would substitute in the program's argv[0]"
        : EXEC_PREFIX.test(path)
          ? "starts with a character systemd reads as an ExecStart= prefix"
          : path.endsWith("/")
            ? "names a directory"
            : !path.startsWith("/") && path.includes("/")
              ? "is neither an absolute path nor a plain program name"
              : undefined;
  if (problem) throw new SystemdRenderError(where, `executable ${JSON.stringify(path)} ${problem}`);
  const escaped = escapeSpecifiers(path);
  return /\s/.test(path) ? `"${escaped}"` : escaped;
}

const BARE_WORD = /^[A-Za-z0-9_@%+=:,./$-]+$/;

function renderArgument(arg: string, where: string): string {
  rejectLineBreaks(arg, where);
  // eslint-disable-next-line no-control-regex
  const escaped = arg.replace(/[\\"%$\x00-\x1f\x7f]/g, (c) => {
    switch (c) {
      case "\\":
        return "\\\\";
      case '"':
        return '\\"';
      case "%":
        return "%%";
      case "$":
        return "$$";
      case "\t":
        return "\\t";
      default:
        return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    }
  });
  return BARE_WORD.test(arg) ? escaped : `"${escaped}"`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function renderEnvironment(name: string, value: string, where: string): string {
  if (!ENV_NAME.test(name)) {
    throw new SystemdRenderError(
      where,
      `${JSON.stringify(name)} is not a variable name (letters, digits and _, not starting with a digit)`,
    );
  }
  rejectLineBreaks(value, where);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(value)) {
    throw new SystemdRenderError(
      where,
      `the value of ${name} contains a control character, which systemd rejects`,
    );
  }
  const escaped = value.replace(/[\\"%]/g, (c) => (c === "%" ? "%%" : `\\${c}`));
  return `"${name}=${escaped}"`;
}

/**
 * NixOS writes `Environment=${builtins.toJSON "NAME=value"}`; the adapter hands it the value with
 * `%` doubled, so systemd reads back the value as given. For the values `renderEnvironment`
 * accepts (no control character but tab), JSON.stringify writes the same bytes as Nix' toJSON.
 */
function renderNixosEnvironment(name: string, value: string, where: string): string {
  renderEnvironment(name, value, where);
  return JSON.stringify(`${name}=${value.replaceAll("%", "%%")}`);
}

const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.(service|timer|target|socket|mount|path)$/;

function renderUnitName(name: string, where: string): string {
  if (!UNIT_NAME.test(name) || name.length > 255) {
    throw new SystemdRenderError(where, `${JSON.stringify(name)} is not a valid unit name`);
  }
  return escapeSpecifiers(name);
}
