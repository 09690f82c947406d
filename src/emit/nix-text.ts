/**
 * How Nix lays out what previews reproduce (decision 0025): the order of attribute names, and
 * store paths with the part only Nix knows masked.
 */

/**
 * Nix's order of attribute names (`builtins.attrNames`, and so every generator that walks a set):
 * by bytes, which for the ASCII names units, variables and keys use is JavaScript's `<`.
 */
export function nixAttrOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A store path as previews show it: the hash and version masked, the name the attribute's. */
export function maskedStorePath(attr: string): string {
  return `/nix/store/...-${attr.split(".").at(-1) ?? attr}`;
}

/** Store paths as previews show them: `/nix/store/<hash>-` becomes `/nix/store/...-`. */
export function maskStorePaths(text: string): string {
  return text.replace(/\/nix\/store\/[0-9a-df-np-sv-z]{32}-/g, "/nix/store/...-");
}
