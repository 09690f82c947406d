import type {
  ServiceActionResult,
  ServiceInfo,
  ServicesActionResult,
  ServicesOptions,
  ServicesResult,
} from "../../api/services.js";
import { controlServices, listServices, serviceLogs } from "../../api/services.js";
import type { ServiceVerb } from "../../services/inventory.js";
import { UsageError } from "../../errors/index.js";
import { exitStatus } from "../../errors/exit.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, table, toJson } from "../render.js";

interface CommonFlags {
  targetHost?: string;
}

function base(ctx: CommandContext, flags: CommonFlags): ServicesOptions {
  const { globals, env } = ctx;
  return {
    workspace: globals.workspace,
    host: globals.host?.[0],
    ...(flags.targetHost ? { targetHost: flags.targetHost } : {}),
    ...(env.SETUP_MAC_HOST ? { localHost: env.SETUP_MAC_HOST } : {}),
  };
}

function stateCell(s: ServiceInfo, c: Colors): string {
  const word = s.status.state;
  if (word === "running") return c.green(word);
  if (word === "waiting" || word === "starting") return c.cyan(word);
  if (word === "failed" || word === "unknown") return c.red(word);
  return c.yellow(word);
}

function healthCell(s: ServiceInfo, c: Colors): string {
  if (!s.health) return c.dim("-");
  return s.health.ok ? c.green("ok") : c.red("failing");
}

function heading(result: ServicesResult, c: Colors): string {
  const from =
    "generation" in result.source
      ? `as applied in generation ${result.source.generation}`
      : "as declared (nothing applied yet)";
  const via = result.targetHost ? `, via ${result.targetHost}` : "";
  return c.bold(result.host) + c.dim(` (${result.platform}${via}): services ${from}`);
}

function problems(result: ServicesResult): string[] {
  return result.services.flatMap((s) => {
    const out: string[] = [];
    const idle = s.scheduled ? ["waiting", "running"] : ["running"];
    if (!idle.includes(s.status.state))
      out.push(`${s.name}: ${s.status.state} — ${s.status.detail}`);
    if (s.health && !s.health.ok)
      out.push(`${s.name}: health ${s.health.name} — ${s.health.detail}`);
    return out;
  });
}

/** `setup-mac services [list]`: every service of the host with its state. */
export async function list(ctx: CommandContext, flags: CommonFlags): Promise<void> {
  const result = await listServices(base(ctx, flags));
  print(ctx, result, "list");
}

/** `setup-mac services status <name…>`: the same facts, one block per service. */
export async function statusCommand(
  ctx: CommandContext,
  refs: string[],
  flags: CommonFlags,
): Promise<void> {
  const result = await listServices({ ...base(ctx, flags), refs });
  print(ctx, result, "status");
}

