import fc from "fast-check";
import { parse as parseIni } from "ini";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { FileRenderError, renderFile } from "./render.js";
import { errorOf as errorOfType } from "../../../test/helpers/hostile.js";

const hostile = {
  home: "%h",
  var: "$HOME ${x} $(id) `id`",
  quotes: `"double" 'single'`,
  backslash: "C:\\path\\",
  shell: "; rm -rf ~",
};

const errorOf = (fn: () => unknown): FileRenderError => errorOfType(FileRenderError, fn);

describe("renderFile", () => {
  it("writes JSON with two spaces, the author's key order and a final newline", () => {
    expect(renderFile({ format: "json", value: { b: 1, a: [true, null], ...hostile } })).toBe(
      [
        "{",
        '  "b": 1,',
        '  "a": [',
        "    true,",
        "    null",
        "  ],",
        '  "home": "%h",',
        '  "var": "$HOME ${x} $(id) `id`",',
        '  "quotes": "\\"double\\" \'single\'",',
        '  "backslash": "C:\\\\path\\\\",',
        '  "shell": "; rm -rf ~"',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps text byte for byte", () => {
    expect(renderFile({ format: "text", value: "a\n$HOME %h\r\n" })).toBe("a\n$HOME %h\r\n");
  });

  it("writes YAML that reads back the same", () => {
    const value = { ...hostile, list: [1, "two", { three: 3 }], multi: "a\nb" };
    const text = renderFile({ format: "yaml", value });
    expect(parseYaml(text)).toEqual(value);
    expect(text).toContain("var: $HOME ${x} $(id) `id`\n");
  });

  it("quotes YAML strings a YAML 1.1 reader would take for booleans or numbers", () => {
    const value = { on: "on", yes: "yes", time: "1:20", octal: "0o14", n: 1 };
    const text = renderFile({ format: "yaml", value });
    expect(text).toBe('"on": "on"\n"yes": "yes"\n"time": "1:20"\n"octal": "0o14"\n"n": 1\n');
    expect(parseYaml(text, { version: "1.1" })).toEqual(value);
    expect(parseYaml(text, { version: "1.2" })).toEqual(value);
  });

  it("writes TOML with tables after scalars", () => {
    const text = renderFile({ format: "toml", value: { server: { port: 8080 }, name: "x" } });
    expect(text).toBe('name = "x"\n\n[server]\nport = 8080\n');
    expect(
      parseToml(renderFile({ format: "toml", value: { ...hostile, t: { ...hostile } } })),
    ).toEqual({ ...hostile, t: hostile });
  });

  it("writes INI sections and list keys", () => {
    const text = renderFile({
      format: "ini",
      value: { top: "v", core: { editor: "code --wait", n: 1 }, list: ["a", "b"] },
    });
    expect(text).toBe("top = v\nlist[] = a\nlist[] = b\n\n[core]\neditor = code --wait\nn = 1\n");
  });

  it("refuses what a format cannot hold, naming the format and the key path", () => {
    expect(errorOf(() => renderFile({ format: "toml", value: ["a"] })).message).toBe(
      "cannot write toml file: expected a table (an object of keys), got a list at the top level",
    );
    expect(
      errorOf(() => renderFile({ format: "toml", value: { server: { ports: [1, null] } } }))
        .message,
    ).toBe("cannot write toml file: null has no TOML form at server.ports[1]");
    expect(
      errorOf(() => renderFile({ format: "ini", value: { a: { b: { c: 1 } } } })).message,
    ).toBe(
      "cannot write ini file: an object nested 3 levels deep; INI holds only sections of keys (2 levels) at a.b",
    );
    expect(errorOf(() => renderFile({ format: "ini", value: { a: { b: "x\ny" } } })).message).toBe(
      "cannot write ini file: a line break, which INI cannot hold at a.b",
    );
    expect(errorOf(() => renderFile({ format: "ini", value: { "a]b": { x: 1 } } })).message).toBe(
      'cannot write ini file: a key or value that INI cannot write so it reads back the same at ["a]b"]',
    );
    expect(
      errorOf(() => renderFile({ format: "json", value: { a: { "b.c": NaN } } })).message,
    ).toBe('cannot write json file: NaN has no JSON form at a["b.c"]');
    expect(errorOf(() => renderFile({ format: "json", value: { d: new Date(0) } })).message).toBe(
      "cannot write json file: a Date is not plain data at d",
    );
    expect(errorOf(() => renderFile({ format: "yaml", value: { u: undefined } })).message).toBe(
      "cannot write yaml file: undefined is not a value at u",
    );
    expect(errorOf(() => renderFile({ format: "text", value: 3 })).message).toBe(
      "cannot write text file: expected a string, got number 3 at the top level",
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorOf(() => renderFile({ format: "json", value: cyclic })).message).toBe(
      "cannot write json file: the value contains itself at self",
    );
  });

  it("round-trips random data in every structured format, the same bytes for the same data", () => {
    const key = fc.string({ minLength: 1, maxLength: 8 });
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    const table = fc.dictionary(key, fc.oneof(scalar, fc.dictionary(key, scalar)));
    fc.assert(
      fc.property(table, (value) => {
        expect(parseYaml(renderFile({ format: "yaml", value }))).toEqual(value);
        expect(parseToml(renderFile({ format: "toml", value }))).toEqual(value);
        expect(JSON.parse(renderFile({ format: "json", value }))).toEqual(value);
        // Same data, same bytes: a deep copy (keys in the module's order) renders identically.
        const copy = structuredClone(value);
        for (const format of ["yaml", "toml", "json"] as const)
          expect(renderFile({ format, value: copy })).toBe(renderFile({ format, value }));
      }),
    );
  });

  it("either writes INI that reads back the same or refuses it", () => {
    const key = fc.string({ minLength: 1, maxLength: 6 });
    const scalar = fc.string({ maxLength: 6 });
    const table = fc.dictionary(key, fc.oneof(scalar, fc.dictionary(key, scalar)));
    fc.assert(
      fc.property(table, (value) => {
        let text: string;
        try {
          text = renderFile({ format: "ini", value });
        } catch (error) {
          expect(error).toBeInstanceOf(FileRenderError);
          return;
        }
        const back = parseIni(text) as Record<string, unknown>;
        for (const [k, v] of Object.entries(value)) {
          if (typeof v === "string") {
            expect(String(back[k])).toBe(v);
            continue;
          }
          for (const [inner, item] of Object.entries(v)) {
            expect(String((back[k] as Record<string, unknown>)[inner])).toBe(item);
          }
        }
      }),
    );
  });
});
