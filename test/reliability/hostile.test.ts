/**
 * Hostile or broken modules: paths that escape or take over the machine, names that would become
 * paths, and `config` functions that throw, lie or never end. Each is refused at evaluation with
 * the module's file and the field, the CLI never crashes, and nothing is written.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defineProgram, type AnyProgram } from "../../src/define/program.js";
import { mkDefault } from "../../src/define/priority.js";
import { formatDiagnosticPlain } from "../../src/errors/index.js";
import { evaluate } from "../../src/plan/evaluate.js";
import { MAX_DEPTH, MAX_VALUES } from "../../src/plan/snapshot.js";
import { cli } from "../e2e/cli.js";
import { hostsConfig, memoryWorkspace } from "../helpers/memory.js";

const FILE = "programs/test/evil.ts";

/** Evaluates one module whose `config` is `config` on a NixOS (or darwin) host. */
function evaluateEvil(
  config: () => unknown,
  extra: Partial<AnyProgram> = {},
  platform: "nixos" | "darwin" = "nixos",
): string[] {
  const evil = defineProgram({
    name: "evil",
    description: "Evil",
    config: config as never,
    ...extra,
  } as never) as AnyProgram;
  const input = memoryWorkspace(
    hostsConfig({ h: { platform, programs: { evil: true }, zfs: true, homeManager: true } }),
    [evil],
  );
  const result = evaluate(input);
  expect(result.hosts.get("h")!.lock).toBeUndefined();
  return result.diagnostics.map(formatDiagnosticPlain);
}

/** Every diagnostic names the module file; one of them says `expected`. */
function expectRefused(found: string[], expected: string): void {
  expect(found.length, "refused").toBeGreaterThan(0);
  for (const m of found) expect(m.startsWith(`${FILE}: error[`), m).toBe(true);
  expect(found.join("\n")).toContain(expected);
}

const file = (target: string) => () => ({ files: { [target]: { text: "x" } } });

describe("file targets", () => {
  const SYSTEM = "is a system file that controls logins or root access; setup-mac never writes it";
  for (const [target, problem] of [
    ["../../etc/passwd", "is neither in the home directory (`~/…`) nor in /etc"],
    ["/etc/../etc/passwd", "contains `..`"],
    ["/root/.ssh/authorized_keys", "is an absolute path outside /etc"],
    ["/etc/passwd", SYSTEM],
    ["/etc/shadow", SYSTEM],
    ["/etc/sudoers", SYSTEM],
    ["/etc/SUDOERS", SYSTEM],
    ["/etc/sudoers.d/x", SYSTEM],
    ["/etc/pam.d/sudo", SYSTEM],
    ["/etc/ssh/sshd_config", SYSTEM],
    ["~/../x", "contains `..`"],
    ["~/a/../../x", "contains `..`"],
    ["~/a/./b", "has an empty or `.` path segment"],
    ["~/a\0b", "contains a NUL byte"],
    ["~/a\nb", "contains a newline"],
  ] as const) {
    it(`refuses ${JSON.stringify(target)}`, () => {
      const escaped = JSON.stringify(target).slice(1, -1);
      expectRefused(evaluateEvil(file(target)), `file target \`${escaped}\` ${problem}`);
    });
  }

  it("refuses permissions on the same system files, and on system folders", () => {
    expectRefused(
      evaluateEvil(() => ({ permissions: { "/etc/sudoers": { mode: "0666" } } })),
      "permission path `/etc/sudoers` is a system file that controls logins or root access",
    );
    expectRefused(
      evaluateEvil(() => ({ permissions: { "/etc/": { mode: "0777" } } })),
      "permission path `/etc/` is a system folder whose permissions setup-mac never changes",
    );
    expectRefused(
      evaluateEvil(() => ({ permissions: { "~/../../etc": { mode: "0777" } } })),
      "permission path `~/../../etc` contains `..`",
    );
  });

  it("allows ordinary /etc and home files", () => {
    const evil = defineProgram({
      name: "evil",
      description: "Not evil",
      config: () => ({
        files: { "/etc/evil/config": { text: "x" }, "~/.config/evil/passwd": { text: "y" } },
      }),
    });
    const result = evaluate(
      memoryWorkspace(hostsConfig({ h: { programs: { evil: true }, homeManager: true } }), [evil]),
    );
    expect(result.diagnostics).toEqual([]);
  });
});

