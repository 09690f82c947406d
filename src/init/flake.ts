/**
 * Reading a flake's hosts (pure: syntax trees in, hosts out). The flake's `outputs` is evaluated
 * by the small evaluator in `nix-eval.ts` with its inputs unknown, so hosts come out as the flake
 * computes them: `darwinConfigurations` / `nixosConfigurations` / `homeConfigurations` written
 * directly, through `let` helpers (`mkHost { system = …; user = …; }`), `mapAttrs`/`genAttrs`, or
 * inside `flake-parts.lib.mkFlake`'s `flake`. Each host's system and user are read from what
 * the platform itself reads: the call's `system` (or `nixpkgs.hostPlatform`, or the `pkgs` of a
 * home-manager configuration), and `system.primaryUser`, `home-manager.users.<name>`,
 * `users.users.<name>` or `home.username` in its modules, evaluated with its `specialArgs`.
 * What cannot be computed from the text is reported as missing, with why and where — never
 * filled in with a guess.
 */
import type { Node } from "web-tree-sitter";
import type { Context, Loader, Thunk, Unknown, Value, Where } from "./nix-eval.js";
import { apply, evaluateFile, newContext, ready, unknown } from "./nix-eval.js";

export type HostField = "system" | "user";

/** A host field the flake's text does not determine: why, and where the trail ends. */
export interface MissingField {
  field: HostField;
  why: string;
  at: Where;
}

export interface FlakeHost {
  name: string;
  platform: "darwin" | "nixos";
  /** A standalone home-manager configuration (`homeConfigurations."user@host"`). */
  standalone?: boolean;
  system?: string;
  user?: string;
  /** The user's home folder, where the flake sets it (`users.users.<user>.home`, `home.homeDirectory`). */
  home?: string;
  /** Where the host is defined. */
  at: Where;
  missing: MissingField[];
}

export interface FlakeReading {
  hosts: FlakeHost[];
  /** What init could not read at all (a computed `nixosConfigurations`, an unreadable file). */
  notes: string[];
}

const KINDS = [
  { output: "darwinConfigurations", fn: "darwinSystem" },
  { output: "nixosConfigurations", fn: "nixosSystem" },
  { output: "homeConfigurations", fn: "homeManagerConfiguration" },
] as const;

const SYSTEM = /^(aarch64|x86_64|i686|armv7l|riscv64)-(darwin|linux)$/;
const USER = /^[a-z_][a-z0-9_.-]*$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Reads the hosts of `flake.nix` (its syntax tree); `load` reads the local files it imports. */
export function readFlakeHosts(root: Node, load?: Loader): FlakeReading {
  const ctx = newContext(load);
  const notes: string[] = [];
  const flake = evaluateFile(root, "flake.nix", ctx);
  const outputsThunk = flake.kind === "attrs" ? flake.entries.get("outputs") : undefined;
  if (!outputsThunk) {
    notes.push("flake.nix has no `outputs`: no hosts were read.");
    return { hosts: [], notes };
  }
  const at = { file: "flake.nix", line: 1 };
  // The inputs are known only to Nix, except `self`: the outputs themselves (`self.rev` and the
  // like stay unknown).
  const done: { outputs?: Value } = {};
  const self: Value = {
    kind: "attrs",
    entries: new Map(),
    dynamic: [],
    fallback: (name) => {
      const own = done.outputs?.kind === "attrs" ? done.outputs.entries.get(name) : undefined;
      return own ? own.force() : { kind: "ref", path: ["self", name], at };
    },
    at,
  };
  const inputs: Value = {
    kind: "attrs",
    entries: new Map([["self", ready(self)]]),
    dynamic: [],
    fallback: (name) => ({ kind: "ref", path: [name], at }),
    at,
  };
  const outputs = apply(outputsThunk.force(), ready(inputs), ctx, at);
  done.outputs = outputs;
  const sets = outputSets(outputs, ctx, notes);

  const hosts: FlakeHost[] = [];
  for (const kind of KINDS) {
    for (const set of sets) {
      const t = set.entries.get(kind.output);
      if (!t) continue;
      const configs = t.force();
      if (configs.kind !== "attrs") {
        notes.push(
          `${kind.output} (${place(set.at)}) is computed in a way init cannot follow: ${why(configs)}. Add its hosts to setup-mac.jsonc by hand.`,
        );
        continue;
      }
      for (const d of configs.dynamic) {
        notes.push(
          `${kind.output} has a host whose name is computed (${place(d.at)}: ${d.why}): add it to setup-mac.jsonc by hand.`,
        );
      }
      for (const [name, config] of configs.entries) {
        const host = readHost(kind, name, config, ctx, configs.at);
        if (!host) {
          notes.push(
            `homeConfigurations.${JSON.stringify(name)} is not a name setup-mac can use as a host (user@host): add it by hand.`,
          );
          continue;
        }
        if (host.standalone && !name.includes("@")) {
          notes.push(
            `homeConfigurations.${name} has no "@host" in its name: setup-mac calls the host ${JSON.stringify(host.name)}, and \`apply\` switches \`.#${host.user ?? "<user>"}@${host.name}\`; name the configuration ${JSON.stringify(`${host.user ?? "<user>"}@<host>`)} in flake.nix to match.`,
          );
        }
        if (hosts.some((h) => h.name === host.name)) {
          notes.push(
            `${host.name} is defined twice (${place(host.at)}); the first definition is used.`,
          );
          continue;
        }
        hosts.push(host);
      }
    }
  }
  return { hosts: hosts.sort((a, b) => a.name.localeCompare(b.name)), notes };
}

