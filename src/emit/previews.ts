/**
 * Previews: every file setup-mac's adapters will make a platform produce, rendered from the lock
 * for a human to review (`build --out`). Pure: a map of relative path → text, keys sorted, so the
 * same lock gives the same files. Writing them is the caller's job.
 */
import type { HookName, Platform } from "../define/types.js";
import { renderLaunchdPlist } from "./launchd/plist.js";
import type { ArgLock, ArgvLock, HostLock, LevelLock, Lock } from "./lock-types.js";
import {
  permissionCommands,
  renderArgv,
  renderComment,
  renderTmpfilesLine,
} from "./scripts/shell.js";
import { maskedStorePath, maskStorePaths, nixAttrOrder } from "./nix-text.js";
import { renderSystemdService } from "./systemd/service.js";

/** Where a binary reference is used: previews resolve `{ bin, pkg }` differently per level. */
export interface ArgSite {
  host: string;
  platform: Platform;
  user: string;
  home: string;
  level: "system" | "home";
}

/** Turns a package's binary into the path a preview shows. */
export type PreviewArgResolver = (arg: { bin: string; pkg: string }, site: ArgSite) => string;

/** A preview that cannot be laid out as files (a path escaping its folder, two owners of one path). */
export class PreviewError extends Error {
  /** Permanent name of this error. */
  readonly code = "preview-path";

  constructor(problem: string) {
    super(problem);
    this.name = "PreviewError";
  }
}

/**
 * The default resolver: the store path the adapters write (`${pkgs.<pkg>}/bin/<bin>`), with the
 * part only Nix knows — the hash and the version — shown as `...`:
 * `/nix/store/...-<last segment of the attribute>/bin/<bin>`. Compare a deployed file by masking
 * its store paths the same way (`maskStorePaths`, decision 0025).
 */
export const storeArgResolver: PreviewArgResolver = (arg) =>
  `${maskedStorePath(arg.pkg)}/bin/${arg.bin}`;

export { maskStorePaths };

/**
 * The profile path where the binary appears once its package is installed at that level —
 * `/run/current-system/sw/bin/<bin>` (NixOS and nix-darwin system profile) for the system level,
 * `/etc/profiles/per-user/<user>/bin/<bin>` (home-manager with `useUserPackages`) for the home
 * level. Readable, but not what the deployed files name: previews use `storeArgResolver`.
 */
export const profileArgResolver: PreviewArgResolver = (arg, site) =>
  site.level === "system"
    ? `/run/current-system/sw/bin/${arg.bin}`
    : `/etc/profiles/per-user/${site.user}/bin/${arg.bin}`;

const LEVELS = ["system", "home"] as const;

/** Render every host's previews: `<host>/systemd/…`, `<host>/launchd/…`, `<host>/files/…`, scripts. */
export function renderPreviews(
  lock: Lock,
  resolveArg: PreviewArgResolver = storeArgResolver,
): Map<string, string> {
  const out = new Map<string, string>();
  const put = (path: string, text: string): void => {
    if (out.has(path)) throw new PreviewError(`two previews would be written to ${path}`);
    out.set(path, text);
  };

  for (const [hostName, host] of Object.entries(lock.hosts)) {
    const hostDir = segment(hostName, "host name");
    const programs = host.order.map((name) => [name, host.programs[name]] as const);

    for (const [, program] of programs) {
      for (const level of LEVELS) {
        const lockLevel = program?.[level];
        if (lockLevel === undefined) continue;
        const site = siteOf(hostName, host, level);
        const ctx = {
          resolveArg: (arg: ArgLock) => (typeof arg === "string" ? arg : resolveArg(arg, site)),
        };

        for (const svc of Object.values(lockLevel.services ?? {})) {
          if (host.platform === "nixos") {
            const units = renderSystemdService(svc, ctx);
            put(`${hostDir}/systemd/${svc.scope}/${svc.unit}.service`, units.service);
            if (units.timer !== undefined)
              put(`${hostDir}/systemd/${svc.scope}/${svc.unit}.timer`, units.timer);
          } else {
            const folder = svc.scope === "user" ? "LaunchAgents" : "LaunchDaemons";
            put(
              `${hostDir}/launchd/${folder}/${segment(svc.label, "launchd label")}.plist`,
              renderLaunchdPlist(svc, ctx),
            );
          }
        }

        const fileRoot = level === "home" ? "home" : "etc";
        for (const [path, file] of Object.entries(lockLevel.files ?? {})) {
          put(`${hostDir}/files/${fileRoot}/${relativePath(path)}`, file.text);
        }
      }
    }

    const permissions = programs.flatMap(([, program]) =>
      LEVELS.flatMap((level) => Object.values(program?.[level]?.permissions ?? {})),
    );
    if (host.platform === "nixos" && permissions.length > 0) {
      put(`${hostDir}/tmpfiles.conf`, `${permissions.map(renderTmpfilesLine).join("\n")}\n`);
    }

    const sessionVariables = renderSessionVariables(programs.map(([, program]) => program?.home));
    if (sessionVariables !== undefined) put(`${hostDir}/session-variables.sh`, sessionVariables);

    const script = activationScript(hostName, host, resolveArg);
    if (script !== undefined) put(`${hostDir}/activation.sh`, script);
  }

  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The activation steps in the order they run: every program's `preSetup` hooks (host order,
 * system level before home level), then darwin's permission commands (NixOS uses tmpfiles),
 * then every `postSetup` hook. `postStart` and removal hooks are run by `apply` itself (after the
 * switch, or when a program leaves), so they are not here.
 */
