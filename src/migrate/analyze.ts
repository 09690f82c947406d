/**
 * What an existing Nix module becomes (pure): program modules with typed contributions
 * (packages, files, session variables, services, wrappers), upstream options kept as raw values,
 * placeholder options for what only Nix can know, and a list of what was left behind and why.
 */
import { parse as shellWords } from "shell-quote";
import type { NixValue } from "./nix-value.js";

/** A value of the module to write: JSON data, a placeholder option, or a binary of a package. */
export type Ts =
  null | boolean | number | string | Ts[] | { [key: string]: Ts } | OptionRef | BinRef;

/** An option of the migrated module standing for a value only Nix can compute. */
export class OptionRef {
  constructor(readonly name: string) {}
}

/** `bin(name, pkg)`: the binary of a nixpkgs package. */
export class BinRef {
  constructor(
    readonly bin: string,
    readonly pkg: string,
  ) {}
}

/** A placeholder option: its name, the Nix text it stands for, where, and why. */
export interface Placeholder {
  name: string;
  type: "string" | "unknown";
  nix: string;
  file: string;
  line: number;
  why: string;
}

export type Level = "home" | "darwin" | "nixos";

export interface MigratedProgram {
  name: string;
  category: string;
  /** Where its definitions came from: `home.nix:12 programs.fzf`. */
  sources: { file: string; line: number; what: string }[];
  packages: string[];
  env: Record<string, Ts>;
  files: Record<string, { text: string }>;
  services: Record<string, Record<string, Ts>>;
  wrappers: Record<string, Record<string, Ts>>;
  raw: Partial<Record<Level, Record<string, Ts>>>;
  placeholders: Placeholder[];
}

export type ReportKind = "typed" | "raw" | "placeholder" | "not-migrated";

/** One line of the report. */
export interface ReportEntry {
  kind: ReportKind;
  file: string;
  line: number;
  /** The option path in the source (`programs.fzf`, `launchd.agents.sync`). */
  what: string;
  program?: string;
  detail: string;
}

export interface Analysis {
  programs: MigratedProgram[];
  report: ReportEntry[];
}

/** A parsed source file: its workspace-relative name and the value of its module. */
export interface SourceFile {
  file: string;
  value: NixValue;
  /** The level its definitions are for, when known (from an evaluated configuration). */
  level?: Level;
}

const PROGRAM_NAME = /^[a-z][a-z0-9-]*$/;

/** A program name from a label or unit name: `org.example.notes-sync` → `notes-sync`. */
export function programName(raw: string): string | undefined {
  const last = raw.split(".").filter(Boolean).pop() ?? "";
  const name = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  return PROGRAM_NAME.test(name) ? name : undefined;
}

class Builder {
  programs = new Map<string, MigratedProgram>();
  report: ReportEntry[] = [];

  program(name: string, category: string): MigratedProgram {
    let p = this.programs.get(name);
    if (!p) {
      p = {
        name,
        category,
        sources: [],
        packages: [],
        env: {},
        files: {},
        services: {},
        wrappers: {},
        raw: {},
        placeholders: [],
      };
      this.programs.set(name, p);
    }
    return p;
  }

  note(
    kind: ReportKind,
    file: string,
    v: { line: number },
    what: string,
    detail: string,
    program?: string,
  ) {
    this.report.push({ kind, file, line: v.line, what, detail, ...(program ? { program } : {}) });
  }

  skip(file: string, v: { line: number }, what: string, why: string) {
    this.note("not-migrated", file, v, what, why);
  }
}

/** The level a file configures: home-manager unless it sets system options. */
export function fileLevel(top: Map<string, NixValue>): Level {
  const launchd = top.get("launchd");
  if (
    launchd?.kind === "attrs" &&
    (launchd.entries.has("daemons") || launchd.entries.get("user")?.kind === "attrs")
  ) {
    return "darwin";
  }
  if (
    top.has("boot") ||
    top.has("networking") ||
    (top.get("systemd")?.kind === "attrs" &&
      (top.get("systemd") as { entries: Map<string, NixValue> }).entries.has("services"))
  ) {
    return "nixos";
  }
  if (top.has("environment") || top.has("system") || top.has("homebrew")) return "darwin";
  return "home";
}

