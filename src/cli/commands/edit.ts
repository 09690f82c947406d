import type { EditResult } from "../../api/config.js";
import {
  disablePrograms,
  enablePrograms,
  parseCliValue,
  setProgramOption,
  unsetProgramOption,
} from "../../api/config.js";
import { programInfo } from "../../api/programs.js";
import { UsageError } from "../../errors/index.js";
import type { CommandContext } from "../context.js";
import { colors, table, toJson } from "../render.js";

function report(ctx: CommandContext, result: EditResult, what: string): void {
  const { output, globals } = ctx;
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  for (const note of result.notes) output.out(c.yellow("note: ") + note);
  // An edit of the shared defaults is for no host in particular.
  const where = result.hosts.length ? result.hosts.join(", ") : "defaults, for every host";
  output.out(
    result.changed
      ? c.green(`${what} (${where})`)
      : c.dim(`nothing to change: ${what.toLowerCase()} already (${where})`),
  );
  for (const [host, list] of Object.entries(result.alsoEnabled)) {
    for (const p of list)
      output.out(
        `  also on ${host}: ${c.bold(p.program)} ${c.dim(`(required by ${p.requiredBy.join(", ")})`)}`,
      );
  }
  for (const [where, values] of Object.entries(result.dropped)) {
    output.out(c.yellow(`  dropped the option values of ${where}: ${JSON.stringify(values)}`));
  }
  if (result.changed)
    output.out(
      c.dim("run `setup-mac apply` to put it on the machine (`setup-mac diff` shows what changes)"),
    );
}

export async function enable(ctx: CommandContext, names: string[]): Promise<void> {
  const result = await enablePrograms(names, {
    workspace: ctx.globals.workspace,
    hosts: ctx.globals.host,
  });
  report(ctx, result, `Enabled ${names.join(", ")}`);
}

export async function disable(
  ctx: CommandContext,
  names: string[],
  opts: { keepFalse?: boolean },
): Promise<void> {
  const result = await disablePrograms(names, {
    workspace: ctx.globals.workspace,
    hosts: ctx.globals.host,
    keepFalse: opts.keepFalse,
  });
  report(ctx, result, `Disabled ${names.join(", ")}`);
}

export async function config(
  ctx: CommandContext,
  name: string,
  action: string | undefined,
  key: string | undefined,
  value: string | undefined,
  opts: { explain?: boolean; defaults?: boolean },
): Promise<void> {
  const { globals, output } = ctx;
  const target = { workspace: globals.workspace, hosts: globals.host, defaults: opts.defaults };
  if (action === "set") {
    if (key === undefined || value === undefined)
      throw new UsageError(
        "`config set` needs a key and a value",
        "e.g. `setup-mac programs config vscode set fontSize 16`",
      );
    report(
      ctx,
      await setProgramOption(name, key, parseCliValue(value), target),
      `Set ${name}.${key} = ${value}`,
    );
    return;
  }
  if (action === "unset") {
    if (key === undefined)
      throw new UsageError(
        "`config unset` needs a key",
        "e.g. `setup-mac programs config vscode unset fontSize`",
      );
    report(ctx, await unsetProgramOption(name, key, target), `Unset ${name}.${key}`);
    return;
  }
  if (action !== undefined && action !== "get")
    throw new UsageError(`unknown action \`${action}\``, "use get, set or unset");
  const info = await programInfo(name, { workspace: globals.workspace, hosts: globals.host });
  const options = key ? info.options.filter((o) => o.name === key.split(".")[0]) : info.options;
  if (key && options.length === 0) {
    throw new UsageError(
      `program \`${name}\` has no option \`${key}\``,
      `its options are: ${info.options.map((o) => o.name).join(", ")}`,
    );
  }
  const hosts = Object.keys(info.enabledOn).filter(
    (h) => !globals.host?.length || globals.host.includes(h),
  );
  if (globals.json) {
    output.out(
      toJson({
        program: name,
        hosts,
        options: options.map((o) => ({
          name: o.name,
          type: o.type,
          default: o.default,
          values: o.values,
        })),
      }),
    );
    return;
  }
  const c = colors(output);
  if (hosts.length === 0)
    output.out(
      c.dim(
        `${name} is not enabled on ${globals.host?.join(", ") || "any host"}; showing defaults`,
      ),
    );
  const rows: string[][] = [];
  for (const o of options) {
    if (hosts.length === 0) rows.push([o.name, "-", JSON.stringify(o.default) ?? "-", "default"]);
    for (const h of hosts) {
      const v = o.values[h];
      if (!v) continue;
      const from = opts.explain
        ? `${v.from.join(", ")} [${v.priority}]${v.overridden.length ? ` overrides ${v.overridden.join("; ")}` : ""}`
        : v.from.length && v.from[0]!.startsWith("default of")
          ? c.dim("default")
          : v.from.join(", ");
      rows.push([o.name, h, JSON.stringify(v.value), from]);
    }
  }
  output.out(table(["OPTION", "HOST", "VALUE", opts.explain ? "WHY" : "FROM"], rows, c));
}
