/**
 * `migrate --from-flake` (pure part, decision 0024): a flake reference and the JSON that
 * `from-flake.nix` returns become the same {@link SourceFile}s the parser path feeds to
 * `analyze`, one per file (and level) that made definitions. Evaluated values are used where the
 * file's own text is not a literal (through `let`, imports, `mkIf`, interpolation); where the
 * text is literal it wins, because it keeps `pkgs.x` and its line. Packages, functions, paths and
 * store strings are never turned into data: they become `expr` values, which `analyze` makes
 * placeholders or report entries exactly as for unresolved references in the parser path.
 */
import { z } from "zod";
import { UsageError } from "../errors/index.js";
import type { Level, ReportEntry, SourceFile } from "./analyze.js";
import type { NixValue } from "./nix-value.js";

export type ConfigurationKind = "darwin" | "nixos" | "home";

export const KINDS: readonly ConfigurationKind[] = ["darwin", "nixos", "home"];

/** `<flake>#<kind>Configurations.<name>`, or `<flake>#<name>` (looked up in every kind). */
export interface FlakeRef {
  flake: string;
  kind?: ConfigurationKind;
  name: string;
}

const NAME = String.raw`(?:"((?:[^"\\]|\\.)+)"|([^."]+))`;
const WITH_KIND = new RegExp(String.raw`^(darwin|nixos|home)Configurations\.${NAME}$`);
const BARE = new RegExp(String.raw`^${NAME}$`);

/** Parses a `--from-flake` reference; a malformed one is a usage error naming the forms. */
export function parseFlakeRef(ref: string): FlakeRef {
  const hash = ref.indexOf("#");
  const flake = hash < 0 ? "" : ref.slice(0, hash);
  const attr = hash < 0 ? "" : ref.slice(hash + 1);
  const withKind = WITH_KIND.exec(attr);
  const bare = withKind ? undefined : BARE.exec(attr);
  const m = withKind ?? bare;
  if (!flake || !m || /Configurations$/.test(attr)) {
    throw new UsageError(
      `\`--from-flake ${ref}\` is not a flake reference to one configuration`,
      'write `<flake>#darwinConfigurations.<host>`, `<flake>#nixosConfigurations.<host>` or `<flake>#homeConfigurations.<name>` (for example `.#darwinConfigurations.mac`; quote names with dots: `.#homeConfigurations."lars@desk"`)',
    );
  }
  const offset = withKind ? 1 : 0;
  const name = (m[1 + offset] ?? m[2 + offset])!.replace(/\\(.)/g, "$1");
  return withKind ? { flake, kind: withKind[1] as ConfigurationKind, name } : { flake, name };
}

/** The attribute path of a configuration in its flake, quoted for `nix eval`. */
export function configurationAttr(kind: ConfigurationKind, name: string): string {
  return `${kind}Configurations.${JSON.stringify(name)}`;
}

/** A Nix string literal (for the `--apply` arguments): escapes `\`, `"` and `${`. */
export function nixString(s: string): string {
  return `"${s.replace(/[\\"]/g, "\\$&").replace(/\$\{/g, "\\${")}"`;
}

/** The `--apply` expression: the committed function applied to the source path and level. */
export function applyExpression(fn: string, source: string, level: ConfigurationKind): string {
  return `(${fn.trim()}) ${nixString(source)} ${nixString(level)}`;
}

const definition = z.object({
  level: z.enum(["darwin", "nixos", "home"]),
  option: z.array(z.string()).min(1),
  file: z.string(),
  /** The home-manager user, for definitions read from `home-manager.users.<user>`. */
  user: z.string().optional(),
  value: z.unknown(),
});

/** What `from-flake.nix` returns. */
export const evaluationSchema = z.object({
  definitions: z.array(definition),
  notes: z.array(z.object({ level: z.string(), what: z.string(), detail: z.string() })),
});

export type Evaluation = z.infer<typeof evaluationSchema>;
export type Definition = z.infer<typeof definition>;

/** The static view of one file: its parsed module value, and the name to show for it. */
export interface StaticFile {
  shown: string;
  value?: NixValue;
}