describe("names that would become paths", () => {
  const svc = { command: ["true"] };
  for (const [label, config, expected] of [
    ["a service `../x`", () => ({ services: { "../x": svc } }), '`services["../x"]`'],
    ["a service `a/b`", () => ({ services: { "a/b": svc } }), '`services["a/b"]`'],
    ["a service `..`", () => ({ services: { "..": svc } }), '`services[".."]`'],
    [
      "a dataset key `../d`",
      () => ({ datasets: { "../d": { dataset: "tank/d" } } }),
      '`datasets["../d"]`',
    ],
    [
      "a dataset `tank/../x`",
      () => ({ datasets: { d: { dataset: "tank/../x" } } }),
      "`datasets.d.dataset`",
    ],
    ["a wrapper `..`", () => ({ wrappers: { "..": {} } }), '`wrappers[".."]`'],
    ["a wrapper `a/b`", () => ({ wrappers: { "a/b": {} } }), '`wrappers["a/b"]`'],
    [
      "a wrapped binary `../sh`",
      () => ({ wrappers: { w: { binary: "../sh" } } }),
      "`wrappers.w.binary`",
    ],
    [
      "a bin reference `..`",
      () => ({ services: { s: { command: [{ bin: "..", pkg: "x" }] } } }),
      "`services.s.command[0].bin`: is not a binary name",
    ],
    ["a hook `../x`", () => ({ hooks: { "../x": ["true"] } }), '`hooks["../x"]`'],
    [
      "a raw option path climbing with ..",
      () => ({ home: { 'home.file."../../etc/passwd".text': "x" } }),
      'raw home option path `home.file."../../etc/passwd".text` is not an attribute path',
    ],
    [
      "a raw option path with a newline",
      () => ({ nixos: { 'environment.etc."a\nb".text': "x" } }),
      "raw nixos option path",
    ],
    ["an environment variable `A=B`", () => ({ env: { "A=B": "x" } }), '`env["A=B"]`'],
  ] as const) {
    it(`refuses ${label}`, () => {
      expectRefused(evaluateEvil(config), expected);
    });
  }
});

describe("config functions that misbehave", () => {
  const NOT_DATA = "`config` of `evil` returns a value that is not data: ";
  const cases: [string, () => unknown, string][] = [
    [
      "throws",
      () => {
        throw new Error("boom");
      },
      "`config` of `evil` throws on host h: boom",
    ],
    [
      "throws a non-error",
      () => {
        throw { toString: () => "strange" };
      },
      "`config` of `evil` throws on host h: strange",
    ],
    ["returns a number", () => 42, "`config` of `evil` returns a number, not an object"],
    ["returns a string", () => "files", "`config` of `evil` returns a string, not an object"],
    ["returns a list", () => [], "`config` of `evil` returns a list, not an object"],
    [
      "returns a Promise",
      () => Promise.resolve({}),
      `${NOT_DATA}the result is a Promise, not plain data (\`config\` must not be async)`,
    ],
    [
      "returns a Proxy whose traps throw",
      () =>
        new Proxy(
          {},
          {
            ownKeys() {
              throw new Error("trapped");
            },
          },
        ),
      `${NOT_DATA}reading the result throws: trapped`,
    ],
    [
      "returns a getter that throws",
      () => ({
        get packages(): string[] {
          throw new Error("gotcha");
        },
      }),
      `${NOT_DATA}reading the result throws: gotcha`,
    ],
    [
      "returns a function where a value belongs",
      () => ({ packages: () => ["x"] }),
      `${NOT_DATA}\`packages\` is a function, not a value (did you mean to call it?)`,
    ],
    [
      "returns a Date",
      () => ({ files: { "~/.x": { json: { when: new Date(0) } } } }),
      `${NOT_DATA}\`files.~/.x.json.when\` is a Date, not plain data`,
    ],
    [
      "returns a cycle",
      () => {
        const json: Record<string, unknown> = {};
        json.self = json;
        return { files: { "~/.x.json": { json } } };
      },
      `${NOT_DATA}\`files.~/.x.json.json.self\` refers back to a value that contains it (a cycle)`,
    ],
    [
      "returns a cycle through a priority marker",
      () => {
        const env: Record<string, unknown> = {};
        env.A = mkDefault(env);
        return { env };
      },
      `${NOT_DATA}\`env.A\` refers back to a value that contains it (a cycle)`,
    ],
    [
      "returns a huge list",
      () => ({ packages: new Array(MAX_VALUES + 10).fill("x") }),
      `${NOT_DATA}the result holds more than ${MAX_VALUES} values`,
    ],
    [
      "returns a value nested too deep",
      () => {
        let json: unknown = 1;
        for (let i = 0; i < 10_000; i++) json = [json];
        return { files: { "~/.x.json": { json } } };
      },
      `${NOT_DATA}\`files.~/.x.json.json${"[0]".repeat(MAX_DEPTH - 2)}\` nests more than ${MAX_DEPTH} levels deep`,
    ],
  ];
  for (const [label, config, expected] of cases) {
    it(`refuses a config that ${label}`, () => {
      expectRefused(evaluateEvil(config), expected);
    });
  }

  it("refuses a cyclic or throwing contribution to another program", () => {
    // No options schema to stop it: only the guard can refuse the cycle.
    const target = defineProgram({ name: "target", description: "Target" });
    const cycle: Record<string, unknown> = {};
    cycle.loop = { again: cycle };
    const evil = defineProgram({
      name: "evil",
      description: "Evil",
      contributes: { target: () => ({ anything: cycle }) },
    } as never) as AnyProgram;
    const input = memoryWorkspace(hostsConfig({ h: { programs: { evil: true, target: true } } }), [
      evil,
      target,
    ]);
    const found = evaluate(input).diagnostics.map(formatDiagnosticPlain);
    expectRefused(
      found,
      "`contributes.target` returns a value that is not data: `anything.loop.again` refers back to a value that contains it (a cycle)",
    );
  });

  it("refuses an override that throws, naming it", () => {
    expectRefused(
      evaluateEvil(() => ({}), {
        overrides: {
          nixos: () => {
            throw new Error("no nixos");
          },
        },
      } as never),
      "`overrides.nixos` of `evil` throws on host h: no nixos",
    );
  });
});