/** The attribute sets holding `*Configurations`: the outputs, or flake-parts' `flake`. */
function outputSets(
  outputs: Value,
  ctx: Context,
  notes: string[],
): Extract<Value, { kind: "attrs" }>[] {
  if (outputs.kind === "attrs") return [outputs];
  if (outputs.kind === "call" && endsWith(outputs.fn, ["lib", "mkFlake"])) {
    const module = outputs.args[1];
    if (!module) {
      notes.push("flake-parts' mkFlake is called without its module: no hosts were read.");
      return [];
    }
    const out: Extract<Value, { kind: "attrs" }>[] = [];
    const seen = new Set<Thunk>();
    flakePartsModule(module, ctx, notes, out, seen, 0);
    return out;
  }
  notes.push(`outputs is not something init can read (${why(outputs)}): add hosts by hand.`);
  return [];
}

/** A flake-parts module: its `flake` set and those of its `imports`. */
function flakePartsModule(
  module: Thunk,
  ctx: Context,
  notes: string[],
  out: Extract<Value, { kind: "attrs" }>[],
  seen: Set<Thunk>,
  depth: number,
): void {
  if (seen.has(module) || depth > 20) return;
  seen.add(module);
  const value = moduleBody(module.force(), new Map(), ctx);
  if (value.kind !== "attrs") {
    if (value.kind === "unknown")
      notes.push(`a flake-parts module could not be read (${place(value.at)}: ${value.why}).`);
    return;
  }
  const flake = value.entries.get("flake")?.force();
  if (flake?.kind === "attrs") out.push(flake);
  else if (flake?.kind === "unknown")
    notes.push(`flake-parts' \`flake\` could not be read (${place(flake.at)}: ${flake.why}).`);
  const imports = value.entries.get("imports")?.force();
  if (imports?.kind === "list") {
    for (const i of imports.items) flakePartsModule(i, ctx, notes, out, seen, depth + 1);
  }
}

/**
 * A module's attribute set: a function is called with `args` (the specialArgs) and open-ended
 * module arguments; a path is read with `import`.
 */
function moduleBody(v: Value, args: Map<string, Thunk>, ctx: Context): Value {
  if (v.kind === "path") {
    const imported = apply(
      { kind: "builtin", name: "import", arity: 1, args: [], at: v.at },
      ready(v),
      ctx,
      v.at,
    );
    return moduleBody(imported, args, ctx);
  }
  if (v.kind === "lambda") {
    const moduleArgs: Value = {
      kind: "attrs",
      entries: args,
      dynamic: [],
      // `pkgs`, `config`, `lib`, `inputs'`…: given by the module system, known only to Nix.
      fallback: (name) => ({ kind: "ref", path: [name], at: v.at }),
      at: v.at,
    };
    return apply(v, ready(moduleArgs), ctx, v.at);
  }
  return v;
}

/**
 * A module's configuration: as in the module system, a set with `config` or `options` keeps its
 * configuration under `config`; any other set is configuration itself.
 */
