import { listPacks } from "../../api/pack-state.js";
import type * as Packs from "../../api/packs.js";

/** The install code (and its tarball reader) is loaded only by the verbs that need it. */
const packs = (): Promise<typeof Packs> => import("../../api/packs.js");
import { EXIT_STATUS } from "../../errors/exit.js";
import type { CommandContext } from "../context.js";
import { colors, table, toJson } from "../render.js";

export async function add(ctx: CommandContext, spec: string): Promise<void> {
  const { globals, output } = ctx;
  const result = await (await packs()).addPack(spec, { workspace: globals.workspace });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  output.out(
    `${c.green("added")}  ${result.name}@${result.version}${result.replaced ? c.dim(` (was ${result.replaced})`) : ""} ${c.dim(`→ packs/${result.name}/, ${result.files.length} files, pinned by integrity in setup-mac.jsonc`)}`,
  );
  output.out(`programs: ${result.programs.join(", ")}`);
  output.out(c.dim(`enable one with: setup-mac programs enable ${result.programs[0] ?? "<name>"}`));
}

export async function remove(ctx: CommandContext, name: string): Promise<void> {
  const { globals, output } = ctx;
  const result = await (await packs()).removePack(name, { workspace: globals.workspace });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  output.out(`removed  ${name}${result.programs.length ? ` (${result.programs.join(", ")})` : ""}`);
}

export async function list(ctx: CommandContext): Promise<void> {
  const { globals, output } = ctx;
  const packs = listPacks({ workspace: globals.workspace });
  if (packs.some((p) => p.state !== "ok")) ctx.exitCode = EXIT_STATUS.config;
  if (globals.json) {
    output.out(toJson({ packs }));
    return;
  }
  const c = colors(output);
  if (!packs.length) {
    output.out("No packs installed. `setup-mac packs search` lists what the registry has.");
    return;
  }
  output.out(
    table(
      ["PACK", "VERSION", "STATE"],
      packs.map((p) => [
        p.name,
        p.version,
        p.state === "ok"
          ? c.green("as installed")
          : p.state === "modified"
            ? c.yellow(
                `modified: ${p.changed!.join(", ")} (packs add ${p.name}@${p.version} restores it)`,
              )
            : c.red(`missing (packs add ${p.name}@${p.version} installs it)`),
      ]),
      c,
    ),
  );
}

export async function search(ctx: CommandContext, text: string | undefined): Promise<void> {
  const { globals, output } = ctx;
  const hits = await (await packs()).searchPacks(text ?? "", { workspace: globals.workspace });
  if (globals.json) {
    output.out(toJson({ packs: hits }));
    return;
  }
  const c = colors(output);
  if (!hits.length) {
    output.out("No packs found.");
    return;
  }
  output.out(
    table(
      ["PACK", "VERSION", "DESCRIPTION"],
      hits.map((h) => [h.name, h.version, h.description]),
      c,
    ),
  );
}