/** Analyses every file; programs come out sorted by name, the report by file and line. */
export function analyze(files: SourceFile[]): Analysis {
  const b = new Builder();
  const looseEnv: { file: string; name: string; value: NixValue }[] = [];
  const loosePackages: { file: string; value: NixValue }[] = [];
  for (const { file, value, level: known } of files) {
    let top = value;
    if (top.kind === "apply" || top.kind === "expr" || top.kind !== "attrs") {
      b.skip(
        file,
        top,
        "(file)",
        "the file is not a module returning an attribute set (or a function of its arguments to one)",
      );
      continue;
    }
    const cfg = top.entries.get("config");
    if (cfg?.kind === "attrs" && (top.entries.has("options") || top.entries.has("imports"))) {
      if (top.entries.has("options"))
        b.skip(
          file,
          top.entries.get("options")!,
          "options",
          "option declarations stay in your configuration",
        );
      top = cfg;
    }
    const imports = value.kind === "attrs" ? value.entries.get("imports") : undefined;
    if (imports)
      b.skip(
        file,
        imports,
        "imports",
        "imports are not followed: pass the imported files to migrate too",
      );
    const level = known ?? fileLevel(top.entries);
    for (const [key, v] of top.entries) {
      if (key === "imports" || key === "options") continue;
      walkTop(b, file, level, key, v, looseEnv, loosePackages);
    }
  }
  // Packages: to the program of the same name when one was migrated, else to `packages`.
  for (const { file, value } of loosePackages) packageItem(b, file, value);
  for (const { file, name, value } of looseEnv) {
    const p = b.program("session-variables", "shell");
    p.sources.push({ file, line: value.line, what: `home.sessionVariables.${name}` });
    p.env[name] = toTs(b, p, file, value, `home.sessionVariables.${name}`, name, "string");
    b.note("typed", file, value, `home.sessionVariables.${name}`, "session variable → env", p.name);
  }
  const programs = [...b.programs.values()].sort((x, y) => x.name.localeCompare(y.name));
  for (const p of programs) p.packages = [...new Set(p.packages)];
  const report = b.report.sort((x, y) => x.file.localeCompare(y.file) || x.line - y.line);
  return { programs, report };
}

function entries(v: NixValue): Map<string, NixValue> | undefined {
  return v.kind === "attrs" ? v.entries : undefined;
}

/**
 * A service named `name` whose value must be a literal attribute set: its program name and
 * entries, or undefined after saying which of the two it is not.
 */
function namedSet(
  b: Builder,
  file: string,
  what: string,
  name: string,
  value: NixValue,
): { pname: string; entries: Map<string, NixValue> } | undefined {
  const pname = programName(name);
  const e = entries(value);
  if (pname && e) return { pname, entries: e };
  b.skip(
    file,
    value,
    what,
    pname ? "not a literal attribute set" : `\`${name}\` is not a usable program name`,
  );
  return undefined;
}

