import fc from "fast-check";
import { parse, type ParseError } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import {
  ConfigShapeError,
  ConfigSyntaxError,
  detectFormatting,
  getOption,
  getProgramEntry,
  HostNotFoundError,
  ProgramDisabledError,
  setOption,
  setProgramEnabled,
  unsetOption,
} from "./edit.js";

/** The format's example: compact one-line objects inside a multi-line file. */
const sample = `{
  "$schema": "./setup-mac/schema.json",
  // comments anywhere
  "defaults": { "git": { "userName": "Lars" } },
  "hosts": {
    "macbook": { "platform": "darwin", "system": "aarch64-darwin", "user": "lars",
      "programs": { "vscode": { "fontSize": 15 }, "git": true, "vscodium": false } }
  }
}
`;

/** One program per line, with comments above and after entries. */
const expanded = `{
  "hosts": {
    "evo": {
      "platform": "nixos",
      // the programs
      "programs": {
        // editor
        "vscode": { "a": 1 }, // trailing
        "git": { "b": 2 } // git
      }
    },
    "empty": {
      "programs": {}
    },
    "bare": { "platform": "nixos" }
  }
}
`;

describe("setProgramEnabled", () => {
  it("adds a program to a one-line programs object without reformatting it", () => {
    expect(setProgramEnabled(sample, "macbook", "ollama", true)).toBe(
      sample.replace(`"vscodium": false }`, `"vscodium": false, "ollama": true }`),
    );
  });

  it("adds a program on its own line after the last one, keeping that line's comment", () => {
    expect(setProgramEnabled(expanded, "evo", "zed", true)).toBe(
      expanded.replace(
        `        "git": { "b": 2 } // git\n`,
        `        "git": { "b": 2 }, // git\n        "zed": true\n`,
      ),
    );
  });

  it("expands an empty programs object in a multi-line file", () => {
    expect(setProgramEnabled(expanded, "empty", "zed", true)).toBe(
      expanded.replace(
        `      "programs": {}\n`,
        `      "programs": {\n        "zed": true\n      }\n`,
      ),
    );
  });

  it("creates the programs object of a host that has none", () => {
    expect(setProgramEnabled(expanded, "bare", "zed", true)).toBe(
      expanded.replace(
        `"bare": { "platform": "nixos" }`,
        `"bare": { "platform": "nixos", "programs": { "zed": true } }`,
      ),
    );
  });

  it("keeps a trailing-comma style and a last property that shares the closing brace's line", () => {
    const trailing = `{\n  "hosts": {\n    "h": {\n      "programs": {\n        "git": true,\n      },\n    },\n  },\n}\n`;
    expect(setProgramEnabled(trailing, "h", "zed", true)).toBe(
      trailing.replace(`"git": true,\n`, `"git": true,\n        "zed": true,\n`),
    );
    const tight = `{\n  "hosts": { "h": {\n    "programs": {\n      "git": true } } }\n}\n`;
    expect(setProgramEnabled(tight, "h", "zed", true)).toBe(
      tight.replace(`"git": true }`, `"git": true,\n      "zed": true }`),
    );
  });

  it("leaves an enabled program alone, whether `true` or an object of options", () => {
    expect(setProgramEnabled(sample, "macbook", "git", true)).toBe(sample);
    expect(setProgramEnabled(sample, "macbook", "vscode", true)).toBe(sample);
  });

  it("turns `false` into `true` when enabling", () => {
    expect(setProgramEnabled(sample, "macbook", "vscodium", true)).toBe(
      sample.replace(`"vscodium": false`, `"vscodium": true`),
    );
  });

  it("removes the entry when disabling, keeping the comma structure valid", () => {
    expect(setProgramEnabled(sample, "macbook", "vscode", false)).toBe(
      sample.replace(`{ "vscode": { "fontSize": 15 }, "git"`, `{ "git"`),
    );
    expect(setProgramEnabled(expanded, "evo", "git", false)).toBe(
      expanded.replace(
        `        "vscode": { "a": 1 }, // trailing\n        "git": { "b": 2 } // git\n`,
        `        "vscode": { "a": 1 } // trailing\n`,
      ),
    );
    expect(setProgramEnabled(expanded, "evo", "vscode", false)).toBe(
      expanded.replace(`        "vscode": { "a": 1 }, // trailing\n`, ""),
    );
  });

  it("writes `false` with keepFalse, for a program that `requires` would switch on", () => {
    expect(setProgramEnabled(sample, "macbook", "git", false, { keepFalse: true })).toBe(
      sample.replace(`"git": true`, `"git": false`),
    );
    expect(setProgramEnabled(sample, "macbook", "zed", false, { keepFalse: true })).toBe(
      sample.replace(`"vscodium": false }`, `"vscodium": false, "zed": false }`),
    );
  });

  it("keeps an explicit `false` and ignores absent programs when disabling", () => {
    expect(setProgramEnabled(sample, "macbook", "vscodium", false)).toBe(sample);
    expect(setProgramEnabled(sample, "macbook", "zed", false)).toBe(sample);
  });
});

