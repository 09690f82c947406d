/**
 * `docs build` and `docs serve`: the documentation site of a workspace's programs (see
 * emit/docs.ts), written into a folder of its own and served from there on this machine only.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { swapInFolder } from "../adapters/atomic-write.js";
import { confineIfInside, servedInside } from "../adapters/confine.js";
import { renderDocs, type DocsProgram } from "../emit/docs.js";
import { diagnostic, SetupMacError } from "../errors/index.js";
import { parseConfig } from "../load/config.js";
import { STATE_DIR } from "../apply/store.js";
import { computeBuild } from "./build.js";
import type { WorkspaceOptions } from "./workspace.js";

/** Marks a folder as a docs site this tool wrote, so rebuilding may replace it. */
export const DOCS_MARKER = ".setup-mac-docs";

export interface DocsOptions extends WorkspaceOptions {
  /** Where the site goes (default: `.setup-mac/docs` in the workspace, which git ignores). */
  out?: string;
}

export interface DocsResult {
  /** The folder written, absolute. */
  out: string;
  /** Every file, relative to `out`. */
  files: string[];
  programs: number;
}

/**
 * The site's search script, bundled with MiniSearch at build time: next to the library bundle,
 * one folder up from its chunks, or in dist/ when running from the sources.
 */
function searchScript(): string | undefined {
  for (const rel of ["./docs/search.js", "../docs/search.js", "../../dist/docs/search.js"]) {
    try {
      return readFileSync(new URL(rel, import.meta.url), "utf8");
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export async function buildDocs(options: DocsOptions = {}): Promise<DocsResult> {
  const computed = await computeBuild({ ...options, schema: true });
  const parsed = parseConfig(computed.configText);
  if (!parsed.ok) throw new SetupMacError(parsed.diagnostics);
  const schema = JSON.parse(computed.schemaText) as {
    $defs: Record<string, Record<string, unknown>>;
  };
  const contributedBy = new Map<string, string[]>();
  for (const [name, p] of computed.programs)
    for (const target of p.program.contributesTo)
      contributedBy.set(target, [...(contributedBy.get(target) ?? []), name]);
  const programs: DocsProgram[] = [...computed.programs.keys()].sort().map((name) => {
    const { program, file, category } = computed.programs.get(name)!;
    const options = schema.$defs[`program.${name}`];
    return {
      name,
      description: program.description,
      ...(program.homepage ? { homepage: program.homepage } : {}),
      category,
      file,
      ...(program.platforms ? { platforms: program.platforms } : {}),
      requires: program.requires ?? [],
      conflicts: program.conflicts ?? [],
      contributedBy: (contributedBy.get(name) ?? []).sort(),
      ...(options ? { options } : {}),
    };
  });
  const hosts = parsed.doc.config.hosts;
  const files = renderDocs({
    title: "Programs",
    programs,
    hosts: computed.lock.hosts,
    hostDescriptions: Object.fromEntries(Object.entries(hosts).map(([h, c]) => [h, c.description])),
    searchScript: searchScript(),
  });
  const out = confineIfInside(
    computed.root,
    resolve(options.out ?? join(computed.root, STATE_DIR, "docs")),
    { what: "the documentation folder" },
  );
  await replaceFolder(out, files);
  return { out, files: [...files.keys()].sort(), programs: programs.length };
}

/**
 * Writes the site into a fresh folder next to `out`, then swaps it in: a reader never sees half a
 * site, and nothing but an earlier site (marked) or an empty folder is ever replaced.
 */
async function replaceFolder(out: string, files: Map<string, string>): Promise<void> {
  if (existsSync(out)) {
    const isDir = statSync(out).isDirectory();
    const ours = isDir && existsSync(join(out, DOCS_MARKER));
    if (!isDir || (!ours && readdirSync(out).length > 0))
      throw new SetupMacError(
        diagnostic(
          "docs-out-not-ours",
          `${out} exists and is not a documentation folder setup-mac wrote`,
          {
            hint: "choose a new or empty folder with --out; setup-mac only ever replaces a folder it wrote itself",
          },
        ),
      );
  }
  const marker =
    "A documentation site written by `setup-mac docs build`; rebuilding replaces this folder.\n";
  // The staging folder is unseen until the swap: plain writes, no fsync per file.
  const swapped = await swapInFolder(out, async (dir) => {
    for (const [path, text] of [...files, [DOCS_MARKER, marker] as const]) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  });
  swapped.commit();
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/** The file a request path names inside `root`, or undefined (outside it, hidden, or missing). */
export function fileFor(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split("?")[0]!);
  } catch {
    return undefined;
  }
  if (path.includes("\0")) return undefined;
  const target = resolve(root, `.${path.endsWith("/") ? `${path}index.html` : path}`);
  const rel = relative(root, target);
  if (rel.startsWith("..") || rel.split(sep).some((part) => part.startsWith("."))) return undefined;
  if (!TYPES[extname(target)]) return undefined;
  // A symlink in the site that leads out of it is not served.
  if (!servedInside(root, target)) return undefined;
  try {
    return statSync(target).isFile() ? target : undefined;
  } catch {
    return undefined;
  }
}

/** Serves a built site on 127.0.0.1 (this machine only); resolves once it listens. */
export function serveDocs(root: string, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const file =
      req.method === "GET" || req.method === "HEAD" ? fileFor(root, req.url ?? "/") : undefined;
    if (!file) {
      res.writeHead(req.method === "GET" || req.method === "HEAD" ? 404 : 405, {
        "content-type": "text/plain; charset=utf-8",
      });
      res.end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)]!,
      "x-content-type-options": "nosniff",
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : readFileSync(file));
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      resolvePromise({ server, url: `http://127.0.0.1:${address.port}/` });
    });
  });
}
