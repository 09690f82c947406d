/**
 * The workspace config, `setup-mac.jsonc`: hosts, the programs each enables, option values.
 */
import { z } from "zod";
import { didYouMean } from "../errors/index.js";
import { SCAN_RULES } from "../scan/index.js";
import { MAX_MODULE_TIMEOUT_S } from "../isolate/limits.js";

export const hostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  message: "is not a host name (letters, digits, dot, dash and underscore)",
});

/** `true` enables with defaults, `false` keeps a program off, an object enables with option values. */
export const programEntry = z.union([z.boolean(), z.record(z.string(), z.unknown())]);

export const hostConfig = z.strictObject({
  platform: z.enum(["darwin", "nixos"], { error: 'must be "darwin" or "nixos"' }),
  system: z.string().regex(/^(aarch64|x86_64|i686|armv7l|riscv64)-(darwin|linux)$/, {
    message: 'is not a Nix system like "aarch64-darwin" or "x86_64-linux"',
  }),
  user: z.string().regex(/^[a-z_][a-z0-9_.-]*$/, { message: "is not a user name" }),
  home: z
    .string()
    .regex(/^\/[^\0\n]*$/, { message: "must be an absolute path" })
    .optional(),
  homeManager: z.boolean().optional(),
  zfs: z.boolean().optional(),
  /** The pool programs put their datasets in: modules read it as `host.zfsPool`. */
  zfsPool: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.:-]*$/, { message: 'is not a ZFS pool name like "tank"' })
    .optional(),
  description: z.string().optional(),
  /** How `apply` switches: the system (darwin-rebuild / nixos-rebuild, default) or a standalone home-manager. */
  switch: z
    .enum(["system", "home-manager"], { error: 'must be "system" or "home-manager"' })
    .optional(),
  /** Where `apply` deploys over SSH (`nixos-rebuild --target-host`), e.g. "root@evo-x2". */
  targetHost: z
    .string()
    .regex(/^[A-Za-z0-9._@-]+$/, { message: 'is not an SSH destination like "root@evo-x2"' })
    .optional(),
  programs: z.record(z.string(), programEntry).optional(),
});

/** A scan finding accepted on purpose: which rule, optionally for which program and host, and why. */
export const scanAllow = z.strictObject({
  rule: z.enum(SCAN_RULES, {
    error: (issue) => {
      const near =
        typeof issue.input === "string" ? didYouMean(issue.input, SCAN_RULES) : undefined;
      return `is not a scan rule${near ? ` (did you mean "${near}"?)` : ""}; the rules are ${SCAN_RULES.join(", ")}`;
    },
  }),
  program: z.string().optional(),
  host: hostName.optional(),
  why: z.string().min(1, { message: "must say why the finding is accepted" }),
});

export const scanConfig = z.strictObject({
  /** Findings accepted on purpose; each must still match one, or `scan` says so. */
  allow: z.array(scanAllow).optional(),
});

/** An npm package name: `name` or `@scope/name`. */
export const packName = z.string().regex(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/, {
  message: "is not an npm package name",
});

/** An installed pack, pinned: the exact version and the registry's integrity of its tarball. */
export const packPin = z.strictObject({
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/, {
    message: "is not an exact version like 1.2.3",
  }),
  integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+={0,2}$/, {
    message: "is not a sha512 integrity (sha512-…)",
  }),
});

/** Limits for program module code while it evaluates (decision 0022). */
export const evaluationConfig = z.strictObject({
  /** Seconds one call into one module may take (loading it, `config`, a contribution). */
  moduleTimeout: z.number().positive().max(MAX_MODULE_TIMEOUT_S).optional(),
  /** Seconds the whole evaluation may take. */
  timeout: z.number().positive().max(86400).optional(),
  /** The evaluation's heap limit in MiB. */
  memory: z.number().int().min(64).max(65536).optional(),
  /**
   * Milliseconds of a module's own load + evaluate time above which `check` warns and `stats`
   * marks it slow (default 50; decision 0029).
   */
  slowModuleMs: z.number().positive().max(600000).optional(),
});

export const workspaceConfig = z.strictObject({
  $schema: z.string().optional(),
  defaults: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  hosts: z.record(hostName, hostConfig),
  scan: scanConfig.optional(),
  evaluation: evaluationConfig.optional(),
  /** Program packs installed under packs/ by `setup-mac packs add`, pinned by integrity. */
  packs: z.record(packName, packPin).optional(),
});

export type HostConfig = z.output<typeof hostConfig>;
export type WorkspaceConfig = z.output<typeof workspaceConfig>;
export type ScanAllow = z.output<typeof scanAllow>;