describe("setOption", () => {
  it("turns `true` into an object holding the option", () => {
    expect(setOption(sample, "macbook", "git", ["extraConfig", "pull.rebase"], true)).toBe(
      sample.replace(`"git": true`, `"git": { "extraConfig": { "pull.rebase": true } }`),
    );
  });

  it("replaces an existing value and adds to an existing object", () => {
    expect(setOption(sample, "macbook", "vscode", ["fontSize"], 16)).toBe(
      sample.replace(`"fontSize": 15`, `"fontSize": 16`),
    );
    expect(setOption(expanded, "evo", "vscode", ["settings"], { "a.b": [1, 2] })).toBe(
      expanded.replace(`{ "a": 1 }`, `{ "a": 1, "settings": { "a.b": [1, 2] } }`),
    );
  });

  it("renders a new value over several lines where the surroundings are multi-line", () => {
    const text = `{\n  "hosts": {\n    "h": {\n      "programs": {\n        "git": true\n      }\n    }\n  }\n}\n`;
    expect(setOption(text, "h", "git", ["aliases"], { co: "checkout" })).toBe(
      `{\n  "hosts": {\n    "h": {\n      "programs": {\n        "git": {\n          "aliases": {\n            "co": "checkout"\n          }\n        }\n      }\n    }\n  }\n}\n`,
    );
  });

  it("writes defaults with host null", () => {
    expect(setOption(sample, null, "vscode", ["fontSize"], 12)).toBe(
      sample.replace(
        `"defaults": { "git": { "userName": "Lars" } }`,
        `"defaults": { "git": { "userName": "Lars" }, "vscode": { "fontSize": 12 } }`,
      ),
    );
    expect(setOption(sample, null, "git", ["userName"], "L. S.")).toBe(
      sample.replace(`"Lars"`, `"L. S."`),
    );
  });

  it("creates the defaults object when the file has none", () => {
    expect(setOption(expanded, null, "git", ["userName"], "Lars")).toBe(
      expanded.replace(
        `      "programs": {}\n    },\n    "bare": { "platform": "nixos" }\n  }\n`,
        `      "programs": {}\n    },\n    "bare": { "platform": "nixos" }\n  },\n  "defaults": {\n    "git": {\n      "userName": "Lars"\n    }\n  }\n`,
      ),
    );
  });

  it("refuses to configure a program the host disables", () => {
    expect(() => setOption(sample, "macbook", "vscodium", ["fontSize"], 12)).toThrow(
      ProgramDisabledError,
    );
    expect(() => setOption(sample, "macbook", "vscodium", ["fontSize"], 12)).toThrow(
      'setup-mac.jsonc:7:64: error[program-disabled] (host macbook): `vscodium` is disabled on host `macbook` (`"vscodium": false`), so its options would have no effect\n' +
        "  fix: enable it first: setup-mac --host macbook programs enable vscodium",
    );
  });

  it("refuses to write through a value that is not an object", () => {
    const text = setOption(sample, "macbook", "vscode", ["settings"], 3);
    expect(() => setOption(text, "macbook", "vscode", ["settings", "x"], 1)).toThrow(
      ConfigShapeError,
    );
    expect(() => setOption(text, "macbook", "vscode", ["settings", "x"], 1)).toThrow(
      "`hosts.macbook.programs.vscode.settings` is a number 3; expected an object",
    );
  });

  it("rejects values JSON cannot hold and empty key paths", () => {
    expect(() => setOption(sample, "macbook", "git", ["x"], undefined)).toThrow(TypeError);
    expect(() => setOption(sample, "macbook", "git", ["x"], Number.NaN)).toThrow(TypeError);
    expect(() => setOption(sample, "macbook", "git", ["x"], { d: new Date(0) })).toThrow(TypeError);
    expect(() => setOption(sample, "macbook", "git", [], 1)).toThrow(TypeError);
  });

  it("escapes keys and values", () => {
    const text = setOption(sample, "macbook", "git", ['we"ird\nkey'], 'a "quoted"\nvalue');
    expect(getOption(text, "macbook", "git", ['we"ird\nkey'])).toBe('a "quoted"\nvalue');
  });
});

