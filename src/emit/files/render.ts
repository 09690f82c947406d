/**
 * Managed files: a structured value in, the file's exact bytes (as text) out. Each format is
 * written by its own library; this module only decides what each format can hold and fails with
 * a `FileRenderError` naming the format and the key path before a library silently drops or
 * mangles a value (smol-toml skips `null`, ini writes `null` as the string "null", YAML 1.1
 * readers take a plain `on` for `true`…).
 */
import { parse as parseIni, stringify as stringifyIni } from "ini";
import { stringify as stringifyToml } from "smol-toml";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { FileLock } from "../lock-types.js";

export type FileFormat = FileLock["format"];

/** What to render: the format and the author's value (a string for `text`). */
export interface FileContent {
  format: FileFormat;
  value: unknown;
}

/** A path into a value: object keys and array indices, outermost first. */
export type KeyPath = readonly (string | number)[];

/** A value the format cannot hold. The message names the format, the key path and the way out. */
export class FileRenderError extends Error {
  /** Permanent name of this error. */
  readonly code = "file-unrepresentable";
  readonly format: FileFormat;
  readonly path: KeyPath;
  readonly hint: string;

  constructor(format: FileFormat, path: KeyPath, problem: string, hint: string) {
    super(`cannot write ${format} file: ${problem} at ${formatKeyPath(path)}`);
    this.name = "FileRenderError";
    this.format = format;
    this.path = path;
    this.hint = hint;
  }
}

/** `servers[0].tls["cert.pem"]`, or `the top level` for the empty path. */
export function formatKeyPath(path: KeyPath): string {
  if (path.length === 0) return "the top level";
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Render a managed file's content to the exact text written to disk. */
export function renderFile(content: FileContent): string {
  const { format, value } = content;
  switch (format) {
    case "text":
      if (typeof value !== "string") {
        throw new FileRenderError(
          format,
          [],
          `expected a string, got ${describe(value)}`,
          "give `text` a string",
        );
      }
      checkString(format, value, []);
      return value;
    case "json":
      checkTree(format, value, [], new Set());
      return `${JSON.stringify(value, null, 2)}\n`;
    case "yaml":
      checkTree(format, value, [], new Set());
      return renderYaml(value);
    case "toml":
      checkTable(format, value);
      checkTree(format, value, [], new Set());
      return ensureTrailingNewline(stringifyToml(value as Record<string, unknown>));
    case "ini":
      checkTable(format, value);
      checkTree(format, value, [], new Set());
      checkIni(value as Record<string, unknown>);
      return renderIni(value as Record<string, unknown>);
    default: {
      const never: never = format;
      throw new Error(`unknown file format ${String(never)}`);
    }
  }
}

/**
 * Plain YAML 1.2 first; if a YAML 1.1 reader (PyYAML, go-yaml v2, many tools) would read it back
 * differently (`on`, `yes`, `1:20`, `010`), every string is double-quoted instead, so the file
 * means the same to every reader.
 */
function renderYaml(value: unknown): string {
  const options = { lineWidth: 0, aliasDuplicateObjects: false } as const;
  const plain = stringifyYaml(value, options);
  if (readsBackAs(plain, value)) return plain;
  const quoted = stringifyYaml(value, {
    ...options,
    defaultStringType: "QUOTE_DOUBLE",
    defaultKeyType: "QUOTE_DOUBLE",
  });
  if (readsBackAs(quoted, value)) return quoted;
  throw new FileRenderError(
    "yaml",
    [],
    "the value does not read back the same under YAML 1.1 and 1.2",
    "use strings for values that look like numbers or dates",
  );
}

function readsBackAs(text: string, value: unknown): boolean {
  return (["1.1", "1.2"] as const).every((version) => {
    try {
      return deepEqual(parseYaml(text, { version }), value);
    } catch {
      // `on:` and `yes:` are the same key to YAML 1.1, so a plain map can fail to parse at all.
      return false;
    }
  });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => deepEqual(item, b[i]))
    );
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ak = Object.keys(a);
    const bk = Object.keys(b);
    return ak.length === bk.length && ak.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The `ini` package escapes by its own conventions, and some keys (`a=b`, `x]`) and values (`\\;`)
 * do not survive them. Every file is read back; anything that changed is refused by key path
 * rather than written wrong. Empty sections are dropped, which INI readers cannot tell apart.
 */
function renderIni(table: Record<string, unknown>): string {
  const text = ensureTrailingNewline(stringifyIni(table, { whitespace: true }));
  const changed = firstDifference(iniShape(table), iniShape(parseIni(text)), []);
  if (changed) {
    throw new FileRenderError(
      "ini",
      changed,
      "a key or value that INI cannot write so it reads back the same",
      "avoid `=`, `[`, `]`, quotes and `\\;` / `\\#` in keys and values, or use another format",
    );
  }
  return text;
}

