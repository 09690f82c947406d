/**
 * Editing `setup-mac.jsonc` as text: enable and disable programs, set and unset option values,
 * keeping every comment and all formatting outside the edited value. Pure: text in, text out.
 *
 * Edits are applied with jsonc-parser's `applyEdits`, and their positions come from its syntax
 * tree (`parseTree`, `createScanner`). jsonc-parser's `modify` supplies the edit where an object is
 * written on one line; in multi-line objects the edits are computed here, because `modify` with
 * formatting re-formats every line the edit touches (`keepLines: false`): it expands a neighbour's
 * compact `{ "a": 1 }` over several lines and, when removing a property, drops the comment that
 * trails the property before it.
 */
import {
  applyEdits,
  createScanner,
  findNodeAtLocation,
  getNodeValue,
  modify,
  parseTree,
  printParseErrorCode,
  type Edit,
  type Node,
  type ParseError,
} from "jsonc-parser";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";
import { messages, tooDeep } from "../load/config.js";
import { duplicateKeys } from "./duplicates.js";
import { lineColumn } from "../load/config.js";

/** The name used in error messages when the caller does not say which file the text came from. */
const DEFAULT_FILE = "setup-mac.jsonc";

/** Where the text came from, for error messages. */
export interface EditOptions {
  /** The file name shown in errors (default `setup-mac.jsonc`). */
  file?: string;
}

/** How a file is indented and which line ending it uses, detected from its text. */
export interface Formatting {
  insertSpaces: boolean;
  /** Spaces per level when `insertSpaces`. */
  tabSize: number;
  eol: "\n" | "\r\n";
}

/** The text is not valid JSONC; carries the 1-based line and column of the first problem. */
export class ConfigSyntaxError extends SetupMacError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** jsonc-parser's name for the problem, e.g. `CommaExpected`. */
    readonly parseError: string,
  ) {
    super(
      diagnostic("config-syntax", `invalid JSONC: ${messages[parseError] ?? parseError}`, {
        location: { file, line, column },
        hint: "fix the syntax at this position (comments and trailing commas are allowed), then run the command again",
      }),
    );
    this.name = "ConfigSyntaxError";
  }
}

/** The config names no host of that name. */
export class HostNotFoundError extends SetupMacError {
  constructor(
    readonly file: string,
    readonly host: string,
    readonly knownHosts: string[],
  ) {
    const guess = didYouMean(host, knownHosts);
    const known = knownHosts.length ? knownHosts.map((h) => `\`${h}\``).join(", ") : "none";
    super(
      diagnostic("unknown-host", `host \`${host}\` is not in ${file} (hosts: ${known})`, {
        location: { file },
        hint: guess
          ? `did you mean \`${guess}\`? Pass --host ${guess}`
          : `add it under "hosts" in ${file}, or pass --host with one of the hosts above`,
      }),
    );
    this.name = "HostNotFoundError";
  }
}

/** A value on the way to the edit is not what the format allows (e.g. `programs` is a string). */
export class ConfigShapeError extends SetupMacError {
  constructor(
    readonly file: string,
    /** The JSON path of the offending value, e.g. `hosts.macbook.programs`. */
    readonly path: string,
    line: number,
    column: number,
    expected: string,
    found: string,
  ) {
    super(
      diagnostic("config-shape", `\`${path}\` is ${found}; expected ${expected}`, {
        location: { file, line, column },
        hint: `change \`${path}\` to ${expected} in ${file}`,
      }),
    );
    this.name = "ConfigShapeError";
  }
}

/** Setting an option of a program the host switches off with `false`. */
export class ProgramDisabledError extends SetupMacError {
  constructor(
    readonly file: string,
    readonly host: string,
    readonly program: string,
    line: number,
    column: number,
  ) {
    super(
      diagnostic(
        "program-disabled",
        `\`${program}\` is disabled on host \`${host}\` (\`"${program}": false\`), so its options would have no effect`,
        {
          location: { file, line, column },
          host,
          hint: `enable it first: setup-mac --host ${host} programs enable ${program}`,
        },
      ),
    );
    this.name = "ProgramDisabledError";
  }
}

