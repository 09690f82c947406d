import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { bin, defineProgram } from "../define/program.js";
import { mkDefault, mkForce } from "../define/priority.js";
import { formatDiagnosticPlain } from "../errors/index.js";
import { parseConfig } from "../load/config.js";
import { hostsConfig, memoryWorkspace, messages } from "../../test/helpers/memory.js";
import { evaluate, hostInfo } from "./evaluate.js";
import { sha256 } from "../emit/hash.js";
import { renderLaunchdPlist } from "../emit/launchd/plist.js";

const git = defineProgram({
  name: "git",
  description: "Git",
  options: z.object({
    userName: z.string().default(""),
    ignores: z.array(z.string()).default([]),
    extraConfig: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  }),
  config: ({ options }) => ({
    packages: ["git"],
    files: { "~/.config/git/ignore": { text: options.ignores.join("\n") + "\n" } },
  }),
});

const vscode = defineProgram({
  name: "vscode",
  description: "VS Code",
  requires: ["git"],
  conflicts: ["vscodium"],
  options: z.object({
    fontSize: z.number().int().min(6).max(72).default(14).describe("Editor font size"),
  }),
  contributes: { git: { ignores: [".vscode/"] } },
  config: ({ options, host }) => ({
    packages: ["vscode"],
    files: {
      [host.platform === "darwin"
        ? "~/Library/Application Support/Code/User/settings.json"
        : "~/.config/Code/User/settings.json"]: {
        json: { "editor.fontSize": options.fontSize },
        merge: true,
      },
    },
    env: { EDITOR: mkDefault("code --wait") },
  }),
});

const vscodium = defineProgram({
  name: "vscodium",
  description: "VSCodium",
  conflicts: ["vscode"],
});

