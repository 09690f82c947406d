/**
 * The security scan (pure): what a host's evaluated configuration exposes. It reads the lock a
 * build would write — plain data, after every module ran — so it sees what Nix will see, whatever
 * code produced it. Each finding names the rule, the program and its module file, where in the
 * program's output the problem is, and the fix.
 *
 * Rules (their names are permanent: `scan.allow` entries in the config refer to them):
 * - `secret-in-lock`: a credential written into the lock, which is committed to git and copied
 *   into the world-readable Nix store (known token formats and private keys: error; a literal
 *   value under a password/token/secret-like name: warning).
 * - `world-writable`: a managed file or permission anyone may write (error); `setuid` for set-id
 *   bits (warning); `etc-group-writable` for group-writable files in /etc (warning).
 * - `root-service`: a system service without `user`, so it runs as root (warning).
 * - `listens-everywhere`: a service told to listen on every interface (warning).
 * - `pipe-to-shell`: a hook or service that downloads a script and runs it (warning).
 * - `weakened-security`: a raw platform option that turns a protection off (warning).
 * - `plain-http`: a health check over plain HTTP to another machine (info).
 */
import type { HostLock, LevelLock, ProgramLock, RawLock } from "../emit/lock-types.js";

/** A `scan.allow` entry of the config: a finding accepted on purpose, and why. */
export interface ScanAllowEntry {
  rule: ScanRule;
  program?: string;
  host?: string;
  why: string;
}

export type ScanSeverity = "error" | "warning" | "info";

export const SCAN_RULES = [
  "secret-in-lock",
  "world-writable",
  "setuid",
  "etc-group-writable",
  "root-service",
  "listens-everywhere",
  "pipe-to-shell",
  "weakened-security",
  "plain-http",
] as const;
export type ScanRule = (typeof SCAN_RULES)[number];

/** One line per rule, for reports that list the rules (SARIF). */
export const RULE_SUMMARIES: Record<ScanRule, string> = {
  "secret-in-lock":
    "A credential is written into the lock, which is committed and copied into the Nix store",
  "world-writable": "A managed file or permission is writable by every account",
  setuid: "A managed file or permission has a set-user-ID or set-group-ID bit",
  "etc-group-writable": "A file under /etc is writable by its group",
  "root-service": "A system service runs as root",
  "listens-everywhere": "A service listens on every network interface",
  "pipe-to-shell": "A hook or service downloads a script and runs it",
  "weakened-security": "A raw platform option switches a protection off",
  "plain-http": "A health check talks plain HTTP to another machine",
};

export interface ScanFinding {
  rule: ScanRule;
  severity: ScanSeverity;
  host: string;
  program: string;
  /** The program's module, workspace-relative. */
  module: string;
  /** Where in the program's output: `env.API_TOKEN`, `services.server.environment.HOST` … */
  where: string;
  message: string;
  fix: string;
}