/** A program's entry on a host: `true`, `false`, an object of option values, or absent. */
export type ProgramEntry = boolean | Record<string, unknown> | undefined;

type Path = (string | number)[];

/** A parsed document: the text, its syntax tree and how it is formatted. */
interface Doc {
  file: string;
  text: string;
  root: Node;
  fmt: Formatting;
}

/** Where to point for a value: its property's key when it has one, as the loader does. */
function keyOffset(node: Node): number {
  return node.parent?.type === "property" ? node.parent.offset : node.offset;
}

/** Detect indentation (tabs or N spaces) and line ending from the text; 2 spaces and `\n` when unknown. */
export function detectFormatting(text: string): Formatting {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  let tabs = 0;
  let spaced = 0;
  let smallest = Infinity;
  for (const line of text.split(/\r?\n/)) {
    const indent = /^[ \t]*/.exec(line)?.[0] ?? "";
    // Blank lines and block-comment continuations (` * …`) say nothing about the indent unit.
    if (indent === "" || indent.length === line.length || line.trimStart().startsWith("*"))
      continue;
    if (indent.startsWith("\t")) tabs++;
    else {
      spaced++;
      smallest = Math.min(smallest, indent.length);
    }
  }
  const insertSpaces = tabs <= spaced || spaced + tabs === 0;
  return {
    insertSpaces,
    tabSize: insertSpaces && Number.isFinite(smallest) ? Math.min(smallest, 8) : 2,
    eol: crlf > lf ? "\r\n" : "\n",
  };
}

/** Parse the text or throw {@link ConfigSyntaxError}; the root must be an object. */
function parseDoc(text: string, file: string): Doc {
  // Deeper nesting would overflow the parser's stack: refuse it as a syntax error instead.
  const deep = tooDeep(text);
  if (deep !== undefined) {
    const at = lineColumn(text, deep);
    throw new ConfigSyntaxError(file, at.line, at.column, "TooDeep");
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const at = lineColumn(text, first.offset);
    throw new ConfigSyntaxError(file, at.line, at.column, printParseErrorCode(first.error));
  }
  if (!root) {
    throw new ConfigSyntaxError(file, 1, 1, "ValueExpected");
  }
  if (root.type !== "object") {
    const at = lineColumn(text, root.offset);
    throw new ConfigShapeError(
      file,
      "(the top level)",
      at.line,
      at.column,
      "an object",
      describeNode(root),
    );
  }
  // A key given twice would be edited in one copy while the loader reads the other.
  const duplicates = duplicateKeys(root, text, file);
  if (duplicates.length) throw new SetupMacError(duplicates);
  return { file, text, root, fmt: detectFormatting(text) };
}

/** `a string`, `an array`, … for error messages. */
function describeNode(node: Node): string {
  switch (node.type) {
    case "array":
      return "an array";
    case "object":
      return "an object";
    case "null":
      return "null";
    default:
      return `${node.type === "boolean" ? "the boolean" : `a ${node.type}`} ${JSON.stringify(getNodeValue(node) as unknown)}`;
  }
}

/** The node at `path`, or undefined. */
function nodeAt(doc: Doc, path: Path): Node | undefined {
  return findNodeAtLocation(doc.root, path);
}

/** Throws {@link ConfigShapeError} unless each existing value along `path` (after `from`) is an object. */
function requireObjects(doc: Doc, path: Path, from = 0): void {
  for (let depth = from; depth <= path.length; depth++) {
    const node = nodeAt(doc, path.slice(0, depth));
    if (!node) return;
    if (node.type !== "object") {
      const at = lineColumn(doc.text, keyOffset(node));
      throw new ConfigShapeError(
        doc.file,
        path.slice(0, depth).join("."),
        at.line,
        at.column,
        "an object",
        describeNode(node),
      );
    }
  }
}

