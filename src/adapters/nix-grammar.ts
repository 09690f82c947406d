/**
 * The Nix grammar: tree-sitter-nix compiled to WebAssembly, run by web-tree-sitter. Nothing is
 * compiled on the user's machine; the grammar is loaded once per process (about 30 ms).
 */
import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";

let parser: Promise<Parser> | undefined;

/** The shared tree-sitter parser for Nix, loaded on first use. */
export function nixParser(): Promise<Parser> {
  parser ??= (async () => {
    const require = createRequire(import.meta.url);
    await Parser.init({
      locateFile: (file: string) => require.resolve(`web-tree-sitter/${file}`),
    });
    const nix = await Language.load(
      require.resolve("@cursorless/tree-sitter-wasms/out/tree-sitter-nix.wasm"),
    );
    const p = new Parser();
    p.setLanguage(nix);
    return p;
  })();
  return parser;
}
