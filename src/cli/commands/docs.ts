import { buildDocs, serveDocs } from "../../api/docs.js";
import type { CommandContext } from "../context.js";
import { colors, toJson } from "../render.js";

export interface DocsFlags {
  out?: string;
  port?: string;
}

export async function build(ctx: CommandContext, flags: DocsFlags): Promise<void> {
  const { globals, output } = ctx;
  const result = await buildDocs({ workspace: globals.workspace, out: flags.out });
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  output.out(
    `${c.green("wrote")}  ${result.out}/index.html ${c.dim(`(${result.programs} program pages, ${result.files.length} files)`)}`,
  );
}

export async function serve(ctx: CommandContext, flags: DocsFlags): Promise<void> {
  const { globals, output } = ctx;
  const port = flags.port === undefined ? 8417 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    output.err(`setup-mac: --port must be a port number (0 picks a free one), not ${flags.port}`);
    ctx.exitCode = 2;
    return;
  }
  const built = await buildDocs({ workspace: globals.workspace, out: flags.out });
  const { server, url } = await serveDocs(built.out, port);
  const c = colors(output);
  output.out(
    `Serving ${built.programs} programs at ${c.bold(url)} ${c.dim("(this machine only; Ctrl-C stops)")}`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
