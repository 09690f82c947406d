/**
 * A migrated program as the text of a module (pure). The output is stable (same analysis, same
 * bytes), so a second run of migrate finds every module unchanged.
 */
import type { MigratedProgram, Ts } from "./analyze.js";
import { BinRef, OptionRef } from "./analyze.js";

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function key(k: string): string {
  return IDENT.test(k) ? k : JSON.stringify(k);
}

/** A string as a TypeScript literal (a JSON string: no `${` surprises). */
function str(s: string): string {
  return JSON.stringify(s);
}

/** `/Users/<name>/…` and `/home/<name>/…`: a user's home folder written out. */
const HOME_PATH = /^\/(?:Users|home)\/[a-z_][a-z0-9_.-]*(?=\/|$)/;

/**
 * A value string; one that starts with a home folder becomes `${host.home}…`, so the module
 * follows each host's user instead of carrying the source machine's (decision 0032).
 */
function value(s: string): string {
  const home = HOME_PATH.exec(s);
  if (!home) return str(s);
  const rest = s.slice(home[0].length).replace(/[\\`]|\$\{/g, (c) => `\\${c}`);
  return `\`\${host.home}${rest}\``;
}

/** Whether a value holds a string that {@link value} writes from `host.home`. */
function usesHome(v: unknown): boolean {
  if (typeof v === "string") return HOME_PATH.test(v);
  if (v instanceof OptionRef || v instanceof BinRef) return false;
  if (v && typeof v === "object") return Object.values(v).some(usesHome);
  return false;
}

function render(v: Ts, indent: string): string {
  if (v instanceof OptionRef) return `options.${v.name}`;
  if (v instanceof BinRef)
    return v.bin === v.pkg ? `bin(${str(v.bin)})` : `bin(${str(v.bin)}, ${str(v.pkg)})`;
  if (v === null || typeof v !== "object") return typeof v === "string" ? value(v) : String(v);
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const items = v.map((item) =>
      item instanceof OptionRef
        ? `...(options.${item.name} === undefined ? [] : [options.${item.name}])`
        : render(item, inner),
    );
    const flat = `[${items.join(", ")}]`;
    if (flat.length + indent.length < 90 && !flat.includes("\n")) return flat;
    return `[\n${items.map((i) => `${inner}${i},\n`).join("")}${indent}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([k, item]) =>
    item instanceof OptionRef
      ? `...(options.${item.name} === undefined ? {} : { ${key(k)}: options.${item.name} })`
      : `${key(k)}: ${render(item, inner)}`,
  );
  const flat = `{ ${lines.join(", ")} }`;
  if (flat.length + indent.length < 90 && !flat.includes("\n")) return flat;
  return `{\n${lines.map((l) => `${inner}${l},\n`).join("")}${indent}}`;
}

function uses(v: unknown, cls: typeof OptionRef | typeof BinRef): boolean {
  if (v instanceof cls) return true;
  if (v && typeof v === "object") return Object.values(v).some((x) => uses(x, cls));
  return false;
}

/** The module text of a migrated program. */
export function renderModule(p: MigratedProgram): string {
  const from = [...new Set(p.sources.map((s) => `${s.file}:${s.line} (${s.what})`))];
  const contribution: Record<string, Ts> = {};
  if (p.packages.length) contribution.packages = p.packages;
  if (Object.keys(p.files).length) contribution.files = p.files;
  if (Object.keys(p.env).length) contribution.env = p.env;
  if (Object.keys(p.services).length) contribution.services = p.services;
  if (Object.keys(p.wrappers).length) contribution.wrappers = p.wrappers;
  for (const level of ["home", "darwin", "nixos"] as const) {
    if (p.raw[level] && Object.keys(p.raw[level]).length) contribution[level] = p.raw[level];
  }
  const imports = ["defineProgram", ...(uses(contribution, BinRef) ? ["bin"] : []), "z"].sort();
  const platforms = p.raw.darwin ? ["darwin"] : p.raw.nixos ? ["nixos"] : undefined;
  const out: string[] = [];
  out.push(`/**`);
  out.push(` * Migrated by \`setup-mac migrate\` from:`);
  for (const f of from) out.push(` *   ${f}`);
  if (p.placeholders.length) {
    out.push(
      ` * Options without a value stand for Nix expressions migrate could not turn into data;`,
    );
    out.push(
      ` * set them in setup-mac.jsonc (each one's description shows the original expression).`,
    );
  }
  out.push(` */`);
  out.push(`import { ${imports.join(", ")} } from "setup-mac";`);
  out.push(``);
  out.push(`export default defineProgram({`);
  out.push(`  name: ${str(p.name)},`);
  out.push(`  description: ${str(description(p))},`);
  if (platforms) out.push(`  platforms: ${render(platforms, "  ")},`);
  if (p.placeholders.length) {
    out.push(`  options: z.object({`);
    for (const o of p.placeholders) {
      const type = o.type === "string" ? "z.string()" : "z.unknown()";
      const doc = `Nix: ${o.nix.replace(/\s+/g, " ").trim()} (${o.file}:${o.line}): ${o.why}`;
      out.push(`    ${key(o.name)}: ${type}.optional().describe(${str(doc)}),`);
    }
    out.push(`  }),`);
  } else out.push(`  options: z.object({}),`);
  const body = render(contribution, "  ");
  const args = [
    ...(p.placeholders.length ? ["options"] : []),
    ...(usesHome(contribution) ? ["host"] : []),
  ];
  out.push(`  config: (${args.length ? `{ ${args.join(", ")} }` : ""}) => (${body}),`);
  out.push(`});`);
  return out.join("\n") + "\n";
}

function description(p: MigratedProgram): string {
  const files = [...new Set(p.sources.map((s) => s.file))].join(", ");
  if (p.name === "packages") return `Packages migrated from ${files}`;
  if (p.name === "session-variables") return `Session variables migrated from ${files}`;
  return `${p.name}, migrated from ${files}`;
}
