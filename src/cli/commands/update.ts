import type { InputChange } from "../../api/update.js";
import { update } from "../../api/update.js";
import { renderArgv } from "../../emit/scripts/shell.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, table, toJson } from "../render.js";

function revCell(r: InputChange["old"]): string {
  if (!r) return "—";
  return r.date ? `${r.short} (${r.date})` : r.short;
}

function kindCell(change: InputChange, c: Colors): string {
  if (change.kind === "added") return c.green("added");
  if (change.kind === "removed") return c.red("removed");
  return c.yellow("updated");
}

export async function run(
  ctx: CommandContext,
  inputs: string[],
  flags: { dryRun?: boolean },
): Promise<void> {
  const { globals, output } = ctx;
  const c = colors(output);
  const result = await update({
    workspace: globals.workspace,
    inputs,
    dryRun: flags.dryRun,
    onOutput: (chunk) => {
      if (!globals.json) process.stderr.write(output.tty ? c.dim(chunk) : chunk);
    },
  });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const nix = result.nixVersion ? ` (Nix ${result.nixVersion})` : "";
  const packs = result.packs ?? [];
  const packLines = () => {
    for (const p of packs)
      output.out(
        p.kind === "unchanged"
          ? `pack ${p.name} ${p.from}: already the latest`
          : `pack ${p.name} ${p.from} → ${p.to}${p.kind === "would-update" ? c.dim(" (would update)") : ""}`,
      );
  };
  if (result.dryRun) {
    if (result.argv[0]) output.out(`Would run${nix}: ${renderArgv(result.argv[0])}`);
    packLines();
    output.out(c.dim("dry run: nothing was changed"));
    return;
  }
  packLines();
  if (!result.argv.length) return; // only packs were asked for
  output.out(c.dim(`Ran${nix}: ${result.argv.map((a) => renderArgv(a)).join(", then ")}`));
  if (!result.changes.length) output.out("Every input was already up to date.");
  else
    output.out(
      table(
        ["INPUT", "CHANGE", "FROM", "TO"],
        result.changes.map((ch) => [
          ch.direct ? ch.input : c.dim(`${ch.input} (indirect)`),
          kindCell(ch, c),
          revCell(ch.old),
          revCell(ch.new),
        ]),
        c,
      ),
    );
  for (const note of result.notes) output.out(c.dim("note: ") + note);
  if (result.changes.length)
    output.out(c.dim("`setup-mac apply` switches the host to the updated inputs."));
}
