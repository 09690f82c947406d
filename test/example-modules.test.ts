/**
 * The bundled example workspace, examples/workstation: every program module is loaded directly
 * (no loader, no engine), its options' defaults parse, its `config` runs for both example hosts,
 * and what comes out is what the module promises (paths per platform, services per scope,
 * datasets only with ZFS, wrappers, schedules). The workspace config is checked against the
 * modules too: known programs, no enabled conflicts, `requires` satisfiable, option values valid,
 * no two programs writing one file or one variable.
 *
 * Option values are merged here with a deliberately small stand-in for the engine (lists
 * concatenate, records merge, later scalars win), enough to feed realistic values to `config`.
 */
import { hostInfo as evaluatorHostInfo } from "../src/plan/evaluate.js";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse, type ParseError } from "jsonc-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { isLines, isOrdered, isOverride, isProgram } from "setup-mac";
import type {
  AnyProgram,
  BinRef,
  ConfigContext,
  Contribution,
  FileSpec,
  HostInfo,
  Platform,
  ServiceSpec,
} from "setup-mac";

const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), "..", "examples", "workstation");
const PROGRAMS = join(WORKSPACE, "programs");

interface HostEntry {
  platform: Platform;
  system: string;
  user: string;
  home?: string;
  homeManager?: boolean;
  zfs?: boolean;
  zfsPool?: string;
  programs?: Record<string, boolean | Record<string, unknown>>;
}
interface WorkspaceFile {
  defaults?: Record<string, Record<string, unknown>>;
  hosts: Record<string, HostEntry>;
}

interface LoadedModule {
  file: string;
  category: string;
  program: AnyProgram;
}

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith("_") && !e.name.startsWith("."))
    .flatMap((e) =>
      e.isDirectory()
        ? moduleFiles(join(dir, e.name))
        : e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")
          ? [join(dir, e.name)]
          : [],
    )
    .sort();
}

const modules = new Map<string, LoadedModule>();
let workspace: WorkspaceFile;
const hosts = new Map<string, HostInfo>();

/** What the evaluator gives a module for this host (the same function, not a copy). */
function hostInfo(name: string, entry: HostEntry): HostInfo {
  const doc = { config: { hosts: { [name]: entry } } } as unknown as Parameters<
    typeof evaluatorHostInfo
  >[0];
  return evaluatorHostInfo(doc, name)!;
}

beforeAll(async () => {
  for (const file of moduleFiles(PROGRAMS)) {
    const mod = (await import(pathToFileURL(file).href)) as { default: unknown };
    const rel = relative(PROGRAMS, file).split(sep);
    if (!isProgram(mod.default)) throw new Error(`${file}: the default export is not a program`);
    modules.set(mod.default.name, {
      file: rel.join("/"),
      category: rel.slice(0, -1).join("/"),
      program: mod.default,
    });
  }
  const errors: ParseError[] = [];
  workspace = parse(readFileSync(join(WORKSPACE, "setup-mac.jsonc"), "utf8"), errors, {
    allowTrailingComma: true,
  }) as WorkspaceFile;
  expect(errors).toEqual([]);
  for (const [name, entry] of Object.entries(workspace.hosts))
    hosts.set(name, hostInfo(name, entry));
});

function program(name: string): AnyProgram {
  const m = modules.get(name);
  if (!m) throw new Error(`no module ${name}`);
  return m.program;
}