export interface FlakeSources {
  sources: SourceFile[];
  report: ReportEntry[];
  /** The files that made definitions, as shown. */
  files: string[];
}

/**
 * Groups the evaluated definitions by the file (and level) that made them and turns each group
 * into a module value for `analyze`. `source` is the flake's store path; `readStatic` gives a
 * file's parsed text by its path relative to it (undefined when it cannot be read or parsed).
 */
export function flakeSources(
  evaluation: Evaluation,
  source: string,
  readStatic: (rel: string) => StaticFile,
): FlakeSources {
  const groups = new Map<string, { rel: string; level: Level; defs: Definition[] }>();
  for (const d of evaluation.definitions) {
    const rel = d.file.startsWith(`${source}/`) ? d.file.slice(source.length + 1) : d.file;
    const key = `${d.level}\0${rel}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { rel, level: d.level, defs: [] }));
    g.defs.push(d);
  }
  const statics = new Map<string, StaticFile>();
  const staticOf = (rel: string) => {
    let s = statics.get(rel);
    if (!s) statics.set(rel, (s = readStatic(rel)));
    return s;
  };
  const sources: SourceFile[] = [];
  for (const g of [...groups.values()].sort(
    (a, b) => a.rel.localeCompare(b.rel) || a.level.localeCompare(b.level),
  )) {
    const st = staticOf(g.rel);
    const top: NixValue = { kind: "attrs", entries: new Map(), line: 1, text: "" };
    const count = new Map<string, number>();
    for (const d of g.defs) {
      const k = JSON.stringify([d.user, d.option]);
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    for (const d of g.defs) {
      const found = lookup(st.value, d.option, d.user);
      // Several definitions of one option in a file (mkMerge, mkIf branches): the text at that
      // path cannot be told apart, so only its line is used.
      const single = count.get(JSON.stringify([d.user, d.option])) === 1;
      const value = combine(d.value, single ? found.value : undefined, found.line, source);
      place(top, d.option, value, found.line);
    }
    sources.push({ file: st.shown, value: top, level: g.level });
  }
  const report: ReportEntry[] = evaluation.notes.map((n) => ({
    kind: "not-migrated",
    file: "(flake)",
    line: 0,
    what: n.what,
    detail: `${n.detail}; migrate the home-manager files directly: \`setup-mac migrate home.nix\``,
  }));
  return { sources, report, files: [...new Set(sources.map((s) => s.file))] };
}

/**
 * The static value at an option path in a file's module (under `config` when the module has
 * one, or under `home-manager.users.<user>` for a user's definitions made inline), with the line
 * of the deepest attribute found on the way.
 */
function lookup(
  top: NixValue | undefined,
  path: string[],
  user: string | undefined,
): { value?: NixValue; line: number } {
  if (!top) return { line: 1 };
  const roots: NixValue[] = [top];
  const config = top.kind === "attrs" ? top.entries.get("config") : undefined;
  if (config) roots.push(config);
  const prefixes = user ? [[], ["home-manager", "users", user]] : [[]];
  let best: { value?: NixValue; line: number; depth: number } = { line: top.line, depth: -1 };
  for (const root of roots) {
    for (const prefix of prefixes) {
      let v: NixValue | undefined = root;
      let depth = 0;
      let line = root.line;
      for (const name of [...prefix, ...path]) {
        if (v?.kind !== "attrs" || !v.entries.has(name)) {
          v = undefined;
          break;
        }
        v = v.entries.get(name)!;
        line = v.line;
        depth++;
      }
      if (v) return { value: v, line };
      if (depth > best.depth && depth > prefix.length) best = { line, depth };
    }
  }
  return { line: best.depth > 0 ? best.line : top.line };
}

/** Whether a static value is data all the way down (literals and `pkgs.x`). */
function literal(v: NixValue): boolean {
  switch (v.kind) {
    case "string":
    case "number":
    case "bool":
    case "null":
    case "pkg":
      return true;
    case "list":
      return v.items.every(literal);
    case "attrs":
      return [...v.entries].every(([k, x]) => !k.startsWith("\0") && literal(x));
    default:
      return false;
  }
}

