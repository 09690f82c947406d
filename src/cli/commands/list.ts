import { listProgramSummaries } from "../../api/list.js";
import type { CommandContext } from "../context.js";
import { colors, table, toJson } from "../render.js";

export async function run(
  ctx: CommandContext,
  opts: { enabled?: boolean; category?: string },
): Promise<void> {
  const { globals, output } = ctx;
  const { programs, diagnostics } = await listProgramSummaries({
    workspace: globals.workspace,
    hosts: globals.host,
    enabled: opts.enabled,
    category: opts.category,
  });
  if (globals.json) {
    output.out(toJson({ programs }));
    return;
  }
  const c = colors(output);
  if (programs.length === 0) {
    output.out(
      opts.category || opts.enabled
        ? "No programs match."
        : "No programs yet: add programs/<category>/<name>.ts (`setup-mac programs new`).",
    );
    return;
  }
  const rows = programs.map((p) => {
    const hosts = Object.entries(p.enabledOn).map(([h, why]) =>
      "host" in why ? c.green(h) : c.green(h) + c.dim("*"),
    );
    return [
      c.bold(p.name),
      p.category || "-",
      p.platforms.join(","),
      hosts.join(" ") || c.dim("-"),
      p.description,
    ];
  });
  output.out(table(["PROGRAM", "CATEGORY", "PLATFORMS", "ENABLED ON", "DESCRIPTION"], rows, c));
  const auto = programs.some((p) => Object.values(p.enabledOn).some((w) => "requiredBy" in w));
  const footer =
    `${programs.length} program${programs.length === 1 ? "" : "s"}` +
    (auto ? `; ${c.dim("*")} enabled through \`requires\`` : "");
  output.out(c.dim(footer));
  for (const d of diagnostics)
    output.err(c.yellow(`warning: ${d.location?.file ?? ""}: ${d.message}`));
}