function walkTop(
  b: Builder,
  file: string,
  level: Level,
  key: string,
  v: NixValue,
  looseEnv: { file: string; name: string; value: NixValue }[],
  loosePackages: { file: string; value: NixValue }[],
): void {
  const sub = entries(v);
  if (key === "programs" && sub) {
    for (const [name, block] of sub) programBlock(b, file, level, name, block);
    return;
  }
  if (key === "home" && sub) {
    for (const [k, hv] of sub) {
      if (k === "packages") packageList(b, file, hv, "home.packages", loosePackages);
      else if (k === "sessionVariables" && entries(hv)) {
        for (const [name, value] of entries(hv)!) looseEnv.push({ file, name, value });
      } else if (k === "file" && entries(hv)) {
        for (const [path, spec] of entries(hv)!)
          homeFile(b, file, `home.file.${JSON.stringify(path)}`, `~/${path}`, spec);
      } else
        b.skip(file, hv, `home.${k}`, "not a program's setting: it stays in your configuration");
    }
    return;
  }
  if (key === "xdg" && sub?.get("configFile") && entries(sub.get("configFile")!)) {
    for (const [path, spec] of entries(sub.get("configFile")!)!) {
      homeFile(b, file, `xdg.configFile.${JSON.stringify(path)}`, `~/.config/${path}`, spec);
    }
    for (const [k, xv] of sub)
      if (k !== "configFile") b.skip(file, xv, `xdg.${k}`, "not migrated: only xdg.configFile is");
    return;
  }
  if (key === "environment" && sub) {
    for (const [k, ev] of sub) {
      if (k === "systemPackages")
        packageList(b, file, ev, "environment.systemPackages", loosePackages);
      else b.skip(file, ev, `environment.${k}`, "not migrated: only environment.systemPackages is");
    }
    return;
  }
  if (key === "launchd" && sub) {
    const agents = entries(sub.get("agents") ?? { kind: "null", line: 0, text: "" });
    for (const [name, agent] of agents ?? [])
      launchdAgent(b, file, `launchd.agents.${name}`, name, agent, "config");
    const user = entries(sub.get("user") ?? { kind: "null", line: 0, text: "" });
    for (const [name, agent] of entries(
      user?.get("agents") ?? { kind: "null", line: 0, text: "" },
    ) ?? []) {
      launchdAgent(b, file, `launchd.user.agents.${name}`, name, agent, "serviceConfig");
    }
    for (const [k, lv] of sub)
      if (k !== "agents" && k !== "user")
        b.skip(
          file,
          lv,
          `launchd.${k}`,
          "not migrated: launchd daemons stay in your configuration",
        );
    return;
  }
  if (key === "systemd" && sub) {
    const user = entries(sub.get("user") ?? { kind: "null", line: 0, text: "" });
    for (const [name, svc] of entries(
      user?.get("services") ?? { kind: "null", line: 0, text: "" },
    ) ?? []) {
      systemdService(b, file, `systemd.user.services.${name}`, name, svc);
    }
    for (const [k, sv] of sub)
      if (k !== "user") b.skip(file, sv, `systemd.${k}`, "not migrated: only user services are");
    for (const [k, sv] of user ?? [])
      if (k !== "services")
        b.skip(file, sv, `systemd.user.${k}`, "not migrated: only user services are");
    return;
  }
  b.skip(file, v, key, "not a program's setting: it stays in your configuration");
}

// ---- values ------------------------------------------------------------------------------------

function camel(parts: string[]): string {
  const words = parts
    .join(" ")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  const name = words
    .map((w) => (/^[A-Z0-9_]+$/.test(w) ? w.toLowerCase() : w))
    .map((w, i) => (i === 0 ? w[0]!.toLowerCase() + w.slice(1) : w[0]!.toUpperCase() + w.slice(1)))
    .join("");
  return /^[a-z]/.test(name) ? name : `value${name}`;
}

/**
 * A Nix value as module data. Literals are kept, `pkgs.x` becomes `{ pkg: "x" }` (the adapters
 * resolve it), priority wrappers are unwrapped, and anything else becomes a placeholder option.
 */
function toTs(
  b: Builder,
  p: MigratedProgram,
  file: string,
  v: NixValue,
  what: string,
  hint: string,
  type: "string" | "unknown" = "unknown",
): Ts {
  switch (v.kind) {
    case "string":
    case "number":
    case "bool":
      return v.value;
    case "null":
      return null;
    case "list":
      return v.items.map((item, i) => toTs(b, p, file, item, `${what}.${i}`, `${hint} ${i + 1}`));
    case "attrs": {
      const out: Record<string, Ts> = {};
      for (const [k, item] of v.entries) {
        if (k.startsWith("\0")) {
          b.skip(file, item, what, "an attribute with a computed name is left out");
          continue;
        }
        out[k] = toTs(b, p, file, item, `${what}.${k}`, `${hint} ${k}`);
      }
      return out;
    }
    case "pkg":
      return { pkg: v.path };
    case "apply":
      if (/^(lib\.)?(mkDefault|mkForce|mkOverride)$/.test(v.fn) && v.args.length >= 1) {
        b.note(
          "raw",
          file,
          v,
          what,
          `\`${v.fn}\` dropped: setup-mac sets generated values at mkDefault, so your configuration wins`,
          p.name,
        );
        return toTs(b, p, file, v.args[v.args.length - 1]!, what, hint, type);
      }
      return placeholder(
        b,
        p,
        file,
        v,
        what,
        hint,
        type,
        `\`${v.fn}\` is a function call, evaluated only by Nix`,
      );
    case "interpolated":
      return placeholder(
        b,
        p,
        file,
        v,
        what,
        hint,
        "string",
        "the string interpolates values only Nix can compute",
      );
    case "expr":
      return placeholder(b, p, file, v, what, hint, type, v.why);
  }
}

