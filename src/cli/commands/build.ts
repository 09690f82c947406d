import { build } from "../../api/build.js";
import type { CommandContext } from "../context.js";
import { colors, formatDiagnostic, toJson } from "../render.js";

export async function run(
  ctx: CommandContext,
  opts: { out?: string; dryRun?: boolean },
): Promise<void> {
  const { globals, output } = ctx;
  const result = await build({ workspace: globals.workspace, dryRun: opts.dryRun });
  let previews: string[] = [];
  if (opts.out) {
    const { writePreviews } = await import("../../api/previews.js");
    previews = await writePreviews(result.lock, opts.out, {
      hosts: globals.host,
      dryRun: opts.dryRun,
      workspace: globals.workspace ?? ".",
    });
  }
  if (result.keptAside) {
    const c = colors(output);
    const { file, aside, problem } = result.keptAside;
    output.err(formatDiagnostic({ ...problem, severity: "warning", hint: undefined }, c));
    output.err(
      c.yellow("note: ") +
        `${file} could not be read; it was kept as ${aside} and a new one was written`,
    );
  }
  if (globals.json) {
    output.out(
      toJson({
        written: result.written,
        ...(result.keptAside ? { keptAside: result.keptAside } : {}),
        previews,
        hosts: Object.keys(result.lock.hosts),
        inputsHash: result.lock.inputsHash,
      }),
    );
    return;
  }
  const c = colors(output);
  for (const w of result.written) {
    const state = opts.dryRun
      ? w.changed
        ? "would change"
        : "unchanged"
      : w.changed
        ? "wrote"
        : "unchanged";
    output.out(`${w.changed ? c.green(state) : c.dim(state)}  ${w.file}`);
  }
  for (const [name, host] of Object.entries(result.lock.hosts)) {
    output.out(
      c.dim(
        `  ${name}: ${Object.keys(host.programs).length} programs (${host.platform}, ${host.system})`,
      ),
    );
  }
  if (opts.out)
    output.out(
      `${opts.dryRun ? "would render" : "rendered"} ${previews.length} preview files into ${opts.out}`,
    );
}