describe("unsetOption", () => {
  it("turns a host entry left empty back into `true`", () => {
    expect(unsetOption(sample, "macbook", "vscode", ["fontSize"])).toBe(
      sample.replace(`"vscode": { "fontSize": 15 }`, `"vscode": true`),
    );
  });

  it("removes one key and keeps the others", () => {
    const text = setOption(sample, "macbook", "vscode", ["theme"], "dark");
    expect(unsetOption(text, "macbook", "vscode", ["fontSize"])).toBe(
      sample.replace(`{ "fontSize": 15 }`, `{ "theme": "dark" }`),
    );
  });

  it("removes objects left empty, up to the program in defaults", () => {
    expect(unsetOption(sample, null, "git", ["userName"])).toBe(
      sample.replace(`{ "git": { "userName": "Lars" } }`, `{}`),
    );
    const nested = setOption(sample, "macbook", "vscode", ["settings", "editor", "ruler"], 80);
    expect(unsetOption(nested, "macbook", "vscode", ["settings", "editor", "ruler"])).toBe(sample);
  });

  it("changes nothing when the option is not set", () => {
    expect(unsetOption(sample, "macbook", "vscode", ["nope"])).toBe(sample);
    expect(unsetOption(sample, "macbook", "git", ["nope"])).toBe(sample);
    expect(unsetOption(sample, null, "zed", ["nope"])).toBe(sample);
  });
});

describe("getOption and getProgramEntry", () => {
  it("read values as written, without merging defaults", () => {
    expect(getOption(sample, "macbook", "vscode", ["fontSize"])).toBe(15);
    expect(getOption(sample, null, "git", ["userName"])).toBe("Lars");
    expect(getOption(sample, "macbook", "git", ["userName"])).toBeUndefined();
    expect(getOption(sample, "macbook", "zed", ["x"])).toBeUndefined();
    expect(getProgramEntry(sample, "macbook", "vscode")).toEqual({ fontSize: 15 });
    expect(getProgramEntry(sample, "macbook", "git")).toBe(true);
    expect(getProgramEntry(sample, "macbook", "vscodium")).toBe(false);
    expect(getProgramEntry(sample, "macbook", "zed")).toBeUndefined();
  });
});

