/**
 * The documentation site (pure): an index of every program and a page per program — options with
 * their types, defaults and descriptions (from the same JSON Schema editors use), how programs
 * relate, and what each host gets from it (from the lock). Static files, no external assets: a
 * stylesheet and a small search script of its own, and a Content-Security-Policy that allows
 * nothing else, so even a module's description can never run as code. Every text is escaped.
 */
import { stableStringify } from "./json.js";
import type { EnabledBy, HostLock, LevelLock, ProgramLock } from "./lock-types.js";

type JsonSchema = Record<string, unknown>;

export interface DocsProgram {
  name: string;
  description: string;
  homepage?: string;
  category: string;
  /** The module file, workspace-relative. */
  file: string;
  platforms?: string[];
  requires: string[];
  conflicts: string[];
  /** Programs whose `contributes` name this one. */
  contributedBy: string[];
  /** The options' JSON Schema (an object schema), when the program has options. */
  options?: JsonSchema;
}

export interface DocsInput {
  title: string;
  programs: DocsProgram[];
  hosts: Record<string, HostLock>;
  /** Host descriptions from the config. */
  hostDescriptions?: Record<string, string | undefined>;
  /**
   * The bundled full-text search (MiniSearch, built into dist/ at build time). Without it the
   * index page gets the small word filter below.
   */
  searchScript?: string;
}

/** One entry of the search index: a program or one of its options. */
export interface SearchDoc {
  id: string;
  kind: "program" | "option";
  program: string;
  name: string;
  description: string;
  type: string;
  href: string;
}

/** Every program and option as a search document (pure). */
export function searchDocs(programs: DocsProgram[]): SearchDoc[] {
  const docs: SearchDoc[] = [];
  for (const p of programs) {
    const href = programPage(p.name);
    docs.push({
      id: p.name,
      kind: "program",
      program: p.name,
      name: p.name,
      description: `${p.description} ${p.category}`,
      type: "",
      href,
    });
    const properties = (p.options?.properties ?? {}) as Record<string, JsonSchema>;
    for (const [name, schema] of Object.entries(properties))
      docs.push({
        id: `${p.name}.${name}`,
        kind: "option",
        program: p.name,
        name,
        description: String(schema.description ?? ""),
        type: typeText(schema),
        href,
      });
  }
  return docs;
}

const esc = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** A program page's file name: program names are `[a-z][a-z0-9-]*`, so this is always safe. */
export const programPage = (name: string): string => `programs/${name}.html`;

const CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

