/**
 * The values a program module may import from "setup-mac". Kept apart from `index.ts` so the
 * loader can hand exactly this to modules without importing the whole library into their scope.
 */
export { z } from "zod";
export {
  defineProgram,
  isProgram,
  bin,
  lines,
  mkAfter,
  mkBefore,
  mkDefault,
  mkForce,
  mkOrder,
  mkOverride,
  PRIORITY,
  ORDER,
} from "./define/index.js";
