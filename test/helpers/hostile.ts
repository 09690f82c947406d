/**
 * Shared test material: values that would do harm if anything interpolated them into a shell,
 * a unit file or XML, and a helper to catch one typed error.
 */

/** Shell, systemd and path syntax that must arrive literally wherever it is written. */
export const HOSTILE = [
  "%h",
  "$HOME",
  "${x}",
  '"',
  "'",
  "\\",
  "a b",
  "; rm -rf ~",
  "$(id)",
  "`id`",
] as const;

/** Runs `fn` and returns the error it throws, which must be an instance of `type`. */
export function errorOf<E extends Error>(
  type: abstract new (...args: never[]) => E,
  fn: () => unknown,
): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}