function moduleConfig(v: Value): Value {
  if (v.kind === "attrs" && (v.entries.has("options") || v.entries.has("config"))) {
    return v.entries.get("config")?.force() ?? { ...v, entries: new Map(), dynamic: [] };
  }
  return v;
}

interface Reading {
  /** Values found for a path in the host's modules, first definition first. */
  values: Value[];
  /** Unknown modules and computed names met on the way: they may hold the answer. */
  unknowns: Unknown[];
}

/** Every module of a host, flattened through `imports`, as attribute sets. */
function hostModules(list: Value | undefined, args: Map<string, Thunk>, ctx: Context) {
  const modules: Extract<Value, { kind: "attrs" }>[] = [];
  const unknowns: Unknown[] = [];
  const seen = new Set<Thunk>();
  const visit = (t: Thunk, depth: number) => {
    if (seen.has(t) || depth > 20 || seen.size > 500) return;
    seen.add(t);
    const body = moduleBody(t.force(), args, ctx);
    const v = moduleConfig(body);
    if (v.kind === "attrs") {
      modules.push(v);
      unknowns.push(...v.dynamic);
    } else if (v.kind === "unknown") unknowns.push(v);
    const imports = body.kind === "attrs" ? body.entries.get("imports")?.force() : undefined;
    if (imports?.kind === "list") for (const i of imports.items) visit(i, depth + 1);
    // A `ref` or `call` (`home-manager.darwinModules.home-manager`) is an upstream module.
  };
  if (list?.kind === "list") for (const t of list.items) visit(t, 0);
  else if (list?.kind === "unknown") unknowns.push(list);
  return { modules, unknowns };
}

/** The values at an attribute path in a set, or an unknown met on the way. */
function get(v: Value | undefined, path: string[]): Value | undefined {
  for (const key of path) {
    if (v?.kind !== "attrs") return v?.kind === "unknown" ? v : undefined;
    const t = v.entries.get(key);
    if (!t) return v.dynamic[0];
    v = t.force();
  }
  return v;
}

function find(modules: Extract<Value, { kind: "attrs" }>[], path: string[]): Reading {
  const values: Value[] = [];
  const unknowns: Unknown[] = [];
  for (const m of modules) {
    const v = get(m, path);
    if (!v) continue;
    if (v.kind === "unknown") unknowns.push(v);
    else values.push(v);
  }
  return { values, unknowns };
}

/** The names a set of users defines (`home-manager.users`, `users.users`), and its unknowns. */
function userNames(
  modules: Extract<Value, { kind: "attrs" }>[],
  path: string[],
  keep: (user: Value) => boolean,
): { names: Set<string>; unknowns: Unknown[] } {
  const names = new Set<string>();
  const unknowns: Unknown[] = [];
  for (const m of modules) {
    const set = get(m, path);
    if (!set) continue;
    if (set.kind === "unknown") {
      unknowns.push(set);
      continue;
    }
    if (set.kind !== "attrs") continue;
    unknowns.push(...set.dynamic);
    for (const [name, t] of set.entries) if (keep(t.force())) names.add(name);
  }
  return { names, unknowns };
}

