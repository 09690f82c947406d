/**
 * Reading `setup-mac.jsonc`: JSON with comments, validated by zod, every problem with line:column.
 * Pure: takes the text, returns the config or diagnostics.
 */
import type { Node, ParseError } from "jsonc-parser";
import {
  createScanner,
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import type { z } from "zod";
import type { Diagnostic, Location } from "../errors/index.js";
import { diagnostic } from "../errors/index.js";
import { duplicateKeys } from "../config/duplicates.js";
import type { WorkspaceConfig } from "../schema/workspace.js";
import { workspaceConfig } from "../schema/workspace.js";

export const CONFIG_FILE = "setup-mac.jsonc";

/** A parsed config with its syntax tree, so later stages can point at the line of a value. */
export interface ConfigDocument {
  file: string;
  text: string;
  tree: Node | undefined;
  config: WorkspaceConfig;
}

/** Line and column (both 1-based) of an offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The location of the value at a JSON path in the document, or of the nearest parent that exists. */
export function locate(
  doc: Pick<ConfigDocument, "file" | "text" | "tree">,
  path: (string | number)[],
): Location {
  if (!doc.tree) return { file: doc.file };
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(doc.tree, path.slice(0, n));
    if (node) {
      // Point at the property's key when there is one: that is where people look.
      const target = node.parent?.type === "property" ? node.parent : node;
      return { file: doc.file, ...lineColumn(doc.text, target.offset) };
    }
  }
  return { file: doc.file };
}

/**
 * How deeply arrays and objects may nest. jsonc-parser and the checks after it recurse once per
 * level, so a file of 10,000 `[` (a corrupt or hostile file, never a real config) would overflow
 * the stack; a real config nests a handful of levels.
 */
export const MAX_NESTING = 256;

/** The offset where nesting first goes deeper than {@link MAX_NESTING}, found without recursion. */
export function tooDeep(text: string): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (;;) {
    // Token kinds of jsonc-parser's SyntaxKind (a const enum): { 1, } 2, [ 3, ] 4, end 17.
    const token = scanner.scan() as number;
    if (token === 17) return undefined;
    if (token === 1 || token === 3) {
      if (++depth > MAX_NESTING) return scanner.getTokenOffset();
    } else if (token === 2 || token === 4) depth = Math.max(0, depth - 1);
  }
}

/** What a jsonc-parser error code means, in words. */
export const messages: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected `:`",
  CommaExpected: "expected `,`",
  CloseBraceExpected: "expected `}`",
  CloseBracketExpected: "expected `]`",
  EndOfFileExpected: "unexpected content after the end",
  InvalidCommentToken: "invalid comment",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "unterminated number",
  InvalidUnicode: "invalid unicode escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in string",
  TooDeep: `values nest more than ${MAX_NESTING} levels deep`,
};

/** Parses and validates the config text; on failure returns every problem found. */
export function parseConfig(
  text: string,
  file: string = CONFIG_FILE,
): { ok: true; doc: ConfigDocument } | { ok: false; diagnostics: Diagnostic[] } {
  if (text.includes("\0")) {
    const at = lineColumn(text, text.indexOf("\0"));
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          "config-syntax",
          "the file contains a NUL byte: it is binary or corrupt, not JSONC",
          {
            location: { file, ...at },
            hint: `restore ${file} from git (\`git checkout -- ${file}\`) or from the last generation (\`setup-mac generations\`)`,
          },
        ),
      ],
    };
  }
  const deep = tooDeep(text);
  if (deep !== undefined) {
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          "config-syntax",
          `values nest more than ${MAX_NESTING} levels deep: the file is corrupt, not a config`,
          {
            location: { file, ...lineColumn(text, deep) },
            hint: `restore ${file} from git (\`git checkout -- ${file}\`) or from the last generation (\`setup-mac generations\`)`,
          },
        ),
      ],
    };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !tree) {
    const list = errors.length
      ? errors
      : [{ error: 4 /* ValueExpected */, offset: 0, length: 0 } as ParseError];
    return {
      ok: false,
      diagnostics: list.slice(0, 10).map((e) =>
        diagnostic(
          "config-syntax",
          `invalid JSONC: ${messages[printParseErrorCode(e.error)] ?? printParseErrorCode(e.error)}`,
          {
            location: { file, ...lineColumn(text, e.offset) },
            hint:
              text.trim() === ""
                ? `the file is empty; write a config (see \`setup-mac init\`) or restore it from git`
                : "fix the syntax at this position (comments and trailing commas are allowed)",
          },
        ),
      ),
    };
  }
  const proto = findKey(tree, "__proto__");
  if (proto) {
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          "config-invalid",
          "the key `__proto__` is not allowed (JavaScript would read it as an object's prototype)",
          {
            location: { file, ...lineColumn(text, proto.offset) },
            hint: "rename or remove this key",
          },
        ),
      ],
    };
  }
  const duplicates = duplicateKeys(tree, text, file);
  if (duplicates.length) return { ok: false, diagnostics: duplicates };
  const value = getNodeValue(tree) as unknown;
  const parsed = workspaceConfig.safeParse(value);
  const doc = { file, text, tree };
  if (!parsed.success) {
    return {
      ok: false,
      diagnostics: parsed.error.issues.map((issue) => zodIssueDiagnostic(issue, doc)),
    };
  }
  return { ok: true, doc: { ...doc, config: parsed.data } };
}

/** The first property key node with this name, anywhere in the tree. */
function findKey(node: Node, key: string): Node | undefined {
  if (node.type === "property" && node.children?.[0]?.value === key) return node.children[0];
  for (const child of node.children ?? []) {
    const found = findKey(child, key);
    if (found) return found;
  }
  return undefined;
}

function zodIssueDiagnostic(
  issue: z.core.$ZodIssue,
  doc: Pick<ConfigDocument, "file" | "text" | "tree">,
): Diagnostic {
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  const where = path.length ? `\`${path.join(".")}\`` : "the top level";
  let message = `${where} ${issue.message}`;
  let hint = "correct the value; `setup-mac/schema.json` describes every field";
  if (issue.code === "unrecognized_keys") {
    message = `${where} has unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}`;
    hint = "remove or rename it; allowed here: see `setup-mac/schema.json`";
    return diagnostic("config-invalid", message, {
      location: locate(doc, [...path, issue.keys[0]!]),
      hint,
    });
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    message = `${where} is required`;
    const [top, host, field] = path;
    if (top === "hosts" && path.length === 3 && (field === "user" || field === "system")) {
      // `init` leaves these out when flake.nix does not determine them (decision 0032).
      message = `host ${host} has no ${field}`;
      hint =
        field === "user"
          ? `set "user" on host ${host} to its login name, e.g. "user": "lars"`
          : `set "system" on host ${host} to its Nix system, e.g. "system": "aarch64-darwin"`;
    }
  }
  return diagnostic("config-invalid", message, { location: locate(doc, path), hint });
}