function page(title: string, depth: number, body: string, script = false, index = false): string {
  const up = "../".repeat(depth);
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<link rel="stylesheet" href="${up}style.css">`,
    ...(index ? [`<script src="${up}search-index.js" defer></script>`] : []),
    ...(script ? [`<script src="${up}search.js" defer></script>`] : []),
    "</head>",
    "<body>",
    body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

const link = (name: string, depth: number) =>
  `<a href="${"../".repeat(depth)}${programPage(name)}">${esc(name)}</a>`;

const list = (items: string[]) => (items.length ? items.join(", ") : "—");

/** A JSON Schema as a short type: `integer, 1–65535`, `list of string`, `"dark" | "light"`. */
export function typeText(schema: JsonSchema | boolean | undefined): string {
  if (schema === undefined || schema === true) return "any";
  if (schema === false) return "nothing";
  if (Array.isArray(schema.enum))
    return (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  for (const key of ["anyOf", "oneOf"])
    if (Array.isArray(schema[key])) return (schema[key] as JsonSchema[]).map(typeText).join(" | ");
  const types = Array.isArray(schema.type)
    ? (schema.type as string[])
    : [schema.type as string | undefined];
  const nullable = types.includes("null") && types.length > 1;
  const type = types.filter((t) => t !== "null")[0];
  let text: string;
  // lines(): a string several definitions extend, joined with newlines (NixOS types.lines).
  if (schema["x-setup-mac-merge"] === "lines") return nullable ? "lines or null" : "lines";
  switch (type) {
    case "array":
      text = `list of ${typeText(schema.items as JsonSchema | undefined)}`;
      break;
    case "object":
      text =
        schema.additionalProperties && typeof schema.additionalProperties === "object"
          ? `map of ${typeText((schema.propertyNames as JsonSchema | undefined) ?? { type: "string" })} → ${typeText(schema.additionalProperties as JsonSchema)}`
          : schema.properties
            ? `object with ${Object.keys(schema.properties as object).join(", ") || "no keys"}`
            : "object";
      break;
    case "integer":
    case "number": {
      const lo = schema.minimum ?? schema.exclusiveMinimum;
      const hi = schema.maximum ?? schema.exclusiveMaximum;
      const safe = (n: unknown) => typeof n === "number" && Math.abs(n) < Number.MAX_SAFE_INTEGER;
      text = type;
      if (safe(lo) && safe(hi)) text += `, ${String(lo)}–${String(hi)}`;
      else if (safe(lo)) text += `, ≥ ${String(lo)}`;
      else if (safe(hi)) text += `, ≤ ${String(hi)}`;
      break;
    }
    case "string": {
      const notes = [
        schema.format as string | undefined,
        schema.pattern ? `matching ${String(schema.pattern)}` : undefined,
        typeof schema.minLength === "number" && schema.minLength > 0 ? `non-empty` : undefined,
      ].filter(Boolean);
      text = notes.length ? `string (${notes.join(", ")})` : "string";
      break;
    }
    default:
      text = type ?? "any";
  }
  return nullable ? `${text} or null` : text;
}

const json = (value: unknown) => JSON.stringify(value);

function optionsTable(schema: JsonSchema | undefined): string {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const names = Object.keys(properties);
  if (!names.length) return "<p>No options.</p>";
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  const rows = names.map((name) => {
    const p = properties[name]!;
    const def =
      "default" in p
        ? `<code>${esc(json(p.default))}</code>`
        : required.has(name)
          ? "required"
          : "—";
    return `<tr><td><code>${esc(name)}</code></td><td>${esc(typeText(p))}</td><td>${def}</td><td>${esc(String(p.description ?? ""))}</td></tr>`;
  });
  return `<table class="options"><thead><tr><th>Option</th><th>Type</th><th>Default</th><th>Description</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table>`;
}

function why(enabledBy: EnabledBy, depth: number): string {
  return "host" in enabledBy
    ? "Enabled by the host"
    : `Required by ${enabledBy.requiredBy.map((n) => link(n, depth)).join(" → ")}`;
}

/** What one host gets from a program, in a few lines. */
function hostSummary(p: ProgramLock): string[] {
  const levels = [p.system, p.home].filter((l): l is LevelLock => l !== undefined);
  const all = <T>(pick: (l: LevelLock) => T[] | undefined) => levels.flatMap((l) => pick(l) ?? []);
  const keys = (pick: (l: LevelLock) => object | undefined) =>
    levels.flatMap((l) => Object.keys(pick(l) ?? {}));
  const lines: [string, string[]][] = [
    ["packages", all((l) => l.packages)],
    [
      "files",
      [
        ...Object.keys(p.system?.files ?? {}).map((f) => `/etc/${f}`),
        ...Object.keys(p.home?.files ?? {}).map((f) => `~/${f}`),
      ],
    ],
    ["environment", keys((l) => l.env)],
    [
      "services",
      levels.flatMap((l) =>
        Object.entries(l.services ?? {}).map(
          ([n, s]) =>
            `${n} (${s.scope}${s.schedule ? ", scheduled" : ""}${s.user ? `, as ${s.user}` : ""})`,
        ),
      ),
    ],
    ["wrapped binaries", keys((l) => l.wrappers)],
    ["permissions", keys((l) => l.permissions)],
    ["ZFS datasets", levels.flatMap((l) => Object.values(l.datasets ?? {}).map((d) => d.dataset))],
    [
      "hooks",
      levels.flatMap((l) =>
        Object.entries(l.hooks ?? {}).map(([h, c]) => `${h} (${(c ?? []).length})`),
      ),
    ],
    [
      "platform options",
      levels.flatMap((l) => (l.raw ?? []).map((r) => `${r.target}: ${r.path.join(".")}`)),
    ],
    ["health checks", (p.health ?? []).map((h) => h.name)],
  ];
  return lines
    .filter(([, items]) => items.length)
    .map(
      ([what, items]) =>
        `<li><b>${esc(what)}</b>: ${items.map((i) => `<code>${esc(i)}</code>`).join(", ")}</li>`,
    );
}

function programBody(p: DocsProgram, input: DocsInput, requiredBy: string[]): string {
  const depth = 1;
  const meta = [
    ["category", esc(p.category || "—")],
    ["platforms", esc((p.platforms ?? ["darwin", "nixos"]).join(", "))],
    ["requires", list(p.requires.map((n) => link(n, depth)))],
    ["required by", list(requiredBy.map((n) => link(n, depth)))],
    ["conflicts with", list(p.conflicts.map((n) => link(n, depth)))],
    ["receives options from", list(p.contributedBy.map((n) => link(n, depth)))],
    ["module", `<code>${esc(p.file)}</code>`],
    ...(p.homepage && /^https?:\/\//i.test(p.homepage)
      ? [
          [
            "homepage",
            `<a href="${esc(p.homepage)}" rel="noopener noreferrer">${esc(p.homepage)}</a>`,
          ],
        ]
      : []),
  ];
  const hosts = Object.keys(input.hosts)
    .sort()
    .map((h) => {
      const lock = input.hosts[h]!.programs[p.name];
      if (!lock) return `<section class="host off"><h3>${esc(h)}</h3><p>Not enabled.</p></section>`;
      const defaults = (p.options?.properties ?? {}) as Record<string, JsonSchema>;
      // Key order is not meaning: compare sorted.
      const set = Object.entries(lock.options).filter(
        ([k, v]) =>
          !("default" in (defaults[k] ?? {})) ||
          stableStringify(defaults[k]!.default) !== stableStringify(v),
      );
      return [
        `<section class="host"><h3>${esc(h)}</h3>`,
        `<p>${why(lock.enabledBy, depth)}.</p>`,
        set.length
          ? `<p>Options set:</p><ul>${set.map(([k, v]) => `<li><code>${esc(k)} = ${esc(json(v))}</code></li>`).join("")}</ul>`
          : "<p>All options at their defaults.</p>",
        "<p>What it puts on the host:</p>",
        `<ul>${hostSummary(lock).join("")}</ul>`,
        "</section>",
      ].join("\n");
    });
  return [
    `<nav><a href="../index.html">All programs</a></nav>`,
    `<h1>${esc(p.name)}</h1>`,
    `<p class="description">${esc(p.description)}</p>`,
    `<dl>${meta.map(([k, v]) => `<dt>${esc(k!)}</dt><dd>${v}</dd>`).join("")}</dl>`,
    "<h2>Options</h2>",
    optionsTable(p.options),
    "<h2>On each host</h2>",
    ...hosts,
  ].join("\n");
}

function indexBody(input: DocsInput): string {
  const hostNames = Object.keys(input.hosts).sort();
  const rows = input.programs.map((p) => {
    const on = hostNames.filter((h) => input.hosts[h]!.programs[p.name]);
    const text = [p.name, p.description, p.category, ...on].join(" ").toLowerCase();
    return `<tr data-search="${esc(text)}" data-program="${esc(p.name)}"><td>${link(p.name, 0)}</td><td>${esc(p.category || "—")}</td><td>${esc((p.platforms ?? ["darwin", "nixos"]).join(", "))}</td><td>${esc(on.join(", ") || "—")}</td><td>${esc(p.description)}</td></tr>`;
  });
  const hosts = hostNames.map((h) => {
    const host = input.hosts[h]!;
    const description = input.hostDescriptions?.[h];
    return `<li><b>${esc(h)}</b>: ${esc(host.platform)}, ${esc(host.system)}, ${host.order.length} programs${description ? ` — ${esc(description)}` : ""}</li>`;
  });
  return [
    `<h1>${esc(input.title)}</h1>`,
    `<p>${input.programs.length} programs on ${hostNames.length} host${hostNames.length === 1 ? "" : "s"}.</p>`,
    `<ul class="hosts">${hosts.join("")}</ul>`,
    '<p><input id="search" type="search" placeholder="Search programs and options…" aria-label="Search programs and options"> <span id="count"></span></p>',
    '<ul id="results"></ul>',
    '<table id="programs"><thead><tr><th>Program</th><th>Category</th><th>Platforms</th><th>Enabled on</th><th>Description</th></tr></thead><tbody>',
    ...rows,
    "</tbody></table>",
  ].join("\n");
}

const STYLE = `body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid #ddd; }
th { background: #f4f4f6; }
code { font: 13px ui-monospace, monospace; background: #f4f4f6; padding: 0 .2rem; border-radius: 3px; overflow-wrap: anywhere; }
.options td:first-child code { overflow-wrap: normal; white-space: nowrap; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { color: #666; }
.description { font-size: 1.1rem; }
.host { border-left: 3px solid #4a7; padding-left: 1rem; margin: 1rem 0; }
.host.off { border-color: #ccc; color: #888; }
#search { font: inherit; padding: .3rem .5rem; width: 20rem; max-width: 100%; }
tr.hidden { display: none; }
#results { padding-left: 1.2rem; }
#results:empty { display: none; }
`;

const SEARCH = `// Filters the program table by every word typed (name, description, category, hosts).
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("search");
  const count = document.getElementById("count");
  const rows = Array.from(document.querySelectorAll("#programs tbody tr"));
  const update = () => {
    const words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const hit = words.every((w) => row.dataset.search.includes(w));
      row.classList.toggle("hidden", !hit);
      if (hit) shown++;
    }
    count.textContent = words.length ? shown + " of " + rows.length : "";
  };
  input.addEventListener("input", update);
  update();
});
`;

/** Every file of the site, by path relative to its folder. */
export function renderDocs(input: DocsInput): Map<string, string> {
  const files = new Map<string, string>();
  const requiredBy = new Map<string, string[]>();
  for (const p of input.programs)
    for (const r of p.requires) requiredBy.set(r, [...(requiredBy.get(r) ?? []), p.name]);
  files.set(
    "index.html",
    page(input.title, 0, indexBody(input), true, input.searchScript !== undefined),
  );
  for (const p of input.programs)
    files.set(
      programPage(p.name),
      page(
        `${p.name} — ${input.title}`,
        1,
        programBody(p, input, (requiredBy.get(p.name) ?? []).sort()),
      ),
    );
  files.set("style.css", STYLE);
  if (input.searchScript !== undefined) {
    files.set("search.js", input.searchScript);
    // A script, not JSON to fetch: the site also opens from file://.
    files.set(
      "search-index.js",
      `window.SETUP_MAC_SEARCH_INDEX = ${JSON.stringify(searchDocs(input.programs)).replace(/</g, "\\u003c")};\n`,
    );
  } else files.set("search.js", SEARCH);
  return files;
}
