/**
 * `programs new`: a new module from a template (cli, gui, service, daemon), checked by loading it
 * before the command returns, so what it writes always passes `check`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../adapters/atomic-write.js";
import { confineWrite } from "../adapters/confine.js";
import { diagnostic, SetupMacError, UsageError } from "../errors/index.js";

export const TEMPLATES = ["cli", "gui", "service", "daemon"] as const;
export type Template = (typeof TEMPLATES)[number];

const DEFAULT_CATEGORY: Record<Template, string> = {
  cli: "cli",
  gui: "apps",
  service: "services",
  daemon: "services",
};

/** The module text for a template (pure). */
export function templateText(name: string, template: Template, description: string): string {
  const head = `import { bin, defineProgram, z } from "setup-mac";\n\nexport default defineProgram({\n  name: ${JSON.stringify(name)},\n  description: ${JSON.stringify(description)},\n`;
  const bodies: Record<Template, string> = {
    cli: `  options: z.object({
    flags: z.array(z.string()).default([]).describe("Flags added to every call of ${name}"),
  }),
  config: ({ options }) => ({
    // A wrapped binary: the package's ${name} with the flags baked in.
    wrappers: { ${JSON.stringify(name)}: { addFlags: options.flags } },
    health: [{ command: [bin(${JSON.stringify(name)}), "--version"] }],
  }),
`,
    gui: `  options: z.object({
    settings: z.record(z.string(), z.unknown()).default({}).describe("Keys merged into the app's settings file"),
  }),
  config: ({ options, host }) => ({
    packages: [${JSON.stringify(name)}],
    files: {
      // The app writes this file too: merge mode keeps its keys and sets ours.
      [host.platform === "darwin"
        ? "~/Library/Application Support/${name}/settings.json"
        : "~/.config/${name}/settings.json"]: { json: options.settings, merge: true },
    },
  }),
`,
    service: `  options: z.object({
    port: z.number().int().min(1).max(65535).default(8080).describe("Port the service listens on"),
  }),
  config: ({ options }) => ({
    packages: [${JSON.stringify(name)}],
    services: {
      server: {
        command: [bin(${JSON.stringify(name)}), "--port", String(options.port)],
        scope: "user",
        restart: "on-failure",
        after: ["network-online"],
        health: { http: \`http://127.0.0.1:\${options.port}/\` },
      },
    },
  }),
`,
    daemon: `  platforms: ["nixos", "darwin"],
  options: z.object({
    dataDir: z.string().default("/var/lib/${name}").describe("Where the daemon keeps its state"),
  }),
  config: ({ options, host }) => ({
    packages: [${JSON.stringify(name)}],
    permissions: { [options.dataDir]: { mode: "0750", owner: "root" } },
    services: {
      daemon: {
        command: [bin(${JSON.stringify(name)}), "--data", options.dataDir],
        scope: "system",
        restart: "always",
        workingDirectory: options.dataDir,
      },
    },
    // On ZFS hosts, keep the state in its own dataset with snapshots.
    ...(host.zfs ? { datasets: { data: { dataset: "tank/${name}", mountpoint: options.dataDir, snapshots: { keep: 7, every: "daily" as const } } } } : {}),
  }),
`,
  };
  return head + bodies[template] + "});\n";
}

export interface ScaffoldOptions {
  workspace?: string;
  template?: string;
  category?: string;
  description?: string;
}

/** Writes `programs/<category>/<name>.ts` from a template; refuses to overwrite. */
export async function scaffold(
  name: string,
  options: ScaffoldOptions = {},
): Promise<{ file: string; template: Template }> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new UsageError(
      `\`${name}\` is not a program name`,
      "use lower-case letters, digits and dashes, starting with a letter",
    );
  }
  const template = (options.template ?? "cli") as Template;
  if (!TEMPLATES.includes(template))
    throw new UsageError(
      `unknown template \`${options.template}\``,
      `templates: ${TEMPLATES.join(", ")}`,
    );
  const category = (options.category ?? DEFAULT_CATEGORY[template]).replace(/^\/+|\/+$/g, "");
  if (!/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/.test(category)) {
    throw new UsageError(
      `\`${category}\` is not a category`,
      "use folder names like `cli` or `dev/lang`",
    );
  }
  const root = resolve(options.workspace ?? ".");
  const file = `programs/${category}/${name}.ts`;
  const { discoverModules } = await import("../load/discover.js");
  const clash = discoverModules(root).find((m) => m.file.endsWith(`/${name}.ts`));
  if (clash || existsSync(join(root, file))) {
    throw new SetupMacError(
      diagnostic(
        "program-exists",
        `a program named \`${name}\` already exists: ${clash?.file ?? file}`,
        {
          hint: "pick another name, or edit that file",
        },
      ),
    );
  }
  const path = confineWrite(root, file, { what: "the new module" });
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(
    path,
    templateText(name, template, options.description ?? `${name} (describe it in one line)`),
  );
  return { file, template };
}
