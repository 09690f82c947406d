/**
 * From a tree-sitter-nix syntax tree to values migrate can reason about (pure: the tree is data).
 * Literals (strings, numbers, booleans, lists, attribute sets) become their values; `let`
 * bindings with literal values are inlined; `pkgs.x` (and `x` under `with pkgs;`) becomes a
 * package reference; everything else — `config.…`, function arguments, calls, interpolation of
 * anything unresolved — stays an `expr` with its source text and line, so nothing is guessed.
 */
import type { Node } from "web-tree-sitter";

/** Where a value was written: 1-based line, and its source text. */
export interface Origin {
  line: number;
  text: string;
}

export type NixValue = (
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "null" }
  | { kind: "list"; items: NixValue[] }
  | { kind: "attrs"; entries: Map<string, NixValue> }
  /** A nixpkgs attribute path: `pkgs.ripgrep`, or `ripgrep` under `with pkgs;`. */
  | { kind: "pkg"; path: string }
  /** A string whose interpolations are not all literal: literal parts and unresolved parts. */
  | { kind: "interpolated"; parts: (string | NixValue)[] }
  /** A call of a named function (`pkgs.symlinkJoin { … }`, `lib.mkDefault 5`). */
  | { kind: "apply"; fn: string; args: NixValue[] }
  /** Anything else: kept as its source text, with why it cannot be a literal. */
  | { kind: "expr"; why: string }
) &
  Origin;

/** A parse problem of the file, with its line. */
export interface SyntaxProblem {
  line: number;
  message: string;
}

interface Scope {
  /** `let` bindings (and `rec` attributes), converted on first use. */
  bindings: Map<string, () => NixValue>;
  /** Function arguments (`{ config, pkgs, ... }:`): known names whose values are unknown. */
  args: Set<string>;
  /** Inside `with pkgs;`. */
  withPkgs: boolean;
}

const EMPTY: Scope = { bindings: new Map(), args: new Set(), withPkgs: false };

/** The syntax errors tree-sitter found, first line first. */
export function syntaxProblems(root: Node): SyntaxProblem[] {
  const out: SyntaxProblem[] = [];
  const visit = (n: Node): void => {
    if (trailingFormalComma(n)) return;
    if (n.isError || n.isMissing) {
      out.push({
        line: n.startPosition.row + 1,
        message: n.isMissing ? `missing \`${n.type}\`` : `unexpected \`${clip(n.text)}\``,
      });
      return;
    }
    if (n.hasError) for (const c of n.children) if (c) visit(c);
  };
  visit(root);
  return out;
}

/**
 * `{ a, b, }:` (a trailing comma in a function's arguments, as nixfmt writes them) is valid
 * Nix; the bundled grammar parses it as a last argument with a missing name, which is no error.
 */
export function trailingFormalComma(n: Node): boolean {
  return (
    n.isMissing &&
    n.type === "identifier" &&
    n.parent?.type === "formal" &&
    n.parent.childCount === 1 &&
    n.parent.nextSibling?.type === "}"
  );
}

/** The value of a file's expression: a module function's body, through its `let`s. */
export function moduleValue(root: Node): NixValue {
  const expr = root.childForFieldName("expression") ?? root.namedChildren[0];
  if (!expr) return { kind: "expr", why: "the file is empty", line: 1, text: "" };
  return convert(expr, EMPTY);
}