function placeholder(
  b: Builder,
  p: MigratedProgram,
  file: string,
  v: NixValue,
  what: string,
  hint: string,
  type: "string" | "unknown",
  why: string,
): OptionRef {
  let name = camel(hint.split(" ").slice(1).length ? hint.split(" ").slice(1) : [hint]);
  for (let n = 2; p.placeholders.some((x) => x.name === name); n++)
    name = `${camel(hint.split(" "))}${n}`;
  p.placeholders.push({ name, type, nix: v.text, file, line: v.line, why });
  b.note(
    "placeholder",
    file,
    v,
    what,
    `option \`${p.name}.${name}\` stands for \`${oneLine(v.text)}\`: ${why}`,
    p.name,
  );
  return new OptionRef(name);
}

/** Why a value is not literal data, or undefined when it is. */
function notLiteral(v: NixValue): string | undefined {
  if (v.kind === "expr") return `not a literal: ${v.why}`;
  if (v.kind === "interpolated")
    return "not a literal: the string interpolates values only Nix can compute";
  if (v.kind === "apply")
    return `not a literal: \`${v.fn}\` is a function call, evaluated only by Nix`;
  return undefined;
}

function oneLine(text: string): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
}

// ---- program blocks, packages, files -------------------------------------------------------------

function programBlock(b: Builder, file: string, level: Level, name: string, block: NixValue): void {
  const pname = programName(name);
  const what = `programs.${name}`;
  if (!pname) {
    b.skip(file, block, what, `\`${name}\` is not a usable program name`);
    return;
  }
  const p = b.program(pname, level === "home" ? "home" : level);
  p.sources.push({ file, line: block.line, what });
  const raw = (p.raw[level] ??= {});
  raw[what] = toTs(b, p, file, block, what, pname);
  b.note(
    "raw",
    file,
    block,
    what,
    `kept as the upstream ${level === "home" ? "home-manager" : level} option \`${what}\` with its values`,
    pname,
  );
}

function packageList(
  b: Builder,
  file: string,
  v: NixValue,
  what: string,
  loose: { file: string; value: NixValue }[],
): void {
  if (v.kind !== "list") {
    b.skip(file, v, what, "not a literal list of packages");
    return;
  }
  for (const item of v.items) {
    if (item.kind === "apply" && /(^|\.)symlinkJoin$/.test(item.fn)) wrapper(b, file, what, item);
    else loose.push({ file, value: item });
  }
}

function packageItem(b: Builder, file: string, item: NixValue): void {
  if (item.kind !== "pkg") {
    const why =
      item.kind === "apply"
        ? `\`${item.fn}\` builds a package here; write it as a module by hand (a wrapper, a file or a hook)`
        : item.kind === "expr"
          ? item.why
          : "not a package reference";
    b.skip(file, item, `package ${oneLine(item.text)}`, why);
    return;
  }
  const own = b.programs.get(programName(item.path) ?? "");
  const p = own && item.path === own.name ? own : b.program("packages", "packages");
  p.packages.push(item.path);
  if (!p.sources.some((s) => s.file === file && s.what === "packages"))
    p.sources.push({ file, line: item.line, what: "packages" });
  b.note("typed", file, item, `package ${item.path}`, "→ packages", p.name);
}

function homeFile(b: Builder, file: string, what: string, target: string, spec: NixValue): void {
  const e = entries(spec);
  const text = e?.get("text");
  const first = target
    .replace(/^~\/(\.config\/)?/, "")
    .split("/")[0]!
    .replace(/^\./, "");
  const pname = programName(first.split(".")[0] ?? "") ?? "dotfiles";
  if (!e || !text || text.kind !== "string" || [...e.keys()].some((k) => k !== "text")) {
    const why = !text
      ? "only files given by `text` are migrated (a `source` path is copied by Nix)"
      : text.kind !== "string"
        ? "the text is not a literal string"
        : `keys other than \`text\` (${[...e!.keys()].filter((k) => k !== "text").join(", ")})`;
    b.skip(file, spec, what, why);
    return;
  }
  const p = b.program(pname, "config");
  p.sources.push({ file, line: spec.line, what });
  p.files[target] = { text: text.value };
  b.note("typed", file, spec, what, `→ files["${target}"]`, pname);
}

