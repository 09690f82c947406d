/** The package version, replaced at build time; "dev" when running from source. */
declare const __SETUP_MAC_VERSION__: string | undefined;
export const VERSION: string =
  typeof __SETUP_MAC_VERSION__ === "string" ? __SETUP_MAC_VERSION__ : "0.1.0-dev";