type Tagged = { __setupMac: string; [k: string]: unknown };

function tagged(v: unknown): v is Tagged {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as Tagged).__setupMac === "string"
  );
}

/** A value only Nix can know, described for the report. */
function opaque(t: Tagged, line: number, source: string): NixValue {
  // A path into the flake is shown as the file's own relative path, not the store copy.
  if (t.__setupMac === "path" && String(t.path).startsWith(`${source}/`))
    t = { ...t, path: `./${String(t.path).slice(source.length + 1)}` };
  const text = describe(t);
  const why = {
    package: `the package ${JSON.stringify(t.name ?? "?")}${t.pname ? ` (pname ${JSON.stringify(t.pname)})` : ""}: an evaluated derivation does not say its nixpkgs attribute${t.pname ? `; write \`pkgs.${String(t.pname)}\` if that is it` : ""}`,
    function: "a function, which only Nix can call",
    path: `a path (${String(t.path)}): copy the file into the workspace and give its text or source`,
    store: "a string naming a store path, built by Nix",
    property: `a \`${String(t.property)}\` inside the value, which only the module system resolves`,
  }[t.__setupMac];
  return { kind: "expr", why: why ?? `an evaluated ${t.__setupMac}`, line, text };
}

function describe(t: Tagged): string {
  if (t.__setupMac === "package") return `<package ${String(t.name)}>`;
  if (t.__setupMac === "path") return String(t.path);
  if (t.__setupMac === "store") return JSON.stringify(t.text);
  return `<${t.__setupMac}>`;
}

/** The evaluated value, paired with the file's static value at the same place where it helps. */
function combine(
  evaluated: unknown,
  stat: NixValue | undefined,
  line: number,
  source: string,
): NixValue {
  if (stat && literal(stat)) return stat;
  const at = stat?.line ?? line;
  const text = stat?.text ?? "";
  // What Nix made of a package or `${pkgs.x}` says less than the file's text: the parser path
  // turns that text into `pkgs.x`, `bin()` or a placeholder with the original expression.
  if (tagged(evaluated)) return stat ?? opaque(evaluated, at, source);
  if (evaluated === null) return { kind: "null", line: at, text: text || "null" };
  if (typeof evaluated === "string")
    return { kind: "string", value: evaluated, line: at, text: text || JSON.stringify(evaluated) };
  if (typeof evaluated === "number")
    return { kind: "number", value: evaluated, line: at, text: text || String(evaluated) };
  if (typeof evaluated === "boolean")
    return { kind: "bool", value: evaluated, line: at, text: text || String(evaluated) };
  if (Array.isArray(evaluated)) {
    const items = stat?.kind === "list" && stat.items.length === evaluated.length ? stat.items : [];
    return {
      kind: "list",
      items: evaluated.map((x, i) => combine(x, items[i], at, source)),
      line: at,
      text,
    };
  }
  const entries = new Map<string, NixValue>();
  const statEntries = stat?.kind === "attrs" ? stat.entries : undefined;
  for (const [k, x] of Object.entries(evaluated as Record<string, unknown>))
    entries.set(k, combine(x, statEntries?.get(k), at, source));
  return { kind: "attrs", entries, line: at, text };
}

/** Sets `value` at `path` in `top`; a second definition of the same option in a file merges. */
function place(top: NixValue, path: string[], value: NixValue, line: number): void {
  let node = top as Extract<NixValue, { kind: "attrs" }>;
  for (const name of path.slice(0, -1)) {
    let child = node.entries.get(name);
    if (child?.kind !== "attrs") {
      child = { kind: "attrs", entries: new Map(), line, text: "" };
      node.entries.set(name, child);
    }
    node = child;
  }
  const last = path[path.length - 1]!;
  const old = node.entries.get(last);
  if (old?.kind === "attrs" && value.kind === "attrs") {
    for (const [k, v] of value.entries) place(old, [k], v, v.line);
  } else if (old?.kind === "list" && value.kind === "list") {
    node.entries.set(last, { ...old, items: [...old.items, ...value.items] });
  } else node.entries.set(last, value);
}
