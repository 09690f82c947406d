import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ServiceLock } from "../lock-types.js";
import { onCalendar, renderSystemdService } from "./service.js";
import {
  parseExecStart,
  splitSystemdWords,
  unescapeSpecifiers,
} from "./systemd-words.test-helper.js";
import { command, environment, renderUnitFile, SystemdRenderError, text } from "./unit.js";
import { errorOf as errorOfType, HOSTILE } from "../../../test/helpers/hostile.js";

function envFile(env: Record<string, string>): string {
  const file = join(mkdtempSync(join(tmpdir(), "setup-mac-env-")), "env.json");
  writeFileSync(file, JSON.stringify(env));
  return file;
}

const ctx = {
  resolveArg: (arg: ServiceLock["command"][number]) =>
    typeof arg === "string" ? arg : `/bin/${arg.bin}`,
};

const base: ServiceLock = {
  unit: "setup-mac-demo-server",
  label: "org.setup-mac.demo.server",
  scope: "user",
  description: "Demo server",
  command: [{ bin: "demo", pkg: "demo" }],
  restart: "on-failure",
};

function line(value: ReturnType<typeof command>): string {
  const out = renderUnitFile({
    name: "t.service",
    sections: [{ name: "Service", entries: [{ key: "X", value }] }],
  });
  return out.split("\n")[1]?.slice("X=".length) ?? "";
}

const errorOf = (fn: () => unknown): SystemdRenderError => errorOfType(SystemdRenderError, fn);