describe("errors", () => {
  it("names an unknown host, with a suggestion", () => {
    const edit = () => setProgramEnabled(sample, "macbok", "git", true);
    expect(edit).toThrow(HostNotFoundError);
    expect(edit).toThrow(
      "setup-mac.jsonc: error[unknown-host]: host `macbok` is not in setup-mac.jsonc (hosts: `macbook`)\n" +
        "  fix: did you mean `macbook`? Pass --host macbook",
    );
    expect(() =>
      getOption(sample, "nowhere", "git", ["x"], { file: "cfg/setup-mac.jsonc" }),
    ).toThrow(
      "cfg/setup-mac.jsonc: error[unknown-host]: host `nowhere` is not in cfg/setup-mac.jsonc (hosts: `macbook`)\n" +
        `  fix: add it under "hosts" in cfg/setup-mac.jsonc, or pass --host with one of the hosts above`,
    );
  });

  it("reports invalid JSONC with line and column", () => {
    const broken = `{\n  "hosts": {\n    "a": { "platform": "nixos" }\n    "b": {}\n  }\n}\n`;
    let error: unknown;
    try {
      setProgramEnabled(broken, "a", "git", true);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigSyntaxError);
    expect(error).toMatchObject({ line: 4, column: 5, parseError: "CommaExpected" });
    expect((error as Error).message).toBe(
      "setup-mac.jsonc:4:5: error[config-syntax]: invalid JSONC: expected `,`\n" +
        "  fix: fix the syntax at this position (comments and trailing commas are allowed), then run the command again",
    );
    expect(() => getOption("", null, "git", ["x"])).toThrow(ConfigSyntaxError);
    expect(() => getOption("/* open", null, "git", ["x"])).toThrow(/unterminated comment/);
  });

  it("reports values of the wrong shape on the way to the edit", () => {
    expect(() => setProgramEnabled(`[]`, "a", "git", true)).toThrow(ConfigShapeError);
    expect(() =>
      setProgramEnabled(`{ "hosts": { "a": { "programs": "git" } } }`, "a", "git", true),
    ).toThrow(
      'setup-mac.jsonc:1:21: error[config-shape]: `hosts.a.programs` is a string "git"; expected an object',
    );
    expect(() =>
      getProgramEntry(`{ "hosts": { "a": { "programs": { "git": 1 } } } }`, "a", "git"),
    ).toThrow(
      "`hosts.a.programs.git` is a number 1; expected true, false or an object of option values",
    );
  });
});

describe("formatting styles", () => {
  const tabs =
    '{\n\t"hosts": {\n\t\t"h": {\n\t\t\t"programs": {\n\t\t\t\t"git": true\n\t\t\t}\n\t\t}\n\t}\n}\n';

  it("detects tabs, 2 and 4 spaces, and CRLF", () => {
    expect(detectFormatting(tabs)).toEqual({ insertSpaces: false, tabSize: 2, eol: "\n" });
    expect(detectFormatting(sample)).toEqual({ insertSpaces: true, tabSize: 2, eol: "\n" });
    expect(detectFormatting(tabs.replace(/\t/g, "    "))).toEqual({
      insertSpaces: true,
      tabSize: 4,
      eol: "\n",
    });
    expect(detectFormatting(sample.replace(/\n/g, "\r\n"))).toMatchObject({ eol: "\r\n" });
    expect(detectFormatting("{}")).toEqual({ insertSpaces: true, tabSize: 2, eol: "\n" });
  });

  it("indents new lines with tabs in a tab-indented file", () => {
    expect(setOption(tabs, "h", "git", ["lfs"], { enable: true })).toBe(
      '{\n\t"hosts": {\n\t\t"h": {\n\t\t\t"programs": {\n\t\t\t\t"git": {\n\t\t\t\t\t"lfs": {\n\t\t\t\t\t\t"enable": true\n\t\t\t\t\t}\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n}\n',
    );
    expect(setProgramEnabled(tabs, "h", "zed", true)).toBe(
      tabs.replace('\t\t\t\t"git": true\n', '\t\t\t\t"git": true,\n\t\t\t\t"zed": true\n'),
    );
  });

  it("indents with four spaces in a four-space file", () => {
    const four = tabs.replace(/\t/g, "    ");
    expect(setOption(four, "h", "git", ["lfs"], 1)).toBe(
      four.replace(
        '            "programs": {\n                "git": true\n',
        '            "programs": {\n                "git": {\n                    "lfs": 1\n                }\n',
      ),
    );
  });

  it("keeps CRLF line endings", () => {
    const crlf = expanded.replace(/\n/g, "\r\n");
    const edited = setOption(
      setProgramEnabled(setProgramEnabled(crlf, "evo", "zed", true), "empty", "zed", true),
      "evo",
      "zed",
      ["x"],
      { y: [1] },
    );
    expect(edited).not.toMatch(/[^\r]\n/);
    expect(edited.replace(/\r\n/g, "\n")).toBe(
      setOption(
        setProgramEnabled(setProgramEnabled(expanded, "evo", "zed", true), "empty", "zed", true),
        "evo",
        "zed",
        ["x"],
        { y: [1] },
      ),
    );
  });
});