function host(name: string): HostInfo {
  const h = hosts.get(name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

// ---------------------------------------------------------------------------------------------
// A small stand-in for the engine: unwraps priority/order markers and merges definitions.

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isOverride(v) && !isOrdered(v);

/** Strips mkForce/mkDefault/mkBefore/mkAfter markers, deeply. */
function plain(value: unknown): unknown {
  if (isOverride(value)) return plain(value.content);
  if (isOrdered(value)) return plain(value.content);
  if (Array.isArray(value)) return value.map(plain);
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function orderOf(value: unknown): number {
  return isOrdered(value) ? value.order : 1000;
}

/**
 * Lists and `lines()` strings concatenate (by mkBefore/mkAfter order, then definition order),
 * records merge, the last scalar wins.
 */
function mergeValues(defs: unknown[], schema?: unknown): unknown {
  const unwrapped = defs.map((d) => (isOverride(d) ? d.content : d));
  if (schema && isLines(schema as never) && unwrapped.every((d) => typeof plain(d) === "string")) {
    return unwrapped
      .map((d, i) => ({ d, i, order: orderOf(d) }))
      .sort((a, b) => a.order - b.order || a.i - b.i)
      .map(({ d }) => plain(d) as string)
      .join("\n");
  }
  if (unwrapped.every((d) => Array.isArray(d) || (isOrdered(d) && Array.isArray(d.content)))) {
    return unwrapped
      .map((d, i) => ({ d, i, order: orderOf(d) }))
      .sort((a, b) => a.order - b.order || a.i - b.i)
      .flatMap(({ d }) => plain(d) as unknown[]);
  }
  if (unwrapped.every(isRecord)) {
    const keys = [...new Set(unwrapped.flatMap((d) => Object.keys(d as object)))];
    return Object.fromEntries(
      keys.map((k) => [
        k,
        mergeValues(
          unwrapped.flatMap((d) => (k in (d as object) ? [(d as Record<string, unknown>)[k]] : [])),
          (schema as { shape?: Record<string, unknown> } | undefined)?.shape?.[k],
        ),
      ]),
    );
  }
  return plain(unwrapped[unwrapped.length - 1]);
}

/** `config`, then the platform's `overrides` on top (records merged key by key, anything else replaced). */
function contribution(p: AnyProgram, ctx: ConfigContext<Record<string, unknown>>): Contribution {
  const base = (p.config?.(ctx) ?? {}) as Record<string, unknown>;
  const override = p.overrides?.[ctx.host.platform]?.(ctx) as Record<string, unknown> | undefined;
  if (!override) return base as Contribution;
  const apply = (a: unknown, b: unknown): unknown =>
    isRecord(a) && isRecord(b)
      ? Object.fromEntries(
          [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
            k,
            k in b ? (k in a ? apply(a[k], b[k]) : b[k]) : a[k],
          ]),
        )
      : b;
  return apply(base, override) as Contribution;
}

/** A module's output for a host with default options and every other program counted as enabled. */
function configWithDefaults(name: string, hostName: string): Contribution {
  const p = program(name);
  const options = (p.options?.parse({}) ?? {}) as Record<string, unknown>;
  return contribution(p, { options, host: host(hostName), enabled: () => true });
}

interface ResolvedHost {
  enabled: Set<string>;
  options: Map<string, Record<string, unknown>>;
  contributions: Map<string, Contribution>;
}

function resolveHost(hostName: string): ResolvedHost {
  const entry = workspace.hosts[hostName]!;
  const info = host(hostName);
  const selection = entry.programs ?? {};
  const off = new Set(Object.keys(selection).filter((k) => selection[k] === false));
  const enabled = new Set<string>();
  const visit = (name: string) => {
    if (enabled.has(name) || off.has(name)) return;
    enabled.add(name);
    for (const r of program(name).requires ?? []) visit(r);
  };
  for (const [name, value] of Object.entries(selection)) if (value !== false) visit(name);
  const isEnabled = (n: string) => enabled.has(n);

  const ownDefs = (name: string): unknown[] => {
    const value = selection[name];
    return [workspace.defaults?.[name], typeof value === "object" ? value : undefined].filter(
      (d) => d !== undefined,
    );
  };
  const parseOptions = (name: string, defs: unknown[]) =>
    (program(name).options?.parse(
      defs.length > 0 ? mergeValues(defs, program(name).options) : {},
    ) ?? {}) as Record<string, unknown>;
  // Contributions to other programs, computed from each contributor's own options.
  const incoming = new Map<string, unknown[]>();
  for (const name of [...enabled].sort()) {
    const p = program(name);
    for (const [target, value] of Object.entries(p.contributes ?? {})) {
      if (!enabled.has(target)) continue;
      const values =
        typeof value === "function"
          ? value({ options: parseOptions(name, ownDefs(name)), host: info, enabled: isEnabled })
          : value;
      incoming.set(target, [...(incoming.get(target) ?? []), values]);
    }
  }
  const options = new Map<string, Record<string, unknown>>();
  const contributions = new Map<string, Contribution>();
  for (const name of [...enabled].sort()) {
    const opts = parseOptions(name, [...ownDefs(name), ...(incoming.get(name) ?? [])]);
    options.set(name, opts);
    contributions.set(
      name,
      contribution(program(name), { options: opts, host: info, enabled: isEnabled }),
    );
  }
  return { enabled, options, contributions };
}

const FORMATS = ["text", "json", "yaml", "toml", "ini"] as const;
const isBinRef = (v: unknown): v is BinRef =>
  typeof v === "object" && v !== null && "bin" in v && "pkg" in v;
const ATTR_PATH = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/;

function files(c: Contribution): Record<string, FileSpec> {
  return plain(c.files ?? {}) as Record<string, FileSpec>;
}
function services(c: Contribution): Record<string, ServiceSpec> {
  return (c.services ?? {}) as Record<string, ServiceSpec>;
}
function hookList(c: Contribution, hook: "postSetup" | "postStart"): unknown[][] {
  const h = plain(c.hooks?.[hook] ?? []) as unknown[];
  return h.length > 0 && !Array.isArray(h[0]) ? [h] : (h as unknown[][]);
}

// ---------------------------------------------------------------------------------------------

describe("example workspace: every module", () => {
  it("has at least 14 modules across several categories", () => {
    expect(modules.size).toBeGreaterThanOrEqual(14);
    const categories = new Set([...modules.values()].map((m) => m.category));
    for (const c of ["editors", "shell", "vcs", "cli", "ai", "monitoring", "maintenance"]) {
      expect(categories).toContain(c);
    }
  });

  it("is a program named after its file, with a description", () => {
    for (const [name, m] of modules) {
      expect(isProgram(m.program)).toBe(true);
      expect(basename(m.file, ".ts")).toBe(name);
      expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(m.program.description.length).toBeGreaterThan(0);
    }
  });

  it("parses its option defaults, and describes every option", () => {
    for (const [name, m] of modules) {
      const schema = m.program.options;
      if (!schema) continue;
      expect(() => schema.parse({}), name).not.toThrow();
      for (const [key, option] of Object.entries(
        schema.shape as Record<string, { description?: string }>,
      )) {
        expect(option.description, `${name}.${key} has no .describe(...)`).toBeTruthy();
      }
    }
  });

  it("names only existing programs in requires, conflicts and contributes", () => {
    for (const [name, m] of modules) {
      for (const other of [
        ...(m.program.requires ?? []),
        ...(m.program.conflicts ?? []),
        ...Object.keys(m.program.contributes ?? {}),
      ]) {
        expect(modules.has(other), `${name} names unknown program ${other}`).toBe(true);
      }
      for (const other of m.program.conflicts ?? []) {
        expect(
          program(other).conflicts ?? [],
          `${other} should conflict back with ${name}`,
        ).toContain(name);
      }
    }
  });

  it("contributes option values its targets accept", () => {
    for (const [name, m] of modules) {
      for (const [target, value] of Object.entries(m.program.contributes ?? {})) {
        const values =
          typeof value === "function"
            ? value({
                options: (m.program.options?.parse({}) ?? {}) as Record<string, unknown>,
                host: host("macbook"),
                enabled: () => true,
              })
            : value;
        const schema = program(target).options;
        expect(schema, `${name} contributes to ${target}, which has no options`).toBeDefined();
        const result = schema!.safeParse(plain(values));
        expect(result.success, `${name} → ${target}: ${result.error?.message ?? ""}`).toBe(true);
      }
    }
  });

  it("gives well-formed contributions on both hosts with default options", () => {
    for (const [name, m] of modules) {
      for (const hostName of hosts.keys()) {
        const platform = host(hostName).platform;
        if (m.program.platforms && !m.program.platforms.includes(platform)) continue;
        const c = configWithDefaults(name, hostName);
        const where = `${name} on ${hostName}`;
        for (const pkg of [
          ...((plain(c.packages ?? []) as string[]) ?? []),
          ...((plain(c.userPackages ?? []) as string[]) ?? []),
        ]) {
          expect(pkg, where).toMatch(ATTR_PATH);
        }
        for (const [path, spec] of Object.entries(files(c))) {
          expect(path, where).toMatch(/^(~\/|\/etc\/)/);
          expect(
            FORMATS.filter((f) => f in spec),
            `${where}: ${path}`,
          ).toHaveLength(1);
        }
        for (const [svc, spec] of Object.entries(services(c))) {
          expect(spec.command.length, `${where}: service ${svc}`).toBeGreaterThan(0);
          expect(svc).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
        }
        for (const [key, value] of Object.entries(plain(c.env ?? {}) as Record<string, string>)) {
          expect(key, where).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
          expect(value, where).not.toMatch(/[\r\n]/);
        }
        for (const [dir, perm] of Object.entries(c.permissions ?? {})) {
          expect(perm.mode, `${where}: ${dir}`).toMatch(/^0?[0-7]{3,4}$/);
        }
        expect(plain(c.health ?? []), `${where} has no health check`).not.toHaveLength(0);
      }
    }
  });

  it("starts every service with a package binary (bin) or an absolute path", () => {
    for (const name of modules.keys()) {
      for (const hostName of hosts.keys()) {
        const p = program(name);
        if (p.platforms && !p.platforms.includes(host(hostName).platform)) continue;
        for (const [svc, spec] of Object.entries(services(configWithDefaults(name, hostName)))) {
          const head = spec.command[0];
          expect(
            isBinRef(head) || (typeof head === "string" && head.startsWith("/")),
            `${name}.${svc}`,
          ).toBe(true);
        }
      }
    }
  });
});

describe("example workspace: types", () => {
  it("typechecks with its own tsconfig.json, so `config` sees the option types", () => {
    const tsc = join(WORKSPACE, "..", "..", "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", join(WORKSPACE, "tsconfig.json")], {
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("example workspace: vscode", () => {
  it("is the user's module: requires git, conflicts with vscodium, package vscode", () => {
    const p = program("vscode");
    expect(p.requires).toEqual(["git"]);
    expect(p.conflicts).toEqual(["vscodium"]);
    expect(modules.get("vscode")!.category).toBe("editors");
    expect(plain(configWithDefaults("vscode", "macbook").packages)).toEqual(["vscode"]);
  });

  it("merges settings.json at the platform's path", () => {
    const mac = files(configWithDefaults("vscode", "macbook"));
    const linux = files(configWithDefaults("vscode", "evo-x2"));
    const macPath = "~/Library/Application Support/Code/User/settings.json";
    const linuxPath = "~/.config/Code/User/settings.json";
    expect(mac[macPath]).toMatchObject({ merge: true, json: { "editor.fontSize": 14 } });
    expect(linux[linuxPath]).toMatchObject({ merge: true });
    expect(mac[linuxPath]).toBeUndefined();
    expect(linux[macPath]).toBeUndefined();
    expect(Object.keys(mac)).toContain("~/Library/Application Support/Code/User/keybindings.json");
    expect(Object.keys(linux)).toContain("~/.config/Code/User/snippets/setup-mac.code-snippets");
  });

  it("sets EDITOR as a default, ~/.vscode 0755, extensions at postSetup, a version check", () => {
    const c = configWithDefaults("vscode", "macbook");
    const editor = c.env?.EDITOR;
    expect(isOverride(editor) && editor.priority === 1000 && editor.content).toBe("code --wait");
    expect(c.permissions?.["~/.vscode"]).toEqual({ mode: "0755" });
    const hooks = hookList(c, "postSetup");
    expect(hooks).toContainEqual([
      { bin: "code", pkg: "vscode" },
      "--install-extension",
      "jnoortheen.nix-ide",
    ]);
    expect(plain(c.health)).toContainEqual(
      expect.objectContaining({ command: [{ bin: "code", pkg: "vscode" }, "--version"] }),
    );
  });

  it("has a ZFS dataset with snapshots only on the ZFS host", () => {
    expect(configWithDefaults("vscode", "macbook").datasets).toBeUndefined();
    const ds = configWithDefaults("vscode", "evo-x2").datasets;
    expect(ds?.data).toMatchObject({ dataset: "tank/data/vscode", snapshots: { keep: 14 } });
  });

  it("uses the host's values from setup-mac.jsonc", () => {
    const mac = resolveHost("macbook");
    const c = mac.contributions.get("vscode")!;
    const settings = files(c)["~/Library/Application Support/Code/User/settings.json"] as {
      json: object;
    };
    expect(settings.json).toMatchObject({ "editor.fontSize": 15, "editor.formatOnSave": true });
    expect(hookList(c, "postSetup")).toHaveLength(6);
    const evo = files(resolveHost("evo-x2").contributions.get("vscode")!);
    expect((evo["~/.config/Code/User/settings.json"] as { json: object }).json).toMatchObject({
      "editor.fontSize": 13,
      "window.titleBarStyle": "custom",
      "nix.serverPath": "nixd",
    });
  });
});

describe("example workspace: other modules", () => {
  it("vscodium conflicts with vscode and installs vscodium", () => {
    expect(program("vscodium").conflicts).toEqual(["vscode"]);
    expect(plain(configWithDefaults("vscodium", "evo-x2").packages)).toEqual(["vscodium"]);
  });

  it("git writes ini config and text ignores, extended by other modules", () => {
    const git = resolveHost("macbook");
    const f = files(git.contributions.get("git")!);
    const config = f["~/.config/git/config"] as { ini: Record<string, Record<string, unknown>> };
    expect(config.ini.user).toEqual({ name: "Lars Artmann", email: "lars@example.org" });
    expect(config.ini.core?.pager).toBe("delta"); // from delta
    expect(config.ini.delta?.["side-by-side"]).toBe(true); // delta's host option
    expect(config.ini.diff?.algorithm).toBe("histogram"); // shared defaults
    expect(config.ini.credential?.helper).toBe("osxkeychain");
    const ignore = (f["~/.config/git/ignore"] as { text: string }).text.split("\n");
    expect(ignore).toEqual(expect.arrayContaining([".DS_Store", ".vscode/", ".direnv/"]));
  });

  it("fish collects init lines from starship, direnv, fzf and atuin, prompt last", () => {
    const { contributions, options } = resolveHost("evo-x2");
    expect(options.get("fish")!.interactiveInit).toBe(
      [
        "direnv hook fish | source",
        "fzf --fish | source",
        "atuin init fish | source",
        "starship init fish | source",
      ].join("\n"),
    );
    const text = (
      files(contributions.get("fish")!)["~/.config/fish/config.fish"] as { text: string }
    ).text;
    expect(text).toContain("    starship init fish | source\nend");
    expect(text).toContain("abbr --add ll 'eza --group-directories-first --long --git'");
    expect(contributions.get("fish")!.nixos).toMatchObject({
      "users.users.lars.shell": { pkg: "fish" },
    });
  });

  it("starship writes TOML, tmux its XDG config with fish as shell", () => {
    expect(
      files(configWithDefaults("starship", "macbook"))["~/.config/starship.toml"],
    ).toHaveProperty("toml");
    const tmux = files(configWithDefaults("tmux", "evo-x2"))["~/.config/tmux/tmux.conf"] as {
      text: string;
    };
    expect(tmux.text).toContain("set -g prefix C-a");
    expect(tmux.text).toContain("default-command /run/current-system/sw/bin/fish");
  });

  it("bat is a wrapper with the theme and style flags and its pager", () => {
    const c = configWithDefaults("bat", "macbook");
    expect(c.wrappers?.bat?.addFlags).toEqual([
      "--theme=TwoDark",
      "--style=numbers,changes,header",
    ]);
    expect(c.wrappers?.bat?.env).toEqual({ BAT_PAGER: "less -RF" });
    expect(c.packages).toBeUndefined();
    const mac = resolveHost("macbook").contributions.get("bat")!;
    expect(mac.wrappers?.bat?.addFlags).toContain("--theme=Nord");
  });

  it("activitywatch is a user service on both platforms with an HTTP health check", () => {
    for (const hostName of ["macbook", "evo-x2"]) {
      const c = configWithDefaults("activitywatch", hostName);
      const svcs = Object.values(services(c));
      expect(svcs.length).toBeGreaterThan(0);
      for (const s of svcs) expect(s.scope ?? "user").toBe("user");
      expect(svcs.map((s) => s.health)).toContainEqual({
        http: "http://127.0.0.1:5600/api/0/info",
      });
      expect(svcs.every((s) => s.restart === "on-failure")).toBe(true);
    }
    const linux = configWithDefaults("activitywatch", "evo-x2");
    expect(services(linux).server?.command[0]).toEqual({ bin: "aw-server", pkg: "activitywatch" });
    // nixpkgs builds ActivityWatch for Linux only: macOS gets the Homebrew cask.
    const mac = configWithDefaults("activitywatch", "macbook");
    expect(mac.packages).toBeUndefined();
    expect(mac.darwin).toMatchObject({ "homebrew.casks": ["activitywatch"] });
  });

  it("ollama: a system service with a ZFS dataset on NixOS, a user agent on macOS", () => {
    const evo = resolveHost("evo-x2").contributions.get("ollama")!;
    const server = services(evo).server!;
    expect(server.scope).toBe("system");
    expect(server.command).toEqual([{ bin: "ollama", pkg: "ollama-rocm" }, "serve"]);
    expect(server.environment?.OLLAMA_HOST).toBe("0.0.0.0:11434");
    expect(server.health).toEqual({ http: "http://127.0.0.1:11434/api/version" });
    expect(evo.datasets?.models).toMatchObject({
      dataset: "tank/ai/ollama",
      mountpoint: "/var/lib/ollama",
      snapshots: { keep: 14, every: "daily" },
    });
    // Pulled once the server answers, by apply: during activation it is not up yet.
    expect(hookList(evo, "postStart")).toContainEqual([
      { bin: "ollama", pkg: "ollama-rocm" },
      "pull",
      "nomic-embed-text",
    ]);
    expect(hookList(evo, "postSetup")).toEqual([]);

    const mac = configWithDefaults("ollama", "macbook");
    expect(services(mac).server?.scope).toBe("user");
    expect(services(mac).server?.command[0]).toEqual({ bin: "ollama", pkg: "ollama" });
    expect(mac.datasets).toBeUndefined();
    // A NixOS host without ZFS gets no dataset either.
    const noZfs = program("ollama").config!({
      options: program("ollama").options!.parse({}),
      host: { ...host("evo-x2"), zfs: false },
      enabled: () => true,
    });
    expect(noZfs.datasets).toBeUndefined();
    expect(services(noZfs).server?.scope).toBe("system");
  });

  it("has scheduled jobs", () => {
    const gc = services(configWithDefaults("nix-gc", "evo-x2"));
    expect(gc.collect).toMatchObject({ scope: "system", schedule: { calendar: "weekly" } });
    expect(gc.collect?.command).toEqual([
      { bin: "nix-collect-garbage", pkg: "nix" },
      "--delete-older-than",
      "14d",
    ]);
    expect(gc.optimise?.schedule).toEqual({ calendar: { weekday: 0, hour: 4, minute: 0 } });
    const restic = services(resolveHost("macbook").contributions.get("restic-backup")!);
    expect(restic.backup?.schedule).toEqual({ calendar: { hour: 13, minute: 30 } });
    expect(restic.backup?.environment?.RESTIC_REPOSITORY).toBe(
      "sftp:lars@evo-x2:/tank/backup/restic/macbook",
    );
  });

  it("tailscale uses each platform's own module through raw options", () => {
    expect(configWithDefaults("tailscale", "evo-x2").nixos).toMatchObject({
      "services.tailscale.enable": true,
      "networking.firewall.trustedInterfaces": ["tailscale0"],
    });
    expect(configWithDefaults("tailscale", "macbook").darwin).toEqual({
      "services.tailscale.enable": true,
    });
    expect(configWithDefaults("tailscale", "macbook").nixos).toBeUndefined();
  });

  it("platform-only modules say so", () => {
    expect(program("colima").platforms).toEqual(["darwin"]);
    expect(program("gpu-tools").platforms).toEqual(["nixos"]);
    expect(
      configWithDefaults("colima", "macbook").files?.["~/.colima/default/colima.yaml"],
    ).toMatchObject({
      merge: true,
      yaml: { arch: "aarch64", vmType: "vz" },
    });
  });
});

describe("example workspace: setup-mac.jsonc", () => {
  it("has the two hosts", () => {
    expect(host("macbook")).toMatchObject({
      platform: "darwin",
      system: "aarch64-darwin",
      user: "lars",
      home: "/Users/lars",
      zfs: false,
    });
    expect(host("evo-x2")).toMatchObject({
      platform: "nixos",
      system: "x86_64-linux",
      user: "lars",
      home: "/home/lars",
      zfs: true,
      zfsPool: "tank",
    });
  });

  it("names only existing programs, and shares defaults only of existing programs", () => {
    for (const name of Object.keys(workspace.defaults ?? {}))
      expect(modules.has(name), name).toBe(true);
    for (const [hostName, entry] of Object.entries(workspace.hosts)) {
      for (const name of Object.keys(entry.programs ?? {})) {
        expect(modules.has(name), `${hostName}: ${name}`).toBe(true);
      }
    }
  });

  for (const hostName of ["macbook", "evo-x2"]) {
    it(`${hostName}: enabled programs fit the platform and don't conflict`, () => {
      const { enabled } = resolveHost(hostName);
      const platform = host(hostName).platform;
      for (const name of enabled) {
        const p = program(name);
        expect(!p.platforms || p.platforms.includes(platform), `${name} on ${platform}`).toBe(true);
        for (const other of p.conflicts ?? [])
          expect(enabled.has(other), `${name} vs ${other}`).toBe(false);
      }
    });

    it(`${hostName}: option values are valid and no two programs write one file or variable`, () => {
      const { contributions } = resolveHost(hostName); // throws on invalid option values
      const fileOwner = new Map<string, string>();
      const envValue = new Map<string, { value: unknown; by: string; priority: number }>();
      for (const [name, c] of contributions) {
        for (const path of Object.keys(c.files ?? {})) {
          expect(
            fileOwner.get(path),
            `${path}: ${name} and ${fileOwner.get(path)}`,
          ).toBeUndefined();
          fileOwner.set(path, name);
        }
        for (const [key, raw] of Object.entries(c.env ?? {})) {
          const priority = isOverride(raw) ? raw.priority : 100;
          const value = plain(raw);
          const seen = envValue.get(key);
          if (seen && seen.priority === priority) {
            expect(value, `${key}: ${name} and ${seen.by}`).toEqual(seen.value);
          }
          envValue.set(key, { value, by: name, priority });
        }
      }
      expect(fileOwner.size).toBeGreaterThan(5);
    });
  }
});