// ---- wrappers -----------------------------------------------------------------------------------

/** `pkgs.symlinkJoin { paths = [ pkgs.x ]; postBuild = "wrapProgram $out/bin/y --add-flags …"; }`. */
function wrapper(
  b: Builder,
  file: string,
  where: string,
  call: Extract<NixValue, { kind: "apply" }>,
): void {
  const arg = call.args[0];
  const e = arg && entries(arg);
  const what = `${where} symlinkJoin`;
  const paths = e?.get("paths");
  const post = e?.get("postBuild");
  const pkgs = paths?.kind === "list" ? paths.items.filter((i) => i.kind === "pkg") : [];
  if (!e || pkgs.length !== 1 || paths?.kind !== "list" || paths.items.length !== 1) {
    b.skip(file, call, what, "a wrapper migrates when `paths` is one package (`[ pkgs.x ]`)");
    return;
  }
  const script = post && withPackageTokens(post);
  if (!post || typeof script === "string" || !script) {
    b.skip(
      file,
      post ?? call,
      what,
      post ? `\`postBuild\`: ${script}` : "no `postBuild` with `wrapProgram`",
    );
    return;
  }
  const pkg = (pkgs[0] as Extract<NixValue, { kind: "pkg" }>).path;
  const found: { bin: string; addFlags: string[]; env: Record<string, string> }[] = [];
  const shown = (text: string) =>
    oneLine(
      // eslint-disable-next-line no-control-regex -- the package tokens are control characters
      text.replace(/\u0001(\d+)\u0001/g, (_, n: string) => `\${pkgs.${script.refs[Number(n)]}}`),
    );
  // A backslash at the end of a line continues the command on the next one.
  const lines = script.text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const at = { line: post.line + i };
    let line = lines[i]!;
    while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i];
    if (!line.trim()) continue;
    if (line.includes("\u0001") && !/^\s*(wrapProgram|makeWrapper)\b/.test(line)) {
      b.skip(file, at, what, `\`${shown(line)}\` is not a wrapProgram or makeWrapper line`);
      continue;
    }
    const words = shellWords(line, (k) => `$${k}`);
    if (words.some((w) => typeof w !== "string")) {
      b.skip(
        file,
        at,
        what,
        `\`${shown(line)}\` uses shell operators; only wrapProgram lines migrate`,
      );
      continue;
    }
    const argv = words as string[];
    let rest: string[];
    let target: string | undefined;
    if (argv[0] === "wrapProgram") [target, ...rest] = argv.slice(1);
    else if (argv[0] === "makeWrapper") [, target, ...rest] = argv.slice(1);
    else {
      b.skip(file, at, what, `\`${oneLine(line)}\` is not a wrapProgram or makeWrapper line`);
      continue;
    }
    const bin = target?.match(/^\$out\/bin\/([A-Za-z0-9_+-][A-Za-z0-9._+-]*)$/)?.[1];
    if (!bin) {
      b.skip(file, at, what, `wraps \`${target ?? ""}\`, not a binary in \`$out/bin\``);
      continue;
    }
    const w = { bin, addFlags: [] as string[], env: {} as Record<string, string> };
    for (let j = 0; j < rest.length; j++) {
      const flag = rest[j]!;
      if (flag === "--add-flags" || flag === "--add-flag") {
        const value = rest[++j] ?? "";
        const split = flag === "--add-flag" ? [value] : shellWords(value);
        if (split.every((s) => typeof s === "string")) w.addFlags.push(...(split as string[]));
        else b.skip(file, at, what, `\`--add-flags ${value}\` uses shell operators`);
      } else if (flag === "--set" || flag === "--set-default") {
        const k = rest[++j] ?? "";
        w.env[k] = rest[++j] ?? "";
        if (flag === "--set-default")
          b.note(
            "typed",
            file,
            at,
            what,
            `\`--set-default ${k}\` became a plain setting of ${k}`,
            programName(bin),
          );
      } else {
        const argc: Record<string, number> = {
          "--prefix": 3,
          "--suffix": 3,
          "--run": 1,
          "--unset": 1,
          "--chdir": 1,
          "--argv0": 1,
          "--append-flags": 1,
        };
        const n = argc[flag] ?? 0;
        b.skip(
          file,
          at,
          what,
          `\`${shown([flag, ...rest.slice(j + 1, j + 1 + n)].join(" "))}\` has no place in a setup-mac wrapper (addFlags and env); add it by hand`,
        );
        j += n;
      }
    }
    found.push(w);
  }
  for (const w of found) {
    const pname = programName(w.bin) ?? programName(pkg) ?? "wrapped";
    const p = b.program(pname, "cli");
    p.sources.push({ file, line: call.line, what });
    const spec: Record<string, Ts> = {};
    if (pkg !== w.bin) spec.package = pkg;
    if (w.addFlags.length) spec.addFlags = w.addFlags;
    if (Object.keys(w.env).length) spec.env = w.env;
    p.wrappers[w.bin] = spec;
    b.note(
      "typed",
      file,
      call,
      what,
      `wrapper of ${pkg}'s \`${w.bin}\` → wrappers.${w.bin}`,
      pname,
    );
  }
}

