/** Choosing hosts by name, with a suggestion for a typo. Light: no loading, no evaluation. */
import { hostname } from "node:os";
import type { ConfigDocument } from "../load/config.js";
import { localName } from "../probe/local.js";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";

/** Checks that every named host exists; throws a usage-like error with a suggestion otherwise. */
export function selectHosts(
  workspace: { config: Pick<ConfigDocument, "file" | "config"> },
  hosts: string[] | undefined,
): string[] {
  const known = Object.keys(workspace.config.config.hosts).sort();
  if (!hosts || hosts.length === 0) return known;
  for (const host of hosts) {
    if (!known.includes(host)) throw unknownHost(host, known, workspace.config.file);
  }
  return hosts;
}

export interface PickOptions {
  /** The verb, for the hint: `apply`, `programs status`, `programs enable vscode` … */
  verb: string;
  /** The file the hosts come from, for messages. */
  file?: string;
  /** This machine's name as a host (`SETUP_MAC_HOST`); default: that variable, else the host name. */
  localHost?: string;
  /** This machine's host name (default: the system's), as the verb itself uses it. */
  hostname?: string;
}

function unknownHost(host: string, known: string[], file: string): SetupMacError {
  const suggestion = didYouMean(host, known);
  return new SetupMacError(
    diagnostic("unknown-host", `there is no host \`${host}\` in ${file}`, {
      location: { file },
      hint: suggestion
        ? `did you mean \`${suggestion}\`?`
        : `known hosts: ${known.join(", ") || "none"}`,
    }),
  );
}

/**
 * The hosts a verb acts on: the ones given (each checked, with a suggestion for a typo), else the
 * only host, else the host this machine is (`SETUP_MAC_HOST`, or its short host name); otherwise
 * a usage error that says how to choose.
 */
export function pickHosts(
  known: readonly string[],
  given: readonly string[] | undefined,
  options: PickOptions,
): string[] {
  const hosts = [...known].sort();
  const file = options.file ?? "setup-mac.jsonc";
  if (given?.length) {
    for (const h of given) if (!hosts.includes(h)) throw unknownHost(h, hosts, file);
    return [...given];
  }
  if (hosts.length === 1) return hosts;
  const me = localName({
    hostname: options.hostname ?? hostname(),
    override: options.localHost ?? process.env.SETUP_MAC_HOST,
  });
  if (hosts.includes(me)) return [me];
  throw new SetupMacError(
    diagnostic(
      "host-required",
      `which host? ${file} has ${hosts.join(", ") || "no hosts"} and this machine is called ${me}`,
      {
        hint: `pass --host, e.g. \`setup-mac --host ${hosts[0] ?? "<name>"} ${options.verb}\` (or set SETUP_MAC_HOST when this machine is one of them under another name)`,
      },
    ),
    2,
  );
}

/** One host, chosen as {@link pickHosts} does; the first of several given. */
export function pickHost(
  known: readonly string[],
  given: string | undefined,
  options: PickOptions,
): string {
  return pickHosts(known, given === undefined ? undefined : [given], options)[0]!;
}
