import { scaffold } from "../../api/scaffold.js";
import type { CommandContext } from "../context.js";
import { colors, toJson } from "../render.js";

export async function run(
  ctx: CommandContext,
  name: string,
  opts: { template?: string; category?: string; description?: string },
): Promise<void> {
  const { globals, output } = ctx;
  const result = await scaffold(name, { workspace: globals.workspace, ...opts });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  output.out(c.green(`created ${result.file}`) + c.dim(` (${result.template} template)`));
  output.out(`next: edit it, then \`setup-mac programs enable ${name}\` and \`setup-mac check\``);
}
