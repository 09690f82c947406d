/**
 * Injection: values full of shell and systemd syntax, from a module, through evaluation, the
 * previews and the commands setup-mac runs. Every one arrives as the same word it started as —
 * in the unit files (as systemd reads them, and `systemd-analyze verify` accepts them), in the
 * plists, in the activation script when it actually runs, in health probes and in the hooks
 * `apply` runs — and nothing named `pwned` is ever created. Line breaks that a format cannot hold
 * are refused at evaluation (what `check` runs), naming the module.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeProcessRunner } from "../../src/adapters/node-runner.js";
import { apply } from "../../src/api/apply.js";
import { bin, defineProgram, type AnyProgram } from "../../src/define/program.js";
import { formatDiagnosticPlain } from "../../src/errors/index.js";
import { buildLock } from "../../src/emit/lock.js";
import type { Lock, ProbeLock } from "../../src/emit/lock-types.js";
import { renderPreviews } from "../../src/emit/previews.js";
import {
  parseExecStart,
  splitSystemdWords,
  unescapeSpecifiers,
} from "../../src/emit/systemd/systemd-words.test-helper.js";
import { evaluate } from "../../src/plan/evaluate.js";
import { runProbes, type ProbeDeps } from "../../src/probe/health.js";
import { makeFixture, program } from "../apply/fixture.js";
import { hostsConfig, memoryWorkspace } from "../helpers/memory.js";

/** Words that mean something to sh, systemd or XML; each must arrive as itself. */
const NASTY = [
  "; rm -rf ~",
  "$(id)",
  "$(touch pwned)",
  "`touch pwned`",
  "; touch pwned",
  "&& touch pwned",
  "| tee pwned",
  "> pwned",
  "%h",
  "%%",
  "100%",
  "$HOME",
  "${HOME}",
  "$$",
  "$",
  "'single'",
  "it's",
  '"double"',
  'say "hi"',
  "back\\slash",
  "\\n",
  "two  spaces",
  " leading",
  "trailing ",
  "\ttab",
  "",
  "~",
  "~/x",
  "*",
  "-rf",
  "--flag=$(id)",
  "A=B",
  "ünïcødé ☃ 𝄞 日本",
  "<xml>&amp;</xml>",
];
/** Values that are environment variables: one line each. */
const ENV = Object.fromEntries(NASTY.map((v, i) => [`V${i}`, v]));
/** sh holds a line break inside single quotes: hooks may have them. */
const HOOK_ARGS = [...NASTY, "line\nbreak"];

const injector = defineProgram({
  name: "injector",
  description: "Injection test",
  config: () => ({
    services: {
      s: {
        command: [bin("tool"), ...NASTY],
        environment: ENV,
        workingDirectory: "~/dir with $HOME, ${HOME}, %h, 'q' and \"qq\"",
        health: { command: ["probecmd", ...NASTY] },
      },
    },
    hooks: {
      preSetup: [["hookcmd", "pre", ...HOOK_ARGS]],
      postSetup: [[bin("hooktool"), "post", ...HOOK_ARGS]],
    },
    health: [{ command: ["probecmd", "health", ...NASTY], timeout: 10_000, retries: 0 }],
  }),
}) as AnyProgram;

function lockOf(programs: AnyProgram[]): { lock?: Lock; messages: string[] } {
  const input = memoryWorkspace(
    hostsConfig({
      linux: { platform: "nixos", programs: { injector: true }, homeManager: true },
      mac: { platform: "darwin", programs: { injector: true }, homeManager: true },
    }),
    programs,
  );
  const evaluation = evaluate(input);
  const messages = evaluation.diagnostics.map(formatDiagnosticPlain);
  return messages.length ? { messages } : { lock: buildLock(input, evaluation), messages };
}

let work = "";
let standIns = "";
const systemdAvailable = spawnSync("systemd-analyze", ["--version"]).status === 0;

// Stand-ins print each call as `CALL\0arg\0arg\0…` (NUL-separated: any byte but NUL may be in an
// argument) into $CALLS.
const RECORDER = `#!/bin/sh\n{ printf 'CALL\\0%s\\0' "$(basename "$0")"; for a in "$@"; do printf '%s\\0' "$a"; done; } >> "$CALLS"\n`;

function calls(file: string): string[][] {
  if (!existsSync(file)) return [];
  const parts = readFileSync(file, "utf8").split("\0");
  const out: string[][] = [];
  for (let i = 0; i < parts.length - 1; i++) {
    if (parts[i] === "CALL") out.push([]);
    else out.at(-1)!.push(parts[i]!);
  }
  return out;
}