function readHost(
  kind: (typeof KINDS)[number],
  name: string,
  config: Thunk,
  ctx: Context,
  setAt: Where,
): FlakeHost | undefined {
  let v = config.force();
  // flake-parts' `withSystem "x86_64-linux" ({ config, inputs', ... }: lib.nixosSystem { … })`:
  // the function gets that system's module arguments, and the system is the host's unless the
  // call says otherwise.
  let withSystem: Value | undefined;
  if (v.kind === "call" && v.fn[v.fn.length - 1] === "withSystem" && v.args.length === 2) {
    withSystem = v.args[0]!.force();
    const perSystem: Value = {
      kind: "attrs",
      entries: new Map([["system", ready(withSystem)]]),
      dynamic: [],
      fallback: (arg) => ({ kind: "ref", path: [arg], at: v.at }),
      at: v.at,
    };
    v = apply(v.args[1]!.force(), ready(perSystem), ctx, v.at);
  }
  let hostName = name;
  let nameUser: string | undefined;
  if (kind.output === "homeConfigurations") {
    const at = name.lastIndexOf("@");
    if (at > 0) {
      nameUser = name.slice(0, at);
      hostName = name.slice(at + 1);
    }
  }
  if (!HOST.test(hostName)) return undefined;
  // Where the host is named (its binding), else where its value comes from.
  const at = config.at ?? (v.kind === "unknown" ? setAt : v.at);
  const host: FlakeHost = {
    name: hostName,
    platform: kind.output === "darwinConfigurations" ? "darwin" : "nixos",
    ...(kind.output === "homeConfigurations" ? { standalone: true } : {}),
    at,
    missing: [],
  };
  if (v.kind !== "call" || !endsWith(v.fn, ["lib", kind.fn])) {
    const reason =
      v.kind === "unknown"
        ? v
        : unknown(`${kind.output}.${name} is not a call of \`lib.${kind.fn}\` init can read`, v.at);
    host.missing.push({ field: "system", why: reason.why, at: reason.at });
    if (!nameUser) host.missing.push({ field: "user", why: reason.why, at: reason.at });
    else host.user = nameUser;
    return host;
  }
  const arg = v.args[0]?.force();
  const attr = (key: string) => (arg?.kind === "attrs" ? arg.entries.get(key)?.force() : undefined);
  const specialArgs = attr(
    kind.output === "homeConfigurations" ? "extraSpecialArgs" : "specialArgs",
  );
  const args = new Map<string, Thunk>(specialArgs?.kind === "attrs" ? specialArgs.entries : []);
  const { modules, unknowns } = hostModules(attr("modules"), args, ctx);

  // The system.
  const systemCandidates: Value[] = [];
  const systemUnknowns: Unknown[] = [];
  const take = (r: Value | undefined) => {
    if (!r) return;
    if (r.kind === "unknown") systemUnknowns.push(r);
    else systemCandidates.push(r);
  };
  take(attr("system"));
  if (withSystem && systemCandidates.length === 0) take(withSystem);
  if (kind.output === "homeConfigurations") take(pkgsSystem(attr("pkgs")));
  for (const path of [
    ["nixpkgs", "hostPlatform"],
    ["nixpkgs", "system"],
  ]) {
    const r = find(modules, path);
    systemUnknowns.push(...r.unknowns);
    for (const c of r.values) take(c.kind === "attrs" ? get(c, ["system"]) : c);
  }
  const system = decide(
    "system",
    systemCandidates,
    [...systemUnknowns, ...unknowns],
    (s) => SYSTEM.test(s),
    host,
    () =>
      kind.output === "homeConfigurations"
        ? "neither `pkgs = nixpkgs.legacyPackages.<system>` nor `nixpkgs.hostPlatform` is set"
        : "neither `system = …` nor `nixpkgs.hostPlatform` is set in its modules",
  );
  if (system) {
    host.system = system;
    // A Linux system under darwinConfigurations (or the reverse) is the flake's to fix.
    if (kind.output === "homeConfigurations")
      host.platform = system.endsWith("-darwin") ? "darwin" : "nixos";
  }

  // The user.
  let user: string | undefined = nameUser;
  if (!user) {
    const userUnknowns: Unknown[] = [];
    const stringsOf = (r: Reading) => {
      userUnknowns.push(...r.unknowns);
      return r.values;
    };
    const primary = stringsOf(find(modules, ["system", "primaryUser"]));
    const username = stringsOf(find(modules, ["home", "username"]));
    const hm = userNames(modules, ["home-manager", "users"], () => true);
    const normal = userNames(modules, ["users", "users"], (u) => {
      const system = get(u, ["isSystemUser"]);
      return !(system?.kind === "bool" && system.value);
    });
    normal.names.delete("root");
    hm.names.delete("root"); // a home-manager config for root does not make root the user
    userUnknowns.push(...hm.unknowns, ...normal.unknowns);
    const fromSpecial = ["user", "username", "userName", "primaryUser"]
      .map((k) => args.get(k)?.force())
      .filter((x): x is Value => x !== undefined);
    const named = (names: Set<string>): Value[] =>
      [...names].map((value) => ({ kind: "string", value, at: host.at }));
    // The strongest evidence first: what the platform itself treats as the user.
    // `home-manager switch --flake .` looks up `homeConfigurations.<user>` when there is no
    // `<user>@<host>`: a name without `@` is its user's.
    const configName =
      kind.output === "homeConfigurations" && USER.test(name) ? named(new Set([name])) : [];
    const tiers: Value[][] = [
      primary,
      username,
      configName,
      named(hm.names),
      named(normal.names),
      fromSpecial,
    ];
    const tier = tiers.find((t) => t.length > 0) ?? [];
    user = decide(
      "user",
      tier,
      [...userUnknowns, ...unknowns],
      (s) => USER.test(s),
      host,
      () =>
        kind.output === "homeConfigurations"
          ? "its name is not user@host and its modules set no `home.username`"
          : "its modules set no `system.primaryUser`, `users.users.<name>` or `home-manager.users.<name>`",
    );
  }
  if (user) {
    host.user = user;
    const homes =
      kind.output === "homeConfigurations"
        ? find(modules, ["home", "homeDirectory"]).values
        : [
            ...find(modules, ["users", "users", user, "home"]).values,
            ...find(modules, ["home-manager", "users", user, "home", "homeDirectory"]).values,
          ];
    const home = homes.find((h) => h.kind === "string" && h.value.startsWith("/"));
    if (home?.kind === "string") host.home = home.value;
  }
  return host;
}