describe("a good workspace", () => {
  it("enables the requires closure and remembers why", () => {
    const input = memoryWorkspace(
      hostsConfig({ desk: { programs: { vscode: { fontSize: 16 } } } }),
      [git, vscode, vscodium],
    );
    const result = evaluate(input);
    expect(result.diagnostics).toEqual([]);
    const lock = result.hosts.get("desk")!.lock!;
    expect(lock.order).toEqual(["git", "vscode"]);
    expect(lock.programs.git!.enabledBy).toEqual({ requiredBy: ["vscode"] });
    expect(lock.programs.vscode!.enabledBy).toEqual({ host: true });
    expect(lock.programs.git!.options.ignores).toEqual([".vscode/"]);
    expect(lock.programs.git!.home!.files![".config/git/ignore"]!.text).toBe(".vscode/\n");
    expect(lock.programs.vscode!.home!.env).toEqual({
      EDITOR: { value: "code --wait", priority: 1000 },
    });
    expect(lock.programs.vscode!.home!.files![".config/Code/User/settings.json"]).toEqual({
      format: "json",
      merge: true,
      priority: 100,
      text: '{\n  "editor.fontSize": 16\n}\n',
      value: { "editor.fontSize": 16 },
    });
  });

  it("shared defaults lose to host values and to contributions", () => {
    const input = memoryWorkspace(
      hostsConfig(
        { a: { programs: { git: { userName: "Host" } } }, b: { programs: { git: true } } },
        { git: { userName: "Shared", ignores: ["x"] } },
      ),
      [git],
    );
    const result = evaluate(input);
    expect(result.diagnostics).toEqual([]);
    expect(result.hosts.get("a")!.lock!.programs.git!.options).toMatchObject({
      userName: "Host",
      ignores: ["x"],
    });
    expect(result.hosts.get("b")!.lock!.programs.git!.options).toMatchObject({
      userName: "Shared",
    });
  });

  it("gives `config` the option types (type-level)", () => {
    defineProgram({
      name: "typed",
      description: "t",
      options: z.object({ size: z.number().default(1), tags: z.array(z.string()).default([]) }),
      config: ({ options, host }) => {
        expectTypeOf(options.size).toEqualTypeOf<number>();
        expectTypeOf(options.tags).toEqualTypeOf<string[]>();
        expectTypeOf(host.platform).toEqualTypeOf<"darwin" | "nixos">();
        // @ts-expect-error: not an option
        void options.nope;
        return {};
      },
    });
  });

  it("applies the per-platform override on top of config", () => {
    const p = defineProgram({
      name: "tool",
      description: "t",
      config: () => ({ packages: ["tool"], env: { A: "1", B: "2" } }),
      overrides: { darwin: () => ({ env: { B: "mac" } }) },
    });
    const input = memoryWorkspace(
      hostsConfig({
        mac: { platform: "darwin", programs: { tool: true } },
        pc: { programs: { tool: true } },
      }),
      [p],
    );
    const r = evaluate(input);
    expect(r.hosts.get("mac")!.lock!.programs.tool!.home!.env).toEqual({
      A: { value: "1", priority: 100 },
      B: { value: "mac", priority: 100 },
    });
    expect(r.hosts.get("pc")!.lock!.programs.tool!.home!.env!.B!.value).toBe("2");
  });

  it("normalises services: names, ~ expansion, schedules, probes", () => {
    const p = defineProgram({
      name: "job",
      description: "A job",
      config: () => ({
        services: {
          run: {
            command: [bin("restic"), "backup", "~/docs"],
            schedule: { calendar: "weekly" },
            logs: "~/Library/Logs/job.log",
            health: { tcp: "127.0.0.1:80" },
          },
        },
      }),
    });
    const r = evaluate(
      memoryWorkspace(hostsConfig({ mac: { platform: "darwin", programs: { job: true } } }), [p]),
    );
    const run = r.hosts.get("mac")!.lock!.programs.job!.home!.services!.run!;
    // The hash is of the plist the agent gets, binaries at their profile paths.
    const { hash, ...definition } = run;
    const plist = renderLaunchdPlist(definition, {
      resolveArg: (a) => (typeof a === "string" ? a : `/etc/profiles/per-user/lars/bin/${a.bin}`),
    });
    expect(plist).toContain(
      "<string>/bin/wait4path /nix/store &amp;&amp; exec /etc/profiles/per-user/lars/bin/restic backup &apos;~/docs&apos;</string>",
    );
    expect(hash).toBe(sha256(plist));
    expect(definition).toEqual({
      unit: "setup-mac-job-run",
      label: "org.setup-mac.job.run",
      scope: "user",
      description: "A job (run)",
      command: [{ bin: "restic", pkg: "restic" }, "backup", "~/docs"],
      restart: "never",
      schedule: { calendar: { weekday: 1, hour: 0, minute: 0 } },
      logs: "/Users/lars/Library/Logs/job.log",
      health: { name: "tcp 127.0.0.1:80", timeout: 5000, retries: 2, tcp: "127.0.0.1:80" },
    });
  });

  it("drops datasets on hosts without ZFS", () => {
    const p = defineProgram({
      name: "db",
      description: "d",
      config: () => ({
        datasets: { data: { dataset: "tank/db", snapshots: { keep: 7, every: "daily" } } },
      }),
    });
    const r = evaluate(
      memoryWorkspace(
        hostsConfig({ z: { zfs: true, programs: { db: true } }, n: { programs: { db: true } } }),
        [p],
      ),
    );
    expect(r.hosts.get("z")!.lock!.programs.db!.system!.datasets).toEqual({
      data: { dataset: "tank/db", snapshots: { keep: 7, every: "daily" } },
    });
    expect(r.hosts.get("n")!.lock!.programs.db!.system).toBeUndefined();
  });

  it("a mkForce file definition owns the target; the other program drops it", () => {
    const a = defineProgram({
      name: "a",
      description: "a",
      config: () => ({ files: { "/etc/x.conf": mkForce({ text: "a" }) } }),
    });
    const b = defineProgram({
      name: "b",
      description: "b",
      config: () => ({ files: { "/etc/x.conf": { text: "b" } } }),
    });
    const r = evaluate(
      memoryWorkspace(hostsConfig({ h: { programs: { a: true, b: true } } }), [a, b]),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.hosts.get("h")!.lock!.programs.a!.system!.files!["x.conf"]!.text).toBe("a");
    expect(r.hosts.get("h")!.lock!.programs.b!.system).toBeUndefined();
  });
});

