export { defineProgram, isProgram, bin } from "./program.js";
export type {
  AnyProgram,
  ConfigContext,
  OptionValues,
  OptionsSchema,
  Program,
  ProgramDefinition,
} from "./program.js";
export {
  mkAfter,
  mkBefore,
  mkDefault,
  mkForce,
  mkOrder,
  mkOverride,
  isOrdered,
  isOverride,
  describePriority,
  PRIORITY,
  ORDER,
} from "./priority.js";
export type { Override, Ordered, OrderedValue, Prioritized } from "./priority.js";
export { lines, isLines, linesPredicate } from "./lines.js";
export * from "./types.js";