/**
 * One value for a field: the candidates must be strings that agree and pass `valid`; otherwise
 * the field is missing, with the most telling reason (an unknown met on the way, or `none`).
 */
function decide(
  field: HostField,
  candidates: Value[],
  unknowns: Unknown[],
  valid: (s: string) => boolean,
  host: FlakeHost,
  none: () => string,
): string | undefined {
  const strings = new Set<string>();
  for (const c of candidates) {
    if (c.kind === "string") strings.add(c.value);
    else {
      const u =
        c.kind === "unknown" ? c : unknown(`\`${field}\` is ${describe(c)}, not a string`, c.at);
      host.missing.push({ field, why: u.why, at: u.at });
      return undefined;
    }
  }
  if (strings.size === 1) {
    const [value] = strings as unknown as [string];
    if (valid(value)) return value;
    host.missing.push({
      field,
      why: `${JSON.stringify(value)} is not a ${field === "user" ? "user name" : "Nix system"}`,
      at: candidates[0]!.at,
    });
    return undefined;
  }
  if (strings.size > 1) {
    host.missing.push({
      field,
      why: `its modules name several: ${[...strings].sort().join(", ")}`,
      at: candidates[0]!.at,
    });
    return undefined;
  }
  const u = unknowns[0];
  host.missing.push(u ? { field, why: u.why, at: u.at } : { field, why: none(), at: host.at });
  return undefined;
}

/** The system of a home-manager configuration's `pkgs`: `nixpkgs.legacyPackages.<system>` or `import nixpkgs { system = …; }`. */
function pkgsSystem(pkgs: Value | undefined): Value | undefined {
  if (!pkgs) return undefined;
  if (pkgs.kind === "ref") {
    const i = pkgs.path.indexOf("legacyPackages");
    if (i >= 0 && pkgs.path[i + 1])
      return { kind: "string", value: pkgs.path[i + 1]!, at: pkgs.at };
    return unknown(`\`pkgs = ${pkgs.path.join(".")}\` does not name its system`, pkgs.at);
  }
  if (pkgs.kind === "call" && pkgs.fn[pkgs.fn.length - 1] === "import") {
    const arg = pkgs.args[0]?.force();
    const sys =
      arg?.kind === "attrs"
        ? (arg.entries.get("system") ?? arg.entries.get("localSystem"))?.force()
        : undefined;
    return sys?.kind === "attrs" ? get(sys, ["system"]) : sys;
  }
  return pkgs.kind === "unknown" ? pkgs : undefined;
}

function describe(v: Value): string {
  if (v.kind === "ref") return `\`${v.path.join(".")}\`, known only when Nix evaluates`;
  if (v.kind === "call") return `the result of \`${v.fn.join(".")}\``;
  return `a ${v.kind}`;
}

function why(v: Value): string {
  return v.kind === "unknown" ? `${place(v.at)}: ${v.why}` : describe(v);
}

/** `file:line`. */
export function place(at: Where): string {
  return `${at.file}:${at.line}`;
}

function endsWith(path: string[], tail: string[]): boolean {
  return (
    path.length >= tail.length && tail.every((t, i) => path[path.length - tail.length + i] === t)
  );
}
