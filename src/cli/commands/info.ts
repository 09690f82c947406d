import { programInfo } from "../../api/programs.js";
import type { CommandContext } from "../context.js";
import { colors, table, toJson } from "../render.js";

function short(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return "-";
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

export async function run(ctx: CommandContext, name: string): Promise<void> {
  const { globals, output } = ctx;
  const info = await programInfo(name, { workspace: globals.workspace, hosts: globals.host });
  if (globals.json) {
    output.out(toJson(info));
    return;
  }
  const c = colors(output);
  const lines: string[] = [];
  lines.push(
    `${c.bold(info.name)} ${c.dim(`(${info.category || "uncategorised"})`)} — ${info.description}`,
  );
  lines.push(`${c.dim("file:")}       ${info.file}`);
  lines.push(`${c.dim("platforms:")}  ${info.platforms.join(", ")}`);
  if (info.homepage) lines.push(`${c.dim("homepage:")}   ${info.homepage}`);
  if (info.requires.length) lines.push(`${c.dim("requires:")}   ${info.requires.join(", ")}`);
  if (info.conflicts.length) lines.push(`${c.dim("conflicts:")}  ${info.conflicts.join(", ")}`);
  if (info.contributesTo.length)
    lines.push(`${c.dim("contributes to:")} ${info.contributesTo.join(", ")}`);
  const hosts = Object.keys(info.enabledOn);
  lines.push(
    `${c.dim("enabled on:")} ${hosts.length ? hosts.map((h) => `${c.green(h)} (${info.reasons[h]})`).join("; ") : "no host"}`,
  );
  for (const [host, problem] of Object.entries(info.problems))
    lines.push(c.red(`  ${host}: ${problem} (run \`setup-mac check\`)`));
  output.out(lines.join("\n"));
  if (info.options.length === 0) {
    output.out("\nNo options.");
    return;
  }
  output.out("\n" + c.bold("Options"));
  output.out(
    table(
      ["OPTION", "TYPE", "DEFAULT", "DESCRIPTION"],
      info.options.map((o) => [
        c.bold(o.name),
        o.type,
        "default" in o ? short(o.default) : c.dim("(required)"),
        o.description ?? "",
      ]),
      c,
    ),
  );
  for (const host of hosts) {
    if (info.problems[host]) continue;
    output.out("\n" + c.bold(`Values on ${host}`));
    output.out(
      table(
        ["OPTION", "VALUE", "FROM"],
        info.options.map((o) => {
          const v = o.values[host];
          if (!v) return [o.name, "-", ""];
          const from = v.from.join(", ") + c.dim(` [${v.priority}]`);
          const over = v.overridden.length ? c.dim(` (overrides ${v.overridden.join("; ")})`) : "";
          return [o.name, short(v.value), from + over];
        }),
        c,
      ),
    );
  }
}