/** Where a command runs: the host, its user and home, and the level it belongs to. */
function siteOf(hostName: string, host: HostLock, level: ArgSite["level"]): ArgSite {
  return { host: hostName, platform: host.platform, user: host.user, home: host.home, level };
}

function activationScript(
  hostName: string,
  host: HostLock,
  resolveArg: PreviewArgResolver,
): string | undefined {
  const body: string[] = [];
  const hooks = (phase: HookName): void => {
    for (const name of host.order) {
      for (const level of LEVELS) {
        const lockLevel: LevelLock | undefined = host.programs[name]?.[level];
        const site = siteOf(hostName, host, level);
        for (const argv of lockLevel?.hooks?.[phase] ?? []) {
          body.push(
            renderComment(`${name}: ${phase} (${level})`),
            renderArgv(resolveArgv(argv, site, resolveArg)),
          );
        }
      }
    }
  };
  hooks("preSetup");
  if (host.platform === "darwin") {
    for (const name of host.order) {
      for (const level of LEVELS) {
        for (const permission of Object.values(host.programs[name]?.[level]?.permissions ?? {})) {
          body.push(renderComment(`${name}: permissions (${level})`));
          body.push(...permissionCommands(permission).map(renderArgv));
        }
      }
    }
  }
  hooks("postSetup");
  if (body.length === 0) return undefined;
  return [
    "#!/bin/sh",
    renderComment(`setup-mac activation steps for host ${hostName}, in the order they run.`),
    renderComment("A preview: the Nix adapters run these inside the platform's own activation."),
    "set -eu",
    "",
    ...body,
    "",
  ].join("\n");
}

function resolveArgv(argv: ArgvLock, site: ArgSite, resolveArg: PreviewArgResolver): string[] {
  return argv.map((arg) => (typeof arg === "string" ? arg : resolveArg(arg, site)));
}

/** One path segment of a preview: no separators, no `.`/`..`, nothing invisible. */
function segment(name: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (name === "" || name === "." || name === ".." || /[/\\\x00-\x1f\x7f]/.test(name)) {
    throw new PreviewError(`${what} ${JSON.stringify(name)} cannot be a file name`);
  }
  return name;
}

/** A lock file key (`.config/git/config`, `ssh/ssh_config.d/x`) that must stay inside its folder. */
function relativePath(path: string): string {
  if (path.startsWith("/"))
    throw new PreviewError(`file path ${JSON.stringify(path)} is not relative`);
  return path
    .split("/")
    .map((part) => segment(part, `file path ${JSON.stringify(path)} has a part`))
    .join("/");
}

/**
 * The home level's session variables as home-manager writes them into `hm-session-vars.sh`
 * (its `lib.shell.exportAll`): one `export NAME="value"` per variable, sorted by name as Nix
 * sorts attribute names, the value unescaped (home-manager means `$HOME` to expand), lines
 * joined without a final newline. The lowest priority number wins, as `mkOverride` does.
 * home-manager wraps these lines in its own guard and adds variables of its own.
 */
export function renderSessionVariables(levels: (LevelLock | undefined)[]): string | undefined {
  const chosen = new Map<string, { value: string; priority: number }>();
  for (const level of levels) {
    for (const [name, entry] of Object.entries(level?.env ?? {})) {
      const held = chosen.get(name);
      if (held === undefined || entry.priority < held.priority) chosen.set(name, entry);
    }
  }
  if (chosen.size === 0) return undefined;
  return [...chosen.entries()]
    .sort(([a], [b]) => nixAttrOrder(a, b))
    .map(([name, { value }]) => `export ${name}="${value}"`)
    .join("\n");
}
