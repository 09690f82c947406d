import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scaffold, TEMPLATES } from "../src/api/scaffold.js";
import { evaluateWorkspace } from "../src/api/workspace.js";

const root = mkdtempSync(join(tmpdir(), "sm-new-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = fileURLToPath(new URL("..", import.meta.url));

describe("programs new", () => {
  it("writes a module per template that loads, evaluates on both platforms and typechecks", async () => {
    const programs: Record<string, true> = {};
    for (const template of TEMPLATES) {
      const name = `my-${template}`;
      const r = await scaffold(name, { workspace: root, template });
      expect(r.file).toMatch(new RegExp(`^programs/[a-z]+/${name}\\.ts$`));
      programs[name] = true;
    }
    const host = (platform: string, system: string) => ({
      platform,
      system,
      user: "lars",
      zfs: true,
      programs,
    });
    writeFileSync(
      join(root, "setup-mac.jsonc"),
      JSON.stringify({
        hosts: { mac: host("darwin", "aarch64-darwin"), pc: host("nixos", "x86_64-linux") },
      }),
    );
    const evaluated = await evaluateWorkspace({ workspace: root, cacheDir: null });
    expect(evaluated.diagnostics).toEqual([]);
    expect(Object.keys(evaluated.evaluation.hosts.get("pc")!.lock!.programs).sort()).toEqual(
      Object.keys(programs).sort(),
    );
    writeFileSync(
      join(root, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          skipLibCheck: true,
          types: [],
          paths: { "setup-mac": [join(repo, "src/index.ts")] },
        },
        include: ["programs"],
      }),
    );
    execFileSync(
      process.execPath,
      [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")],
      { stdio: "pipe" },
    );
  });

  it("refuses a name that exists, a bad name and an unknown template", async () => {
    await expect(scaffold("my-cli", { workspace: root })).rejects.toThrow(
      "a program named `my-cli` already exists: programs/cli/my-cli.ts",
    );
    await expect(scaffold("My Tool", { workspace: root })).rejects.toThrow(
      "`My Tool` is not a program name",
    );
    await expect(scaffold("x", { workspace: root, template: "web" })).rejects.toThrow(
      "unknown template `web`",
    );
  });
});
