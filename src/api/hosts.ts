/** Choosing hosts by name, with a suggestion for a typo. Light: no loading, no evaluation. */
import type { ConfigDocument } from "../load/config.js";
import { diagnostic, didYouMean, SetupMacError } from "../errors/index.js";

/** Checks that every named host exists; throws a usage-like error with a suggestion otherwise. */
export function selectHosts(
  workspace: { config: Pick<ConfigDocument, "file" | "config"> },
  hosts: string[] | undefined,
): string[] {
  const known = Object.keys(workspace.config.config.hosts).sort();
  if (!hosts || hosts.length === 0) return known;
  for (const host of hosts) {
    if (!known.includes(host)) {
      const suggestion = didYouMean(host, known);
      throw new SetupMacError(
        diagnostic("unknown-host", `there is no host \`${host}\` in ${workspace.config.file}`, {
          location: { file: workspace.config.file },
          hint: suggestion
            ? `did you mean \`${suggestion}\`?`
            : `known hosts: ${known.join(", ") || "none"}`,
        }),
      );
    }
  }
  return hosts;
}