/** The object node of `hosts.<host>`, or {@link HostNotFoundError}. */
function hostNode(doc: Doc, host: string): Node {
  requireObjects(doc, ["hosts"]);
  const hosts = nodeAt(doc, ["hosts"]);
  const node = nodeAt(doc, ["hosts", host]);
  if (!node) {
    const known = (hosts?.children ?? []).map((p) => String(p.children?.[0]?.value ?? ""));
    throw new HostNotFoundError(doc.file, host, known);
  }
  requireObjects(doc, ["hosts", host, "programs"]);
  return node;
}

/** The program's entry on a host, checked to be a boolean or an object. */
function programEntryNode(doc: Doc, host: string, program: string): Node | undefined {
  hostNode(doc, host);
  const node = nodeAt(doc, ["hosts", host, "programs", program]);
  if (node && node.type !== "boolean" && node.type !== "object") {
    const at = lineColumn(doc.text, keyOffset(node));
    throw new ConfigShapeError(
      doc.file,
      `hosts.${host}.programs.${program}`,
      at.line,
      at.column,
      "true, false or an object of option values",
      describeNode(node),
    );
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Rendering and edits

/** One indentation level in the file's style. */
function unit(fmt: Formatting): string {
  return fmt.insertSpaces ? " ".repeat(fmt.tabSize) : "\t";
}

/** `{ "a": 1, "b": [1, 2] }`: for objects written on one line. */
function renderCompact(value: unknown): string {
  if (Array.isArray(value)) return value.length ? `[${value.map(renderCompact).join(", ")}]` : "[]";
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (!entries.length) return "{}";
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${renderCompact(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

/** Pretty JSON whose lines after the first start with `indent`, in the file's indent and EOL. */
function renderBlock(value: unknown, indent: string, fmt: Formatting): string {
  return JSON.stringify(value, null, unit(fmt))
    .split("\n")
    .join(fmt.eol + indent);
}

/** Whether the node's text lies on one line. */
function singleLine(text: string, node: Node): boolean {
  return !/[\r\n]/.test(text.slice(node.offset, node.offset + node.length));
}

/** The whitespace that starts the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? "";
}

/** Whether only whitespace precedes `offset` on its line. */
function startsLine(text: string, offset: number): boolean {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*$/.test(text.slice(start, offset));
}

/**
 * From the end of a value: the offset of a comma that directly follows it (only trivia between),
 * and the offset just past the rest of that line when nothing but comments and whitespace follow.
 */
function scanAfter(text: string, offset: number): { comma?: number; lineEnd?: number } {
  const scanner = createScanner(text, false);
  scanner.setPosition(offset);
  let comma: number | undefined;
  for (;;) {
    const kind = scanner.scan();
    const at = scanner.getTokenOffset();
    const tokenText = text.slice(at, at + scanner.getTokenLength());
    // SyntaxKind values: 5 comma, 12 line comment, 13 block comment, 14 line break, 15 trivia, 17 EOF.
    if (kind === 15) continue;
    if (kind === 5 && comma === undefined) {
      comma = at;
      continue;
    }
    if (kind === 12) continue;
    if (kind === 13 && !/[\r\n]/.test(tokenText)) continue;
    if (kind === 14) return { comma, lineEnd: at + scanner.getTokenLength() };
    if (kind === 17) return { comma, lineEnd: at };
    return { comma };
  }
}

/** The offset of the first comma after `offset` (skipping comments), or undefined. */
function commaAfter(text: string, offset: number): number | undefined {
  const scanner = createScanner(text, false);
  scanner.setPosition(offset);
  for (;;) {
    const kind = scanner.scan();
    if (kind === 5) return scanner.getTokenOffset();
    if (kind !== 12 && kind !== 13 && kind !== 14 && kind !== 15) return undefined;
  }
}

/** Builds `{ a: { b: value } }` for the part of a path that does not exist yet. */
function nest(path: Path, value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** Edits that set `path` to `value`, creating missing objects on the way. */
function setEdits(doc: Doc, path: Path, value: unknown): Edit[] {
  const { text, fmt } = doc;
  const existing = nodeAt(doc, path);
  if (existing) {
    const container = existing.parent?.parent;
    const compact = container !== undefined && singleLine(text, container);
    const indent = lineIndent(text, existing.parent?.offset ?? existing.offset);
    const content = compact ? renderCompact(value) : renderBlock(value, indent, fmt);
    return [{ offset: existing.offset, length: existing.length, content }];
  }

  // Find the deepest object that exists and insert the first missing key into it.
  let depth = path.length - 1;
  while (depth > 0 && !nodeAt(doc, path.slice(0, depth))) depth--;
  const target = nodeAt(doc, path.slice(0, depth)) ?? doc.root;
  const key = String(path[depth]);
  const inner = nest(path.slice(depth + 1), value);
  const properties = target.children ?? [];
  const last = properties.at(-1);

  if (singleLine(text, target) && (last || singleLine(text, doc.root))) {
    // A one-line object stays on one line; jsonc-parser finds the place, we render the value.
    const edit = modify(text, path.slice(0, depth + 1), inner, {})[0];
    if (!edit) return [];
    const property = `${JSON.stringify(key)}: ${renderCompact(inner)}`;
    if (last) return [{ offset: edit.offset, length: edit.length, content: `, ${property}` }];
    return [{ offset: target.offset + 1, length: target.length - 2, content: ` ${property} ` }];
  }

  const outer = lineIndent(text, target.parent?.offset ?? target.offset);
  if (!last) {
    // An empty object: put the property on its own line between the braces.
    const inside = text.slice(target.offset + 1, target.offset + target.length - 1);
    const indent = outer + unit(fmt);
    const property = `${JSON.stringify(key)}: ${renderBlock(inner, indent, fmt)}`;
    if (/^\s*$/.test(inside)) {
      return [
        {
          offset: target.offset + 1,
          length: target.length - 2,
          content: `${fmt.eol}${indent}${property}${fmt.eol}${outer}`,
        },
      ];
    }
    // Only comments inside: keep them below the new property.
    return [{ offset: target.offset + 1, length: 0, content: `${fmt.eol}${indent}${property}` }];
  }

  // After the last property, on a line of its own, indented like it. A comment trailing the last
  // property stays on that property's line; the comma goes right after its value.
  const indent = startsLine(text, last.offset) ? lineIndent(text, last.offset) : outer + unit(fmt);
  const property = `${JSON.stringify(key)}: ${renderBlock(inner, indent, fmt)}`;
  const lastEnd = last.offset + last.length;
  const after = scanAfter(text, lastEnd);
  const trailingComma = after.comma !== undefined;
  const edits: Edit[] = trailingComma ? [] : [{ offset: lastEnd, length: 0, content: "," }];
  const tail = trailingComma ? "," : "";
  if (after.lineEnd !== undefined && text[after.lineEnd - 1] === "\n") {
    edits.push({
      offset: after.lineEnd,
      length: 0,
      content: `${indent}${property}${tail}${fmt.eol}`,
    });
    return edits;
  }
  // The closing brace (or the end of the text) shares the last property's line.
  const at = trailingComma ? (after.comma ?? lastEnd) + 1 : lastEnd;
  const comma = trailingComma ? "" : ",";
  return [{ offset: at, length: 0, content: `${comma}${fmt.eol}${indent}${property}${tail}` }];
}

/** Edits that remove the property at `path` (none when it is absent). */
function removeEdits(doc: Doc, path: Path): Edit[] {
  const { text } = doc;
  const value = nodeAt(doc, path);
  const property = value?.parent;
  const container = property?.parent;
  if (!value || !property || !container || property.type !== "property") return [];
  const siblings = container.children ?? [];
  const index = siblings.indexOf(property);
  const end = property.offset + property.length;
  const after = scanAfter(text, end);

  if (
    !singleLine(text, container) &&
    startsLine(text, property.offset) &&
    after.lineEnd !== undefined
  ) {
    // The property has its own line(s): remove exactly those, with the comment that trails it.
    const lineStart = text.lastIndexOf("\n", property.offset - 1) + 1;
    const edits: Edit[] = [{ offset: lineStart, length: after.lineEnd - lineStart, content: "" }];
    const previous = siblings[index - 1];
    if (index === siblings.length - 1 && after.comma === undefined && previous) {
      // It was the last property: the one before it now is, so its comma must go.
      const comma = commaAfter(text, previous.offset + previous.length);
      if (comma !== undefined) edits.push({ offset: comma, length: 1, content: "" });
    }
    return edits;
  }

  if (siblings.length === 1 && singleLine(text, container)) {
    // The only property of a one-line object: leave `{}`, not `{  }`.
    return [{ offset: container.offset + 1, length: container.length - 2, content: "" }];
  }
  // Shared line: jsonc-parser cuts the property and its comma; keep the space after `{`.
  const edits = modify(text, path, undefined, {});
  return edits.map((edit) => {
    const removed = text.slice(edit.offset, edit.offset + edit.length);
    const lead = /^\s*/.exec(removed)?.[0].length ?? 0;
    if (edit.offset === container.offset + 1 && lead > 0 && lead < removed.length) {
      return { offset: edit.offset + lead, length: edit.length - lead, content: edit.content };
    }
    return edit;
  });
}

/** Apply edits, or return the text untouched when there are none. */
function apply(text: string, edits: Edit[]): string {
  return edits.length ? applyEdits(text, edits) : text;
}

/** Rejects values JSON cannot hold (undefined, functions, NaN…), which would corrupt the file. */
function assertJson(value: unknown, where: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertJson(v, `${where}[${i}]`));
    return;
  } else if (
    typeof value === "object" &&
    [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null)
  ) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      assertJson(v, `${where}.${k}`);
    return;
  }
  const kind =
    typeof value === "number"
      ? String(value)
      : typeof value === "object"
        ? (value.constructor?.name ?? "object")
        : typeof value;
  throw new TypeError(`${where} is not a JSON value (${kind}); use unsetOption to remove a value`);
}

/** Checks a key path is non-empty. */
function assertKeyPath(keyPath: readonly string[]): void {
  if (keyPath.length === 0) {
    throw new TypeError(
      "keyPath is empty: name the option to change (use setProgramEnabled for the program itself)",
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The public operations

/** A program's entry on a host as written: `true`, `false`, its option object, or undefined. */
export function getProgramEntry(
  text: string,
  host: string,
  program: string,
  options: EditOptions = {},
): ProgramEntry {
  const doc = parseDoc(text, options.file ?? DEFAULT_FILE);
  const node = programEntryNode(doc, host, program);
  return node ? (getNodeValue(node) as ProgramEntry) : undefined;
}

/**
 * Enable or disable a program on a host. Enabling adds `"p": true` unless the program is already
 * on (an object of options stays as it is). Disabling removes the entry, or, with `keepFalse`
 * (for a program that `requires` would otherwise switch on), writes `"p": false`. Disabling
 * drops the entry's option values; read them first with {@link getProgramEntry} to warn.
 */
export function setProgramEnabled(
  text: string,
  host: string,
  program: string,
  enabled: boolean,
  options: EditOptions & { keepFalse?: boolean } = {},
): string {
  const doc = parseDoc(text, options.file ?? DEFAULT_FILE);
  const node = programEntryNode(doc, host, program);
  const path = ["hosts", host, "programs", program];
  if (enabled) {
    if (node && (node.type === "object" || node.value === true)) return text;
    return apply(text, setEdits(doc, path, true));
  }
  // An explicit `false` already keeps the program off, even against `requires`: leave it.
  if (node?.value === false) return text;
  if (options.keepFalse) {
    return apply(text, setEdits(doc, path, false));
  }
  return apply(text, removeEdits(doc, path));
}

/**
 * Set an option value: on a host (`hosts.<host>.programs.<program>.<keyPath…>`) or, with host
 * `null`, in `defaults.<program>.<keyPath…>`. A host entry of `true` becomes an object; a missing
 * host entry is created (which enables the program there); an entry of `false` is an error.
 */
export function setOption(
  text: string,
  host: string | null,
  program: string,
  keyPath: readonly string[],
  value: unknown,
  options: EditOptions = {},
): string {
  assertKeyPath(keyPath);
  assertJson(value, keyPath.join("."));
  const doc = parseDoc(text, options.file ?? DEFAULT_FILE);
  if (host === null) {
    const path = ["defaults", program, ...keyPath];
    requireObjects(doc, path.slice(0, -1));
    return apply(text, setEdits(doc, path, value));
  }
  const entry = programEntryNode(doc, host, program);
  const base = ["hosts", host, "programs", program];
  if (entry?.type === "boolean") {
    if (entry.value === false) {
      const at = lineColumn(doc.text, keyOffset(entry));
      throw new ProgramDisabledError(doc.file, host, program, at.line, at.column);
    }
    // `true` becomes the object holding the first option.
    return apply(text, setEdits(doc, base, nest([...keyPath], value)));
  }
  const path = [...base, ...keyPath];
  requireObjects(doc, path.slice(0, -1), base.length);
  return apply(text, setEdits(doc, path, value));
}

/**
 * Remove an option value (no change when it is not set). Objects left empty are removed up to the
 * program; a host's program entry left empty becomes `true` (still enabled), an empty
 * `defaults.<program>` is removed.
 */
export function unsetOption(
  text: string,
  host: string | null,
  program: string,
  keyPath: readonly string[],
  options: EditOptions = {},
): string {
  assertKeyPath(keyPath);
  const doc = parseDoc(text, options.file ?? DEFAULT_FILE);
  const base = host === null ? ["defaults", program] : ["hosts", host, "programs", program];
  if (host !== null) programEntryNode(doc, host, program);
  if (!nodeAt(doc, [...base, ...keyPath])) return text;

  // Remove the highest ancestor that would be left empty, so no `{}` husks stay behind.
  let path: Path = [...base, ...keyPath];
  while (path.length > base.length) {
    const parent = nodeAt(doc, path.slice(0, -1));
    if (!parent || (parent.children?.length ?? 0) !== 1) break;
    path = path.slice(0, -1);
  }
  if (path.length === base.length && host !== null) {
    return apply(text, setEdits(doc, base, true));
  }
  return apply(text, removeEdits(doc, path));
}

/**
 * The value written at an option's place (a host's entry, or `defaults` with host `null`), or
 * undefined. Does not merge defaults into host values: that is the resolver's job.
 */
export function getOption(
  text: string,
  host: string | null,
  program: string,
  keyPath: readonly string[],
  options: EditOptions = {},
): unknown {
  assertKeyPath(keyPath);
  const doc = parseDoc(text, options.file ?? DEFAULT_FILE);
  if (host !== null) {
    const entry = programEntryNode(doc, host, program);
    if (entry?.type !== "object") return undefined;
  }
  const base = host === null ? ["defaults", program] : ["hosts", host, "programs", program];
  const node = nodeAt(doc, [...base, ...keyPath]);
  return node ? (getNodeValue(node) as unknown) : undefined;
}

/**
 * Set a value at any path outside the programs (`packs.<name>`): objects on the way are created,
 * comments and formatting elsewhere are kept.
 */
export function setConfigValue(
  text: string,
  path: readonly string[],
  value: unknown,
  options: EditOptions = {},
): string {
  assertJson(value, path.join("."));
  const doc = parseDoc(text, options.file ?? DEFAULT_FILE);
  requireObjects(doc, path.slice(0, -1));
  return apply(text, setEdits(doc, [...path], value));
}

/** Remove the value at a path (no change when it is not there); a parent left empty goes too. */
export function removeConfigValue(
  text: string,
  path: readonly string[],
  options: EditOptions = {},
): string {
  const doc = parseDoc(text, options.file ?? DEFAULT_FILE);
  if (!nodeAt(doc, [...path])) return text;
  let target: Path = [...path];
  while (target.length > 1 && (nodeAt(doc, target.slice(0, -1))?.children?.length ?? 0) === 1)
    target = target.slice(0, -1);
  return apply(text, removeEdits(doc, target));
}