/** INI has only strings: compare as strings, with empty sections gone. */
function iniShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => String(item));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (isPlainObject(item) && Object.keys(item).length === 0) continue;
      out[key] = iniShape(item);
    }
    return out;
  }
  return String(value);
}

function firstDifference(want: unknown, got: unknown, path: KeyPath): KeyPath | undefined {
  if (isPlainObject(want) && isPlainObject(got)) {
    for (const key of Object.keys(want)) {
      const diff = firstDifference(want[key], got[key], [...path, key]);
      if (diff) return diff;
    }
    const extra = Object.keys(got).find((key) => !Object.hasOwn(want, key));
    return extra === undefined ? undefined : [...path, extra];
  }
  return deepEqual(want, got) ? undefined : path;
}

function checkTable(format: FileFormat, value: unknown): void {
  if (!isPlainObject(value)) {
    throw new FileRenderError(
      format,
      [],
      `expected a table (an object of keys), got ${describe(value)}`,
      `wrap the value in an object: { ${format}: { key: value } }`,
    );
  }
}

/** The JSON data model, minus what each format lacks; also catches cycles. */
function checkTree(format: FileFormat, value: unknown, path: KeyPath, seen: Set<object>): void {
  if (value === null) {
    if (format === "toml" || format === "ini") {
      throw new FileRenderError(
        format,
        path,
        `null has no ${format.toUpperCase()} form`,
        "leave the key out instead of setting it to null",
      );
    }
    return;
  }
  switch (typeof value) {
    case "string":
      checkString(format, value, path);
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value) && format !== "toml") {
        throw new FileRenderError(
          format,
          path,
          `${String(value)} has no ${format.toUpperCase()} form`,
          "use a finite number or a string",
        );
      }
      return;
    case "object":
      break;
    default:
      throw new FileRenderError(
        format,
        path,
        `${describe(value)} is not data`,
        "use strings, numbers, booleans, lists and objects only",
      );
  }
  if (seen.has(value)) {
    throw new FileRenderError(
      format,
      path,
      "the value contains itself",
      "build the value without cycles",
    );
  }
  if (Array.isArray(value)) {
    seen.add(value);
    value.forEach((item, i) => checkTree(format, item, [...path, i], seen));
    seen.delete(value);
    return;
  }
  if (!isPlainObject(value)) {
    throw new FileRenderError(
      format,
      path,
      `${describe(value)} is not plain data`,
      "convert it to a string, number, list or plain object first",
    );
  }
  seen.add(value);
  for (const [key, item] of Object.entries(value)) {
    checkString(format, key, [...path, key]);
    if (item === undefined) {
      throw new FileRenderError(
        format,
        [...path, key],
        "undefined is not a value",
        "leave the key out instead of setting it to undefined",
      );
    }
    checkTree(format, item, [...path, key], seen);
  }
  seen.delete(value);
}

function checkString(format: FileFormat, text: string, path: KeyPath): void {
  // A lone surrogate has no UTF-8 encoding: writing it would silently turn it into U+FFFD.
  if (/\p{Cs}/u.test(text)) {
    throw new FileRenderError(
      format,
      path,
      "a string holds a lone UTF-16 surrogate, which has no UTF-8 form",
      "remove the broken character",
    );
  }
}

/**
 * INI is sections of keys and nothing deeper. Lists of scalars are written as `key[] = v` lines
 * (the `ini` package's convention); line breaks have no INI form.
 */
function checkIni(table: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(table)) {
    if (isPlainObject(value)) {
      for (const [inner, item] of Object.entries(value)) checkIniScalar(item, [key, inner]);
    } else {
      checkIniScalar(value, [key]);
    }
  }
}

function checkIniScalar(value: unknown, path: KeyPath): void {
  if (isPlainObject(value)) {
    throw new FileRenderError(
      "ini",
      path,
      "an object nested 3 levels deep; INI holds only sections of keys (2 levels)",
      "flatten the value into `section.key` pairs",
    );
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item === "object" && item !== null) {
        throw new FileRenderError(
          "ini",
          [...path, i],
          "a list item that is not a string, number or boolean",
          "INI lists hold scalars only",
        );
      }
      checkIniText(item, [...path, i]);
    });
    return;
  }
  checkIniText(value, path);
  for (const part of path) checkIniText(part, path);
}

function checkIniText(value: unknown, path: KeyPath): void {
  if (typeof value === "string" && /[\r\n]/.test(value)) {
    throw new FileRenderError(
      "ini",
      path,
      "a line break, which INI cannot hold",
      "split the value over several keys or use another format",
    );
  }
}

function ensureTrailingNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (typeof value === "function") return "a function";
  if (typeof value === "string") return "a string";
  return `${typeof value} ${String(value)}`;
}
