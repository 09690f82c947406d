import { describe, expect, it } from "vitest";
import { diagnostic, SetupMacError, UsageError } from "./index.js";
import { EXIT_CLASS, exitClass, exitStatus } from "./exit.js";

const d = (code: string, severity: "error" | "warning" = "error") => ({ code, severity });

describe("exitStatus", () => {
  it("is 0 without errors, warnings included", () => {
    expect(exitStatus([])).toBe(0);
    expect(exitStatus([d("switch-failed", "warning"), d("invalid-option", "warning")])).toBe(0);
  });

  it("gives each class its status; unknown codes are the configuration's", () => {
    expect(exitStatus([d("invalid-option")])).toBe(1);
    expect(exitStatus([d("a-code-nobody-listed")])).toBe(1);
    expect(exitStatus([d("usage")])).toBe(2);
    expect(exitStatus([d("workspace-busy")])).toBe(3);
    expect(exitStatus([d("switch-failed")])).toBe(4);
    expect(exitStatus([d("pack-archive")])).toBe(4);
  });

  it("lets usage beat configuration, and configuration beat outside failures", () => {
    expect(exitStatus([d("pack-fetch"), d("invalid-option")])).toBe(1);
    expect(exitStatus([d("pack-fetch"), d("workspace-busy")])).toBe(3);
    expect(exitStatus([d("invalid-option"), d("usage")])).toBe(2);
    expect(exitStatus([d("module-timeout"), d("evaluation-timeout")])).toBe(4);
  });

  it("classes the isolate's codes: time limits are outside, a module's own failures are not", () => {
    expect(["module-timeout", "evaluation-timeout"].map(exitClass)).toEqual(["outside", "outside"]);
    expect(
      [
        "module-out-of-memory",
        "module-exit",
        "module-crash",
        "isolate-crash",
        "module-impure-import",
      ].map(exitClass),
    ).toEqual(["config", "config", "config", "config", "config"]);
    expect(exitClass("__proto__")).toBe("config");
    expect(Object.keys(EXIT_CLASS).length).toBeGreaterThan(10);
  });

  it("is what a thrown SetupMacError carries unless it says otherwise", () => {
    expect(new SetupMacError(diagnostic("switch-failed", "x")).exitCode).toBe(4);
    expect(new SetupMacError(diagnostic("config-invalid", "x")).exitCode).toBe(1);
    expect(
      new SetupMacError(diagnostic("config-invalid", "x", { severity: "warning" })).exitCode,
    ).toBe(1);
    expect(new UsageError("bad flag").exitCode).toBe(2);
    expect(new SetupMacError(diagnostic("workspace-busy", "x"), 3).exitCode).toBe(3);
  });
});
