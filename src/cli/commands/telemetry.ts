import { homedir } from "node:os";
import type { TelemetryStatus, TelemetrySummary } from "../../telemetry/index.js";
import {
  exportToCollector,
  exportToFile,
  purgeTelemetry,
  setTelemetry,
  telemetryEvents,
  telemetryLines,
  telemetryReport,
  telemetryStatus,
} from "../../telemetry/index.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, table, toJson } from "../render.js";
import { ms, percent } from "../../telemetry/section.js";

/** A path as people read it: the home folder as `~`. */
function tilde(path: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  return path === home || path.startsWith(home + "/") ? "~" + path.slice(home.length) : path;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const SOURCE: Record<TelemetryStatus["source"], string> = {
  DO_NOT_TRACK: "DO_NOT_TRACK is set",
  SETUP_MAC_TELEMETRY: "SETUP_MAC_TELEMETRY is set",
  settings: "telemetry on/off",
  default: "the default: never turned on",
};

function statusLines(s: TelemetryStatus, env: NodeJS.ProcessEnv, c: Colors): string[] {
  const state = s.enabled ? c.green("on") : c.bold("off");
  const lines = [`telemetry  ${state} ${c.dim(`(${SOURCE[s.source]})`)}`];
  if (s.choice !== null && s.choice !== s.enabled)
    lines.push(
      c.yellow(`           the settings say ${s.choice ? "on" : "off"}; ${SOURCE[s.source]}`),
    );
  lines.push(`settings   ${tilde(s.settingsFile, env)}`);
  lines.push(
    `events     ${s.events} in ${tilde(s.dir, env)} ${c.dim(`(${size(s.bytes)} in ${s.files.length} file${s.files.length === 1 ? "" : "s"}; keeps ${s.rotation.files} files of ${size(s.rotation.maxBytes)})`)}`,
  );
  if (s.skipped) lines.push(c.yellow(`           ${s.skipped} unreadable lines skipped`));
  lines.push(
    `endpoint   ${s.endpoint ?? c.dim("none: nothing leaves this machine")}${s.endpoint ? c.dim(" (only `telemetry export --otlp` sends)") : ""}`,
  );
  return lines;
}

export async function on(ctx: CommandContext, opts: { endpoint?: string }): Promise<void> {
  const { globals, output, env } = ctx;
  const status = await setTelemetry(env, true, opts);
  if (globals.json) return void output.out(toJson(status));
  const c = colors(output);
  output.out(statusLines(status, env, c).join("\n"));
  output.out(
    c.dim(
      "Recorded per run: the verb, duration, exit status, host and module counts, stage timings, setup-mac version, platform. Never arguments, values, names or paths.",
    ),
  );
}

export async function off(ctx: CommandContext): Promise<void> {
  const { globals, output, env } = ctx;
  const status = await setTelemetry(env, false);
  if (globals.json) return void output.out(toJson(status));
  const c = colors(output);
  output.out(statusLines(status, env, c).join("\n"));
  if (status.events)
    output.out(c.dim("The recorded events are kept; `setup-mac telemetry purge` deletes them."));
}

export async function status(ctx: CommandContext): Promise<void> {
  const { globals, output, env } = ctx;
  const s = telemetryStatus(env);
  if (globals.json) return void output.out(toJson(s));
  output.out(statusLines(s, env, colors(output)).join("\n"));
  if (s.events) {
    const top = telemetryReport(env).verbs.slice(0, 3);
    output.out(`most used  ${top.map((v) => `${v.command} (${v.runs})`).join(", ")}`);
  }
}

function reportLines(r: TelemetrySummary, c: Colors): string[] {
  if (!r.events) return ["No events recorded. Turn recording on with `setup-mac telemetry on`."];
  const lines = [
    `${r.events} runs recorded, ${r.from!.slice(0, 10)} to ${r.to!.slice(0, 10)}`,
    "",
    table(
      ["VERB", "RUNS", "FAILED", "MEDIAN"],
      r.verbs.map((v) => [
        v.command,
        String(v.runs),
        v.failures ? c.red(`${v.failures} (${percent(v.failureRate)})`) : "0",
        ms(v.medianMs),
      ]),
      c,
    ),
  ];
  if (r.build.days.length) {
    lines.push("", c.bold("build time (successful runs, median per day)"));
    lines.push(
      table(
        ["DAY", "RUNS", "MEDIAN", "MODULES"],
        r.build.days.map((d) => [d.day, String(d.runs), ms(d.medianMs), String(d.modules ?? "-")]),
        c,
      ),
    );
  }
  const t = r.build.trend;
  if (t) {
    const arrow = t.change < 0 ? c.green(percent(t.change)) : c.yellow(`+${percent(t.change)}`);
    lines.push(
      `trend: ${ms(t.olderMedianMs)} → ${ms(t.newerMedianMs)} (${arrow}), older half of the builds against the newer half`,
    );
  }
  return lines;
}

export async function report(ctx: CommandContext): Promise<void> {
  const { globals, output, env } = ctx;
  const r = telemetryReport(env);
  if (globals.json) return void output.out(toJson(r));
  output.out(reportLines(r, colors(output)).join("\n"));
  if (r.skipped) output.err(`${r.skipped} unreadable lines skipped`);
}

export async function exportCommand(
  ctx: CommandContext,
  opts: { out?: string; otlp?: string | true },
): Promise<void> {
  const { globals, output, env } = ctx;
  if (opts.otlp !== undefined) {
    const result = await exportToCollector(env, opts.otlp === true ? undefined : opts.otlp);
    if (globals.json) return void output.out(toJson(result));
    output.out(
      `sent ${result.sent} events to ${result.url} in ${result.requests} request${result.requests === 1 ? "" : "s"}` +
        (result.rejected ? `; the collector rejected ${result.rejected}` : ""),
    );
    return;
  }
  if (opts.out) {
    const result = await exportToFile(env, opts.out);
    if (globals.json) return void output.out(toJson(result));
    output.out(`wrote ${result.events} events to ${result.file}`);
    return;
  }
  // JSON lines are the machine-readable form already; --json changes nothing here.
  const lines = telemetryLines(telemetryEvents(env).events);
  if (lines) output.out(lines);
}

export async function purge(ctx: CommandContext): Promise<void> {
  const { globals, output, env } = ctx;
  const result = purgeTelemetry(env);
  if (globals.json) return void output.out(toJson(result));
  output.out(
    result.files
      ? `deleted ${result.files} event file${result.files === 1 ? "" : "s"} in ${tilde(result.dir, env)}`
      : "no events to delete",
  );
}
