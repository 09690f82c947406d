/** `setup-mac scan` as a user runs it: findings, accepted findings, exit codes, --strict, --json. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../src/api/scan.js";
import { cli } from "./e2e/cli.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

const MODULES = {
  "programs/net/web.ts": `import { bin, defineProgram, z } from "setup-mac";
export default defineProgram({
  name: "web",
  description: "a web server",
  options: z.object({ listen: z.string().default("127.0.0.1:8080") }),
  config: ({ options }) => ({
    services: { server: { command: [bin("web"), "--listen", options.listen], scope: "system" } },
  }),
});
`,
  "programs/cli/leaky.ts": `import { defineProgram } from "setup-mac";
export default defineProgram({
  name: "leaky",
  description: "a tool configured with a token",
  config: () => ({ env: { GITHUB_TOKEN: "ghp_${"x".repeat(36)}" } }),
});
`,
};

function workspace(
  scanConfig?: unknown,
  webOn = { a: { listen: "0.0.0.0:8080" }, b: true },
): string {
  const root = mkdtempSync(join(tmpdir(), "sm-scan-"));
  temp.push(root);
  for (const [file, text] of Object.entries(MODULES)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  const hostOf = (web: unknown, leaky: boolean) => ({
    platform: "nixos",
    system: "x86_64-linux",
    user: "u",
    programs: { web, leaky },
  });
  writeFileSync(
    join(root, "setup-mac.jsonc"),
    JSON.stringify(
      {
        hosts: { a: hostOf(webOn.a, true), b: hostOf(webOn.b, false) },
        ...(scanConfig ? { scan: scanConfig } : {}),
      },
      null,
      2,
    ),
  );
  return root;
}

const env = (root: string) => ({ SETUP_MAC_CACHE_DIR: join(root, ".cache") });

describe("setup-mac scan", () => {
  it("reports every host's findings with the fix, and exits 1 on an error", () => {
    const root = workspace();
    const r = cli(["--workspace", root, "scan"], { env: env(root) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "error  secret-in-lock  a/leaky  env.GITHUB_TOKEN",
        "    holds a GitHub token: the lock is committed and copied into the world-readable Nix store",
        "    in programs/cli/leaky.ts",
        "    fix: read it at run time from a file outside the store (sops-nix, agenix, the keychain) and put only its path in the module",
        "warning  root-service  a/web  services.server",
        "    runs as root (a systemd system unit without `user`)",
        "    in programs/net/web.ts",
        '    fix: give it its own account: `user: "name"` (and `group`), or make it a user service with `scope: "user"`',
        "warning  listens-everywhere  a/web  services.server.command",
        "    listens on every network interface (0.0.0.0:8080)",
        "    in programs/net/web.ts",
        "    fix: bind to 127.0.0.1 unless other machines must reach it, and then restrict it with the firewall",
        "warning  root-service  b/web  services.server",
        "    runs as root (a systemd system unit without `user`)",
        "    in programs/net/web.ts",
        '    fix: give it its own account: `user: "name"` (and `group`), or make it a user service with `scope: "user"`',
        "",
        "a, b: 1 error, 3 warnings, 0 info",
        "",
      ].join("\n"),
    );
    // Nothing is written: scan builds the lock in memory.
    expect(cli(["--workspace", root, "scan", "--host", "b"], { env: env(root) }).code).toBe(0);
  });

  it("accepts findings the config allows, for a program or a host, and says why", async () => {
    const root = workspace({
      allow: [
        { rule: "secret-in-lock", program: "leaky", why: "a read-only token for public repos" },
        { rule: "root-service", program: "web", host: "a", why: "binds port 80" },
      ],
    });
    const result = await scan({ workspace: root, cacheDir: null });
    expect(result.ok).toBe(true);
    expect(result.findings.map((f) => [f.host, f.rule, f.allowed ?? "open"])).toEqual([
      ["a", "secret-in-lock", "a read-only token for public repos"],
      ["a", "root-service", "binds port 80"],
      ["a", "listens-everywhere", "open"],
      ["b", "root-service", "open"],
    ]);
    const r = cli(["--workspace", root, "scan"], { env: env(root) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("allowed  root-service  a/web  services.server\n");
    expect(r.stdout).toContain("    allowed: binds port 80\n");
    expect(r.stdout).toMatch(/a, b: 0 errors, 2 warnings, 0 info, 2 allowed\n$/);
  });

  it("--strict fails on warnings and on allow entries that accept nothing", () => {
    const root = workspace(
      { allow: [{ rule: "pipe-to-shell", program: "web", why: "an old installer" }] },
      { a: true, b: false } as never,
    );
    const lenient = cli(["--workspace", root, "scan"], { env: env(root) });
    expect(lenient.code).toBe(1); // the token is still an error
    const r = cli(["--workspace", root, "--host", "a", "scan", "--strict", "--json"], {
      env: env(root),
    });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as {
      ok: boolean;
      hosts: string[];
      unusedAllows: unknown[];
    };
    expect(json.ok).toBe(false);
    expect(json.hosts).toEqual(["a"]);
    expect(json.unusedAllows).toEqual([
      { rule: "pipe-to-shell", program: "web", why: "an old installer" },
    ]);
    const text = cli(["--workspace", root, "scan", "--strict"], { env: env(root) });
    expect(text.stdout).toContain(
      'warning  unused-allow  scan.allow {"rule":"pipe-to-shell","program":"web"}\n    accepts no finding any more\n    fix: remove it from setup-mac.jsonc\n',
    );
  });

  it("an allow entry without a reason or with an unknown rule is a config error", () => {
    const root = workspace({ allow: [{ rule: "root-servce", program: "web", why: "" }] });
    const r = cli(["--workspace", root, "scan"], { env: env(root) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '`scan.allow.0.rule` is not a scan rule (did you mean "root-service"?); the rules are secret-in-lock, world-writable,',
    );
    expect(r.stderr).toContain("scan.allow.0.why");
    expect(r.stderr).toContain("must say why the finding is accepted");
  });
});

describe("scan in other verbs and formats", () => {
  it("--sarif prints SARIF 2.1.0: every rule, each finding at its module, accepted ones suppressed", () => {
    const root = workspace({
      allow: [{ rule: "root-service", program: "web", host: "b", why: "binds port 80" }],
    });
    const r = cli(["--workspace", root, "scan", "--sarif"], { env: env(root) });
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
          partialFingerprints: Record<string, string>;
          suppressions?: { kind: string; justification: string }[];
        }[];
      }[];
    };
    expect(sarif.version).toBe("2.1.0");
    const [run] = sarif.runs;
    expect(run!.tool.driver.name).toBe("setup-mac");
    expect(run!.tool.driver.rules.map((rule) => rule.id)).toContain("secret-in-lock");
    expect(
      run!.results.map((res) => [
        res.ruleId,
        run!.tool.driver.rules[res.ruleIndex]!.id,
        res.level,
        res.locations[0]!.physicalLocation.artifactLocation.uri,
        res.suppressions?.[0]?.justification ?? "-",
      ]),
    ).toEqual([
      ["secret-in-lock", "secret-in-lock", "error", "programs/cli/leaky.ts", "-"],
      ["root-service", "root-service", "warning", "programs/net/web.ts", "-"],
      ["listens-everywhere", "listens-everywhere", "warning", "programs/net/web.ts", "-"],
      ["root-service", "root-service", "warning", "programs/net/web.ts", "binds port 80"],
    ]);
    expect(run!.results[0]!.partialFingerprints).toEqual({
      "setupMacFinding/v1": "secret-in-lock|a|leaky|env.GITHUB_TOKEN",
    });
  });

  it("check reports the scan's open errors and warnings at the module, and fails on errors", () => {
    const root = workspace({
      allow: [{ rule: "root-service", program: "web", why: "binds port 80" }],
    });
    const r = cli(["--workspace", root, "check"], { env: env(root) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "programs/cli/leaky.ts: error[scan-secret-in-lock] (host a): leaky: `env.GITHUB_TOKEN` holds a GitHub token",
    );
    expect(r.stderr).toContain(
      "programs/net/web.ts: warning[scan-listens-everywhere] (host a): web: `services.server.command` listens on every network interface (0.0.0.0:8080)",
    );
    expect(r.stderr).not.toContain("scan-root-service");
    expect(r.stdout).toContain(
      "failed  a (nixos): 2 programs enabled\nok  b (nixos): 1 program enabled\n",
    );
  });
});
