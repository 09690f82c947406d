import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { startUi } from "../../ui/server.js";
import { diagnostic, SetupMacError, UsageError } from "../../errors/index.js";
import type { CommandContext } from "../context.js";
import { colors } from "../render.js";

export interface UiFlags {
  port?: string;
  open?: boolean;
}

/** The built page: `dist/ui/`, next to the CLI bundle (or one folder up from its chunks). */
function assetsDir(): string {
  for (const rel of ["./ui/", "../ui/", "../../dist/ui/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}app.js`)) return dir;
  }
  throw new Error("the dashboard's page is missing from this build (run `npm run build`)");
}

export async function run(ctx: CommandContext, flags: UiFlags): Promise<void> {
  const { globals, output } = ctx;
  const port = flags.port === undefined ? 8418 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port must be a port number (0 picks a free one), not ${flags.port}`);
  const ui = await startUi({
    workspace: resolve(globals.workspace ?? "."),
    port,
    assets: assetsDir(),
    ...(ctx.env.SETUP_MAC_HOME ? { home: ctx.env.SETUP_MAC_HOME } : {}),
  }).catch((error: unknown) => {
    if ((error as { code?: string }).code === "EADDRINUSE")
      throw new SetupMacError(
        diagnostic("port-in-use", `port ${port} on 127.0.0.1 is already in use`, {
          hint: "pass another --port, or --port 0 to pick a free one",
        }),
      );
    throw error;
  });
  const c = colors(output);
  output.out(
    `Dashboard at ${c.bold(ui.url)} ${c.dim("(this machine only; the address holds this run's token; Ctrl-C stops)")}`,
  );
  if (flags.open) {
    const opener = process.platform === "darwin" ? "open" : "xdg-open";
    const child = spawn(opener, [ui.url], { stdio: "ignore", detached: true });
    child.on("error", () => output.err(`could not run \`${opener}\`: open the address by hand`));
    child.unref();
  }
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void ui.close().then(done);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
