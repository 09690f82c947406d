import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { parse } from "plist";
import { describe, expect, it } from "vitest";
import type { ServiceLock } from "../lock-types.js";
import { LaunchdRenderError, renderLaunchdPlist, renderPlist, type PlistValue } from "./plist.js";
import { errorOf as errorOfType, HOSTILE } from "../../../test/helpers/hostile.js";

const ctx = {
  resolveArg: (arg: ServiceLock["command"][number]) =>
    typeof arg === "string" ? arg : `/run/current-system/sw/bin/${arg.bin}`,
};

const base: ServiceLock = {
  unit: "setup-mac-demo-server",
  label: "org.setup-mac.demo.server",
  scope: "user",
  description: "Demo server",
  command: [{ bin: "demo", pkg: "demo" }],
  restart: "on-failure",
};

const errorOf = (fn: () => unknown): LaunchdRenderError => errorOfType(LaunchdRenderError, fn);

describe("renderLaunchdPlist", () => {
  it("renders a kept-alive agent with hostile arguments arriving literally", () => {
    const argv = [...HOSTILE, "<&>"];
    const xml = renderLaunchdPlist(
      {
        ...base,
        command: [{ bin: "demo", pkg: "demo" }, ...argv],
        environment: { Z: "last", A: "$HOME & <x>" },
        workingDirectory: "/Users/me/my projects",
        logs: "/Users/me/Library/Logs/demo.log",
      },
      ctx,
    );
    const parsed = parse(xml) as { ProgramArguments: string[] };
    // As nix-darwin and home-manager render a command: through /bin/sh, waiting for the store.
    const [sh, dashC, script] = parsed.ProgramArguments;
    expect([sh, dashC]).toEqual(["/bin/sh", "-c"]);
    const prefix = "/bin/wait4path /nix/store && exec /run/current-system/sw/bin/demo ";
    expect(script!.startsWith(prefix)).toBe(true);
    // A real shell hands every hostile argument over literally.
    const words = execFileSync(
      "/bin/sh",
      ["-c", `printf '%s\\0' ${script!.slice(prefix.length)}`],
      {
        encoding: "utf8",
      },
    );
    expect(words.split("\0").slice(0, -1)).toEqual(argv);
    expect(parsed).toEqual({
      EnvironmentVariables: { A: "$HOME & <x>", Z: "last" },
      KeepAlive: { SuccessfulExit: false },
      Label: "org.setup-mac.demo.server",
      ProgramArguments: ["/bin/sh", "-c", script],
      RunAtLoad: true,
      StandardErrorPath: "/Users/me/Library/Logs/demo.log",
      StandardOutPath: "/Users/me/Library/Logs/demo.log",
      WorkingDirectory: "/Users/me/my projects",
    });
    expect(xml).toContain("<string>$HOME &amp; &lt;x&gt;</string>");
    expect(xml.indexOf("<key>EnvironmentVariables</key>")).toBeLessThan(
      xml.indexOf("<key>Label</key>"),
    );
    // nixpkgs' toPlist ends without a newline.
    expect(xml.endsWith("</plist>")).toBe(true);
  });

  it("maps restart policies to KeepAlive", () => {
    const keepAlive = (restart: ServiceLock["restart"]) =>
      (parse(renderLaunchdPlist({ ...base, restart }, ctx)) as Record<string, unknown>).KeepAlive;
    expect(keepAlive("always")).toBe(true);
    expect(keepAlive("on-failure")).toEqual({ SuccessfulExit: false });
    expect(keepAlive("never")).toBe(false);
  });

  it("schedules with StartInterval or StartCalendarInterval and does not run at load", () => {
    const every = parse(renderLaunchdPlist({ ...base, schedule: { every: 900 } }, ctx));
    expect(every).toMatchObject({ StartInterval: 900, RunAtLoad: false, KeepAlive: false });
    const calendar = parse(
      renderLaunchdPlist(
        { ...base, restart: "never", schedule: { calendar: { weekday: 1, hour: 3, minute: 30 } } },
        ctx,
      ),
    );
    expect(calendar).toMatchObject({
      StartCalendarInterval: [{ Hour: 3, Minute: 30, Weekday: 1 }],
      RunAtLoad: false,
    });
  });

  it("refuses NUL and other characters XML cannot hold", () => {
    expect(
      errorOf(() => renderLaunchdPlist({ ...base, command: ["/bin/echo", "a\0b"] }, ctx)).message,
    ).toBe(
      "cannot render org.setup-mac.demo.server.plist: command[1] contains a NUL character, which XML cannot hold",
    );
    expect(errorOf(() => renderPlist({ a: "x\r\ny" }, "x.plist")).message).toBe(
      "cannot render x.plist: a contains a carriage return, which the plist as Nix writes it (unescaped) would read back as a line feed",
    );
    expect(
      errorOf(() => renderLaunchdPlist({ ...base, environment: { A: "\u001b[0m" } }, ctx)).message,
    ).toBe(
      "cannot render org.setup-mac.demo.server.plist: EnvironmentVariables.A contains the character U+001B, which XML cannot hold",
    );
    expect(errorOf(() => renderPlist({ a: "x\u2028y" }, "x.plist")).message).toBe(
      "cannot render x.plist: a contains the character U+2028, which XML readers disagree on (XML 1.1 reads it as a line feed)",
    );
    expect(errorOf(() => renderLaunchdPlist({ ...base, logs: "~/x.log" }, ctx)).message).toBe(
      'cannot render org.setup-mac.demo.server.plist StandardOutPath: "~/x.log" is not an absolute path',
    );
  });

  it("builds plists that parse back to the same value", () => {
    const text = fc
      .string({
        unit: fc.oneof(
          fc.constantFrom("\t", "\n", "&", "<", "]]>", "é", "😀", " "),
          fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
        ),
      })
      .filter((s) => !/[\r\u0085\u2028\u2029]/.test(s));
    const leaf = fc.oneof(text, fc.integer(), fc.boolean());
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("tree")),
        fc.dictionary(
          text.filter((k) => k !== "__proto__"),
          tie("tree"),
        ),
      ),
    }));
    fc.assert(
      fc.property(
        fc.dictionary(
          text.filter((k) => k !== "__proto__"),
          tree,
        ),
        (value) => {
          const xml = renderPlist(value as PlistValue, "x.plist");
          expect(parse(xml)).toEqual(value);
          expect(renderPlist(value as PlistValue, "x.plist")).toBe(xml);
        },
      ),
      { numRuns: 100 },
    );
  });
});