/** Known credential formats: a match is almost certainly a real secret. */
const TOKEN_FORMATS: [string, RegExp][] = [
  ["an AWS access key", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["a GitHub token", /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/],
  ["a GitLab token", /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ["a Slack token", /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/],
  ["a Google API key", /\bAIza[0-9A-Za-z_-]{35}\b/],
  ["an Anthropic API key", /\bsk-ant-[A-Za-z0-9_-]{20,}/],
  ["an OpenAI API key", /\bsk-(proj-)?[A-Za-z0-9_-]{32,}/],
  ["a Stripe secret key", /\b[sr]k_live_[0-9A-Za-z]{20,}\b/],
  ["a private key", /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/],
];

/** Names that say "the value is a credential": `DB_PASSWORD`, `apiKey`, `client_secret` … */
const SECRET_NAME =
  /(pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credentials?)$/i;

/** Values that point at a secret instead of being one: paths, variables, commands, references. */
function isReference(value: string): boolean {
  return (
    /^[/~$@<]/.test(value) ||
    value.includes("${") ||
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ||
    /^(file|env|keychain|op|vault|pass|sops|agenix):/i.test(value) ||
    /\.(age|gpg|asc|enc|key|pem)$/i.test(value)
  );
}

/** All formats in one pattern: most strings are tested once, not once per format. */
const ANY_TOKEN = new RegExp(TOKEN_FORMATS.map(([, p]) => `(?:${p.source})`).join("|"));

/** Finds a credential in a string: the kind, or undefined. */
export function credentialIn(value: string): string | undefined {
  if (value.length < 15 || !ANY_TOKEN.test(value)) return undefined; // the shortest format is 15
  for (const [kind, pattern] of TOKEN_FORMATS) if (pattern.test(value)) return kind;
  return undefined;
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[?::1\]?)$/i;

/** Raw options that switch a protection off, with the value that does it. */
const WEAKENING: { target: RawLock["target"]; path: string; bad: unknown; what: string }[] = [
  {
    target: "nixos",
    path: "networking.firewall.enable",
    bad: false,
    what: "turns the firewall off",
  },
  {
    target: "nixos",
    path: "security.sudo.wheelNeedsPassword",
    bad: false,
    what: "lets every wheel user run anything as root without a password",
  },
  {
    target: "nixos",
    path: "services.openssh.settings.PasswordAuthentication",
    bad: true,
    what: "allows SSH logins with a password",
  },
  {
    target: "nixos",
    path: "services.openssh.settings.PermitRootLogin",
    bad: "yes",
    what: "allows root to log in over SSH with a password",
  },
  {
    target: "nixos",
    path: "services.openssh.settings.PermitEmptyPasswords",
    bad: true,
    what: "allows SSH logins with an empty password",
  },
  {
    target: "nixos",
    path: "nix.settings.sandbox",
    bad: false,
    what: "turns the Nix build sandbox off",
  },
  {
    target: "nixos",
    path: "nix.settings.require-sigs",
    bad: false,
    what: "accepts unsigned store paths from caches",
  },
  {
    target: "darwin",
    path: "nix.settings.sandbox",
    bad: false,
    what: "turns the Nix build sandbox off",
  },
  {
    target: "darwin",
    path: "nix.settings.require-sigs",
    bad: false,
    what: "accepts unsigned store paths from caches",
  },
  {
    target: "darwin",
    path: "system.defaults.alf.globalstate",
    bad: 0,
    what: "turns the application firewall off",
  },
];

const PIPE_TO_SHELL = /\b(curl|wget|fetch)\b[^|;&]*\|\s*(sudo\s+)?(\S*\/)?(ba|z|da|k|fi)?sh\b/;
const EVERYWHERE = /(^|[^\d.])0\.0\.0\.0([^\d.]|$)|\[::\](:|$)|^::$/;

/** Scans one host's part of the lock. */
export function scanHost(hostName: string, host: HostLock): ScanFinding[] {
  const out: ScanFinding[] = [];
  for (const name of host.order) {
    const program = host.programs[name];
    if (program) scanProgram(hostName, host, name, program, out);
  }
  return out;
}

function scanProgram(
  hostName: string,
  host: HostLock,
  name: string,
  program: ProgramLock,
  out: ScanFinding[],
): void {
  const add = (
    rule: ScanRule,
    severity: ScanSeverity,
    where: string,
    message: string,
    fix: string,
  ) =>
    out.push({
      rule,
      severity,
      host: hostName,
      program: name,
      module: program.source.path,
      where,
      message,
      fix,
    });

  const keepSecretsOut =
    "read it at run time from a file outside the store (sops-nix, agenix, the keychain) and put only its path in the module";
  /** A value under a name: known formats anywhere, literal values under secret-like names. */
  const secret = (where: string, key: string | undefined, value: unknown) => {
    if (typeof value !== "string" || value === "") return;
    const kind = credentialIn(value);
    if (kind) {
      add(
        "secret-in-lock",
        "error",
        where,
        `holds ${kind}: the lock is committed and copied into the world-readable Nix store`,
        keepSecretsOut,
      );
    } else if (
      key !== undefined &&
      SECRET_NAME.test(key) &&
      value.length >= 6 &&
      !isReference(value)
    ) {
      add(
        "secret-in-lock",
        "warning",
        where,
        `looks like a credential written in clear: the lock is committed and copied into the world-readable Nix store`,
        keepSecretsOut,
      );
    }
  };
  /** Every string in a structured value, with the last key above it. */
  const walk = (where: string, value: unknown, key?: string) => {
    if (typeof value === "string") secret(where, key, value);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(`${where}[${i}]`, v, key));
    else if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(`${where}.${k}`, v, k);
  };

  for (const [levelName, level] of [
    ["system", program.system],
    ["home", program.home],
  ] as const) {
    if (!level) continue;
    scanLevel(levelName, level, host, add, secret, walk);
  }
  for (const probe of program.health ?? []) {
    if ("http" in probe) {
      try {
        const url = new URL(probe.http);
        if (url.protocol === "http:" && !LOOPBACK.test(url.hostname))
          add(
            "plain-http",
            "info",
            `health ${probe.name}`,
            `checks ${url.host} over plain HTTP: anyone on the path can read or forge the answer`,
            "use https:// for checks that leave this machine",
          );
      } catch {
        /* validated when the lock was built */
      }
    }
  }
}

type Add = (
  rule: ScanRule,
  severity: ScanSeverity,
  where: string,
  message: string,
  fix: string,
) => void;

function scanLevel(
  levelName: "system" | "home",
  level: LevelLock,
  host: HostLock,
  add: Add,
  secret: (where: string, key: string | undefined, value: unknown) => void,
  walk: (where: string, value: unknown, key?: string) => void,
): void {
  for (const [key, entry] of Object.entries(level.env ?? {}))
    secret(`env.${key}`, key, entry.value);

  for (const [target, file] of Object.entries(level.files ?? {})) {
    const shown = levelName === "system" ? `/etc/${target}` : `~/${target}`;
    const kind = credentialIn(file.text);
    if (kind)
      add(
        "secret-in-lock",
        "error",
        `files.${shown}`,
        `holds ${kind}: the lock is committed and copied into the world-readable Nix store`,
        "keep the secret in a file outside the store and have the program read it from there",
      );
    else if (file.format === "json") {
      try {
        walk(`files.${shown}`, JSON.parse(file.text));
      } catch {
        /* rendered by us: always JSON */
      }
    }
    if (file.mode) modeFindings(`files.${shown}`, file.mode, levelName === "system", add);
  }

  for (const [path, perm] of Object.entries(level.permissions ?? {}))
    modeFindings(`permissions.${path}`, perm.mode, path.startsWith("/etc/"), add);

  for (const [serviceName, svc] of Object.entries(level.services ?? {})) {
    const where = `services.${serviceName}`;
    if (svc.scope === "system" && !svc.user)
      add(
        "root-service",
        "warning",
        where,
        `runs as root (${host.platform === "darwin" ? "a launchd daemon" : "a systemd system unit"} without \`user\`)`,
        'give it its own account: `user: "name"` (and `group`), or make it a user service with `scope: "user"`',
      );
    for (const [key, value] of Object.entries(svc.environment ?? {})) {
      secret(`${where}.environment.${key}`, key, value);
      if (EVERYWHERE.test(value))
        add(
          "listens-everywhere",
          "warning",
          `${where}.environment.${key}`,
          `listens on every network interface (${value})`,
          "bind to 127.0.0.1 unless other machines must reach it, and then restrict it with the firewall",
        );
    }
    const words = svc.command.filter((a): a is string => typeof a === "string");
    const everywhere = words.find((w) => EVERYWHERE.test(w));
    if (everywhere)
      add(
        "listens-everywhere",
        "warning",
        `${where}.command`,
        `listens on every network interface (${everywhere})`,
        "bind to 127.0.0.1 unless other machines must reach it, and then restrict it with the firewall",
      );
    words.forEach((w, i) => secret(`${where}.command[${i}]`, undefined, w));
    pipeToShell(`${where}.command`, words, add);
  }

  for (const [hook, commands] of Object.entries(level.hooks ?? {}))
    (commands ?? []).forEach((argv, i) => {
      const words = argv.filter((a): a is string => typeof a === "string");
      words.forEach((w, j) => secret(`hooks.${hook}[${i}][${j}]`, undefined, w));
      pipeToShell(`hooks.${hook}[${i}]`, words, add);
    });

  for (const [binary, wrapper] of Object.entries(level.wrappers ?? {})) {
    for (const [key, value] of Object.entries(wrapper.env ?? {}))
      secret(`wrappers.${binary}.env.${key}`, key, value);
    (wrapper.addFlags ?? []).forEach((flag, i) => {
      const where = `wrappers.${binary}.addFlags[${i}]`;
      const eq = flag.indexOf("=");
      // `--token=…` is a value under a name; a bare flag is only checked for known formats.
      if (eq > 0) secret(where, flag.slice(0, eq).replace(/^-+/, ""), flag.slice(eq + 1));
      else secret(where, undefined, flag);
    });
  }

  for (const raw of level.raw ?? []) {
    const path = raw.path.join(".");
    walk(`${raw.target}.${path}`, raw.value, raw.path.at(-1));
    // `services.openssh.settings = { PasswordAuthentication = true; }` sets the same option.
    for (const [leaf, value] of leaves(path, raw.value)) {
      for (const rule of WEAKENING) {
        if (rule.target === raw.target && rule.path === leaf && value === rule.bad)
          add(
            "weakened-security",
            "warning",
            `${raw.target}.${leaf}`,
            `${rule.what} (\`${leaf} = ${JSON.stringify(value)}\`)`,
            "leave the platform's default, or keep this in the host's own configuration where its reason is written down",
          );
      }
    }
  }
}

/** Every leaf of a raw option's value with its full dotted path. */
function leaves(path: string, value: unknown): [string, unknown][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [[path, value]];
  return Object.entries(value).flatMap(([k, v]) => leaves(`${path}.${k}`, v));
}

function pipeToShell(where: string, words: string[], add: Add): void {
  const line = words.join(" ");
  if (PIPE_TO_SHELL.test(line))
    add(
      "pipe-to-shell",
      "warning",
      where,
      "downloads a script and runs it: what runs can change at any time, outside Nix",
      "package the tool with Nix (or pin the script by hash with fetchurl) and run that",
    );
}

function modeFindings(where: string, mode: string, inEtc: boolean, add: Add): void {
  const bits = parseInt(mode, 8);
  if (Number.isNaN(bits)) return;
  if (bits & 0o002)
    add(
      "world-writable",
      "error",
      where,
      `mode ${mode} lets every account on the machine change it`,
      "drop the write bit for others (e.g. 0644 for files, 0755 for folders)",
    );
  else if (inEtc && bits & 0o020)
    add(
      "etc-group-writable",
      "warning",
      where,
      `mode ${mode} lets the group change a file under /etc`,
      "use 0644 unless the group must write it",
    );
  if (bits & 0o6000)
    add(
      "setuid",
      "warning",
      where,
      `mode ${mode} has the set-${bits & 0o4000 ? "user" : "group"}-ID bit: it runs with its owner's rights`,
      "drop the bit; NixOS grants elevated rights with `security.wrappers` instead",
    );
}

export interface AllowedFinding extends ScanFinding {
  /** The config's reason, when an `allow` entry accepts this finding (it then fails nothing). */
  allowed?: string;
}

/**
 * Marks the findings the config accepts, and returns the entries that accepted nothing among the
 * hosts scanned (an entry for a host that was not scanned is not known to be unused).
 */
export function applyAllows<A extends ScanAllowEntry>(
  findings: readonly ScanFinding[],
  allows: readonly A[],
  scannedHosts: readonly string[],
): { findings: AllowedFinding[]; unused: A[] } {
  const used = new Set<A>();
  const out = findings.map((f) => {
    const allow = allows.find(
      (a) =>
        a.rule === f.rule &&
        (a.program === undefined || a.program === f.program) &&
        (a.host === undefined || a.host === f.host),
    );
    if (!allow) return f;
    used.add(allow);
    return { ...f, allowed: allow.why };
  });
  const unused = allows.filter(
    (a) => !used.has(a) && (a.host === undefined || scannedHosts.includes(a.host)),
  );
  return { findings: out, unused };
}