function print(ctx: CommandContext, result: ServicesResult, view: "list" | "status"): void {
  const { output, globals } = ctx;
  if (!result.ok) ctx.exitCode = 1;
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  output.out(heading(result, c));
  if (!result.services.length) {
    output.out(c.dim("no program enabled on this host declares a service"));
    return;
  }
  if (view === "list") {
    output.out(
      table(
        [
          "SERVICE",
          "SCOPE",
          "UNIT",
          "ENABLED",
          "STATE",
          "PID",
          "SINCE",
          "EXIT",
          "RESTARTS",
          "HEALTH",
        ],
        result.services.map((s) => [
          s.name,
          s.scope,
          s.unit,
          s.status.enabled === undefined ? "-" : s.status.enabled ? "yes" : "no",
          stateCell(s, c),
          s.status.pid === undefined ? "-" : String(s.status.pid),
          s.status.since ?? "-",
          s.status.lastExit ?? "-",
          s.status.restarts === undefined ? "-" : String(s.status.restarts),
          healthCell(s, c),
        ]),
        c,
      ),
    );
  } else {
    for (const s of result.services) {
      output.out("");
      output.out(
        `${c.bold(s.name)}  ${stateCell(s, c)}${s.status.pid !== undefined ? c.dim(` (pid ${s.status.pid})`) : ""}  ${c.dim(s.description)}`,
      );
      const rows: [string, string][] = [
        ["unit", `${s.unit}${s.timer ? ` (timer ${s.timer})` : ""}, ${s.scope}`],
        ["manager", s.status.detail],
      ];
      if (s.status.enabled !== undefined) rows.push(["enabled", s.status.enabled ? "yes" : "no"]);
      if (s.status.since) rows.push(["since", s.status.since]);
      if (s.status.lastExit) rows.push(["last exit", s.status.lastExit]);
      if (s.status.restarts !== undefined) rows.push(["restarts", String(s.status.restarts)]);
      if (s.health)
        rows.push([
          "health",
          `${s.health.ok ? c.green("ok") : c.red("failing")} ${c.dim(`${s.health.name}: ${s.health.detail}`)}`,
        ]);
      rows.push(["logs", `${s.logs ?? "the journal"} (\`setup-mac services logs ${s.name}\`)`]);
      for (const [k, v] of rows) output.out(`  ${(k + ":").padEnd(11)}${v}`);
    }
  }
  const bad = problems(result);
  output.out("");
  if (!bad.length)
    output.out(
      c.green(
        `${result.services.length} service${result.services.length === 1 ? "" : "s"} as expected`,
      ),
    );
  else for (const line of bad) output.out(c.red(line));
}

interface ActionFlags extends CommonFlags {
  wait?: boolean;
  timeout?: string;
}

function actionLine(r: ServiceActionResult, c: Colors): string {
  const word = r.ok
    ? c.green(r.verb === "stop" ? "stopped" : r.verb === "start" ? "started" : "restarted")
    : c.red("failed");
  return `${word}  ${r.name}  ${c.dim(r.detail)}`;
}

function printAction(ctx: CommandContext, result: ServicesActionResult): void {
  const { output, globals } = ctx;
  // The service manager or the service failed, not the configuration (decision 0020).
  if (!result.ok) ctx.exitCode = exitStatus([{ code: "service-failed" }]);
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  for (const r of result.results) {
    for (const argv of r.commands) output.err(c.dim(`$ ${argv.join(" ")}`));
    output.out(actionLine(r, c));
  }
}

function verb(name: ServiceVerb) {
  return async (ctx: CommandContext, refs: string[], flags: ActionFlags): Promise<void> => {
    let waitTimeoutMs: number | undefined;
    if (flags.timeout !== undefined) {
      const seconds = Number(flags.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new UsageError(
          `--timeout ${flags.timeout} is not a number of seconds`,
          "e.g. `--timeout 60`",
        );
      waitTimeoutMs = seconds * 1000;
    }
    const result = await controlServices(name, refs, {
      ...base(ctx, flags),
      wait: flags.wait !== false,
      ...(waitTimeoutMs ? { waitTimeoutMs } : {}),
    });
    printAction(ctx, result);
  };
}

export const start = verb("start");
export const stop = verb("stop");
export const restart = verb("restart");

/** `setup-mac services logs <name> [-f] [-n N]`. */
export async function logs(
  ctx: CommandContext,
  ref: string,
  flags: CommonFlags & { follow?: boolean; lines?: string },
): Promise<void> {
  const lines = flags.lines === undefined ? undefined : Number(flags.lines);
  if (lines !== undefined && (!Number.isInteger(lines) || lines < 0))
    throw new UsageError(`--lines ${flags.lines} is not a whole number`, "e.g. `-n 100`");
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once("SIGINT", onSigint);
  try {
    await serviceLogs(ref, {
      ...base(ctx, flags),
      ...(lines !== undefined ? { lines } : {}),
      follow: Boolean(flags.follow),
      onOutput: (chunk) => process.stdout.write(chunk),
      signal: interrupt.signal,
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
}
