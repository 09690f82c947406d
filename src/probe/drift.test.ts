import { describe, expect, it } from "vitest";
import type { FileLock } from "../emit/lock-types.js";
import { fileDrift, firstMismatch } from "./drift.js";
import { findExecutable, localName } from "./local.js";

const whole: FileLock = { format: "text", text: "a\nb\nc\n", priority: 100 };
const merged: FileLock = {
  format: "json",
  text: '{\n  "editor.fontSize": 13,\n  "nested": { "a": 1 }\n}\n',
  value: { "editor.fontSize": 13, nested: { a: 1 } },
  merge: true,
  priority: 100,
};

describe("fileDrift", () => {
  it("a whole file must match byte for byte", () => {
    expect(fileDrift(whole, "a\nb\nc\n")).toEqual({ state: "ok" });
    expect(fileDrift(whole, undefined)).toEqual({ state: "missing" });
    expect(fileDrift(whole, "a\nB\nc\n")).toEqual({
      state: "edited",
      detail: "differs from line 2",
    });
    expect(fileDrift(whole, "a\nb\nc")).toEqual({ state: "edited", detail: "differs from line 3" });
  });

  it("a merge-mode file only has to keep the declared keys, comments and extra keys allowed", () => {
    const live = `// mine\n{ "editor.fontSize": 13, "nested": { "a": 1, "b": 2 }, "other": true, }\n`;
    expect(fileDrift(merged, live)).toEqual({ state: "ok" });
    expect(fileDrift(merged, '{ "editor.fontSize": 14, "nested": { "a": 1 } }')).toEqual({
      state: "drifted",
      detail: '["editor.fontSize"] differs from the declared value',
    });
    expect(fileDrift(merged, '{ "editor.fontSize": 13, "nested": {} }')).toEqual({
      state: "drifted",
      detail: "nested.a is missing",
    });
    expect(fileDrift(merged, "{ not json")).toEqual({
      state: "drifted",
      detail: "not valid json",
    });
  });

  it("merge-mode YAML is read as YAML", () => {
    const yaml: FileLock = {
      format: "yaml",
      text: "cpu: 4\n",
      value: { cpu: 4 },
      merge: true,
      priority: 100,
    };
    expect(fileDrift(yaml, "cpu: 4\nmemory: 8\n")).toEqual({ state: "ok" });
    expect(fileDrift(yaml, "cpu: 2\n").state).toBe("drifted");
  });

  it("arrays and scalars compare whole", () => {
    expect(firstMismatch({ a: [1, 2] }, { a: [1, 2] })).toBeUndefined();
    expect(firstMismatch({ a: [1, 2] }, { a: [1, 2, 3] })).toEqual({ path: ["a"], missing: false });
  });
});

describe("local machine", () => {
  it("is the host by short host name, or by an explicit name", () => {
    expect(localName({ hostname: "evo-x2.lan" })).toBe("evo-x2");
    expect(localName({ hostname: "vm" })).toBe("vm");
    expect(localName({ hostname: "vm", override: "evo-x2" })).toBe("evo-x2");
    expect(localName({ hostname: "vm", override: "" })).toBe("vm");
  });

  it("finds executables on a PATH list", () => {
    const present = new Set(["/b/git", "/abs/tool"]);
    const exec = (f: string) => present.has(f);
    expect(findExecutable("git", "/a::/b/", exec)).toBe("/b/git");
    expect(findExecutable("nope", "/a:/b", exec)).toBeUndefined();
    expect(findExecutable("/abs/tool", "", exec)).toBe("/abs/tool");
  });
});