// ---- services ------------------------------------------------------------------------------------

const PKG_TOKEN = (i: number) => `\u0001${i}\u0001`;

/** A string whose only interpolations are packages, with each one as a token; or why not. */
function withPackageTokens(v: NixValue): { text: string; refs: string[] } | string {
  const refs: string[] = [];
  if (v.kind === "string") return { text: v.value, refs };
  if (v.kind !== "interpolated") return "not a literal string";
  let text = "";
  for (const part of v.parts) {
    if (typeof part === "string") text += part;
    else if (part.kind === "pkg") {
      refs.push(part.path);
      text += PKG_TOKEN(refs.length - 1);
    } else return `\`${oneLine(part.text)}\` is known only to Nix`;
  }
  return { text, refs };
}

/** A command string (`"${pkgs.x}/bin/y --flag"`) as an argument vector, or why it is not one. */
function commandWords(v: NixValue): Ts[] | string {
  const tokens = withPackageTokens(v);
  if (typeof tokens === "string") return `the command: ${tokens}`;
  const { text, refs } = tokens;
  const words = shellWords(text, (k) => `$${k}`);
  if (words.some((w) => typeof w !== "string")) return "the command uses shell operators";
  return (words as string[])
    .map((w) => argWord(w, refs))
    .reduce<Ts[] | string>(
      (acc, w) =>
        typeof acc === "string"
          ? acc
          : typeof w === "string" && w.includes("\u0001")
            ? "a package path is not a whole word"
            : [...acc, w],
      [],
    );
}

function argWord(word: string, refs: string[]): Ts {
  // eslint-disable-next-line no-control-regex -- the package tokens are control characters
  const m = word.match(/^\u0001(\d+)\u0001\/bin\/([A-Za-z0-9_+-][A-Za-z0-9._+-]*)$/);
  if (m) return new BinRef(m[2]!, refs[Number(m[1])]!);
  return word;
}

function argvOf(
  b: Builder,
  p: MigratedProgram,
  file: string,
  v: NixValue,
  what: string,
): Ts[] | string {
  if (v.kind === "list") {
    const out: Ts[] = [];
    for (const item of v.items) {
      const w = commandWords(item);
      if (typeof w === "string") return w;
      if (w.length !== 1) return `\`${oneLine(item.text)}\` is not one argument`;
      out.push(w[0]!);
    }
    return out;
  }
  void b;
  void p;
  void what;
  return commandWords(v);
}