/** Every file named like `pwned` under `dir`. */
function pwned(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) =>
    f.split("/").some((part) => part.includes("pwned")),
  );
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "sm-injection-"));
  // A folder whose name has a space and a `%`, as resolved paths may.
  standIns = join(work, "stand in 100%");
  mkdirSync(standIns);
  for (const name of ["tool", "hookcmd", "hooktool", "probecmd"]) {
    writeFileSync(join(standIns, name), RECORDER);
    chmodSync(join(standIns, name), 0o755);
  }
  mkdirSync(join(work, "runtime"), { mode: 0o700 });
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const resolveToStandIn = (arg: { bin: string }) => join(standIns, arg.bin);

describe("a module full of shell and systemd syntax", () => {
  it("evaluates without error on NixOS and darwin", () => {
    const { lock, messages } = lockOf([injector]);
    expect(messages).toEqual([]);
    expect(lock!.hosts.linux!.programs.injector!.home!.services!.s!.command.slice(1)).toEqual(
      NASTY,
    );
  });

  it("systemd reads the unit's ExecStart, Environment and WorkingDirectory back literally", () => {
    const { lock } = lockOf([injector]);
    const previews = renderPreviews(lock!, resolveToStandIn);
    const unit = previews.get("linux/systemd/user/setup-mac-injector-s.service")!;
    const values = (key: string) =>
      unit
        .split("\n")
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
    expect(parseExecStart(values("ExecStart")[0]!)).toEqual([join(standIns, "tool"), ...NASTY]);
    const env = Object.fromEntries(
      values("Environment").map((v) => {
        const [assignment] = splitSystemdWords(v);
        const word = unescapeSpecifiers(assignment!);
        return [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)];
      }),
    );
    expect(env).toEqual(ENV);
    expect(unescapeSpecifiers(values("WorkingDirectory")[0]!)).toBe(
      "/home/lars/dir with $HOME, ${HOME}, %h, 'q' and \"qq\"",
    );
  });

  it.skipIf(!systemdAvailable)("systemd-analyze verify accepts the unit", () => {
    const { lock } = lockOf([injector]);
    const previews = renderPreviews(lock!, resolveToStandIn);
    const dir = mkdtempSync(join(work, "units-"));
    const path = join(dir, "setup-mac-injector-s.service");
    writeFileSync(path, previews.get("linux/systemd/user/setup-mac-injector-s.service")!);
    const result = spawnSync("systemd-analyze", ["--user", "verify", "--man=no", path], {
      encoding: "utf8",
      env: { ...process.env, XDG_RUNTIME_DIR: join(work, "runtime") },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("the plist holds the same ProgramArguments and EnvironmentVariables", () => {
    const { lock } = lockOf([injector]);
    const previews = renderPreviews(lock!, resolveToStandIn);
    const job = parse(
      previews.get("mac/launchd/LaunchAgents/org.setup-mac.injector.s.plist")!,
    ) as Record<string, unknown>;
    // As nix-darwin renders a `command`: through sh, once the store is mounted.
    const [shell, flag, script, ...rest] = job.ProgramArguments as string[];
    expect([shell, flag, rest]).toEqual(["/bin/sh", "-c", []]);
    const wait = "/bin/wait4path /nix/store && ";
    expect(script!.startsWith(wait)).toBe(true);
    // Running what follows the wait gives the tool exactly the words the module wrote.
    const dir = mkdtempSync(join(work, "plist-run-"));
    const log = join(dir, "calls");
    const ran = spawnSync("sh", ["-c", script!.slice(wait.length)], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", CALLS: log },
    });
    expect(ran.stderr).toBe("");
    expect(ran.status).toBe(0);
    expect(calls(log)).toEqual([["tool", ...NASTY]]);
    expect(pwned(dir)).toEqual([]);
    expect(job.EnvironmentVariables).toEqual(ENV);
    expect(job.WorkingDirectory).toBe("/Users/lars/dir with $HOME, ${HOME}, %h, 'q' and \"qq\"");
  });

  for (const host of ["linux", "mac"]) {
    it(`the ${host} activation script passes sh -n, and running it passes every argument literally`, () => {
      const { lock } = lockOf([injector]);
      const script = renderPreviews(lock!, resolveToStandIn).get(`${host}/activation.sh`)!;
      const dir = mkdtempSync(join(work, `run-${host}-`));
      const home = join(dir, "home");
      mkdirSync(home);
      writeFileSync(join(dir, "activation.sh"), script);
      const syntax = spawnSync("sh", ["-n", join(dir, "activation.sh")], { encoding: "utf8" });
      expect(syntax.stderr).toBe("");
      expect(syntax.status).toBe(0);

      const log = join(dir, "calls");
      const ran = spawnSync("sh", [join(dir, "activation.sh")], {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: `${standIns}:/usr/bin:/bin`, HOME: home, CALLS: log },
      });
      expect(ran.stderr).toBe("");
      expect(ran.status).toBe(0);
      expect(calls(log)).toEqual([
        ["hookcmd", "pre", ...HOOK_ARGS],
        ["hooktool", "post", ...HOOK_ARGS],
      ]);
      expect(pwned(dir)).toEqual([]);
      expect(pwned(home)).toEqual([]);
    });
  }

  it("health probes run their command with every argument literally", async () => {
    const { lock } = lockOf([injector]);
    const host = lock!.hosts.linux!;
    const probes: ProbeLock[] = [
      ...host.programs.injector!.health!,
      host.programs.injector!.home!.services!.s!.health!,
    ];
    const log = join(work, "probe-calls");
    const runner = new NodeProcessRunner({
      baseEnv: { PATH: `${standIns}:/usr/bin:/bin`, CALLS: log },
    });
    const deps: ProbeDeps = {
      runner,
      http: { get: () => Promise.reject(new Error("no http here")) },
      tcp: { connect: () => Promise.reject(new Error("no tcp here")) },
      files: { exists: () => Promise.resolve(false) },
      resolveArg: (a) => (typeof a === "string" ? a : resolveToStandIn(a)),
      platform: "nixos",
      scope: "user",
    };
    const results = await runProbes(probes, deps);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    // The probes run concurrently: their calls may land in either order.
    const byLength = (a: string[], b: string[]) => b.length - a.length;
    expect(calls(log).sort(byLength)).toEqual([
      ["probecmd", "health", ...NASTY],
      ["probecmd", ...NASTY],
    ]);
    expect(pwned(work)).toEqual([]);
  });
});

describe("line breaks a format cannot hold", () => {
  const withService = (service: Record<string, unknown>) =>
    defineProgram({
      name: "injector",
      description: "Injection test",
      config: () => ({ services: { s: { command: ["/bin/true"], ...service } } }),
    } as never) as AnyProgram;

  it("a newline in a service argument is refused for the NixOS host, naming the module", () => {
    const { messages } = lockOf([withService({ command: ["/bin/true", "a\nb"] })]);
    expect(messages).toEqual([
      'programs/test/injector.ts: error[service-unrepresentable] (host linux): service `s`: cannot render setup-mac-injector-s.service [Service] ExecStart: "a\\nb" contains a line break, which a unit file cannot hold\n' +
        "  fix: a unit file holds one line per value: remove line breaks and control characters; the executable must be a plain path",
    ]);
  });

  it("a `$` or quote in a service's executable is refused the same way", () => {
    const { messages } = lockOf([withService({ command: ["/bin/$(id)"] })]);
    expect(messages[0]).toContain(
      'error[service-unrepresentable] (host linux): service `s`: cannot render setup-mac-injector-s.service [Service] ExecStart: executable "/bin/$(id)" contains `$`',
    );
  });

  it("newlines in environment values, working directories and probe names are refused by the schema", () => {
    for (const [service, field] of [
      [{ environment: { A: "x\ny" } }, "services.s.environment.A"],
      [{ workingDirectory: "/tmp/a\nb" }, "services.s.workingDirectory"],
      [{ health: { command: ["x"], name: "a\nb" } }, "services.s.health"],
    ] as const) {
      const { messages } = lockOf([withService(service)]);
      expect(messages.length, field).toBeGreaterThan(0);
      expect(messages.join("\n")).toContain(
        `programs/test/injector.ts: error[contribution-invalid]`,
      );
      expect(messages.join("\n")).toContain(`\`${field}`);
    }
  });

  it("a control character a plist cannot hold is refused for the darwin host", () => {
    const { messages } = lockOf([withService({ command: ["/bin/true", "bell\x07"] })]);
    expect(messages.join("\n")).toContain(
      "programs/test/injector.ts: error[service-unrepresentable] (host mac): service `s`: cannot render org.setup-mac.injector.s.plist: command[1] contains the character U+0007, which XML cannot hold",
    );
  });
});

describe("hooks run by apply", () => {
  it("removal hooks receive every argument literally, and nothing is pwned", async () => {
    const f = makeFixture(
      {
        tool: program(
          "tool",
          `config: () => ({
             packages: ["tool"],
             hooks: {
               preRemove: [["hookcmd", "pre", ...${JSON.stringify(HOOK_ARGS)}]],
               postRemove: ["hookcmd", "post", ...${JSON.stringify(NASTY)}],
             },
           })`,
        ),
      },
      { tool: true },
    );
    try {
      const base = {
        workspace: f.root,
        cacheDir: f.cache,
        host: "box",
        yes: true,
        runner: f.runner,
        home: join(f.root, "home"),
      };
      expect((await apply(base)).status).toBe("applied");
      f.setConfig(f.config().replace('"tool": true', '"tool": false'));
      const second = await apply(base);
      expect(second.removed).toEqual(["tool"]);
      expect(f.calls().filter((c) => c[0] === "hookcmd")).toEqual([
        ["hookcmd", "pre", ...HOOK_ARGS],
        ["hookcmd", "post", ...NASTY],
      ]);
      expect(pwned(f.root)).toEqual([]);
    } finally {
      rmSync(f.root, { recursive: true, force: true });
      rmSync(f.cache, { recursive: true, force: true });
    }
  });
});
