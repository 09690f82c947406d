/**
 * The files of a flake as syntax trees, for `init`'s reading of its hosts: `flake.nix` and the
 * local files it imports, read on demand and only from inside the flake's folder (a symlink
 * that leads out is refused like `../`), each parsed once.
 */
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import type { Node } from "web-tree-sitter";
import type { Loader } from "../init/nix-eval.js";
import { syntaxProblems } from "../migrate/nix-value.js";
import { readTextIfPresent } from "./node-fs.js";
import { nixParser } from "./nix-grammar.js";

/** The adapter folder `init` writes (also `ADAPTER_DIR` in api/init). */
const ADAPTER_DIR = "setup-mac/nix";

export interface FlakeFiles {
  /** `flake.nix`'s tree, or undefined when there is none. */
  flake?: Node;
  /** `flake.nix`'s first syntax error, if any. */
  syntaxError?: { line: number; message: string };
  load: Loader;
}

/** Opens the flake in `root` (an absolute folder). */
export async function openFlake(root: string): Promise<FlakeFiles> {
  const parser = await nixParser();
  const realRoot = realpathSync(root);
  const cache = new Map<string, ReturnType<Loader>>();
  const parse = (rel: string): ReturnType<Loader> => {
    let path = join(realRoot, rel);
    let file = rel;
    try {
      if (statSync(path).isDirectory()) {
        path = join(path, "default.nix");
        file = rel === "." ? "default.nix" : `${rel}/default.nix`;
      }
      const real = realpathSync(path);
      const inside = relative(realRoot, real);
      if (inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside))
        return { error: `${file} leads outside the flake's folder` };
      path = real;
    } catch {
      return { error: `there is no ${file}` };
    }
    const text = readTextIfPresent(path);
    if (text === undefined) return { error: `${file} cannot be read` };
    const tree = parser.parse(text);
    if (!tree) return { error: `${file} cannot be parsed` };
    const problem = syntaxProblems(tree.rootNode)[0];
    if (problem) return { error: `${file}:${problem.line} has a syntax error` };
    return { root: tree.rootNode, file };
  };
  const load: Loader = (rel) => {
    if (rel.startsWith("../") || rel === "..")
      return { error: `${rel} is outside the flake's folder` };
    // setup-mac's own adapter reads the lock: it is not where a host's system or user is.
    if (rel === ADAPTER_DIR || rel.startsWith(`${ADAPTER_DIR}/`)) return { module: "setup-mac" };
    let got = cache.get(rel);
    if (!got) cache.set(rel, (got = parse(rel)));
    return got;
  };
  const text = readTextIfPresent(join(realRoot, "flake.nix"));
  if (text === undefined) return { load };
  const tree = parser.parse(text)!;
  const syntaxError = syntaxProblems(tree.rootNode)[0];
  return { flake: tree.rootNode, ...(syntaxError ? { syntaxError } : {}), load };
}
