import { parseTree } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import { formatDiagnosticPlain, SetupMacError } from "../errors/index.js";
import { parseConfig } from "../load/config.js";
import { duplicateKeys } from "./duplicates.js";
import { setProgramEnabled } from "./edit.js";

const twice = `{
  "hosts": {
    "mac": {
      "platform": "darwin", "system": "aarch64-darwin", "user": "lars",
      "programs": {
        "bat": true,
        "git": true,
        "bat": false
      }
    }
  }
}
`;

const check = (text: string) =>
  duplicateKeys(parseTree(text), text, "setup-mac.jsonc").map(formatDiagnosticPlain);

describe("duplicateKeys", () => {
  it("names both lines of a program given twice, pointing at the later copy", () => {
    expect(check(twice)).toEqual([
      "setup-mac.jsonc:8:9: error[config-duplicate-key]: `bat` appears twice in `hosts.mac.programs`, at lines 6 and 8: which one counts is undefined\n" +
        "  fix: keep one `bat` in `hosts.mac.programs` (merge what the copies say into it) and delete the other",
    ]);
  });

  it("finds a host twice, `hosts` twice and a key three times, in line order", () => {
    const text = `{
  "hosts": { "a": {}, "b": {} },
  "hosts": { "a": { "programs": { "x": 1, "x": 2, "x": 3 } }, "a": {} }
}`;
    expect(check(text)).toEqual([
      expect.stringContaining(
        "setup-mac.jsonc:3:3: error[config-duplicate-key]: `hosts` appears twice in the top level, at lines 2 and 3",
      ),
      expect.stringContaining(
        "setup-mac.jsonc:3:51: error[config-duplicate-key]: `x` appears 3 times in `hosts.a.programs`, at line 3, columns 35, 43 and 51",
      ),
      expect.stringContaining(
        "setup-mac.jsonc:3:63: error[config-duplicate-key]: `a` appears twice in `hosts`, at line 3, columns 14 and 63",
      ),
    ]);
    expect(check(text)[1]).toContain("and delete the others");
  });

  it("looks inside arrays, and leaves the same key in different objects alone", () => {
    expect(check(`{ "a": { "k": 1 }, "b": { "k": 1 }, "l": [{ "k": 1 }] }`)).toEqual([]);
    expect(check(`{ "l": [{}, { "k": 1,\n "k": 2 }] }`)).toEqual([
      expect.stringContaining("`k` appears twice in `l.1`, at lines 1 and 2"),
    ]);
  });

  it("is refused by the loader and by the editor alike, so they cannot disagree", () => {
    const loaded = parseConfig(twice);
    expect(loaded.ok).toBe(false);
    expect(!loaded.ok && loaded.diagnostics.map((d) => d.code)).toEqual(["config-duplicate-key"]);
    let thrown: unknown;
    try {
      setProgramEnabled(twice, "mac", "bat", false);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SetupMacError);
    expect((thrown as SetupMacError).diagnostics).toEqual(!loaded.ok && loaded.diagnostics);
  });
});
