import type { InitQuestion } from "../../api/init.js";
import { init } from "../../api/init.js";
import type { CommandContext } from "../context.js";
import { askText } from "../prompt.js";
import { colors, toJson } from "../render.js";

/** The adapter level a host's own configuration imports: its platform, or home for standalone home-manager. */
const level = (h: { platform: string; standalone?: boolean }) =>
  h.standalone ? "home" : h.platform;

export async function run(
  ctx: CommandContext,
  opts: { force?: boolean; user?: string; dryRun?: boolean },
): Promise<void> {
  const { globals, output } = ctx;
  // Ask only on a terminal: without one, open fields are left out and warned about.
  const interactive = output.tty && Boolean(process.stdin.isTTY) && !globals.json;
  const ask = async (q: InitQuestion) => {
    output.out(`${q.host}: flake.nix does not say its ${q.field} (${q.why}).`);
    return askText(`  ${q.field} of ${q.host}`, {
      suggestion: q.suggestion,
      valid: q.valid,
      invalid: q.field === "user" ? "not a user name" : 'not a Nix system like "aarch64-darwin"',
    });
  };
  const result = await init({
    workspace: globals.workspace,
    force: opts.force,
    user: opts.user,
    dryRun: opts.dryRun,
    env: ctx.env,
    ...(interactive ? { ask } : {}),
  });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  const verb = (a: string) =>
    opts.dryRun && (a === "created" || a === "updated")
      ? c.yellow(`would be ${a}`)
      : a === "unchanged"
        ? c.dim(a)
        : a === "kept-edited"
          ? c.yellow("kept (edited)")
          : c.green(a);
  for (const f of result.files) output.out(`${verb(f.action)}  ${f.path}`);
  if (result.hosts.length) {
    output.out(
      "\n" +
        c.bold("Hosts found in flake.nix:") +
        " " +
        result.hosts
          .map(
            (h) =>
              `${h.name} (${h.standalone ? `home-manager on ${h.platform}` : h.platform}, ${h.system ?? "system ?"}, ${h.user ? `user ${h.user}` : "user ?"})`,
          )
          .join(", "),
    );
    output.out(
      "\n" +
        c.bold(
          result.hosts.every((h) => result.imported[h.name]?.includes(level(h)))
            ? "Every host already imports the adapter:"
            : "Add one line per host to your flake (setup-mac never edits flake.nix):",
        ),
    );
    for (const h of result.hosts) {
      const lines = result.importLines[h.name]!;
      const done = result.imported[h.name] ?? [];
      if (done.includes(level(h))) {
        output.out(
          `  ${c.green("✓")} ${h.name} already imports ${done.map((l) => `.${l}`).join(" and ")}`,
        );
        continue;
      }
      if (h.standalone) {
        const name = JSON.stringify(`${h.user ?? "<user>"}@${h.name}`);
        output.out(
          `  ${c.dim(`# homeConfigurations.${name}: in its modules list`)}\n  ${lines.home}`,
        );
        continue;
      }
      const where =
        h.platform === "darwin"
          ? `darwinConfigurations.${h.name}`
          : `nixosConfigurations.${h.name}`;
      output.out(`  ${c.dim(`# ${where}: in its modules list`)}\n  ${lines.system}`);
      output.out(
        `  ${c.dim("# and, if it uses home-manager, in the user's imports")}\n  ${lines.home}`,
      );
    }
  }
  for (const note of result.notes) output.out("\n" + c.yellow("note: ") + note);
  for (const warning of result.warnings) output.err(c.yellow("warning: ") + warning);
  output.out(
    "\n" +
      c.bold("Next:") +
      " enable programs (`setup-mac programs enable <name> --host <host>`), then `setup-mac build` writes setup-mac.lock.json for the adapters to read.",
  );
}