describe("systemd quoting", () => {
  it("makes every hostile argument arrive literally", () => {
    const argv = ["/bin/echo", ...HOSTILE, ";", ""];
    const rendered = line(command(argv));
    expect(rendered).toBe(
      '/bin/echo %%h $$HOME "$${x}" "\\"" "\'" "\\\\" "a b" "; rm -rf ~" "$$(id)" "`id`" ";" ""',
    );
    expect(parseExecStart(rendered)).toEqual(argv);
  });

  it("quotes an executable with spaces and doubles its % but keeps its $ rule", () => {
    expect(line(command(["/opt/my app/100%/run", "x"]))).toBe('"/opt/my app/100%%/run" x');
  });

  it("writes Environment= quoted, with % doubled and $ untouched (systemd does not expand it there)", () => {
    expect(line(environment("A", 'x $HOME ${y} %h "q" \\ ; rm'))).toBe(
      '"A=x $HOME ${y} %%h \\"q\\" \\\\ ; rm"',
    );
    const [word] = splitSystemdWords(line(environment("A", "%h $HOME")));
    expect(unescapeSpecifiers(word ?? "")).toBe("A=%h $HOME");
  });

  it("round-trips random argv through systemd's unquoting", () => {
    const word = fc.string({ unit: fc.constantFrom(..."ab %$\\\"'`;{}()\t\x01é") });
    const exe = fc.constantFrom("/bin/true", "/opt/a b/x", "/p%/q", "prog");
    fc.assert(
      fc.property(exe, fc.array(word), (first, rest) => {
        const argv = [first, ...rest.filter((w) => !w.includes("\n"))];
        expect(parseExecStart(line(command(argv)))).toEqual(argv);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses line breaks and NUL with a typed error", () => {
    expect(errorOf(() => line(command(["/bin/echo", "a\nExecStartPre=/bin/evil"]))).message).toBe(
      'cannot render t.service [Service] X: "a\\nExecStartPre=/bin/evil" contains a line break, which a unit file cannot hold',
    );
    expect(errorOf(() => line(environment("A", "a\0b"))).message).toBe(
      'cannot render t.service [Service] X: "a\\u0000b" contains a NUL character',
    );
    expect(errorOf(() => line(text("a\rb"))).message).toBe(
      'cannot render t.service [Service] X: "a\\rb" contains a line break, which a unit file cannot hold',
    );
    expect(
      errorOf(() => renderSystemdService({ ...base, description: "one\ntwo" }, ctx)).message,
    ).toBe(
      'cannot render setup-mac-demo-server.service [Unit] Description: "one\\ntwo" contains a line break, which a unit file cannot hold',
    );
    expect(
      errorOf(() => renderSystemdService({ ...base, environment: { A: "x\0" } }, ctx)).message,
    ).toBe(
      'cannot render setup-mac-demo-server.service [Service] Environment: "x\\u0000" contains a NUL character',
    );
  });

  it("refuses executables systemd would refuse or misread", () => {
    expect(errorOf(() => line(command(['/opt/"q"/x']))).message).toBe(
      'cannot render t.service [Service] X: executable "/opt/\\"q\\"/x" contains a quote, a backslash or a control character, which systemd refuses in an executable',
    );
    expect(errorOf(() => line(command(["-x"]))).message).toBe(
      'cannot render t.service [Service] X: executable "-x" starts with a character systemd reads as an ExecStart= prefix',
    );
    expect(errorOf(() => line(command(["/a/$b"]))).message).toBe(
      'cannot render t.service [Service] X: executable "/a/$b" contains `$`, which systemd would substitute in the program\'s argv[0]',
    );
    expect(errorOf(() => line(environment("1A", "x"))).message).toBe(
      'cannot render t.service [Service] X: "1A" is not a variable name (letters, digits and _, not starting with a digit)',
    );
    expect(errorOf(() => line(text("trailing\\"))).message).toBe(
      'cannot render t.service [Service] X: "trailing\\\\" ends with a backslash, which systemd reads as a line continuation',
    );
  });
});

describe("renderSystemdService", () => {
  it("renders a long-running user service", () => {
    const { service, timer } = renderSystemdService(
      {
        ...base,
        command: [{ bin: "demo", pkg: "demo" }, "--port", "8080"],
        environment: { PORT: "8080", HOME_DIR: "%h" },
        workingDirectory: "/home/me/projects",
        after: ["network-online", "graphical"],
        logs: "/home/me/.local/state/demo.log",
      },
      ctx,
    );
    expect(timer).toBeUndefined();
    expect(service).toBe(
      [
        // Sections and keys sorted, as home-manager's toSystemdIni renders a user unit.
        "[Install]",
        "WantedBy=default.target",
        "",
        "[Service]",
        'Environment="HOME_DIR=%%h"',
        'Environment="PORT=8080"',
        "ExecStart=/bin/demo --port 8080",
        "Restart=on-failure",
        "StandardError=append:/home/me/.local/state/demo.log",
        "StandardOutput=append:/home/me/.local/state/demo.log",
        "WorkingDirectory=/home/me/projects",
        "",
        "[Unit]",
        "After=network-online.target graphical-session.target",
        "Description=Demo server",
        "Wants=network-online.target",
        "",
      ].join("\n"),
    );
  });

  it("renders a scheduled system service as a oneshot and a timer", () => {
    const { service, timer } = renderSystemdService(
      {
        ...base,
        scope: "system",
        restart: "never",
        schedule: { calendar: { weekday: 7, hour: 3, minute: 0 } },
      },
      ctx,
    );
    // NixOS' layout (decision 0025): keys sorted, its own environment first, no [Install] on
    // a service its timer starts, two blank lines before a timer's [Install].
    const store = (p: string): string => `/nix/store/...-${p}`;
    const path = ["coreutils", "findutils", "gnugrep", "gnused", "systemd"];
    expect(service).toBe(
      "[Unit]\nDescription=Demo server\n\n[Service]\n" +
        `Environment="LOCALE_ARCHIVE=${store("glibcLocales")}/lib/locale/locale-archive"\n` +
        `Environment="PATH=${[...path.map((p) => `${store(p)}/bin`), ...path.map((p) => `${store(p)}/sbin`)].join(":")}"\n` +
        `Environment="TZDIR=${store("tzdata")}/share/zoneinfo"\n` +
        "ExecStart=/bin/demo\nRestart=no\nType=oneshot\n",
    );
    expect(timer).toBe(
      "[Unit]\nDescription=Demo server\n\n[Timer]\nOnCalendar=Sun *-*-* 03:00:00\nPersistent=true\n\n\n[Install]\nWantedBy=timers.target\n",
    );
  });

  it("writes a system service's Environment= as NixOS does: Nix' toJSON of the %-doubled value", () => {
    const values = [...HOSTILE, "tab\there", "é ü", "100%"];
    const own = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const { service } = renderSystemdService({ ...base, scope: "system", environment: own }, ctx);
    const lines = service.split("\n").filter((l) => /^Environment="V\d+=/.test(l));
    expect(lines).toHaveLength(values.length);
    // systemd reads each value back as given.
    const read = Object.fromEntries(
      lines.map((l) => {
        const [word] = splitSystemdWords(l.slice("Environment=".length));
        const assignment = unescapeSpecifiers(word!);
        return [
          assignment.slice(0, assignment.indexOf("=")),
          assignment.slice(assignment.indexOf("=") + 1),
        ];
      }),
    );
    expect(read).toEqual(own);
    // And the bytes are those NixOS writes from what nix/nixos.nix hands it.
    const expr = `builtins.concatStringsSep "\\n" (builtins.attrValues (builtins.mapAttrs (n: v: "Environment=\${builtins.toJSON "\${n}=\${builtins.replaceStrings [ "%" ] [ "%%" ] v}"}") (builtins.fromJSON (builtins.readFile ${JSON.stringify(envFile(own))}))))`;
    const nix = spawnSync(
      "nix-instantiate",
      ["--store", "dummy://", "--eval", "--strict", "--json", "--expr", expr],
      {
        encoding: "utf8",
      },
    );
    expect(nix.stderr).toBe("");
    expect(lines).toEqual((JSON.parse(nix.stdout) as string).split("\n"));
  });

  it("maps calendars field by field", () => {
    expect(onCalendar({})).toBe("*-*-* *:*:00");
    expect(onCalendar({ minute: 5 })).toBe("*-*-* *:05:00");
    expect(onCalendar({ month: 2, day: 1, hour: 0, minute: 0 })).toBe("*-02-01 00:00:00");
    expect(onCalendar({ weekday: 0 })).toBe("Sun *-*-* *:*:00");
    expect(errorOf(() => onCalendar({ hour: 24 })).message).toBe(
      "cannot render OnCalendar: calendar hour 24 is not in 0..23",
    );
  });

  it("refuses a scheduled service that restarts always", () => {
    expect(
      errorOf(() =>
        renderSystemdService({ ...base, restart: "always", schedule: { every: 60 } }, ctx),
      ).message,
    ).toBe(
      'cannot render setup-mac-demo-server.service: a scheduled service cannot restart "always" (it would never finish); use "on-failure" or "never"',
    );
  });
});
