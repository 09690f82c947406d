import type { ConfigState, Finding, ProgramStatus, StatusResult } from "../../api/status.js";
import { status, statusAll } from "../../api/status.js";
import { EXIT_STATUS } from "../../errors/exit.js";
import type { CommandContext } from "../context.js";
import type { Colors } from "../render.js";
import { colors, formatTime, table, toJson } from "../render.js";

const CONFIG_WORDS: Record<ConfigState, string> = {
  "in-sync": "in sync",
  changed: "changed since apply",
  "not-applied": "not applied",
  removed: "removed",
};

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** `3 files, 1 service, 2 binaries, 1 check` for the findings that passed. */
function tally(findings: Finding[]): string {
  const n = (kind: Finding["kind"]) => findings.filter((f) => f.kind === kind).length;
  return [
    n("file") ? plural(n("file"), "file") : "",
    n("service") ? plural(n("service"), "service") : "",
    n("binary") ? plural(n("binary"), "binary", "binaries") : "",
    n("health") ? plural(n("health"), "check") : "",
  ]
    .filter(Boolean)
    .join(", ");
}

function liveCell(p: ProgramStatus, result: StatusResult, c: Colors): string {
  if (!result.live.ran) return c.dim("skipped");
  if (!p.findings.length)
    return c.dim(
      p.config === "not-applied" && result.applied ? "not on this machine yet" : "nothing to check",
    );
  const bad = p.findings.filter((f) => !f.ok);
  if (!bad.length) return c.green("ok") + c.dim(` (${tally(p.findings)})`);
  return c.red(bad.map((f) => `${f.target} ${f.state}`).join("; "));
}

function configCell(state: ConfigState, c: Colors): string {
  const word = CONFIG_WORDS[state];
  return state === "in-sync" ? c.green(word) : c.yellow(word);
}

/** `2 files edited by hand`, `1 file missing` … from the file findings that failed. */
function fileProblems(result: StatusResult): string[] {
  const byState = new Map<string, number>();
  for (const p of result.programs)
    for (const f of p.findings)
      if (f.kind === "file" && !f.ok) byState.set(f.state, (byState.get(f.state) ?? 0) + 1);
  return [...byState].map(([state, n]) => `${plural(n, "file")} ${state}`);
}

async function overview(ctx: CommandContext): Promise<void> {
  const { globals, output, env } = ctx;
  const result = await statusAll({
    workspace: globals.workspace,
    ...(env.SETUP_MAC_HOST ? { localHost: env.SETUP_MAC_HOST } : {}),
  });
  if (!result.ok) ctx.exitCode = EXIT_STATUS.config; // drift: the machine is not as configured
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  output.out(
    table(
      ["HOST", "PLATFORM", "APPLIED", "PROGRAMS"],
      result.hosts.map((h) => [
        h.host + (h.local ? c.dim(" (this machine)") : ""),
        h.platform,
        h.applied
          ? `generation ${h.applied.generation}, ${formatTime(h.applied.time)}`
          : c.yellow("never"),
        [
          h.inSync ? c.green(`${h.inSync} in sync`) : "",
          h.changed ? c.yellow(`${h.changed} changed`) : "",
          h.notApplied ? c.yellow(`${h.notApplied} not applied`) : "",
          h.removed ? c.yellow(`${h.removed} removed`) : "",
        ]
          .filter(Boolean)
          .join(", ") || c.dim("none"),
      ]),
      c,
    ),
  );
  const behind = result.hosts.filter((h) => !h.ok).map((h) => h.host);
  if (behind.length)
    output.out(
      c.dim(
        `\`setup-mac --host ${behind[0]} apply\` brings ${behind[0]} up to date; \`programs status --host H\` shows the details.`,
      ),
    );
}

export async function run(
  ctx: CommandContext,
  flags: { live?: boolean; allHosts?: boolean },
): Promise<void> {
  if (flags.allHosts) return overview(ctx);
  const { globals, output, env } = ctx;
  const result = await status({
    workspace: globals.workspace,
    host: globals.host?.[0],
    live: flags.live,
    ...(env.SETUP_MAC_HOST ? { localHost: env.SETUP_MAC_HOST } : {}),
    ...(env.SETUP_MAC_HOME ? { home: env.SETUP_MAC_HOME } : {}),
  });
  if (!result.ok) ctx.exitCode = EXIT_STATUS.config; // drift: the machine is not as configured
  if (globals.json) {
    output.out(toJson(result));
    return;
  }
  const c = colors(output);
  const applied = result.applied
    ? `generation ${result.applied.generation} applied ${formatTime(result.applied.time)}`
    : "nothing applied yet";
  output.out(c.bold(`${result.host}`) + c.dim(` (${result.platform}): ${applied}`));
  if (result.live.note) output.out(c.yellow("note: ") + result.live.note);
  output.out(
    table(
      ["PROGRAM", "CONFIG", "LIVE"],
      result.programs.map((p) => [p.name, configCell(p.config, c), liveCell(p, result, c)]),
      c,
    ),
  );

  const details: string[] = [];
  for (const p of result.programs) {
    for (const [aspect, ch] of Object.entries(p.changes ?? {})) {
      for (const a of ch.added) details.push(`${p.name}: ${aspect} + ${a} (not applied)`);
      for (const r of ch.removed) details.push(`${p.name}: ${aspect} - ${r} (still applied)`);
      for (const m of ch.changed) details.push(`${p.name}: ${aspect} ~ ${m} (changed since apply)`);
    }
    for (const f of p.findings.filter((x) => !x.ok))
      details.push(
        `${p.name}: ${f.kind} ${f.target} ${f.state}${f.detail ? ` — ${f.detail}` : ""}`,
      );
  }
  if (details.length) {
    output.out("");
    for (const d of details) output.out("  " + d);
  }

  const s = result.summary;
  const parts = [
    s.changed ? `${s.changed} changed since apply` : "",
    s.notApplied ? `${s.notApplied} not applied` : "",
    s.removed ? `${s.removed} removed but still applied` : "",
    ...fileProblems(result),
    s.problems.service ? `${plural(s.problems.service, "service")} not running` : "",
    s.problems.binary ? `${plural(s.problems.binary, "binary", "binaries")} missing` : "",
    s.problems.health ? `${plural(s.problems.health, "health check")} failing` : "",
  ].filter(Boolean);
  output.out("");
  if (result.ok)
    output.out(
      c.green(
        `${result.host} is in sync: ${plural(s.inSync, "program")} as applied${result.live.ran ? ", every live check passed" : ""}`,
      ),
    );
  else output.out(c.red(`${result.host}: ${parts.join(", ")}`));
  if (!result.live.ran) output.out(c.dim("live checks were skipped (see the note above)"));
  if (s.problems.service) {
    const first = result.programs.find((p) =>
      p.findings.some((f) => f.kind === "service" && !f.ok),
    );
    output.out(
      c.dim(
        `\`setup-mac services status ${first?.name ?? "<program>"}\` says what the service manager knows; \`services logs\` shows the output`,
      ),
    );
  }
}