describe("through the CLI", () => {
  const temp: string[] = [];
  afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const mod = (name: string, body: string, declared = name) =>
    `import { defineProgram } from "setup-mac";\nexport default defineProgram({ name: ${JSON.stringify(declared)}, description: "${name}", ${body} });\n`;

  it("check and build name every hostile module and field; the lock stays byte for byte", () => {
    const root = mkdtempSync(join(tmpdir(), "sm-hostile-"));
    const cache = mkdtempSync(join(tmpdir(), "sm-hostile-cache-"));
    temp.push(root, cache);
    const programs: Record<string, string> = {
      good: mod("good", `config: () => ({ packages: ["hello"] })`),
      passwd: mod(
        "passwd",
        `config: () => ({ files: { "/etc/passwd": { text: "root::0:0::/:/bin/sh" } } })`,
      ),
      escape: mod(
        "escape",
        `config: () => ({ files: { "~/../../etc/sudoers.d/x": { text: "ALL" } } })`,
      ),
      cycle: mod("cycle", `config: () => { const a = { env: {} }; a.env.X = a; return a; }`),
      getter: mod("getter", `config: () => ({ get packages() { throw new Error("gotcha"); } })`),
      proxy: mod(
        "proxy",
        `config: () => new Proxy({}, { ownKeys() { throw new Error("trapped"); } })`,
      ),
      throws: mod("throws", `config: () => { throw new Error("boom"); }`),
      services: mod(
        "services",
        `config: () => ({ services: { "../../x": { command: ["true"] } } })`,
      ),
      dots: mod("dots", `config: () => ({})`, "../dots"),
    };
    mkdirSync(join(root, "programs/test"), { recursive: true });
    for (const [name, text] of Object.entries(programs))
      writeFileSync(join(root, `programs/test/${name}.ts`), text);
    const config = (enabled: string[]) =>
      hostsConfig({
        box: { programs: Object.fromEntries(enabled.map((n) => [n, true])), homeManager: true },
      });
    const env = { SETUP_MAC_CACHE_DIR: cache };
    writeFileSync(join(root, "setup-mac.jsonc"), config(["good"]));
    // The module with a bad name fails to load: it is reported, the others still build.
    const first = cli(["--workspace", root, "build"], { env });
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toContain(
      "programs/test/dots.ts: error[module-invalid]: `name` must be lower-case letters, digits and dashes, starting with a letter",
    );
    rmSync(join(root, "programs/test/dots.ts"));
    expect(cli(["--workspace", root, "build"], { env }).code).toBe(0);
    const lock = readFileSync(join(root, "setup-mac.lock.json"));
    const before = readdirSync(root).sort();

    writeFileSync(
      join(root, "setup-mac.jsonc"),
      config(Object.keys(programs).filter((n) => n !== "dots")),
    );
    for (const verb of ["check", "build"]) {
      const r = cli(["--workspace", root, verb], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toContain("internal error");
      for (const expected of [
        "programs/test/passwd.ts: error[invalid-file-target] (host box): file target `/etc/passwd` is a system file that controls logins or root access; setup-mac never writes it",
        "programs/test/escape.ts: error[invalid-file-target] (host box): file target `~/../../etc/sudoers.d/x` contains `..`",
        "programs/test/cycle.ts: error[contribution-invalid] (host box): `config` of `cycle` returns a value that is not data: `env.X` refers back to a value that contains it (a cycle)",
        "programs/test/getter.ts: error[contribution-invalid] (host box): `config` of `getter` returns a value that is not data: reading the result throws: gotcha",
        "programs/test/proxy.ts: error[contribution-invalid] (host box): `config` of `proxy` returns a value that is not data: reading the result throws: trapped",
        "programs/test/throws.ts: error[config-throws] (host box): `config` of `throws` throws on host box: boom",
        'programs/test/services.ts: error[contribution-invalid] (host box): `config` returns an invalid `services["../../x"]`',
      ])
        expect(r.stderr, verb).toContain(expected);
    }
    expect(readFileSync(join(root, "setup-mac.lock.json")).equals(lock)).toBe(true);
    expect(readdirSync(root).sort()).toEqual(before);
  });
});