describe("bad input: every problem reported, clearly", () => {
  const run = (config: string, programs = [git, vscode, vscodium]) =>
    messages(memoryWorkspace(config, programs));

  it("unknown program, with did-you-mean and the line", () => {
    expect(run(hostsConfig({ desk: { programs: { vscdoe: true } } }))).toEqual([
      "setup-mac.jsonc:8:9: error[unknown-program] (host desk): unknown program `vscdoe`\n" +
        "  fix: did you mean `vscode`? (`setup-mac programs list` shows every program)",
    ]);
  });

  it("unknown option key", () => {
    expect(run(hostsConfig({ desk: { programs: { vscode: { fontsize: 12 } } } }))).toEqual([
      "setup-mac.jsonc:9:11: error[unknown-option] (host desk): program `vscode` has no option `fontsize`\n  fix: did you mean `fontSize`?",
    ]);
  });

  it("wrong option type, with the zod path and where the value came from", () => {
    expect(run(hostsConfig({ desk: { programs: { vscode: { fontSize: "big" } } } }))).toEqual([
      'setup-mac.jsonc:9:11: error[invalid-option] (host desk): option `vscode.fontSize` is not of type `integer, 6–72`: "big" from setup-mac.jsonc (hosts.desk.programs.vscode) (Invalid input: expected number, received string)\n' +
        "  fix: `setup-mac programs info vscode` shows the option's type",
    ]);
  });

  it("type errors and conflicts of a host in one run, each with its file and option path", () => {
    const a = defineProgram({
      name: "a",
      description: "a",
      contributes: { git: { userName: "A", ignores: ["a/", 3] } },
    });
    const b = defineProgram({
      name: "b",
      description: "b",
      contributes: { git: { userName: "B", extraConfig: { core: "x" } } },
    });
    const config = hostsConfig({
      h: { programs: { a: true, b: true, git: true, vscode: { fontSize: 100, fontsize: 1 } } },
    });
    expect(run(config, [git, vscode, a, b])).toEqual([
      "programs/test/a.ts: error[invalid-option] (host h): option `git.ignores.1` is not of type `string`: 3 from programs/test/a.ts (contributes.git) (Invalid input: expected string, received number)\n" +
        "  fix: `setup-mac programs info git` shows the option's type",
      'programs/test/b.ts: error[invalid-option] (host h): option `git.extraConfig.core` is not of type `map of string → any`: "x" from programs/test/b.ts (contributes.git) (Invalid input: expected record, received string)\n' +
        "  fix: `setup-mac programs info git` shows the option's type",
      "programs/test/a.ts: error[option-conflict] (host h): option `git.userName` has conflicting definition values at plain (100):\n" +
        '  "A" from programs/test/a.ts (contributes.git)\n' +
        '  "B" from programs/test/b.ts (contributes.git)\n' +
        "  fix: make one definition win: wrap it in `mkForce(...)`, or wrap the other in `mkDefault(...)` (in the config file, set the value on the host to override a shared default)",
      "setup-mac.jsonc:13:11: error[unknown-option] (host h): program `vscode` has no option `fontsize`\n" +
        "  fix: did you mean `fontSize`?",
      "setup-mac.jsonc:12:11: error[invalid-option] (host h): option `vscode.fontSize` is not of type `integer, 6–72`: 100 from setup-mac.jsonc (hosts.h.programs.vscode) (Too big: expected number to be <=72)\n" +
        "  fix: `setup-mac programs info vscode` shows the option's type",
    ]);
  });

  it("an ill-typed definition is a type error, not a conflict; the others still merge", () => {
    const a = defineProgram({ name: "a", description: "a", contributes: { git: { userName: 5 } } });
    const b = defineProgram({
      name: "b",
      description: "b",
      contributes: { git: { userName: "B" } },
    });
    expect(
      run(hostsConfig({ h: { programs: { a: true, b: true, git: true } } }), [git, a, b]),
    ).toEqual([
      "programs/test/a.ts: error[invalid-option] (host h): option `git.userName` is not of type `string`: 5 from programs/test/a.ts (contributes.git) (Invalid input: expected string, received number)\n" +
        "  fix: `setup-mac programs info git` shows the option's type",
    ]);
  });

  it("a record option may be defined in parts; a required option defined only ill-typed is one error", () => {
    const server = defineProgram({
      name: "server",
      description: "s",
      options: z.object({
        listen: z.object({ host: z.string(), port: z.number().int() }),
        name: z.string(),
      }),
    });
    const a = defineProgram({
      name: "a",
      description: "a",
      contributes: { server: { listen: mkForce({ host: "::1" }), name: "s" } },
    });
    const ok = evaluate(
      memoryWorkspace(
        hostsConfig({ h: { programs: { a: true, server: { listen: { port: 80 } } } } }),
        [server, a],
      ),
    );
    expect(ok.diagnostics).toEqual([]);
    expect(ok.hosts.get("h")!.lock!.programs.server!.options).toEqual({
      listen: { host: "::1", port: 80 },
      name: "s",
    });
    expect(
      messages(
        memoryWorkspace(
          hostsConfig({ h: { programs: { server: { listen: { port: 80 }, name: 1 } } } }),
          [server],
        ),
      ),
    ).toEqual([
      "setup-mac.jsonc:12:11: error[invalid-option] (host h): option `server.name` is not of type `string`: 1 from setup-mac.jsonc (hosts.h.programs.server) (Invalid input: expected string, received number)\n" +
        "  fix: `setup-mac programs info server` shows the option's type",
      "setup-mac.jsonc:9:11: error[invalid-option] (host h): option `server.listen.host`: Invalid input: expected string, received undefined (set in setup-mac.jsonc (hosts.h.programs.server))\n" +
        "  fix: `setup-mac programs info server` shows the option's type",
    ]);
  });

  it("a requires cycle, printed whole", () => {
    const a = defineProgram({ name: "a", description: "a", requires: ["b"] });
    const b = defineProgram({ name: "b", description: "b", requires: ["c"] });
    const c = defineProgram({ name: "c", description: "c", requires: ["a"] });
    expect(run(hostsConfig({ h: { programs: { b: true } } }), [a, b, c])).toEqual([
      "programs/test/a.ts: error[requires-cycle] (host h): `requires` forms a cycle: a → b → c → a\n" +
        "  fix: programs are set up in `requires` order, so it cannot be circular; drop one of these `requires` (use `contributes` for integration)",
    ]);
  });

  it("conflicting programs, with why each is on", () => {
    const ide = defineProgram({ name: "ide", description: "i", requires: ["vscodium"] });
    expect(
      run(hostsConfig({ h: { programs: { vscode: true, ide: true } } }), [
        git,
        vscode,
        vscodium,
        ide,
      ]),
    ).toEqual([
      "programs/test/vscode.ts: error[conflicting-programs] (host h): `vscode` conflicts with `vscodium`, and both are enabled:\n" +
        "  `vscode` is on because the host enables it\n" +
        "  `vscodium` is on because `ide` requires `vscodium` (`ide` is enabled by the host)\n" +
        "  fix: enable only one of them on host h (`setup-mac programs disable vscodium --host h`)",
    ]);
  });

  it("two modules owning one file target", () => {
    const a = defineProgram({
      name: "a",
      description: "a",
      config: () => ({ files: { "~/.x": { text: "a" } } }),
    });
    const b = defineProgram({
      name: "b",
      description: "b",
      config: () => ({ files: { "~/.x": { text: "b" } } }),
    });
    expect(run(hostsConfig({ h: { programs: { a: true, b: true } } }), [a, b])).toEqual([
      "programs/test/a.ts: error[file-target-conflict] (host h): file target `~/.x` is defined differently by more than one program at the same priority:\n" +
        "  program a (programs/test/a.ts)\n" +
        "  program b (programs/test/b.ts)\n" +
        "  fix: keep it in one program, or make one definition win with `mkForce(...)` (or the other lose with `mkDefault(...)`)",
    ]);
  });

  it("equal-priority scalar conflict names both files and the fix", () => {
    const a = defineProgram({
      name: "a",
      description: "a",
      contributes: { git: { userName: "A" } },
    });
    const b = defineProgram({
      name: "b",
      description: "b",
      contributes: { git: { userName: "B" } },
    });
    expect(
      run(hostsConfig({ h: { programs: { a: true, b: true, git: true } } }), [git, a, b]),
    ).toEqual([
      "programs/test/a.ts: error[option-conflict] (host h): option `git.userName` has conflicting definition values at plain (100):\n" +
        '  "A" from programs/test/a.ts (contributes.git)\n' +
        '  "B" from programs/test/b.ts (contributes.git)\n' +
        "  fix: make one definition win: wrap it in `mkForce(...)`, or wrap the other in `mkDefault(...)` (in the config file, set the value on the host to override a shared default)",
    ]);
  });

  it("a program unavailable on the host's platform", () => {
    const colima = defineProgram({ name: "colima", description: "c", platforms: ["darwin"] });
    expect(run(hostsConfig({ pc: { programs: { colima: true } } }), [colima])).toEqual([
      "setup-mac.jsonc:8:9: error[platform-unavailable] (host pc): `colima` is not available on nixos (it supports darwin); it is on because the host enables it\n" +
        '  fix: remove it from hosts.pc.programs, or add "nixos" to `platforms` in programs/test/colima.ts if it works there',
    ]);
  });

  it("file targets that escape the home directory or hold `..`", () => {
    const bad = defineProgram({
      name: "bad",
      description: "b",
      config: () => ({
        files: {
          "~/../x": { text: "" },
          "/etc/passwd/../../root/.ssh/authorized_keys": { text: "" },
          "/usr/bin/evil": { text: "" },
          ".bashrc": { text: "" },
        },
      }),
    });
    expect(run(hostsConfig({ h: { programs: { bad: true } } }), [bad])).toEqual([
      "programs/test/bad.ts: error[invalid-file-target] (host h): file target `~/../x` contains `..`\n  fix: use a plain path below the home directory or /etc, without `..`",
      "programs/test/bad.ts: error[invalid-file-target] (host h): file target `/etc/passwd/../../root/.ssh/authorized_keys` contains `..`\n  fix: use a plain path below the home directory or /etc, without `..`",
      "programs/test/bad.ts: error[invalid-file-target] (host h): file target `/usr/bin/evil` is an absolute path outside /etc\n  fix: write home files as `~/.config/…` and system files as `/etc/…`; other places need a service or a hook",
      "programs/test/bad.ts: error[invalid-file-target] (host h): file target `.bashrc` is neither in the home directory (`~/…`) nor in /etc\n  fix: write home files as `~/.config/…` and system files as `/etc/…`; other places need a service or a hook",
    ]);
  });

  it("a NUL or a newline where it cannot go", () => {
    const bad = defineProgram({
      name: "bad",
      description: "b",
      config: () => ({
        env: { A: "x\ny" },
        files: { "~/a\u0000b": { text: "" } },
        services: { s: { command: ["echo", "a\u0000"] } },
      }),
    });
    expect(run(hostsConfig({ h: { programs: { bad: true } } }), [bad])).toEqual([
      "programs/test/bad.ts: error[contribution-invalid] (host h): `config` returns an invalid `env.A`: contains a newline, which this value cannot hold\n  fix: see the `Contribution` type exported by setup-mac for every field and its shape",
      "programs/test/bad.ts: error[contribution-invalid] (host h): `config` returns an invalid `services.s.command[1]`: contains a NUL byte\n  fix: see the `Contribution` type exported by setup-mac for every field and its shape",
    ]);
  });

  it("a `__proto__` key, in the config or in what config returns", () => {
    const r = parseConfig('{ "hosts": {}, "defaults": { "git": { "__proto__": { "x": 1 } } } }');
    expect(!r.ok && formatDiagnosticPlain(r.diagnostics[0]!)).toBe(
      "setup-mac.jsonc:1:39: error[config-invalid]: the key `__proto__` is not allowed (JavaScript would read it as an object's prototype)\n  fix: rename or remove this key",
    );
    const sneaky = defineProgram({
      name: "sneaky",
      description: "s",
      config: () => JSON.parse('{ "env": { "__proto__": "x" } }') as never,
    });
    expect(run(hostsConfig({ h: { programs: { sneaky: true } } }), [sneaky])).toEqual([
      "programs/test/sneaky.ts: error[contribution-invalid] (host h): `config` of `sneaky` returns a value that is not data: `env.__proto__` is a key that JavaScript reads as a prototype\n  fix: return plain objects, lists, strings, numbers and booleans (and mkDefault/mkForce/mkBefore/mkAfter of them)",
    ]);
  });

  it("a typo in what config returns", () => {
    const typo = defineProgram({
      name: "typo",
      description: "t",
      config: () => ({ servics: {} }) as never,
    });
    expect(run(hostsConfig({ h: { programs: { typo: true } } }), [typo])).toEqual([
      "programs/test/typo.ts: error[contribution-invalid] (host h): `config` returns unknown key `servics`\n  fix: see the `Contribution` type exported by setup-mac for every field and its shape",
    ]);
  });

  it("a config that throws names the module", () => {
    const boom = defineProgram({
      name: "boom",
      description: "b",
      config: () => {
        throw new Error("no way");
      },
    });
    expect(run(hostsConfig({ h: { programs: { boom: true } } }), [boom])).toEqual([
      "programs/test/boom.ts: error[config-throws] (host h): `config` of `boom` throws on host h: no way\n  fix: fix the module; `config` receives { options, host, enabled } and returns what the program contributes",
    ]);
  });

  it("a required program the host turns off", () => {
    expect(run(hostsConfig({ h: { programs: { vscode: true, git: false } } }))).toEqual([
      "setup-mac.jsonc:9:9: error[required-but-disabled] (host h): `vscode` requires `git`, but the host turns `git` off\n" +
        '  fix: remove `"git": false` from hosts.h.programs, or disable `vscode`',
    ]);
  });
});

