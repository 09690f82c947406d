/**
 * `migrate --from-flake`'s IO (decision 0024): asks `nix` for the flake's source path, the
 * configurations it has, and one evaluation through `from-flake.nix`. Every call passes the
 * experimental features (Nix 2.8 needs them for `nix eval` of a flake) and
 * `--no-write-lock-file`, so migrate never writes into the user's flake.
 */
import { diagnostic, SetupMacError } from "../errors/index.js";
import type { ConfigurationKind, Evaluation, FlakeRef } from "../migrate/flake.js";
import { applyExpression, configurationAttr, evaluationSchema, KINDS } from "../migrate/flake.js";
import type { ProcessRunner, RunResult } from "../ports/index.js";
import { CommandNotFoundError } from "../ports/index.js";

/** The arguments every `nix` call starts with. */
export const NIX_FLAGS = ["--extra-experimental-features", "nix-command flakes"] as const;

/** The last lines of Nix's stderr, without its noise about build users. */
export function stderrTail(stderr: string, lines = 15): string {
  const kept = stderr
    .split("\n")
    .filter((l) => l.trim() && !/^warning: (the group|not writing modified lock file)/.test(l))
    .filter((l) => !/^(•|\s+'|\s+→)/.test(l));
  return kept.slice(-lines).join("\n");
}

const NO_ATTRIBUTE = /does not provide attribute/;

export interface EvaluatedFlake {
  /** The flake's source in the store: definitions from files under it are the user's. */
  source: string;
  kind: ConfigurationKind;
  name: string;
  evaluation: Evaluation;
}

/** Runs `nix`, turning a missing `nix` into a user error. */
async function nix(runner: ProcessRunner, args: string[], cwd?: string): Promise<RunResult> {
  try {
    return await runner.run(["nix", ...NIX_FLAGS, ...args], cwd ? { cwd } : {});
  } catch (error) {
    if (error instanceof CommandNotFoundError) {
      throw new SetupMacError(
        diagnostic(
          "migrate-no-nix",
          "`nix` is not on PATH: --from-flake evaluates the flake with it",
          {
            hint: "install Nix (https://nixos.org/download) or put it on PATH; without Nix, migrate the .nix files themselves: `setup-mac migrate home.nix`",
          },
        ),
      );
    }
    throw error;
  }
}

function doesNotEvaluate(flake: string, what: string, r: RunResult): SetupMacError {
  return new SetupMacError(
    diagnostic(
      "migrate-flake-eval",
      `the flake \`${flake}\` does not evaluate (${what}, nix exited with ${r.exitCode ?? r.signal}):\n${stderrTail(r.stderr)}`,
      {
        hint: `fix the error above so that \`nix eval ${flake}#…\` works, or migrate the .nix files themselves: \`setup-mac migrate <files>\``,
      },
    ),
  );
}

function parseJson(flake: string, what: string, r: RunResult): unknown {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new SetupMacError(
      diagnostic(
        "migrate-flake-eval",
        `\`nix\` printed no JSON for ${what} of \`${flake}\`: ${r.stdout.slice(0, 200)}`,
        { hint: "run the same `nix eval` by hand to see what it prints" },
      ),
    );
  }
}

/** The names of one kind's configurations, or [] when the flake has none of that kind. */
async function names(
  runner: ProcessRunner,
  flake: string,
  kind: ConfigurationKind,
  cwd?: string,
): Promise<string[]> {
  const r = await nix(
    runner,
    [
      "eval",
      "--json",
      "--no-write-lock-file",
      `${flake}#${kind}Configurations`,
      "--apply",
      "builtins.attrNames",
    ],
    cwd,
  );
  if (r.exitCode === 0) {
    const list = parseJson(flake, `${kind}Configurations`, r);
    return Array.isArray(list) ? list.map(String) : [];
  }
  if (NO_ATTRIBUTE.test(r.stderr)) return [];
  throw doesNotEvaluate(flake, `listing ${kind}Configurations`, r);
}

/** Evaluates one configuration of a flake through `from-flake.nix`. */
export async function evaluateFlake(
  runner: ProcessRunner,
  ref: FlakeRef,
  options: { cwd?: string; fn: string },
): Promise<EvaluatedFlake> {
  const { flake } = ref;
  const meta = await nix(
    runner,
    ["flake", "metadata", "--json", "--no-write-lock-file", flake],
    options.cwd,
  );
  if (meta.exitCode !== 0) throw doesNotEvaluate(flake, "reading its metadata", meta);
  const source = (parseJson(flake, "the metadata", meta) as { path?: unknown }).path;
  if (typeof source !== "string")
    throw new Error(`internal: \`nix flake metadata --json ${flake}\` gave no path`);

  const kinds = ref.kind ? [ref.kind] : KINDS;
  const found: { kind: ConfigurationKind; names: string[] }[] = [];
  for (const kind of kinds)
    found.push({ kind, names: await names(runner, flake, kind, options.cwd) });
  const matches = found.filter((f) => f.names.includes(ref.name));
  if (matches.length !== 1) {
    // Shown as one would type it: quotes only where a name has a dot.
    const shown = (kind: ConfigurationKind, n: string) =>
      `${flake}#${kind}Configurations.${n.includes(".") ? JSON.stringify(n) : n}`;
    const all = found.flatMap((f) => f.names.map((n) => shown(f.kind, n)));
    const where = ref.kind ? `${ref.kind}Configurations` : "darwin-, nixos- or homeConfigurations";
    throw new SetupMacError(
      diagnostic(
        "migrate-flake-host",
        matches.length === 0
          ? `the flake \`${flake}\` has no configuration \`${ref.name}\` in ${where}`
          : `\`${ref.name}\` is a configuration of more than one kind in \`${flake}\``,
        {
          hint: all.length
            ? `name one that exists: ${all.map((a) => `\`--from-flake ${a}\``).join(", ")}`
            : `the flake has no ${where}: point --from-flake at the flake that defines them`,
        },
      ),
    );
  }
  const kind = matches[0]!.kind;
  const fn = options.fn;
  const r = await nix(
    runner,
    [
      "eval",
      "--json",
      "--no-write-lock-file",
      `${flake}#${configurationAttr(kind, ref.name)}`,
      "--apply",
      applyExpression(fn, source, kind),
    ],
    options.cwd,
  );
  if (r.exitCode !== 0)
    throw doesNotEvaluate(flake, `evaluating ${configurationAttr(kind, ref.name)}`, r);
  const parsed = evaluationSchema.safeParse(parseJson(flake, configurationAttr(kind, ref.name), r));
  if (!parsed.success)
    throw new Error(
      `internal: from-flake.nix returned an unexpected shape: ${parsed.error.message}`,
    );
  return { source, kind, name: ref.name, evaluation: parsed.data };
}
