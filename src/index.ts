/**
 * setup-mac's public library API. Program modules import from here:
 * `import { defineProgram, z, mkDefault } from "setup-mac"`.
 */
export { z } from "zod";
export * from "./define/index.js";
export type * from "./emit/lock-types.js";
