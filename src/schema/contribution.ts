/**
 * zod schemas of what a module returns from `config`, checked after priority markers are stripped.
 * Objects are strict: a typo (`servics`, `restat`) is an error naming the key, not a silently
 * ignored value — home-manager's free-form sections would render it without complaint.
 */
import { z } from "zod";
import { HOOK_NAMES } from "../define/types.js";

const noNul = (s: string) => !s.includes("\0");
const noNewline = (s: string) => !/[\r\n]/.test(s);

/** A string that may appear in argv, environment and paths: no NUL byte. */
export const safeString = z.string().refine(noNul, { message: "contains a NUL byte" });
/** A string on one line (environment values, paths, names): no NUL, no newline. */
export const lineString = safeString.refine(noNewline, {
  message: "contains a newline, which this value cannot hold",
});

export const attrPath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/, {
    message: "is not a nixpkgs attribute path (like `ripgrep` or `python3Packages.black`)",
  });

/** A file name in a package's `bin/`: no separators, and not `.`/`..` or a hidden name. */
const binaryName = z.string().regex(/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/, {
  message: "is not a binary name (letters, digits, `._+-`, not starting with a dot)",
});

export const binRef = z.strictObject({
  bin: binaryName,
  pkg: attrPath,
});

export const argv = z
  .array(z.union([safeString, binRef]))
  .min(1, { message: "a command needs at least the program to run" });

const octalMode = z
  .string()
  .regex(/^0?[0-7]{3,4}$/, { message: 'is not an octal mode like "0644"' });

const fileCommon = { mode: octalMode.optional(), merge: z.boolean().optional() };
export const fileSpec = z.union([
  z.strictObject({ text: safeString, ...fileCommon }),
  z.strictObject({ json: z.unknown(), ...fileCommon }),
  z.strictObject({ yaml: z.unknown(), ...fileCommon }),
  z.strictObject({ toml: z.record(z.string(), z.unknown()), ...fileCommon }),
  z.strictObject({ ini: z.record(z.string(), z.unknown()), ...fileCommon }),
]);

const calendarPoint = z.strictObject({
  minute: z.number().int().min(0).max(59).optional(),
  hour: z.number().int().min(0).max(23).optional(),
  weekday: z.number().int().min(0).max(7).optional(),
  day: z.number().int().min(1).max(31).optional(),
  month: z.number().int().min(1).max(12).optional(),
});

export const schedule = z.union([
  z.strictObject({
    every: z
      .string()
      .regex(/^\d+(s|m|h|d)$/, { message: 'is not a duration like "30s", "15m", "6h" or "1d"' }),
  }),
  z.strictObject({
    calendar: z.union([z.enum(["hourly", "daily", "weekly", "monthly"]), calendarPoint]),
  }),
]);

const probeCommon = {
  name: lineString.optional(),
  timeout: z.number().int().positive().max(600_000).optional(),
  retries: z.number().int().min(0).max(20).optional(),
};
export const healthCheck = z.union([
  z.strictObject({ command: argv, ...probeCommon }),
  z.strictObject({
    http: z.url({ protocol: /^https?$/, error: "is not an http(s) URL" }),
    status: z.number().int().min(100).max(599).optional(),
    ...probeCommon,
  }),
  z.strictObject({
    tcp: z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'is not "host:port"' }),
    ...probeCommon,
  }),
  z.strictObject({ file: lineString, ...probeCommon }),
  z.strictObject({ service: lineString, ...probeCommon }),
]);

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "is not an environment variable name" });

export const serviceSpec = z.strictObject({
  description: lineString.optional(),
  command: argv,
  scope: z.enum(["user", "system"]).optional(),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/, { message: "is not a user name" })
    .optional(),
  group: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/, { message: "is not a group name" })
    .optional(),
  restart: z.enum(["on-failure", "always", "never"]).optional(),
  environment: z.record(envName, lineString).optional(),
  workingDirectory: lineString.optional(),
  after: z
    .array(z.enum(["network", "network-online", "local-fs", "time-sync", "graphical"]))
    .optional(),
  schedule: schedule.optional(),
  logs: lineString.optional(),
  health: healthCheck.optional(),
});

export const permissionSpec = z.strictObject({
  mode: octalMode,
  owner: lineString.optional(),
  group: lineString.optional(),
  create: z.boolean().optional(),
});

export const datasetSpec = z.strictObject({
  dataset: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)+$/, {
      message: 'is not a ZFS dataset name below a pool, like "tank/data/app"',
    })
    .refine((d) => !d.split("/").some((part) => part === "." || part === ".."), {
      message: "has a `.` or `..` part, which ZFS does not allow in a dataset name",
    }),
  mountpoint: lineString.optional(),
  properties: z.record(z.string().regex(/^[a-z:._-]+$/), lineString).optional(),
  snapshots: z
    .strictObject({
      keep: z.number().int().min(1).max(10_000),
      every: z.enum(["frequent", "hourly", "daily", "weekly", "monthly"]),
    })
    .optional(),
});

export const wrapperSpec = z.strictObject({
  package: attrPath.optional(),
  binary: binaryName.optional(),
  addFlags: z.array(lineString).optional(),
  env: z.record(envName, lineString).optional(),
});

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  message: "is not a name (letters, digits, dot, dash and underscore)",
});

/** One command or a list of commands. */
const hookList = z.union([argv, z.array(argv)]);

export const contribution = z.strictObject({
  packages: z.array(attrPath).optional(),
  userPackages: z.array(attrPath).optional(),
  files: z.record(z.string(), fileSpec).optional(),
  env: z.record(envName, lineString).optional(),
  services: z.record(name, serviceSpec).optional(),
  permissions: z.record(z.string(), permissionSpec).optional(),
  datasets: z.record(name, datasetSpec).optional(),
  wrappers: z.record(binaryName, wrapperSpec).optional(),
  hooks: z.partialRecord(z.enum(HOOK_NAMES as [string, ...string[]]), hookList).optional(),
  health: z.array(healthCheck).optional(),
  nixos: z.record(z.string(), z.unknown()).optional(),
  darwin: z.record(z.string(), z.unknown()).optional(),
  home: z.record(z.string(), z.unknown()).optional(),
});

export type ContributionData = z.output<typeof contribution>;

/** The shape of a module's default export (functions checked by type only). */
export const programShape = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, {
    message: "must be lower-case letters, digits and dashes, starting with a letter",
  }),
  description: lineString.min(1, { message: "must not be empty" }),
  homepage: z.string().optional(),
  platforms: z
    .array(z.enum(["darwin", "nixos"]))
    .min(1)
    .optional(),
  requires: z.array(z.string()).optional(),
  conflicts: z.array(z.string()).optional(),
  options: z
    .custom<z.ZodObject>((v) => v instanceof z.ZodObject, { message: "must be a z.object(...)" })
    .optional(),
  config: z.function().optional(),
  overrides: z.partialRecord(z.enum(["darwin", "nixos"]), z.function()).optional(),
  contributes: z
    .record(z.string(), z.union([z.record(z.string(), z.unknown()), z.function()]))
    .optional(),
});
