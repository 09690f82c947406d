import type { z } from "zod";
import type { BinRef, Contribution, HostInfo, Platform } from "./types.js";

/** What `config`, `overrides` and function-valued `contributes` receive. */
export interface ConfigContext<O> {
  /** The program's resolved options: host values, contributions and defaults merged, validated. */
  readonly options: O;
  readonly host: HostInfo;
  /** Whether another program is enabled on this host (read-only: it never switches programs on). */
  readonly enabled: (program: string) => boolean;
}

// The option schema: a zod object. `z.ZodObject` with any shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptionsSchema = z.ZodObject<any>;

/** Option values given to another program: plain values or `mkForce` / `mkDefault` wrapped. */
export type OptionValues = Record<string, unknown>;

/** The option schema of a program without options. */
export type NoOptions = z.ZodObject<Record<never, never>>;

export interface ProgramDefinition<S extends OptionsSchema = NoOptions> {
  /** Lower-case name, letters, digits and dashes: `vscode`, `code-server`. */
  name: string;
  /** One line, shown by `programs list`. */
  description: string;
  homepage?: string;
  /** Where the program is available (default: every platform). */
  platforms?: Platform[];
  /** Programs turned on with this one. */
  requires?: string[];
  /** Programs that must not be enabled with this one. */
  conflicts?: string[];
  /** Options as a zod object: types, defaults and descriptions in one place. */
  options?: S;
  /** What the program puts on a host, from its resolved options. */
  config?: (ctx: ConfigContext<z.output<S>>) => Contribution;
  /**
   * Per-platform changes applied on top of `config`'s result: records are merged key by key and
   * any other value replaces the one from `config`.
   */
  overrides?: Partial<
    Record<Platform, (ctx: ConfigContext<z.output<S>>) => DeepPartial<Contribution>>
  >;
  /**
   * Option values for other programs, applied only when the target is enabled:
   * `contributes: { git: { ignores: [".vscode/"] } }`.
   */
  contributes?: Record<string, OptionValues | ((ctx: ConfigContext<z.output<S>>) => OptionValues)>;
}

/** Every field optional, recursively (lists stay whole: an override replaces a list). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

const PROGRAM = Symbol.for("setup-mac.program");

/** A defined program module, as `defineProgram` returns it. */
export type Program<S extends OptionsSchema = OptionsSchema> = ProgramDefinition<S> & {
  readonly [PROGRAM]: true;
};

/** Any program, whatever its option schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProgram = Program<any>;

/**
 * Define a program module. The default export of `programs/<category>/<name>.ts`.
 *
 * @example
 * export default defineProgram({
 *   name: "bat",
 *   description: "cat with wings",
 *   options: z.object({ theme: z.string().default("TwoDark") }),
 *   config: ({ options }) => ({ wrappers: { bat: { addFlags: [`--theme=${options.theme}`] } } }),
 * });
 */
export function defineProgram<S extends OptionsSchema = NoOptions>(
  definition: ProgramDefinition<S>,
): Program<S> {
  return Object.freeze({ ...definition, [PROGRAM]: true as const });
}

export function isProgram(value: unknown): value is AnyProgram {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[PROGRAM] === true
  );
}

/**
 * A binary of a Nix package, for commands: `bin("ollama")`, `bin("code", "vscode")`.
 * Resolved by Nix to `${pkgs.<pkg>}/bin/<name>`.
 */
export function bin(name: string, pkg: string = name): BinRef {
  return { bin: name, pkg };
}