describe("the config file", () => {
  it("malformed JSONC gives line:column", () => {
    const r = parseConfig('{\n  "hosts": {\n    "a": { "platform": "nixos" ]\n  }\n}\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics.map(formatDiagnosticPlain)[0]).toBe(
        "setup-mac.jsonc:3:32: error[config-syntax]: invalid JSONC: expected `,`\n  fix: fix the syntax at this position (comments and trailing commas are allowed)",
      );
    }
  });

  it("invalid values point at their key", () => {
    const r = parseConfig(
      '{\n  // hosts\n  "hosts": {\n    "mac": { "platform": "windows", "system": "x86_64-linux", "user": "lars" }\n  }\n}\n',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics.map(formatDiagnosticPlain)).toEqual([
        'setup-mac.jsonc:4:14: error[config-invalid]: `hosts.mac.platform` must be "darwin" or "nixos"\n  fix: correct the value; `setup-mac/schema.json` describes every field',
      ]);
    }
  });

  it("empty and binary files", () => {
    const empty = parseConfig("");
    const binary = parseConfig("{\u0000}");
    expect(!empty.ok && formatDiagnosticPlain(empty.diagnostics[0]!)).toBe(
      "setup-mac.jsonc:1:1: error[config-syntax]: invalid JSONC: expected a value\n  fix: the file is empty; write a config (see `setup-mac init`) or restore it from git",
    );
    expect(!binary.ok && formatDiagnosticPlain(binary.diagnostics[0]!)).toBe(
      "setup-mac.jsonc:1:2: error[config-syntax]: the file contains a NUL byte: it is binary or corrupt, not JSONC\n  fix: restore setup-mac.jsonc from git (`git checkout -- setup-mac.jsonc`) or from the last generation (`setup-mac generations`)",
    );
  });
});