function intervalOf(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const CALENDAR: Record<string, string> = {
  Minute: "minute",
  Hour: "hour",
  Weekday: "weekday",
  Day: "day",
  Month: "month",
};

function launchdAgent(
  b: Builder,
  file: string,
  what: string,
  name: string,
  agent: NixValue,
  configKey: "config" | "serviceConfig",
): void {
  const named = namedSet(b, file, what, name, agent);
  if (!named) return;
  const { pname, entries: e } = named;
  const config = entries(e.get(configKey) ?? agent) ?? new Map<string, NixValue>();
  const enable = e.get("enable");
  if (enable?.kind === "bool" && !enable.value) {
    b.skip(file, enable, what, "the agent is disabled (`enable = false`)");
    return;
  }
  for (const [k, v] of e) {
    if (k !== configKey && k !== "enable")
      b.skip(file, v, `${what}.${k}`, `\`${k}\` is not migrated; only \`${configKey}\` is`);
  }
  const p = b.program(pname, "services");
  const svc: Record<string, Ts> = {};
  const args = config.get("ProgramArguments") ?? config.get("Program");
  if (!args) {
    b.skip(file, agent, what, "no ProgramArguments: nothing to run");
    return;
  }
  const argv = argvOf(b, p, file, args, what);
  if (typeof argv === "string") {
    b.skip(file, args, `${what}.ProgramArguments`, argv);
    return;
  }
  svc.command = argv;
  for (const [k, v] of config) {
    const at = `${what}.${configKey}.${k}`;
    if (k === "ProgramArguments" || k === "Program" || k === "Label") continue;
    if (k === "KeepAlive") {
      const sub = entries(v);
      if (v.kind === "bool") svc.restart = v.value ? "always" : "never";
      else if (
        sub?.size === 1 &&
        sub.get("SuccessfulExit")?.kind === "bool" &&
        !(sub.get("SuccessfulExit") as { value: boolean }).value
      )
        svc.restart = "on-failure";
      else
        b.skip(
          file,
          v,
          at,
          "only KeepAlive = true/false or { SuccessfulExit = false; } map onto restart",
        );
    } else if (k === "RunAtLoad") {
      if (!(v.kind === "bool" && v.value))
        b.skip(file, v, at, "setup-mac services start at load; RunAtLoad = false is not kept");
    } else if (k === "EnvironmentVariables" && entries(v)) {
      const env: Record<string, Ts> = {};
      for (const [ek, ev] of entries(v)!) {
        if (ev.kind === "string") env[ek] = ev.value;
        else b.skip(file, ev, `${at}.${ek}`, "not a literal string");
      }
      svc.environment = env;
    } else if ((k === "StandardOutPath" || k === "StandardErrorPath") && v.kind === "string") {
      const other = config.get(k === "StandardOutPath" ? "StandardErrorPath" : "StandardOutPath");
      if (k === "StandardErrorPath" && other) {
        if (other.kind !== "string" || other.value !== v.value)
          b.skip(
            file,
            v,
            at,
            "setup-mac writes both streams to one log (`logs`): this one is dropped",
          );
        continue;
      }
      svc.logs = v.value;
    } else if (k === "WorkingDirectory" && v.kind === "string") svc.workingDirectory = v.value;
    else if (k === "StartInterval" && v.kind === "number")
      svc.schedule = { every: intervalOf(v.value) };
    else if (k === "StartCalendarInterval") {
      const point = v.kind === "list" && v.items.length === 1 ? v.items[0]! : v;
      const pe = entries(point);
      const cal: Record<string, Ts> = {};
      let ok = Boolean(pe);
      for (const [ck, cv] of pe ?? []) {
        if (CALENDAR[ck] && cv.kind === "number") cal[CALENDAR[ck]] = cv.value;
        else ok = false;
      }
      if (ok) svc.schedule = { calendar: cal };
      else
        b.skip(
          file,
          v,
          at,
          "only one calendar point of Minute/Hour/Weekday/Day/Month numbers migrates",
        );
    } else
      b.skip(
        file,
        v,
        at,
        notLiteral(v) ?? `\`${k}\` has no place in a setup-mac service; add it by hand`,
      );
  }
  addService(b, p, file, what, agent, svc);
}

const AFTER: Record<string, string> = {
  "network.target": "network",
  "network-online.target": "network-online",
  "graphical-session.target": "graphical",
  "local-fs.target": "local-fs",
  "time-sync.target": "time-sync",
};

function systemdService(
  b: Builder,
  file: string,
  what: string,
  name: string,
  unit: NixValue,
): void {
  const named = namedSet(b, file, what, name, unit);
  if (!named) return;
  const { pname, entries: e } = named;
  const p = b.program(pname, "services");
  const service = entries(e.get("Service") ?? unit) ?? new Map<string, NixValue>();
  const exec = service.get("ExecStart");
  if (!exec) {
    b.skip(file, unit, what, "no Service.ExecStart: nothing to run");
    return;
  }
  const argv = commandWords(exec);
  if (typeof argv === "string") {
    b.skip(file, exec, `${what}.Service.ExecStart`, argv);
    return;
  }
  const svc: Record<string, Ts> = { command: argv };
  for (const [section, sv] of e) {
    const se = entries(sv);
    if (!se) {
      b.skip(file, sv, `${what}.${section}`, "not a section of the unit");
      continue;
    }
    for (const [k, v] of se) {
      const at = `${what}.${section}.${k}`;
      if (section === "Service" && k === "ExecStart") continue;
      if (section === "Unit" && k === "Description" && v.kind === "string")
        svc.description = v.value;
      else if (section === "Unit" && (k === "After" || k === "Wants")) {
        const items = v.kind === "list" ? v.items : [v];
        const mapped = items.map((i) => (i.kind === "string" ? AFTER[i.value] : undefined));
        if (mapped.every(Boolean)) {
          if (k === "After") svc.after = [...new Set(mapped as string[])];
        } else
          b.skip(file, v, at, `only ${Object.keys(AFTER).join(", ")} map onto setup-mac's targets`);
      } else if (section === "Service" && k === "Restart" && v.kind === "string") {
        const r = { always: "always", "on-failure": "on-failure", no: "never" }[v.value];
        if (r) svc.restart = r;
        else b.skip(file, v, at, "only Restart = always, on-failure or no map onto restart");
      } else if (section === "Service" && k === "Environment") {
        const items = v.kind === "list" ? v.items : [v];
        const env: Record<string, Ts> = {};
        for (const i of items) {
          const words = i.kind === "string" ? shellWords(i.value) : [];
          for (const w of words) {
            const m = typeof w === "string" ? w.match(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s) : null;
            if (m) env[m[1]!] = m[2]!;
            else b.skip(file, i, at, "not a literal NAME=value");
          }
        }
        svc.environment = env;
      } else if (section === "Service" && k === "WorkingDirectory" && v.kind === "string")
        svc.workingDirectory = v.value;
      else if (
        section === "Service" &&
        (k === "StandardOutput" || k === "StandardError") &&
        v.kind === "string" &&
        v.value.startsWith("append:")
      ) {
        if (k === "StandardOutput" || !se.get("StandardOutput"))
          svc.logs = v.value.slice("append:".length);
      } else if (
        section === "Service" &&
        k === "Type" &&
        v.kind === "string" &&
        v.value === "simple"
      )
        continue;
      else if (section === "Install" && k === "WantedBy") {
        const ok =
          v.kind === "list" &&
          v.items.length === 1 &&
          v.items[0]!.kind === "string" &&
          v.items[0]!.value === "default.target";
        if (!ok) b.skip(file, v, at, "setup-mac user services are wanted by default.target");
      } else
        b.skip(
          file,
          v,
          at,
          notLiteral(v) ??
            `\`${section}.${k}\` has no place in a setup-mac service; add it by hand`,
        );
    }
  }
  addService(b, p, file, what, unit, svc);
}

function addService(
  b: Builder,
  p: MigratedProgram,
  file: string,
  what: string,
  at: NixValue,
  svc: Record<string, Ts>,
): void {
  if (p.services.main) {
    b.skip(
      file,
      at,
      what,
      `program \`${p.name}\` already has a service from ${p.sources.find((s) => s.what.includes("agents") || s.what.includes("services"))?.file ?? "another file"}; one model renders on both platforms, so this one is left out`,
    );
    return;
  }
  p.sources.push({ file, line: at.line, what });
  // Neither launchd nor systemd restarts a job unless told to; setup-mac would (on-failure).
  if (!svc.schedule) svc.restart ??= "never";
  svc.scope = "user";
  p.services.main = svc;
  b.note(
    "typed",
    file,
    at,
    what,
    `→ services.main (a user service: launchd agent on macOS, systemd on Linux)`,
    p.name,
  );
}
