/**
 * A small, lazy evaluator of Nix over a tree-sitter-nix syntax tree (pure: trees in, values out).
 * It computes what a flake computes from its own text — `let` (nested, `inherit`, `inherit (e)`),
 * `rec`, functions and their application (a `mkHost = { system, user }: …` helper), attribute
 * paths, string interpolation, `//`, `++`, `if`, `with`, and the few `builtins` and `lib`
 * functions flakes build their hosts with — and stops, with a reason and a place, at what only
 * Nix knows: inputs, module arguments, the environment, store paths. Those become `ref` (a
 * name from outside, which may be called: `nixpkgs.lib.nixosSystem { … }` is a `call`) or
 * `unknown` (with why). Nothing is guessed: a value is either computed from the text or says
 * why it is not.
 */
import type { Node } from "web-tree-sitter";

/** Where a value was written: the file (relative to the flake's folder) and its 1-based line. */
export interface Where {
  file: string;
  line: number;
}

export type Value =
  | { kind: "string"; value: string; at: Where }
  | { kind: "number"; value: number; at: Where }
  | { kind: "bool"; value: boolean; at: Where }
  | { kind: "null"; at: Where }
  /** A path literal, resolved against its file's folder (relative to the flake's folder). */
  | { kind: "path"; path: string; at: Where }
  | { kind: "list"; items: Thunk[]; at: Where }
  | {
      kind: "attrs";
      entries: Map<string, Thunk>;
      /** Bindings whose name is computed from something unknown (`users.users.${user}`). */
      dynamic: Unknown[];
      /** What a name missing from `entries` is: module arguments are open-ended. */
      fallback?: (name: string) => Value;
      at: Where;
    }
  | { kind: "lambda"; node: Node; env: Env; file: string; at: Where }
  | { kind: "builtin"; name: string; arity: number; args: Thunk[]; at: Where }
  /** A name from outside the text: an input (`nixpkgs.lib`), a module argument (`pkgs`). */
  | { kind: "ref"; path: string[]; at: Where }
  /** A call of a `ref`: `nixpkgs.lib.nixosSystem { … }`, with its arguments unevaluated. */
  | { kind: "call"; fn: string[]; args: Thunk[]; at: Where }
  | Unknown;

export interface Unknown {
  kind: "unknown";
  why: string;
  at: Where;
}

/** A value computed on first use, once. */
export interface Thunk {
  force(): Value;
  /** Where its expression is written, when it comes from the text. */
  at?: Where;
}

interface Frame {
  vars?: Map<string, Thunk>;
  with?: Thunk;
}
export interface Env {
  frame: Frame;
  parent?: Env;
}

/**
 * Reads another file of the flake: its path relative to the flake's folder → its syntax tree;
 * `module` for a file that is a module from outside the flake's own text (setup-mac's adapter),
 * which is not evaluated.
 */
export type Loader = (
  path: string,
) => { root: Node; file: string } | { error: string } | { module: string };

/** The evaluation's limits and ports, shared by every value it computes. */
export interface Context {
  load?: Loader;
  steps: number;
  depth: number;
}

const MAX_STEPS = 200_000;
const MAX_DEPTH = 400;

export function newContext(load?: Loader): Context {
  return { load, steps: 0, depth: 0 };
}

export function ready(v: Value): Thunk {
  return { force: () => v };
}

export function unknown(why: string, at: Where): Unknown {
  return { kind: "unknown", why, at };
}