function origin(n: Node): Origin {
  return { line: n.startPosition.row + 1, text: n.text };
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

function expr(n: Node, why: string): NixValue {
  return { kind: "expr", why, ...origin(n) };
}

/** A dotted name (`pkgs.lib.mkDefault`) of a variable or a select of plain attributes. */
export function dottedName(n: Node): string | undefined {
  if (n.type === "variable_expression") return n.childForFieldName("name")?.text;
  if (n.type === "select_expression" && !n.childForFieldName("default")) {
    const base = dottedName(n.childForFieldName("expression")!);
    const path = attrNames(n.childForFieldName("attrpath")!, EMPTY);
    if (base === undefined || path === undefined) return undefined;
    return [base, ...path].join(".");
  }
  if (n.type === "parenthesized_expression") return dottedName(n.namedChildren[0]!);
  return undefined;
}

/** The names of an attribute path, or undefined when one is computed (`${x}`). */
function attrNames(path: Node, scope: Scope): string[] | undefined {
  const names: string[] = [];
  for (const a of path.childrenForFieldName("attr")) {
    if (!a) continue;
    if (a.type === "identifier") names.push(a.text);
    else if (a.type === "string_expression") {
      const v = stringValue(a, scope);
      if (v.kind !== "string") return undefined;
      names.push(v.value);
    } else return undefined;
  }
  return names;
}

function convert(n: Node, scope: Scope): NixValue {
  switch (n.type) {
    case "parenthesized_expression":
      return convert(n.namedChildren[0]!, scope);
    case "integer_expression":
    case "float_expression":
      return { kind: "number", value: Number(n.text), ...origin(n) };
    case "string_expression":
    case "indented_string_expression":
      return stringValue(n, scope);
    case "list_expression":
      return {
        kind: "list",
        items: n.childrenForFieldName("element").map((e) => convert(e!, scope)),
        ...origin(n),
      };
    case "attrset_expression":
      return attrset(n, scope, false);
    case "rec_attrset_expression":
      return attrset(n, scope, true);
    case "let_expression":
      return convert(n.childForFieldName("body")!, letScope(n, scope));
    case "function_expression":
      return convert(n.childForFieldName("body")!, functionScope(n, scope));
    case "with_expression": {
      const env = dottedName(n.childForFieldName("environment")!);
      if (env !== "pkgs")
        return expr(
          n,
          `\`with ${clip(n.childForFieldName("environment")!.text)};\` brings in names migrate cannot know`,
        );
      return convert(n.childForFieldName("body")!, { ...scope, withPkgs: true });
    }
    case "variable_expression":
      return variable(n, scope);
    case "select_expression":
      return select(n, scope);
    case "apply_expression":
      return apply(n, scope);
    case "path_expression":
    case "hpath_expression":
    case "spath_expression":
      return expr(
        n,
        "a path is copied into the Nix store; setup-mac modules name files by their text",
      );
    default:
      return expr(
        n,
        `a ${n.type.replace(/_expression$/, "").replaceAll("_", " ")} expression is not a literal value`,
      );
  }
}

function variable(n: Node, scope: Scope): NixValue {
  const name = n.childForFieldName("name")!.text;
  const bound = scope.bindings.get(name);
  if (bound) {
    const v = bound();
    // A call (a wrapper) is reported where it is written; a literal where it is used.
    return v.kind === "apply" ? v : { ...v, line: n.startPosition.row + 1, text: n.text };
  }
  if (scope.args.has(name))
    return expr(n, `\`${name}\` is an argument of the module, known only when Nix evaluates it`);
  if (name === "true" || name === "false")
    return { kind: "bool", value: name === "true", ...origin(n) };
  if (name === "null") return { kind: "null", ...origin(n) };
  if (scope.withPkgs) return { kind: "pkg", path: name, ...origin(n) };
  return expr(n, `\`${name}\` is not defined in this file`);
}

function select(n: Node, scope: Scope): NixValue {
  const baseNode = n.childForFieldName("expression")!;
  const path = attrNames(n.childForFieldName("attrpath")!, scope);
  if (path === undefined) return expr(n, "the attribute name is computed");
  const baseName = baseNode.type === "variable_expression" ? baseNode.text : undefined;
  if (baseName === "pkgs" && !scope.bindings.has("pkgs") && !n.childForFieldName("default")) {
    return { kind: "pkg", path: path.join("."), ...origin(n) };
  }
  // `python3Packages.black` under `with pkgs;`.
  if (
    baseName !== undefined &&
    scope.withPkgs &&
    !scope.bindings.has(baseName) &&
    !scope.args.has(baseName) &&
    !n.childForFieldName("default")
  ) {
    return { kind: "pkg", path: [baseName, ...path].join("."), ...origin(n) };
  }
  const base = convert(baseNode, scope);
  if (base.kind === "attrs") {
    let v: NixValue | undefined = base;
    for (const key of path) v = v?.kind === "attrs" ? v.entries.get(key) : undefined;
    if (v) return { ...v, line: n.startPosition.row + 1, text: n.text };
  }
  if (base.kind === "expr") return { ...base, ...origin(n) };
  return expr(n, `\`${clip(n.text)}\` does not name a literal value in this file`);
}

function apply(n: Node, scope: Scope): NixValue {
  const args: NixValue[] = [];
  let f: Node = n;
  while (f.type === "apply_expression") {
    args.unshift(convert(f.childForFieldName("argument")!, scope));
    f = f.childForFieldName("function")!;
  }
  const fn = dottedName(f);
  if (fn === undefined) return expr(n, "a call of a computed function");
  return { kind: "apply", fn, args, ...origin(n) };
}

function functionScope(n: Node, scope: Scope): Scope {
  const args = new Set(scope.args);
  const formals = n.childForFieldName("formals");
  for (const f of formals?.childrenForFieldName("formal") ?? []) {
    const name = f?.childForFieldName("name")?.text;
    if (name) args.add(name);
  }
  const universal = n.childForFieldName("universal");
  if (universal) args.add(universal.text);
  const bindings = new Map(scope.bindings);
  for (const a of args) bindings.delete(a);
  return { ...scope, args, bindings };
}

function letScope(n: Node, scope: Scope): Scope {
  const inner: Scope = { ...scope, bindings: new Map(scope.bindings) };
  const set = n.namedChildren.find((c) => c?.type === "binding_set");
  if (set) addBindings(set, inner);
  return inner;
}

/** Adds the bindings of a `let` or `rec { }` to a scope, each converted once, on first use. */
function addBindings(set: Node, scope: Scope): void {
  const tops = new Map<string, { nodes: Node[] }>();
  for (const b of set.namedChildren) {
    if (b?.type !== "binding") continue;
    const names = attrNames(b.childForFieldName("attrpath")!, EMPTY);
    if (!names) continue;
    const entry = tops.get(names[0]!) ?? { nodes: [] };
    entry.nodes.push(b);
    tops.set(names[0]!, entry);
  }
  for (const [name, { nodes }] of tops) {
    let cached: NixValue | undefined;
    let busy = false;
    scope.bindings.set(name, () => {
      if (cached) return cached;
      const at = nodes[0]!;
      if (busy) return expr(at, `\`${name}\` refers to itself`);
      busy = true;
      if (nodes.length === 1 && attrNames(at.childForFieldName("attrpath")!, EMPTY)!.length === 1) {
        cached = convert(at.childForFieldName("expression")!, scope);
      } else {
        const entries = new Map<string, NixValue>();
        for (const b of nodes) {
          const names = attrNames(b.childForFieldName("attrpath")!, EMPTY)!.slice(1);
          define(entries, names, convert(b.childForFieldName("expression")!, scope), b);
        }
        cached = { kind: "attrs", entries, ...origin(at) };
      }
      busy = false;
      return cached;
    });
  }
}

function attrset(n: Node, scope: Scope, rec: boolean): NixValue {
  const inner: Scope = rec ? { ...scope, bindings: new Map(scope.bindings) } : scope;
  const set = n.namedChildren.find((c) => c?.type === "binding_set");
  if (rec && set) addBindings(set, inner);
  const entries = new Map<string, NixValue>();
  for (const b of set?.namedChildren ?? []) {
    if (!b) continue;
    if (b.type === "binding") {
      const names = attrNames(b.childForFieldName("attrpath")!, inner);
      if (!names) {
        entries.set(`\0${b.startPosition.row}`, expr(b, "the attribute name is computed"));
        continue;
      }
      define(entries, names, convert(b.childForFieldName("expression")!, inner), b);
    } else if (b.type === "inherit" || b.type === "inherit_from") {
      const from = b.childForFieldName("expression");
      for (const a of b.childForFieldName("attrs")?.childrenForFieldName("attr") ?? []) {
        if (!a) continue;
        const name = a.text;
        let v: NixValue;
        if (from) {
          const base = convert(from, inner);
          const got = base.kind === "attrs" ? base.entries.get(name) : undefined;
          v =
            got ??
            expr(b, `\`inherit (${clip(from.text)}) ${name}\` is not a literal value in this file`);
        } else v = variableByName(name, b, inner);
        entries.set(name, { ...v, line: b.startPosition.row + 1 });
      }
    }
  }
  return { kind: "attrs", entries, ...origin(n) };
}

function variableByName(name: string, at: Node, scope: Scope): NixValue {
  const bound = scope.bindings.get(name);
  if (bound) return bound();
  return expr(at, `\`inherit ${name}\` takes \`${name}\` from outside this file`);
}

/** Sets `names` in nested attribute sets; `a.b = 1; a.c = 2;` and `a = { b = 1; }; a.c = 2;` merge. */
function define(entries: Map<string, NixValue>, names: string[], value: NixValue, at: Node): void {
  const [first, ...rest] = names;
  const key = first!;
  if (rest.length === 0) {
    const old = entries.get(key);
    if (old?.kind === "attrs" && value.kind === "attrs") {
      for (const [k, v] of value.entries) define(old.entries, [k], v, at);
    } else entries.set(key, value);
    return;
  }
  let child = entries.get(key);
  if (child?.kind !== "attrs") {
    child = { kind: "attrs", entries: new Map(), line: at.startPosition.row + 1, text: at.text };
    entries.set(key, child);
  }
  define(child.entries, rest, value, at);
}

// ---- strings ---------------------------------------------------------------------------------

type Piece = { text: string; literal: boolean } | { value: NixValue };

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t" };

function stringValue(n: Node, scope: Scope): NixValue {
  const indented = n.type === "indented_string_expression";
  const pieces: Piece[] = [];
  for (const c of n.namedChildren) {
    if (!c) continue;
    if (c.type === "string_fragment") pieces.push({ text: c.text, literal: false });
    // `''$` and `\$` parse as a dollar_escape (`''` or `\`) followed by `$` as a fragment.
    else if (c.type === "dollar_escape") pieces.push({ text: "", literal: true });
    else if (c.type === "escape_sequence") {
      pieces.push({ text: unescape(c.text, indented), literal: true });
    } else if (c.type === "interpolation") {
      pieces.push({ value: convert(c.childForFieldName("expression")!, scope) });
    }
  }
  // Nix strips indentation after an escaped newline (`''\n`) by rules migrate does not copy.
  if (indented && pieces.some((p) => "text" in p && p.literal && p.text.includes("\n"))) {
    return expr(n, "an indented string with an escaped newline: its exact text is left to Nix");
  }
  const parts = indented ? stripIndentation(pieces) : pieces;
  const out: (string | NixValue)[] = [];
  const push = (s: string) => {
    if (typeof out[out.length - 1] === "string") out[out.length - 1] += s;
    else out.push(s);
  };
  for (const p of parts) {
    if ("text" in p) push(p.text);
    else if (p.value.kind === "string") push(p.value.value);
    else out.push(p.value);
  }
  if (out.every((p) => typeof p === "string")) {
    return { kind: "string", value: out.join(""), ...origin(n) };
  }
  return { kind: "interpolated", parts: out, ...origin(n) };
}

function unescape(text: string, indented: boolean): string {
  if (indented) {
    // ''' → '', ''\n → newline (and the like), ''\x → x.
    if (text === "'''") return "''";
    const c = text.slice(3);
    return ESCAPES[c] ?? c;
  }
  const c = text.slice(1);
  return ESCAPES[c] ?? c;
}

/**
 * Nix's rule for `'' … ''`: the smallest indentation of the lines that hold more than spaces is
 * removed from every line, and a first line of only spaces is dropped. Escapes and
 * interpolations count as content.
 */
function stripIndentation(pieces: Piece[]): Piece[] {
  // Split into lines of pieces.
  const lines: Piece[][] = [[]];
  for (const p of pieces) {
    if ("text" in p && !p.literal) {
      const segs = p.text.split("\n");
      segs.forEach((s, i) => {
        if (i > 0) lines.push([]);
        if (s) lines[lines.length - 1]!.push({ text: s, literal: false });
      });
    } else lines[lines.length - 1]!.push(p);
  }
  const indentOf = (line: Piece[]): number | undefined => {
    let n = 0;
    for (const p of line) {
      if ("text" in p && !p.literal) {
        const m = p.text.length - p.text.replace(/^ +/, "").length;
        n += m;
        if (m < p.text.length) return n;
      } else return n;
    }
    return undefined; // only spaces
  };
  const indents = lines.map(indentOf).filter((i): i is number => i !== undefined);
  const min = indents.length ? Math.min(...indents) : 0;
  const out: Piece[] = [];
  lines.forEach((line, i) => {
    if (i === 0 && indentOf(line) === undefined) return; // the first line holds only spaces
    let drop = min;
    for (const p of line) {
      if ("text" in p && !p.literal && drop > 0) {
        const spaces = p.text.length - p.text.replace(/^ +/, "").length;
        const cut = Math.min(spaces, drop);
        drop -= cut;
        if (p.text.length > cut) out.push({ text: p.text.slice(cut), literal: false });
        if (cut < spaces) drop = 0;
      } else {
        drop = 0;
        out.push(p);
      }
    }
    if (i < lines.length - 1) out.push({ text: "\n", literal: true });
  });
  return out;
}
