import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { evaluateWorkspace } from "../src/api/workspace.js";
import { buildLock, serializeLock } from "../src/emit/lock.js";
import { expectGolden } from "./golden.js";

const example = fileURLToPath(new URL("../examples/workstation", import.meta.url));

async function lockText(): Promise<{ lock: string; schema: string }> {
  const evaluated = await evaluateWorkspace({ workspace: example, cacheDir: null, schema: true });
  expect(evaluated.diagnostics).toEqual([]);
  const { schemaText } = evaluated.workspace;
  if (schemaText === undefined) throw new Error("the evaluation did not render the schema");
  return {
    lock: serializeLock(buildLock({ config: evaluated.workspace.config }, evaluated.evaluation)),
    schema: schemaText,
  };
}

describe("the bundled example", () => {
  it("evaluates to the committed lock and schema, byte for byte, every time", async () => {
    const first = await lockText();
    const second = await lockText();
    expect(second.lock).toBe(first.lock);
    expect(second.schema).toBe(first.schema);
    expectGolden(`${example}/setup-mac.lock.json`, first.lock);
    expectGolden(`${example}/setup-mac/schema.json`, first.schema);
  });

  it("is a lock Nix can read: plain JSON, version 1, both hosts", async () => {
    const { lock } = await lockText();
    const parsed = JSON.parse(lock) as {
      version: number;
      hosts: Record<string, { platform: string }>;
    };
    expect(parsed.version).toBe(1);
    expect(
      Object.fromEntries(Object.entries(parsed.hosts).map(([k, v]) => [k, v.platform])),
    ).toEqual({
      "evo-x2": "nixos",
      macbook: "darwin",
    });
    expect(lock.endsWith("\n")).toBe(true);
  });
});

describe("the example's adapters", () => {
  it("are the package's adapters, as `init` writes them", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const shipped = fileURLToPath(new URL("../nix", import.meta.url));
    const copied = `${example}/setup-mac/nix`;
    const nixFiles = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".nix"))
        .sort();
    expect(nixFiles(copied)).toEqual(nixFiles(shipped));
    for (const f of nixFiles(shipped)) {
      expect(
        readFileSync(`${copied}/${f}`, "utf8"),
        `${f}: run \`setup-mac --workspace examples/workstation init\``,
      ).toBe(readFileSync(`${shipped}/${f}`, "utf8"));
    }
  });
});
