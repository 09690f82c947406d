/**
 * The workspace config, `setup-mac.jsonc`: hosts, the programs each enables, option values.
 */
import { z } from "zod";

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

export const workspaceConfig = z.strictObject({
  $schema: z.string().optional(),
  defaults: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  hosts: z.record(hostName, hostConfig),
});

export type HostConfig = z.output<typeof hostConfig>;
export type WorkspaceConfig = z.output<typeof workspaceConfig>;