describe("what a module sees of its host", () => {
  it("fills in defaults, and passes the ZFS pool only when the config names one", () => {
    const doc = (extra: string) =>
      parseConfig(
        `{ "hosts": { "h": { "platform": "nixos", "system": "x86_64-linux", "user": "u"${extra} } } }`,
      );
    const plain = doc("");
    const pooled = doc(', "zfs": true, "zfsPool": "tank"');
    if (!plain.ok || !pooled.ok) throw new Error("test config does not parse");
    expect(hostInfo(plain.doc, "h")).toEqual({
      name: "h",
      platform: "nixos",
      system: "x86_64-linux",
      user: "u",
      home: "/home/u",
      homeManager: true,
      zfs: false,
    });
    expect(hostInfo(pooled.doc, "h")).toMatchObject({ zfs: true, zfsPool: "tank" });
    const bad = doc(', "zfsPool": "tank/data"');
    expect(bad.ok).toBe(false);
  });
});

describe("a file its format cannot hold", () => {
  it("is the module's error, with the renderer's fix", () => {
    const p = defineProgram({
      name: "tomlish",
      description: "t",
      config: () => ({ files: { "~/.config/t/config.toml": { toml: { when: null } } } }),
    });
    const r = evaluate(memoryWorkspace(hostsConfig({ pc: { programs: { tomlish: true } } }), [p]));
    const [d] = r.diagnostics;
    expect(d).toMatchObject({ code: "file-render", host: "pc" });
    expect(d!.message).toMatch(/^file `~\/\.config\/t\/config\.toml`: cannot write toml file: /);
    // The renderer says how to fix it; the diagnostic used to drop that.
    expect(d!.hint).toMatch(/\S/);
  });
});

describe("every problem in what a module returns says how to fix it", () => {
  it("paths, merges, permissions and raw option paths carry a fix", () => {
    const p = defineProgram({
      name: "sloppy",
      description: "t",
      config: () => ({
        files: { "~/.config/s/a.ini": { ini: { a: { b: "c" } }, merge: true } },
        services: {
          server: { command: ["s"], scope: "user", workingDirectory: "relative/dir" },
        },
        permissions: { "/etc": { mode: "0755" } },
        nixos: { 'home.file."unterminated': true },
      }),
    });
    const r = evaluate(memoryWorkspace(hostsConfig({ pc: { programs: { sloppy: true } } }), [p]));
    const codes = r.diagnostics.map((d) => d.code).sort();
    expect(codes).toEqual([
      "invalid-file-merge",
      "invalid-option-path",
      "invalid-path",
      "invalid-path",
    ]);
    for (const d of r.diagnostics) expect(d.hint, d.code).toMatch(/\S/);
  });
});
