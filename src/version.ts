/** The package version, replaced at build time; "dev" when running from source. */
declare const __SETUP_MAC_VERSION__: string | undefined;
/** A hash of the sources and locked dependencies the build was made from (scripts/build.mjs). */
declare const __SETUP_MAC_BUILD__: string | undefined;

export const VERSION: string =
  typeof __SETUP_MAC_VERSION__ === "string" ? __SETUP_MAC_VERSION__ : "0.1.0-dev";

/**
 * What cached derived data (the catalog, the JSON Schema) is keyed on besides the modules: the
 * exact build, not only the version, so a changed setup-mac never reads what an older one wrote.
 */
export const BUILD_ID: string =
  typeof __SETUP_MAC_BUILD__ === "string" ? `${VERSION}+${__SETUP_MAC_BUILD__}` : `${VERSION}+src`;
