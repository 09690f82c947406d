/**
 * `setup-mac/schema.json` (pure): the JSON Schema of `setup-mac.jsonc` with every program's
 * options, so editors validate and complete the config. Built from the same zod schemas that
 * validate it.
 */
import { z } from "zod";
import type { AnyProgram } from "../define/program.js";
import { hostConfig, packName, packPin, scanConfig } from "../schema/workspace.js";
import { stableStringify } from "./json.js";
import { fastOptionsJsonSchema } from "./options-schema.js";

export const SCHEMA_FILE = "setup-mac/schema.json";

type JsonSchema = Record<string, unknown>;

/** How zod is asked for an options schema (and what the fast path reproduces). */
export const ZOD_JSON_SCHEMA = {
  io: "input",
  unrepresentable: "any",
  target: "draft-2020-12",
} as const;

/** One program's entry in the config's JSON Schema (its options, described). */
export function programOptionsSchema(program: AnyProgram): JsonSchema {
  const description = program.description;
  if (!program.options) {
    return { type: "object", additionalProperties: false, properties: {}, description };
  }
  const schema =
    fastOptionsJsonSchema(program.options as z.ZodObject) ??
    (z.toJSONSchema(program.options as z.ZodObject, ZOD_JSON_SCHEMA) as JsonSchema);
  delete schema.$schema;
  return { ...schema, additionalProperties: false, description };
}

/** The workspace config's JSON Schema for a set of programs. */
export function buildConfigSchema(
  programs: ReadonlyMap<string, { description: string; options: JsonSchema }>,
): JsonSchema {
  const names = [...programs.keys()].sort();
  const defs: Record<string, JsonSchema> = {};
  for (const name of names) defs[`program.${name}`] = programs.get(name)!.options;
  const host = z.toJSONSchema(hostConfig, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  delete host.$schema;
  const hostProperties = host.properties as Record<string, JsonSchema>;
  hostProperties.programs = {
    type: "object",
    description:
      "Programs this host enables: true (defaults), an object of option values, or false (off).",
    additionalProperties: false,
    properties: Object.fromEntries(
      names.map((name) => [
        name,
        {
          description: programs.get(name)!.description,
          anyOf: [{ type: "boolean" }, { $ref: `#/$defs/program.${name}` }],
        },
      ]),
    ),
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "setup-mac workspace config (setup-mac.jsonc)",
    type: "object",
    additionalProperties: false,
    required: ["hosts"],
    properties: {
      $schema: { type: "string" },
      defaults: {
        type: "object",
        description: "Option values shared by every host; a host's own values beat them.",
        additionalProperties: false,
        properties: Object.fromEntries(names.map((n) => [n, { $ref: `#/$defs/program.${n}` }])),
      },
      hosts: { type: "object", additionalProperties: { $ref: "#/$defs/host" } },
      packs: {
        type: "object",
        description:
          "Program packs installed under packs/ by `setup-mac packs add`, pinned by integrity.",
        propertyNames: withoutDialect(
          z.toJSONSchema(packName, { io: "input", target: "draft-2020-12" }),
        ),
        additionalProperties: withoutDialect(
          z.toJSONSchema(packPin, { io: "input", target: "draft-2020-12" }),
        ),
      },
      scan: {
        ...withoutDialect(z.toJSONSchema(scanConfig, { io: "input", target: "draft-2020-12" })),
        description: "Security scan settings: findings accepted on purpose, each with its reason.",
      },
    },
    $defs: { host, ...defs },
  };
}

function withoutDialect(schema: Record<string, unknown>): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

export function serializeSchema(schema: JsonSchema): string {
  return stableStringify(schema);
}
