/**
 * Priorities and list ordering, with the NixOS module system's numbers:
 * `mkForce` 50 < plain 100 < `mkDefault` 1000 < an option's own default 1500.
 * A lower number wins. `mkBefore` / `mkAfter` move list items (order 500 / 1500, plain 1000).
 *
 * Markers are tagged with a `Symbol.for` key so that a module loaded from its own bundle and the
 * CLI agree on them even if two copies of this file were ever loaded.
 */

export const PRIORITY = {
  force: 50,
  plain: 100,
  sharedDefault: 1000,
  default: 1000,
  optionDefault: 1500,
} as const;

export const ORDER = { before: 500, plain: 1000, after: 1500 } as const;

const OVERRIDE = Symbol.for("setup-mac.override");
const ORDERED = Symbol.for("setup-mac.order");

/** A value wrapped with a priority by `mkOverride`, `mkForce` or `mkDefault`. */
export interface Override<T = unknown> {
  readonly [OVERRIDE]: true;
  readonly priority: number;
  readonly content: T;
}

/**
 * A definition wrapped with an ordering by `mkBefore`, `mkAfter` or `mkOrder`: a list, a `lines`
 * string, or a record (whose lists and lines then merge in that order, as in NixOS).
 */
export interface Ordered<T = unknown> {
  readonly [ORDERED]: true;
  readonly order: number;
  readonly content: readonly T[];
}

/** An ordered string (`lines` options) or record; see `Ordered`. */
export interface OrderedValue<V = unknown> {
  readonly [ORDERED]: true;
  readonly order: number;
  readonly content: V;
}

/** A value that may carry a priority. Modules may write `T` or `mkDefault(T)` anywhere. */
export type Prioritized<T> = T | Override<T>;

/** Set `value` at an explicit priority (lower wins). `mkOverride(50, x)` is `mkForce(x)`. */
export function mkOverride<T>(priority: number, value: T): Override<T> {
  if (!Number.isInteger(priority) || priority < 0) {
    throw new TypeError(
      `mkOverride: priority must be a non-negative integer, got ${String(priority)}`,
    );
  }
  return Object.freeze({ [OVERRIDE]: true as const, priority, content: value });
}

/** Beat every plain definition (priority 50), e.g. `env: { EDITOR: mkForce("nvim") }`. */
export const mkForce = <T>(value: T): Override<T> => mkOverride(PRIORITY.force, value);

/** Lose to every plain definition (priority 1000): a default the host or another module may change. */
export const mkDefault = <T>(value: T): Override<T> => mkOverride(PRIORITY.default, value);

/**
 * Place a definition by `order` (lower first); `mkBefore` is 500, plain 1000, `mkAfter` 1500.
 * Works on lists (`mkOrder(600, ["a"])`), on `lines` strings (`mkBefore("set -e")`) and on
 * records, whose lists and lines then merge in that order (`mkBefore({ paths: ["/a"] })`).
 */
export function mkOrder<T>(order: number, items: readonly T[]): Ordered<T>;
export function mkOrder<V extends string | Record<string, unknown>>(
  order: number,
  value: V,
): OrderedValue<V>;
export function mkOrder(order: number, value: unknown): Ordered | OrderedValue {
  if (!Number.isFinite(order))
    throw new TypeError(`mkOrder: order must be a number, got ${String(order)}`);
  if (
    !Array.isArray(value) &&
    typeof value !== "string" &&
    (typeof value !== "object" || value === null || isOverride(value) || isOrdered(value))
  ) {
    throw new TypeError("mkOrder: expected a list, a string or a record");
  }
  return Object.freeze({ [ORDERED]: true as const, order, content: value as readonly unknown[] });
}

/** Put these before plain definitions: `packages: mkBefore(["gnused"])`, `init: mkBefore("set -e")`. */
export function mkBefore<T>(items: readonly T[]): Ordered<T>;
export function mkBefore<V extends string | Record<string, unknown>>(value: V): OrderedValue<V>;
export function mkBefore(value: unknown): Ordered | OrderedValue {
  return mkOrder(ORDER.before, value as never);
}

/** Put these after plain definitions. */
export function mkAfter<T>(items: readonly T[]): Ordered<T>;
export function mkAfter<V extends string | Record<string, unknown>>(value: V): OrderedValue<V>;
export function mkAfter(value: unknown): Ordered | OrderedValue {
  return mkOrder(ORDER.after, value as never);
}

export function isOverride(value: unknown): value is Override {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[OVERRIDE] === true
  );
}

export function isOrdered(value: unknown): value is Ordered {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[ORDERED] === true
  );
}

/** Names a priority for messages: `mkForce (50)`, `plain (100)`, `mkDefault (1000)`. */
export function describePriority(priority: number): string {
  if (priority === PRIORITY.force) return "mkForce (50)";
  if (priority === PRIORITY.plain) return "plain (100)";
  if (priority === PRIORITY.default) return "mkDefault (1000)";
  if (priority === PRIORITY.optionDefault) return "option default (1500)";
  return `mkOverride ${priority}`;
}