describe("properties", () => {
  /** A commented workspace: the comments marked KEEP lie outside every subtree the operations touch. */
  const commented = `// KEEP header
{
  "$schema": "./setup-mac/schema.json", // KEEP schema
  /* KEEP block
     over two lines */
  "defaults": {
    // KEEP inside defaults
    "git": { "userName": "Lars" }
  },
  "hosts": {
    // KEEP before macbook
    "macbook": { "platform": "darwin", "system": "aarch64-darwin", "user": "lars",
      "programs": { "vscode": { "fontSize": 15 }, "git": true } },
    "evo": {
      "platform": "nixos", // KEEP platform
      "system": "x86_64-linux",
      "user": "lars",
      "programs": {
        "vscode": true,
        "git": {
          "userEmail": "l@example.org"
        }
      }
    }
  }
  // KEEP end
}
`;
  const keepComments = commented.match(/(\/\/|\/\*) KEEP[^\n]*/g) ?? [];

  const key = fc.constantFrom(
    ["fontSize"],
    ["theme"],
    ["settings", "editor.ruler"],
    ["settings", 'we"ird'],
    ["extra", "deep", "x"],
  );
  const value = fc.oneof(
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(
      fc.string({ minLength: 1 }).filter((k) => k !== "__proto__"),
      fc.integer(),
      { maxKeys: 3 },
    ),
  );
  const op = fc.record({
    kind: fc.constantFrom("set", "set", "unset", "enable", "disable"),
    host: fc.constantFrom<string | null>("macbook", "evo", null),
    program: fc.constantFrom("vscode", "git", "zed"),
    key,
    value,
  });

  it("random set/unset/enable/disable sequences keep the file valid, readable and its comments", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        let text = commented;
        const model = new Map<string, unknown>();
        for (const o of ops) {
          const id = JSON.stringify([o.host, o.program, o.key]);
          if (o.kind === "enable" || o.kind === "disable") {
            if (o.host === null) continue;
            text = setProgramEnabled(text, o.host, o.program, o.kind === "enable");
            if (o.kind === "disable") {
              // Disabling drops the program's entry and with it every option value on that host.
              for (const entry of model.keys()) {
                const [h, p] = JSON.parse(entry) as [string | null, string];
                if (h === o.host && p === o.program) model.set(entry, undefined);
              }
            }
          } else if (o.kind === "set") {
            text = setOption(text, o.host, o.program, o.key, o.value);
            model.set(id, o.value);
          } else {
            text = unsetOption(text, o.host, o.program, o.key);
            model.set(id, undefined);
          }
          const errors: ParseError[] = [];
          parse(text, errors, { allowTrailingComma: true });
          expect(errors).toEqual([]);
          for (const [entry, expected] of model) {
            const [host, program, keyPath] = JSON.parse(entry) as [string | null, string, string[]];
            expect(getOption(text, host, program, keyPath)).toEqual(expected);
          }
        }
        for (const comment of keepComments) expect(text).toContain(comment);
      }),
      { numRuns: 200 },
    );
  });

  it("enable then disable returns the original text for a program that was absent", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("macbook", "evo"),
        fc.constantFrom("zed", "ollama"),
        (host, program) => {
          const enabled = setProgramEnabled(commented, host, program, true);
          expect(getProgramEntry(enabled, host, program)).toBe(true);
          expect(setProgramEnabled(enabled, host, program, true)).toBe(enabled);
          expect(setProgramEnabled(enabled, host, program, false)).toBe(commented);
        },
      ),
    );
  });
});