function lazy(compute: () => Value, at: Where): Thunk {
  let state: "todo" | "busy" | "done" = "todo";
  let value: Value | undefined;
  return {
    at,
    force() {
      if (state === "done") return value!;
      if (state === "busy") return unknown("it refers to itself (infinite recursion)", at);
      state = "busy";
      value = compute();
      state = "done";
      return value;
    },
  };
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

/** The value of a file's expression. */
export function evaluateFile(root: Node, file: string, ctx: Context): Value {
  const expr = root.childForFieldName("expression") ?? root.namedChildren[0];
  if (!expr) return unknown("the file is empty", { file, line: 1 });
  return evaluate(expr, globals(file), file, ctx);
}

// ---- the global scope ------------------------------------------------------------------------

/** Builtins and lib functions this evaluator runs; name → arity. */
const FUNCTIONS: Record<string, number> = {
  // builtins
  import: 1,
  getEnv: 1,
  mapAttrs: 2,
  listToAttrs: 1,
  map: 2,
  attrNames: 1,
  attrValues: 1,
  toString: 1,
  readFile: 1,
  readDir: 1,
  pathExists: 1,
  fromJSON: 1,
  fromTOML: 1,
  currentSystem: 0,
  // lib
  genAttrs: 2,
  nameValuePair: 2,
  hasSuffix: 2,
  hasPrefix: 2,
  mkDefault: 1,
  mkForce: 1,
  mkOverride: 2,
  mkIf: 2,
  optionalAttrs: 2,
};
/** The ones `lib` has too (its own, and the builtins it re-exports). */
const LIB = new Set([
  "genAttrs",
  "nameValuePair",
  "hasSuffix",
  "hasPrefix",
  "mkDefault",
  "mkForce",
  "mkOverride",
  "mkIf",
  "optionalAttrs",
  "mapAttrs",
  "listToAttrs",
  "attrNames",
  "attrValues",
]);

function builtin(name: string, at: Where): Value {
  if (name === "currentSystem")
    return unknown(
      "`builtins.currentSystem` is the system of the machine that evaluates the flake",
      at,
    );
  return { kind: "builtin", name, arity: FUNCTIONS[name]!, args: [], at };
}

function globals(file: string): Env {
  const at = { file, line: 1 };
  const vars = new Map<string, Thunk>([
    ["true", ready({ kind: "bool", value: true, at })],
    ["false", ready({ kind: "bool", value: false, at })],
    ["null", ready({ kind: "null", at })],
    ["builtins", ready({ kind: "ref", path: ["builtins"], at })],
    ["import", ready(builtin("import", at))],
    ["map", ready(builtin("map", at))],
    ["toString", ready(builtin("toString", at))],
  ]);
  return { frame: { vars } };
}

/** Selecting `name` from a name from outside: `builtins.x` and `….lib.x` may be run here. */
function selectRef(path: string[], name: string, at: Where): Value {
  const isBuiltins = path.length === 1 && path[0] === "builtins";
  if ((isBuiltins && name in FUNCTIONS) || (path.includes("lib") && LIB.has(name)))
    return builtin(name, at);
  return { kind: "ref", path: [...path, name], at };
}

// ---- evaluation ------------------------------------------------------------------------------

function where(n: Node, file: string): Where {
  return { file, line: n.startPosition.row + 1 };
}

function lookup(env: Env, name: string): Thunk | undefined {
  for (let e: Env | undefined = env; e; e = e.parent) {
    const t = e.frame.vars?.get(name);
    if (t) return t;
  }
  return undefined;
}

function lookupWith(env: Env, name: string, at: Where): Value | undefined {
  for (let e: Env | undefined = env; e; e = e.parent) {
    if (!e.frame.with) continue;
    const scope = e.frame.with.force();
    if (scope.kind === "attrs") {
      const t = scope.entries.get(name);
      if (t) return t.force();
      if (scope.fallback) return scope.fallback(name);
    } else if (scope.kind === "ref") return selectRef(scope.path, name, at);
    else if (scope.kind === "unknown")
      return unknown(
        `\`${name}\` may come from a \`with\` whose scope is unknown: ${scope.why}`,
        at,
      );
  }
  return undefined;
}

/** Evaluates an expression in an environment (to weak head normal form: lists and sets lazy). */
export function evaluate(n: Node, env: Env, file: string, ctx: Context): Value {
  const at = where(n, file);
  if (++ctx.steps > MAX_STEPS) return unknown("the flake takes too long to evaluate here", at);
  if (ctx.depth > MAX_DEPTH) return unknown("the evaluation nests too deeply", at);
  ctx.depth++;
  try {
    return evaluateNode(n, env, file, ctx, at);
  } finally {
    ctx.depth--;
  }
}

function evaluateNode(n: Node, env: Env, file: string, ctx: Context, at: Where): Value {
  const sub = (c: Node) => evaluate(c, env, file, ctx);
  const later = (c: Node, e: Env = env) => lazy(() => evaluate(c, e, file, ctx), where(c, file));
  switch (n.type) {
    case "parenthesized_expression":
      return sub(n.namedChildren[0]!);
    case "integer_expression":
    case "float_expression":
      return { kind: "number", value: Number(n.text), at };
    case "string_expression":
    case "indented_string_expression":
      return stringValue(n, env, file, ctx);
    case "uri_expression":
      return { kind: "string", value: n.text, at };
    case "path_expression": {
      // `./hosts/${name}`: the interpolations must be known strings.
      let text = "";
      for (const c of n.namedChildren) {
        if (!c) continue;
        if (c.type !== "interpolation") {
          text += c.text;
          continue;
        }
        const v = sub(c.childForFieldName("expression")!);
        if (v.kind !== "string") return unknownFrom(v, `the path \`${clip(n.text)}\``, at);
        text += v.value;
      }
      if (text.startsWith("/"))
        return unknown(`\`${text}\` is an absolute path, outside the flake`, at);
      return { kind: "path", path: joinPath(dirOf(file), text), at };
    }
    case "hpath_expression":
    case "spath_expression":
      return unknown(`\`${n.text}\` depends on the machine that evaluates the flake`, at);
    case "list_expression":
      return { kind: "list", items: n.childrenForFieldName("element").map((e) => later(e!)), at };
    case "attrset_expression":
      return attrset(n, env, file, ctx, false);
    case "rec_attrset_expression":
      return attrset(n, env, file, ctx, true);
    case "let_expression": {
      const inner: Env = { frame: { vars: new Map() }, parent: env };
      const set = n.namedChildren.find((c) => c?.type === "binding_set");
      if (set) {
        const built = bindings(set, inner, env, file, ctx);
        for (const [k, t] of built.entries) inner.frame.vars!.set(k, t);
      }
      return evaluate(n.childForFieldName("body")!, inner, file, ctx);
    }
    case "function_expression":
      return { kind: "lambda", node: n, env, file, at };
    case "with_expression": {
      const scope = later(n.childForFieldName("environment")!);
      return evaluate(
        n.childForFieldName("body")!,
        { frame: { with: scope }, parent: env },
        file,
        ctx,
      );
    }
    case "assert_expression":
      return evaluate(n.childForFieldName("body")!, env, file, ctx);
    case "variable_expression": {
      const name = n.text;
      const bound = lookup(env, name);
      if (bound) return bound.force();
      return lookupWith(env, name, at) ?? unknown(`\`${name}\` is not defined in ${file}`, at);
    }
    case "select_expression":
      return select(n, env, file, ctx, at);
    case "has_attr_expression": {
      const base = sub(n.childForFieldName("expression")!);
      const names = attrNames(n.childForFieldName("attrpath")!, env, file, ctx);
      if ("why" in names) return names;
      let v: Value = base;
      for (const name of names) {
        if (v.kind !== "attrs") {
          return v.kind === "unknown"
            ? v
            : unknown(`\`${clip(n.text)}\` is known only when Nix evaluates`, at);
        }
        const t = v.entries.get(name);
        if (!t) return { kind: "bool", value: false, at };
        v = t.force();
      }
      return { kind: "bool", value: true, at };
    }
    case "apply_expression": {
      const fn = sub(n.childForFieldName("function")!);
      return apply(fn, later(n.childForFieldName("argument")!), ctx, at);
    }
    case "if_expression": {
      const cond = sub(n.childForFieldName("condition")!);
      if (cond.kind !== "bool") return unknownFrom(cond, `the condition of \`if\``, at);
      return sub(n.childForFieldName(cond.value ? "consequence" : "alternative")!);
    }
    case "unary_expression": {
      const op = n.childForFieldName("operator")!.text;
      const v = sub(n.childForFieldName("argument")!);
      if (op === "!" && v.kind === "bool") return { kind: "bool", value: !v.value, at };
      if (op === "-" && v.kind === "number") return { kind: "number", value: -v.value, at };
      return unknownFrom(v, `\`${clip(n.text)}\``, at);
    }
    case "binary_expression":
      return binary(n, env, file, ctx, at);
    default:
      return unknown(`\`${clip(n.text)}\` is not something init evaluates`, at);
  }
}

/** An unknown that says which part of an expression was unknown, keeping the first reason. */
function unknownFrom(v: Value, what: string, at: Where): Unknown {
  if (v.kind === "unknown") return v;
  if (v.kind === "ref" || v.kind === "call")
    return unknown(
      `${what} uses \`${v.kind === "ref" ? v.path.join(".") : `${v.fn.join(".")} …`}\`, known only when Nix evaluates`,
      v.at,
    );
  return unknown(`${what} is not a value init can compute`, at);
}

function binary(n: Node, env: Env, file: string, ctx: Context, at: Where): Value {
  const op = n.childForFieldName("operator")!.text;
  const left = evaluate(n.childForFieldName("left")!, env, file, ctx);
  if (op === "&&" || op === "||" || op === "->") {
    if (left.kind !== "bool") return unknownFrom(left, `the left of \`${op}\``, at);
    if (op === "&&" && !left.value) return left;
    if (op === "||" && left.value) return left;
    if (op === "->" && !left.value) return { kind: "bool", value: true, at };
    return evaluate(n.childForFieldName("right")!, env, file, ctx);
  }
  const right = evaluate(n.childForFieldName("right")!, env, file, ctx);
  switch (op) {
    case "//":
      if (left.kind === "attrs" && right.kind === "attrs") {
        return {
          kind: "attrs",
          entries: new Map([...left.entries, ...right.entries]),
          dynamic: [...left.dynamic, ...right.dynamic],
          at,
        };
      }
      return unknownFrom(left.kind === "attrs" ? right : left, `one side of \`//\``, at);
    case "++":
      if (left.kind === "list" && right.kind === "list")
        return { kind: "list", items: [...left.items, ...right.items], at };
      return unknownFrom(left.kind === "list" ? right : left, `one side of \`++\``, at);
    case "+":
      if (left.kind === "string" && right.kind === "string")
        return { kind: "string", value: left.value + right.value, at };
      if (left.kind === "number" && right.kind === "number")
        return { kind: "number", value: left.value + right.value, at };
      if (left.kind === "path" && right.kind === "string")
        return { kind: "path", path: joinPath(left.path, `./${right.value}`), at };
      return unknownFrom(left.kind === "string" ? right : left, "one side of `+`", at);
    case "==":
    case "!=": {
      const same = equal(left, right);
      if (same === undefined)
        return unknownFrom(isPrimitive(left) ? right : left, `one side of \`${op}\``, at);
      return { kind: "bool", value: op === "==" ? same : !same, at };
    }
    case "-":
    case "*":
    case "/":
    case "<":
    case "<=":
    case ">":
    case ">=": {
      if (left.kind !== "number" || right.kind !== "number")
        return unknownFrom(left.kind === "number" ? right : left, `one side of \`${op}\``, at);
      const a = left.value;
      const b = right.value;
      if (op === "-") return { kind: "number", value: a - b, at };
      if (op === "*") return { kind: "number", value: a * b, at };
      if (op === "/")
        return b === 0
          ? unknown("division by zero", at)
          : { kind: "number", value: Math.trunc(a / b), at };
      const value = op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
      return { kind: "bool", value, at };
    }
    default:
      return unknown(`the operator \`${op}\` is not something init evaluates`, at);
  }
}

function isPrimitive(v: Value): boolean {
  return v.kind === "string" || v.kind === "number" || v.kind === "bool" || v.kind === "null";
}

function equal(a: Value, b: Value): boolean | undefined {
  if (!isPrimitive(a) || !isPrimitive(b)) return undefined;
  if (a.kind !== b.kind) return false;
  return a.kind === "null" || ("value" in a && "value" in b && a.value === b.value);
}

function select(n: Node, env: Env, file: string, ctx: Context, at: Where): Value {
  const names = attrNames(n.childForFieldName("attrpath")!, env, file, ctx);
  const fallback = n.childForFieldName("default");
  if ("why" in names) return names;
  let v = evaluate(n.childForFieldName("expression")!, env, file, ctx);
  for (const name of names) {
    if (v.kind === "attrs") {
      const t = v.entries.get(name);
      if (t) v = t.force();
      else if (fallback) return evaluate(fallback, env, file, ctx);
      else if (v.fallback) v = v.fallback(name);
      else if (v.dynamic.length) {
        return unknown(
          `\`${name}\` may be one of the computed names of \`${clip(n.text)}\`: ${v.dynamic[0]!.why}`,
          at,
        );
      } else return unknown(`\`${clip(n.text)}\`: there is no attribute \`${name}\``, at);
    } else if (v.kind === "ref") v = selectRef(v.path, name, at);
    else if (v.kind === "unknown") return v;
    else if (v.kind === "call")
      return unknown(
        `\`${clip(n.text)}\` is the result of \`${v.fn.join(".")}\`, known only when Nix evaluates`,
        at,
      );
    else return unknown(`\`${clip(n.text)}\`: a ${v.kind} has no attributes`, at);
  }
  return v;
}

/** The names of an attribute path, or why one of them cannot be computed. */
function attrNames(path: Node, env: Env, file: string, ctx: Context): string[] | Unknown {
  const names: string[] = [];
  for (const a of path.childrenForFieldName("attr")) {
    if (!a) continue;
    if (a.type === "identifier") names.push(a.text);
    else {
      const v =
        a.type === "interpolation"
          ? evaluate(a.childForFieldName("expression")!, env, file, ctx)
          : evaluate(a, env, file, ctx);
      if (v.kind !== "string")
        return unknownFrom(v, `the name \`${clip(a.text)}\``, where(a, file));
      names.push(v.value);
    }
  }
  return names;
}

// ---- attribute sets --------------------------------------------------------------------------

interface Builder {
  entries: Map<string, { thunk?: Thunk; nested?: Builder; at: Where }>;
  dynamic: Unknown[];
  /** Whole-set definitions of this name (`a = { b = 1; }` beside `a.c = 2`), read when used. */
  sets: { thunk: Thunk; at: Where }[];
}

function attrset(n: Node, env: Env, file: string, ctx: Context, rec: boolean): Value {
  const at = where(n, file);
  const set = n.namedChildren.find((c) => c?.type === "binding_set");
  if (!rec) {
    const built = set
      ? bindings(set, env, env, file, ctx)
      : { entries: new Map(), dynamic: [], sets: [] };
    return { kind: "attrs", entries: built.entries, dynamic: built.dynamic, at };
  }
  const inner: Env = { frame: { vars: new Map() }, parent: env };
  const built = set
    ? bindings(set, inner, env, file, ctx)
    : { entries: new Map(), dynamic: [], sets: [] };
  for (const [k, t] of built.entries) inner.frame.vars!.set(k, t);
  return { kind: "attrs", entries: built.entries, dynamic: built.dynamic, at };
}

/**
 * The bindings of a set or `let`: values evaluated in `env`, `inherit x` taken from `outer`.
 * `a.b = 1; a.c = 2;` and `a = { b = 1; }; a.c = 2;` merge as in Nix.
 */
function bindings(
  set: Node,
  env: Env,
  outer: Env,
  file: string,
  ctx: Context,
): { entries: Map<string, Thunk>; dynamic: Unknown[] } {
  const root: Builder = { entries: new Map(), dynamic: [], sets: [] };
  for (const b of set.namedChildren) {
    if (!b) continue;
    const at = where(b, file);
    if (b.type === "binding") {
      const names = attrNames(b.childForFieldName("attrpath")!, env, file, ctx);
      const expr = b.childForFieldName("expression")!;
      const thunk = lazy(() => evaluate(expr, env, file, ctx), where(expr, file));
      if ("why" in names) root.dynamic.push(names);
      else define(root, names, thunk, at);
    } else if (b.type === "inherit" || b.type === "inherit_from") {
      const from = b.childForFieldName("expression");
      const fromThunk = from ? lazy(() => evaluate(from, env, file, ctx), at) : undefined;
      for (const a of b.childForFieldName("attrs")?.childrenForFieldName("attr") ?? []) {
        if (!a) continue;
        const name = a.text;
        const thunk = fromThunk
          ? lazy(() => {
              const base = fromThunk.force();
              if (base.kind === "attrs") {
                const t = base.entries.get(name);
                if (t) return t.force();
                if (base.fallback) return base.fallback(name);
                return unknown(
                  `\`inherit (${clip(from!.text)}) ${name}\`: there is no \`${name}\``,
                  at,
                );
              }
              if (base.kind === "ref") return selectRef(base.path, name, at);
              return unknownFrom(base, `\`inherit (${clip(from!.text)})\``, at);
            }, at)
          : lazy(() => {
              const t = lookup(outer, name);
              if (t) return t.force();
              return (
                lookupWith(outer, name, at) ?? unknown(`\`${name}\` is not defined in ${file}`, at)
              );
            }, at);
        define(root, [name], thunk, at);
      }
    }
  }
  return finish(root);
}

function define(builder: Builder, names: string[], thunk: Thunk, at: Where): void {
  const [key, ...rest] = names as [string, ...string[]];
  const slot = builder.entries.get(key) ?? { at };
  builder.entries.set(key, slot);
  if (rest.length === 0) {
    if (slot.thunk || slot.nested) {
      // A second definition of the same name: both must be sets; merge them lazily.
      const nested = (slot.nested ??= { entries: new Map(), dynamic: [], sets: [] });
      if (slot.thunk) {
        mergeThunkInto(nested, slot.thunk, slot.at);
        slot.thunk = undefined;
      }
      mergeThunkInto(nested, thunk, at);
    } else slot.thunk = thunk;
    return;
  }
  const nested = (slot.nested ??= { entries: new Map(), dynamic: [], sets: [] });
  if (slot.thunk) {
    mergeThunkInto(nested, slot.thunk, slot.at);
    slot.thunk = undefined;
  }
  define(nested, rest, thunk, at);
}

function mergeThunkInto(builder: Builder, thunk: Thunk, at: Where): void {
  builder.sets.push({ thunk, at });
}

function finish(builder: Builder): { entries: Map<string, Thunk>; dynamic: Unknown[] } {
  const entries = new Map<string, Thunk>();
  for (const [key, slot] of builder.entries) {
    if (slot.thunk) entries.set(key, slot.thunk);
    else if (slot.nested) {
      const nested = slot.nested;
      entries.set(
        key,
        lazy(() => {
          const own = finish(nested);
          const sets = nested.sets;
          const merged = new Map<string, Thunk>();
          const dynamic = [...own.dynamic];
          for (const s of sets) {
            const v = s.thunk.force();
            if (v.kind === "attrs") {
              for (const [k, t] of v.entries) merged.set(k, t);
              dynamic.push(...v.dynamic);
            } else dynamic.push(unknownFrom(v, `a definition of \`${key}\``, s.at));
          }
          for (const [k, t] of own.entries) merged.set(k, t);
          return { kind: "attrs", entries: merged, dynamic, at: slot.at };
        }, slot.at),
      );
    }
  }
  return { entries, dynamic: builder.dynamic };
}

// ---- functions -------------------------------------------------------------------------------

/** Applies a function value to an argument. */
export function apply(fn: Value, arg: Thunk, ctx: Context, at: Where): Value {
  switch (fn.kind) {
    case "lambda":
      return applyLambda(fn, arg, ctx);
    case "builtin": {
      const args = [...fn.args, arg];
      if (args.length < fn.arity) return { ...fn, args };
      return runBuiltin(fn.name, args, ctx, at);
    }
    case "ref":
      return { kind: "call", fn: fn.path, args: [arg], at };
    case "call":
      return { ...fn, args: [...fn.args, arg] };
    case "unknown":
      return fn;
    default:
      return unknown(`a ${fn.kind} is called as a function`, at);
  }
}

function applyLambda(fn: Extract<Value, { kind: "lambda" }>, arg: Thunk, ctx: Context): Value {
  const n = fn.node;
  const vars = new Map<string, Thunk>();
  const inner: Env = { frame: { vars }, parent: fn.env };
  const universal = n.childForFieldName("universal");
  if (universal) vars.set(universal.text, arg);
  const formals = n.childForFieldName("formals");
  for (const f of formals?.childrenForFieldName("formal") ?? []) {
    if (!f) continue;
    const name = f.childForFieldName("name")?.text;
    if (!name) continue; // the trailing comma of `{ a, b, }:`
    const fallback = f.childForFieldName("default");
    const at = where(f, fn.file);
    vars.set(
      name,
      lazy(() => {
        const a = arg.force();
        if (a.kind === "attrs") {
          const t = a.entries.get(name);
          if (t) return t.force();
          if (fallback) return evaluate(fallback, inner, fn.file, ctx);
          if (a.fallback) return a.fallback(name);
          return unknown(`the argument \`${name}\` is not passed at ${a.at.file}:${a.at.line}`, at);
        }
        if (a.kind === "ref") return selectRef(a.path, name, at);
        return unknownFrom(a, `the argument \`${name}\``, at);
      }, at),
    );
  }
  return evaluate(n.childForFieldName("body")!, inner, fn.file, ctx);
}

function forceString(t: Thunk, what: string, at: Where): string | Unknown {
  const v = t.force();
  return v.kind === "string" ? v.value : unknownFrom(v, what, at);
}

function runBuiltin(name: string, args: Thunk[], ctx: Context, at: Where): Value {
  const [a, b] = args as [Thunk, Thunk];
  switch (name) {
    case "getEnv": {
      const v = a.force();
      const shown = v.kind === "string" ? JSON.stringify(v.value) : "…";
      return unknown(`\`builtins.getEnv ${shown}\` reads the environment when Nix evaluates`, at);
    }
    case "fromJSON":
    case "fromTOML": {
      const v = a.force();
      if (v.kind === "unknown") return v;
      return unknown(`\`builtins.${name}\` reads data init does not evaluate`, at);
    }
    case "readFile":
    case "readDir":
    case "pathExists":
      return unknown(`\`builtins.${name}\` reads data init does not evaluate`, at);
    case "import": {
      const v = a.force();
      if (v.kind === "path") {
        if (!ctx.load) return unknown(`\`import ./${v.path}\`: init reads only flake.nix here`, at);
        const loaded = ctx.load(v.path);
        if ("error" in loaded) return unknown(`\`import ./${v.path}\`: ${loaded.error}`, at);
        if ("module" in loaded) return { kind: "ref", path: [loaded.module], at };
        return evaluateFile(loaded.root, loaded.file, ctx);
      }
      if (v.kind === "ref") return { kind: "ref", path: [...v.path, "import"], at };
      return unknownFrom(v, "what `import` reads", at);
    }
    case "mkDefault":
    case "mkForce":
      return a.force();
    case "mkOverride":
      return b.force();
    case "mkIf": {
      const cond = a.force();
      if (cond.kind !== "bool") return unknownFrom(cond, "the condition of `mkIf`", at);
      return cond.value ? b.force() : { kind: "attrs", entries: new Map(), dynamic: [], at };
    }
    case "optionalAttrs": {
      const cond = a.force();
      if (cond.kind !== "bool") return unknownFrom(cond, "the condition of `optionalAttrs`", at);
      return cond.value ? b.force() : { kind: "attrs", entries: new Map(), dynamic: [], at };
    }
    case "hasSuffix":
    case "hasPrefix": {
      const affix = forceString(a, `the first argument of \`${name}\``, at);
      const s = forceString(b, `the second argument of \`${name}\``, at);
      if (typeof affix !== "string") return affix;
      if (typeof s !== "string") return s;
      return {
        kind: "bool",
        value: name === "hasSuffix" ? s.endsWith(affix) : s.startsWith(affix),
        at,
      };
    }
    case "toString": {
      const v = a.force();
      if (v.kind === "string") return v;
      if (v.kind === "number") return { kind: "string", value: String(v.value), at };
      if (v.kind === "bool") return { kind: "string", value: v.value ? "1" : "", at };
      if (v.kind === "null") return { kind: "string", value: "", at };
      return unknownFrom(v, "the argument of `toString`", at);
    }
    case "nameValuePair":
      return {
        kind: "attrs",
        entries: new Map([
          ["name", a],
          ["value", b],
        ]),
        dynamic: [],
        at,
      };
    case "attrNames":
    case "attrValues": {
      const set = a.force();
      if (set.kind !== "attrs") return unknownFrom(set, `the argument of \`${name}\``, at);
      const keys = [...set.entries.keys()].sort();
      return {
        kind: "list",
        items: keys.map((k) =>
          name === "attrNames" ? ready({ kind: "string", value: k, at }) : set.entries.get(k)!,
        ),
        at,
      };
    }
    case "map": {
      const list = b.force();
      if (list.kind !== "list") return unknownFrom(list, "the list of `map`", at);
      const f = a.force();
      return {
        kind: "list",
        items: list.items.map((t) => lazy(() => apply(f, t, ctx, at), at)),
        at,
      };
    }
    case "mapAttrs": {
      const set = b.force();
      if (set.kind !== "attrs") return unknownFrom(set, "the set of `mapAttrs`", at);
      const f = a.force();
      const entries = new Map<string, Thunk>();
      for (const [k, t] of set.entries) {
        entries.set(
          k,
          lazy(
            () => apply(apply(f, ready({ kind: "string", value: k, at }), ctx, at), t, ctx, at),
            at,
          ),
        );
      }
      return { kind: "attrs", entries, dynamic: set.dynamic, at };
    }
    case "genAttrs": {
      const list = a.force();
      if (list.kind !== "list") return unknownFrom(list, "the names of `genAttrs`", at);
      const f = b.force();
      const entries = new Map<string, Thunk>();
      const dynamic: Unknown[] = [];
      for (const t of list.items) {
        const k = t.force();
        if (k.kind !== "string") {
          dynamic.push(unknownFrom(k, "a name given to `genAttrs`", at));
          continue;
        }
        entries.set(
          k.value,
          lazy(() => apply(f, t, ctx, at), at),
        );
      }
      return { kind: "attrs", entries, dynamic, at };
    }
    case "listToAttrs": {
      const list = a.force();
      if (list.kind !== "list") return unknownFrom(list, "the list of `listToAttrs`", at);
      const entries = new Map<string, Thunk>();
      const dynamic: Unknown[] = [];
      for (const t of list.items) {
        const item = t.force();
        const nameT = item.kind === "attrs" ? item.entries.get("name") : undefined;
        const valueT = item.kind === "attrs" ? item.entries.get("value") : undefined;
        const key = nameT?.force();
        if (!valueT || key?.kind !== "string") {
          dynamic.push(unknownFrom(key ?? item, "a name given to `listToAttrs`", at));
          continue;
        }
        if (!entries.has(key.value)) entries.set(key.value, valueT);
      }
      return { kind: "attrs", entries, dynamic, at };
    }
    default:
      return unknown(`\`${name}\` is not something init evaluates`, at);
  }
}

// ---- strings ---------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t" };

function stringValue(n: Node, env: Env, file: string, ctx: Context): Value {
  const at = where(n, file);
  const indented = n.type === "indented_string_expression";
  let text = "";
  for (const c of n.namedChildren) {
    if (!c) continue;
    if (c.type === "string_fragment") text += c.text;
    else if (c.type === "dollar_escape")
      continue; // `''$` / `\$`: the `$` follows as a fragment
    else if (c.type === "escape_sequence") {
      const body = indented ? c.text.slice(2) : c.text.slice(1);
      text += indented && c.text === "'''" ? "''" : (ESCAPES[body.slice(-1)] ?? body.slice(-1));
    } else if (c.type === "interpolation") {
      const v = evaluate(c.childForFieldName("expression")!, env, file, ctx);
      if (v.kind === "string") text += v.value;
      else if (v.kind === "path")
        return unknown(`\`${clip(c.text)}\` is a store path, known only when Nix evaluates`, at);
      else return unknownFrom(v, `\`${clip(c.text)}\``, at);
    }
  }
  // Nix strips the common indentation of `'' … ''`: init needs only one-line values.
  if (indented && text.includes("\n"))
    return unknown("a multi-line string is not a name or a system", at);
  return { kind: "string", value: text, at };
}

// ---- paths -----------------------------------------------------------------------------------

function dirOf(file: string): string {
  const i = file.lastIndexOf("/");
  return i < 0 ? "" : file.slice(0, i);
}

/** Joins a relative path literal (`./x`, `../y`) onto a folder; `..` above the top stays. */
function joinPath(dir: string, rel: string): string {
  const parts = dir ? dir.split("/") : [];
  for (const p of rel.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === ".." && parts.length && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/") || ".";
}
