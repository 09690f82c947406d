/**
 * The CLI entry: parses global flags, lazily loads the verb that runs, turns errors into output
 * and an exit code. The only place that calls `process.exit`.
 *
 * Exit codes come from the diagnostics, through the one table in `errors/exit.ts`: 0 ok,
 * 1 the configuration or a module is wrong (or drift), 2 usage, 3 busy, 4 something outside
 * failed (the switch, a process, the registry, a time limit), 130 interrupted.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { SetupMacError } from "../errors/index.js";
import type { CommandContext, GlobalOptions } from "./context.js";
import type { Output } from "./render.js";
import { colors, formatDiagnostic, toJson } from "./render.js";
import { VERSION } from "../version.js";
import { timings } from "../adapters/timings.js";
import { DEFAULT_SLOW_MODULE_MS } from "../stats/outliers.js";
import { commandLineLimits, DEFAULT_LIMITS, MAX_MODULE_TIMEOUT_S } from "../isolate/limits.js";
import { telemetryEnabled } from "../telemetry/switch.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each verb types its own arguments
type Runner = (ctx: CommandContext, ...args: any[]) => Promise<void>;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").filter(Boolean)];
}

function evalTimeout(value: string): number {
  const seconds = Number(value);
  if (!(seconds > 0 && seconds <= MAX_MODULE_TIMEOUT_S)) {
    throw new InvalidArgumentError(`give seconds, more than 0 and at most ${MAX_MODULE_TIMEOUT_S}`);
  }
  return seconds;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const stdoutTty = Boolean(process.stdout.isTTY);
  const output: Output = {
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : text + "\n"),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : text + "\n"),
    color: stdoutTty && !("NO_COLOR" in env) && env.TERM !== "dumb",
    json: false,
    tty: stdoutTty,
  };
  const ctx: CommandContext = {
    globals: { json: false, color: output.color },
    output,
    env,
    exitCode: 0,
  };

  const program = new Command("setup-mac")
    .description(
      "Program modules for Nix-managed machines: list, enable, configure, check, build and apply them.",
    )
    .version(VERSION, "-V, --version")
    .option("-w, --workspace <dir>", "the workspace folder (default: the current directory)")
    .option("-H, --host <name>", "limit to a host (repeat or comma-separate for several)", collect)
    .option("--json", "machine-readable output on stdout")
    .option("--no-color", "no colour (NO_COLOR is honoured too)")
    .option("--timings", "print where the time went: stages and the slowest modules (stderr)")
    .option(
      "--eval-timeout <seconds>",
      `stop a module that runs longer than this while evaluating (default ${DEFAULT_LIMITS.moduleTimeoutMs / 1000})`,
      evalTimeout,
    )
    .addHelpText(
      "after",
      `
Exit status:
  0  success
  1  the configuration or a module is wrong, a check found errors, drift found
  2  usage: an unknown verb or flag, a missing argument
  3  busy: another setup-mac holds the workspace lock
  4  something outside failed: the platform's switch, a hook or health check, nix,
     the pack registry or its tarball, a time limit`,
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });

  // Set when a verb starts: its path ("programs enable"), and whether this run is recorded.
  let verb: string | undefined;
  let record = false;
  let showTimings = false;
  program.hook("preAction", (_this, action) => {
    const opts = program.opts<{
      workspace?: string;
      host?: string[];
      json?: boolean;
      color: boolean;
      timings?: boolean;
      evalTimeout?: number;
    }>();
    verb = commandPath(action);
    timings.command = verb;
    // `telemetry` itself is not recorded: turning it on, reading or purging it is not usage.
    record = !verb.startsWith("telemetry") && telemetryEnabled(env);
    showTimings = Boolean(opts.timings);
    if (showTimings || record) timings.enabled = true;
    if (opts.evalTimeout !== undefined) commandLineLimits.moduleTimeoutMs = opts.evalTimeout * 1000;
    const globals: GlobalOptions = {
      workspace: opts.workspace ?? env.SETUP_MAC_WORKSPACE,
      host: opts.host,
      json: Boolean(opts.json),
      color: output.color && opts.color !== false,
    };
    ctx.globals = globals;
    output.color = globals.color;
    output.json = globals.json;
  });

  const lazy =
    (load: () => Promise<{ run: Runner }>) =>
    async (...args: unknown[]) => {
      const { run } = await load();
      // commander passes (…positional, options, command); drop the command object.
      await run(ctx, ...args.slice(0, -1));
    };

  program
    .command("init")
    .description(
      "make this flake repository a workspace: config, programs/, Nix adapters; print the import lines",
    )
    .option("--force", "replace adapter files even where they were edited by hand")
    .option(
      "--user <name>",
      "the user of hosts whose user flake.nix does not determine (else asked, or left out and warned about)",
    )
    .option("--dry-run", "show what would be written, write nothing")
    .action(lazy(() => import("./commands/init.js")));

  const programs = program
    .command("programs")
    .description("list, inspect, enable and configure program modules");
  programs
    .command("list")
    .description("every program: category, platforms, the hosts it is enabled on")
    .option("--enabled", "only programs enabled on some host")
    .option("--category <category>", "only this category (and its subcategories)")
    .action(lazy(() => import("./commands/list.js")));
  programs
    .command("info <name>")
    .description(
      "a program's options with types, defaults, and each host's values with their provenance",
    )
    .action(lazy(() => import("./commands/info.js")));

  programs
    .command("new <name>")
    .description("scaffold a program module from a template: cli, gui, service, daemon")
    .option("-t, --template <template>", "cli (default), gui, service or daemon")
    .option("-c, --category <category>", "the folder under programs/ (default: by template)")
    .option("-d, --description <text>", "the one-line description")
    .action(lazy(() => import("./commands/new.js")));
  programs
    .command("enable <names...>")
    .description("enable programs on the host(s); shows what `requires` turns on with them")
    .action(lazy(async () => ({ run: (await import("./commands/edit.js")).enable })));
  programs
    .command("disable <names...>")
    .description("disable programs on the host(s)")
    .option("--keep-false", 'write `"name": false` so `requires` cannot turn it back on')
    .action(lazy(async () => ({ run: (await import("./commands/edit.js")).disable })));
  programs
    .command("config <name> [action] [key] [value]")
    .description(
      "get (default), set or unset option values, validated against the program's schema",
    )
    .option("--explain", "show where each value comes from and what it overrides")
    .option("--defaults", "edit the shared defaults instead of a host")
    .action(lazy(async () => ({ run: (await import("./commands/edit.js")).config })));
  programs
    .command("rollback [program]")
    .description("restore a host (or one program's settings) to generation N and apply it")
    .option("--to <n>", "the generation (default: the one before the newest)")
    .option("--system", "use the platform's own rollback instead")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--dry-run", "show the plan, change nothing")
    .action(lazy(async () => ({ run: (await import("./commands/history.js")).rollbackCommand })));
  programs
    .command("status")
    .description("declared vs applied vs live: drift, files edited by hand, services, health")
    .option("--live", "run the live checks here even if this machine is not the host")
    .option("--all-hosts", "every host at a glance: declared against last applied (no live checks)")
    .action(lazy(() => import("./commands/status.js")));
  programs
    .command("update [inputs...]")
    .description(
      "update the flake's inputs and installed packs (all, or the named ones); show what moved",
    )
    .option("--dry-run", "show the nix command, change nothing")
    .action(lazy(() => import("./commands/update.js")));
  const services = program
    .command("services")
    .description(
      "the host's services by setup-mac's names: list, status, start, stop, restart, logs",
    );
  const targetHost = () =>
    new Option("--target-host <ssh>", "ask the service manager on this machine over SSH");
  services
    .command("list", { isDefault: true })
    .description("every service: scope, unit, enabled, state, PID, since, last exit, health")
    .addOption(targetHost())
    .action(lazy(async () => ({ run: (await import("./commands/services.js")).list })));
  services
    .command("status <names...>")
    .description("what the service manager says about a service (`atuin/daemon`) or a program's")
    .addOption(targetHost())
    .action(lazy(async () => ({ run: (await import("./commands/services.js")).statusCommand })));
  for (const [name, what] of [
    ["start", "start services and wait until they are ready (their health check answers)"],
    ["restart", "restart services and wait until they are ready"],
    ["stop", "stop services"],
  ] as const) {
    const verb = services.command(`${name} <names...>`).description(what).addOption(targetHost());
    if (name !== "stop")
      verb
        .option("--no-wait", "do not wait for readiness")
        .option("--timeout <seconds>", "how long to wait for readiness (default 30)");
    verb.action(lazy(async () => ({ run: (await import("./commands/services.js"))[name] })));
  }
  services
    .command("logs <name>")
    .description("a service's output: its log file, else the journal")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --lines <n>", "how many lines from the end (default 50)")
    .addOption(targetHost())
    .action(lazy(async () => ({ run: (await import("./commands/services.js")).logs })));

  program
    .command("doctor")
    .description("is Nix there, is the adapter imported, is the lock in sync, are commands present")
    .action(lazy(() => import("./commands/doctor.js")));

  program
    .command("generations")
    .description("what was applied, when, and what changed in each")
    .action(lazy(async () => ({ run: (await import("./commands/history.js")).generations })));
  program
    .command("diff")
    .description("what would change against the last applied generation")
    .option("--from <n>", "compare with generation N instead")
    .option(
      "--build",
      "build the host with the platform's own command and show the closure diff (packages, versions, size)",
    )
    .option(
      "--against <path>",
      "with --build: compare with this system or profile (e.g. /nix/var/nix/profiles/system-41-link) instead of the running one",
    )
    .action(lazy(async () => ({ run: (await import("./commands/history.js")).diff })));

  program
    .command("migrate [inputs...]")
    .description(
      "turn existing Nix modules (.nix files or folders) into program modules; the sources are only read",
    )
    .option(
      "--from-flake <ref>",
      "read an evaluated configuration instead of files: .#darwinConfigurations.<host>, .#nixosConfigurations.<host> or .#homeConfigurations.<name> (needs nix)",
    )
    .option("--dry-run", "print the modules and the report, write nothing")
    .option("--force", "replace module files that exist with other text")
    .action(lazy(() => import("./commands/migrate.js")));
  program
    .command("check")
    .description(
      "validate every module and host; exit 1 on errors; warn about modules slower than the limit",
    )
    .option(
      "--slow-module-ms <ms>",
      `warn about a module whose own load + evaluate time is over this (default: the config's evaluation.slowModuleMs, else ${DEFAULT_SLOW_MODULE_MS})`,
    )
    .action(lazy(() => import("./commands/check.js")));
  program
    .command("stats")
    .description(
      "how long each module takes over the last runs: last, median, p95, load/evaluate, cache hits",
    )
    .option("--last <n>", "only the newest N recorded runs (default: all kept)")
    .option("--top <n>", "show the N slowest modules (default 10; 0 shows all)")
    .option("--slow-module-ms <ms>", "the limit to mark modules by (default as for check)")
    .addHelpText(
      "after",
      `
Every command that evaluates hosts (check, build, apply, diff, programs status, …) records each
module's own time in the workspace's load cache; the newest runs are kept. A module is slow when
its median over at least 3 runs (else its last run) is over the limit; check then warns, and the
exit status does not change.`,
    )
    .action(lazy(() => import("./commands/stats.js")));
  const packs = program
    .command("packs")
    .description("program modules shared as npm packages, vendored under packs/ and pinned");
  packs
    .command("add <spec>")
    .description("install a pack (name, name@version or name@tag) after checking its integrity")
    .action(lazy(async () => ({ run: (await import("./commands/packs.js")).add })));
  packs
    .command("remove <name>")
    .description("remove a pack (refused while a host enables one of its programs)")
    .action(lazy(async () => ({ run: (await import("./commands/packs.js")).remove })));
  packs
    .command("list")
    .description("the installed packs, and whether their files are as installed; exit 1 if not")
    .action(lazy(async () => ({ run: (await import("./commands/packs.js")).list })));
  packs
    .command("search [text]")
    .description("packs in the registry (npm packages with the setup-mac-pack keyword)")
    .action(lazy(async () => ({ run: (await import("./commands/packs.js")).search })));
  const docs = program
    .command("docs")
    .description(
      "the documentation site of every program: options, relations, what each host gets",
    );
  docs
    .command("build")
    .description("write the site (default: .setup-mac/docs in the workspace)")
    .option("--out <dir>", "where to write it (a new or empty folder, or an earlier site)")
    .action(lazy(async () => ({ run: (await import("./commands/docs.js")).build })));
  docs
    .command("serve")
    .description("build the site and serve it on 127.0.0.1 until Ctrl-C")
    .option("--out <dir>", "where to write it first")
    .option("--port <port>", "the port (default 8417; 0 picks a free one)")
    .action(lazy(async () => ({ run: (await import("./commands/docs.js")).serve })));
  program
    .command("ui")
    .description(
      "a local web dashboard: hosts, programs and their options, the plan, generations, apply and rollback",
    )
    .option("--port <port>", "the port (default 8418; 0 picks a free one)")
    .option("--open", "open it in the default browser")
    .action(lazy(() => import("./commands/ui.js")));
  const telemetry = program
    .command("telemetry")
    .description(
      "local usage statistics, off unless turned on: which verbs, how long, how often they fail",
    );
  const tel = (name: "on" | "off" | "status" | "report" | "exportCommand" | "purge") =>
    lazy(async () => ({ run: (await import("./commands/telemetry.js"))[name] }));
  telemetry
    .command("on")
    .description("record each run (verb, duration, exit status, counts, stage timings) locally")
    .option("--endpoint <url>", "the OTLP/HTTP collector `export --otlp` sends to by default")
    .action(tel("on"));
  telemetry.command("off").description("stop recording (the events are kept)").action(tel("off"));
  telemetry
    .command("status")
    .description("on or off and why, where the files are, how many events, their size")
    .action(tel("status"));
  telemetry
    .command("report")
    .description("most used verbs, failure rate per verb, the build time trend")
    .action(tel("report"));
  telemetry
    .command("export")
    .description("print the events as JSON lines, write them to a file, or send them over OTLP")
    .option("--out <file>", "write the JSON lines to this file")
    .option(
      "--otlp [url]",
      "POST them as OTLP/HTTP JSON logs to this collector (default: the configured endpoint)",
    )
    .action(tel("exportCommand"));
  telemetry.command("purge").description("delete the recorded events").action(tel("purge"));
  program
    .command("scan")
    .description(
      "security scan of what each host gets: secrets in the lock, writable files, root services…",
    )
    .option("--strict", "warnings fail too (exit 1), and so do allow entries that match nothing")
    .option("--sarif", "print SARIF 2.1.0 (for code-scanning services) instead of text")
    .action(lazy(() => import("./commands/scan.js")));
  program
    .command("build")
    .description("write setup-mac.lock.json and setup-mac/schema.json (and previews with --out)")
    .addOption(new Option("--out <dir>", "also render previews: units, plists, files, scripts"))
    .option("--dry-run", "compute everything, write nothing")
    .action(lazy(() => import("./commands/build.js")));

  program
    .command("apply")
    .description(
      "check, build, show the closure diff and plan, snapshot, switch the host, record a generation, run health checks",
    )
    .option("--dry-run", "show the plan, change nothing")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--target-host <ssh>", "deploy to another machine (nixos-rebuild --target-host)")
    .option("--rollback-on-failure", "go back to the previous generation when health checks fail")
    .option("--no-snapshot", "apply even without ZFS snapshots")
    .option("--no-restart", "leave services whose definition changed as the switch left them")
    .option(
      "--no-build",
      "switch without building first (no closure diff; a Nix error then shows during the switch)",
    )
    .option("--timeout <seconds>", "stop the switch after this long (default 3600)")
    .option(
      "--backup-ext <ext>",
      "move unmanaged files in the way to <file>.<ext> (never overwriting a backup)",
    )
    .option(
      "--force-file <path>",
      "replace this unmanaged file in the way (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(lazy(() => import("./commands/apply.js")));

  const started = performance.now();
  let code = 1;
  try {
    await program.parseAsync(argv, { from: "user" });
    code = ctx.exitCode;
  } catch (error) {
    code = handleError(error, ctx);
  } finally {
    const total = performance.now() - started;
    if (showTimings) printTimings(output, total);
    // Loaded only when recording: a run with telemetry off pays one small file read, no import.
    if (record && verb !== undefined) {
      try {
        const { recordRun } = await import("../telemetry/record.js");
        recordRun({ command: verb, durationMs: total, exitCode: code, env });
      } catch {
        // telemetry never changes a command's outcome
      }
    }
  }
  return code;
}

/** A verb's path in the command tree, without the program's own name: `programs enable`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The `--timings` report: stages in order, then the modules whose own code took longest. */
function printTimings(output: Output, totalMs: number): void {
  const c = colors(output);
  const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`.padStart(10);
  const lines = [c.bold("timings")];
  for (const span of timings.spans) lines.push(`${ms(span.ms)}  ${span.name}`);
  lines.push(`${ms(totalMs)}  ${c.bold("total")} (after Node's own start-up)`);
  const slow = [...timings.modules].sort((a, b) => b[1] - a[1]).slice(0, 5);
  if (slow.length) {
    const sum = [...timings.modules.values()].reduce((a, b) => a + b, 0);
    lines.push(
      c.bold(`module code: ${sum.toFixed(0)} ms in ${timings.modules.size} modules; slowest:`),
    );
    for (const [file, t] of slow) {
      const split = timings.phases.get(file);
      const parts = split
        ? c.dim(`  (load ${split.load.toFixed(1)}, evaluate ${split.evaluate.toFixed(1)})`)
        : "";
      lines.push(`${ms(t)}  ${file}${parts}`);
    }
    const over = [...timings.modules]
      .filter(([, t]) => t > DEFAULT_SLOW_MODULE_MS)
      .sort((a, b) => b[1] - a[1]);
    if (over.length)
      lines.push(
        c.yellow(
          `over ${DEFAULT_SLOW_MODULE_MS} ms in this run: ${over.map(([f]) => f).join(", ")} (\`setup-mac stats\` shows them over the last runs)`,
        ),
      );
  }
  if (timings.cache.size) {
    const hits = [...timings.cache.values()].filter((v) => v === "hit").length;
    lines.push(
      `evaluation cache: ${hits} of ${timings.cache.size} modules served from it, ${timings.cache.size - hits} ran`,
    );
  }
  output.err(lines.join("\n"));
}

function handleError(error: unknown, ctx: CommandContext): number {
  const { output } = ctx;
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    )
      return 0;
    if (error.code === "commander.executeSubCommandAsync") return error.exitCode;
    // commander already printed the message; usage errors exit 2.
    return 2;
  }
  if (error instanceof SetupMacError) {
    const c = colors(output);
    if (output.json) output.out(toJson({ ok: false, diagnostics: error.diagnostics }));
    output.err(error.diagnostics.map((d) => formatDiagnostic(d, c)).join("\n\n"));
    const count = error.diagnostics.filter((d) => d.severity === "error").length;
    if (count > 1) output.err(c.red(`${count} errors`));
    return error.exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  output.err(
    `internal error: this is a bug in setup-mac, please report it with the output below\n${message}`,
  );
  return 1;
}
