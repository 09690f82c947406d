/**
 * Keys that appear twice in one object of `setup-mac.jsonc`. JSON leaves their meaning open:
 * jsonc-parser's `getNodeValue` keeps the last copy while a search of the tree finds the first,
 * so the loader and the editor would each act on a different copy. Both refuse the file instead,
 * naming both lines. Pure: syntax tree and text in, diagnostics out.
 */
import type { Node } from "jsonc-parser";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";

/** Line and column (both 1-based) of an offset, counted from a table of line starts. */
function locator(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/**
 * Where the copies are: `lines 6 and 8`; copies sharing a line (minified JSON) by column too:
 * `line 3, columns 9 and 20`, or `3:3, 3:9 and 5:1` when mixed.
 */
function placesOf(spots: readonly { line: number; column: number }[]): string {
  const and = (items: string[]) => `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
  const lines = new Set(spots.map((p) => p.line));
  if (lines.size === spots.length) return `lines ${and(spots.map((p) => String(p.line)))}`;
  if (lines.size === 1)
    return `line ${spots[0]!.line}, columns ${and(spots.map((p) => String(p.column)))}`;
  return and(spots.map((p) => `${p.line}:${p.column}`));
}

/** `hosts.macbook.programs`, or `the top level` for the root object. */
function where(path: readonly (string | number)[]): string {
  return path.length ? `\`${path.join(".")}\`` : "the top level";
}

/**
 * One `config-duplicate-key` error per repeated key, at the later copy, naming the line of each
 * copy.
 */
export function duplicateKeys(root: Node | undefined, text: string, file: string): Diagnostic[] {
  if (!root) return [];
  const at = locator(text);
  const out: Diagnostic[] = [];
  const stack: { node: Node; path: (string | number)[] }[] = [{ node: root, path: [] }];
  while (stack.length) {
    const { node, path } = stack.pop()!;
    if (node.type === "array") {
      (node.children ?? []).forEach((child, i) => stack.push({ node: child, path: [...path, i] }));
      continue;
    }
    if (node.type !== "object") continue;
    const seen = new Map<string, Node[]>();
    for (const property of node.children ?? []) {
      const key = property.children?.[0];
      if (!key || typeof key.value !== "string") continue;
      const copies = seen.get(key.value) ?? [];
      copies.push(key);
      seen.set(key.value, copies);
      const value = property.children?.[1];
      if (value) stack.push({ node: value, path: [...path, key.value] });
    }
    for (const [name, copies] of seen) {
      if (copies.length < 2) continue;
      const spots = copies.map((k) => at(k.offset));
      const last = copies[copies.length - 1]!;
      const listed = placesOf(spots);
      out.push(
        diagnostic(
          "config-duplicate-key",
          `\`${name}\` appears ${copies.length === 2 ? "twice" : `${copies.length} times`} in ${where(path)}, at ${listed}: which one counts is undefined`,
          {
            location: { file, ...at(last.offset) },
            hint: `keep one \`${name}\` in ${where(path)} (merge what the copies say into it) and delete the other${copies.length > 2 ? "s" : ""}`,
          },
        ),
      );
    }
  }
  return out.sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
}
