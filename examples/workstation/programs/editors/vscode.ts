/**
 * Visual Studio Code, as the original Nix module had it: settings merged into the live
 * settings.json (VS Code writes it too), keybindings, snippets, extensions installed at
 * activation, its own ZFS dataset with snapshots where the host has ZFS, and a health check.
 */
import { bin, defineProgram, mkDefault, z } from "setup-mac";
import { appConfigDir } from "../_lib/paths.js";

const code = bin("code", "vscode");

const keybinding = z.object({
  key: z.string().describe('Key chord, e.g. "ctrl+shift+t"'),
  command: z.string().describe('Command id, e.g. "workbench.action.terminal.new"'),
  when: z.string().optional().describe("When-clause context"),
  args: z.unknown().optional().describe("Arguments for the command"),
});

const snippet = z.object({
  prefix: z.string().describe("What you type to trigger the snippet"),
  body: z.array(z.string()).describe("The lines inserted, with $1, ${2:placeholder} tab stops"),
  description: z.string().optional().describe("Shown in the completion list"),
  scope: z
    .string()
    .optional()
    .describe('Comma-separated language ids, e.g. "typescript,javascript"'),
});

export default defineProgram({
  name: "vscode",
  description: "Visual Studio Code with settings, keybindings, snippets and extensions",
  homepage: "https://code.visualstudio.com",
  platforms: ["darwin", "nixos"],
  requires: ["git"],
  conflicts: ["vscodium"],
  options: z.object({
    fontSize: z.number().int().min(6).max(72).default(14).describe("Editor font size in points"),
    fontFamily: z
      .string()
      .default("'JetBrains Mono', Menlo, monospace")
      .describe("Editor font family (a CSS font list)"),
    theme: z
      .string()
      .default("Default Dark Modern")
      .describe("Colour theme (workbench.colorTheme)"),
    extensions: z
      .array(
        z
          .string()
          .regex(/^[\w-]+\.[\w.-]+$/, { message: 'is not an extension id like "publisher.name"' }),
      )
      .default(["jnoortheen.nix-ide", "mkhl.direnv", "eamodio.gitlens"])
      .describe("Marketplace extension ids installed at activation (publisher.name)"),
    keybindings: z
      .array(keybinding)
      .default([{ key: "ctrl+`", command: "workbench.action.terminal.toggleTerminal" }])
      .describe("Entries of keybindings.json"),
    snippets: z
      .record(z.string(), snippet)
      .default({
        "setup-mac program": {
          prefix: "defineProgram",
          scope: "typescript",
          description: "A setup-mac program module",
          body: [
            'import { defineProgram, z } from "setup-mac";',
            "",
            "export default defineProgram({",
            '  name: "${1:name}",',
            '  description: "${2:what it is}",',
            "  options: z.object({}),",
            '  config: () => ({ packages: ["${1:name}"] }),',
            "});",
          ],
        },
      })
      .describe("Global snippets, by name (written to snippets/setup-mac.code-snippets)"),
    settings: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        "Further settings.json keys; they win over the ones derived from the options above",
      ),
    dataset: z
      .string()
      .optional()
      .describe(
        "ZFS dataset for ~/.vscode (extensions, state) on hosts with ZFS (default: <the host's zfsPool>/data/vscode)",
      ),
  }),
  config: ({ options, host }) => {
    const userDir = `${appConfigDir(host, "Code")}/User`;
    return {
      packages: ["vscode"],
      files: {
        // VS Code rewrites settings.json itself (settings UI, extensions): merge, don't own.
        [`${userDir}/settings.json`]: {
          merge: true,
          json: {
            "editor.fontSize": options.fontSize,
            "editor.fontFamily": options.fontFamily,
            "workbench.colorTheme": options.theme,
            // Nix owns the version: no self-update, no extension auto-update behind its back.
            "update.mode": "none",
            "extensions.autoUpdate": false,
            "telemetry.telemetryLevel": "off",
            ...options.settings,
          },
        },
        [`${userDir}/keybindings.json`]: { json: options.keybindings },
        [`${userDir}/snippets/setup-mac.code-snippets`]: { json: options.snippets },
      },
      env: { EDITOR: mkDefault("code --wait") },
      permissions: { "~/.vscode": { mode: "0755" } },
      ...(host.zfs && (options.dataset ?? host.zfsPool)
        ? {
            datasets: {
              data: {
                dataset: options.dataset ?? `${host.zfsPool}/data/vscode`,
                mountpoint: "~/.vscode",
                properties: { compression: "zstd", atime: "off" },
                snapshots: { keep: 14, every: "daily" },
              },
            },
          }
        : {}),
      hooks:
        options.extensions.length > 0
          ? { postSetup: options.extensions.map((id) => [code, "--install-extension", id]) }
          : {},
      health: [{ name: "code --version", command: [code, "--version"] }],
    };
  },
  contributes: {
    // Per-project editor state stays out of commits everywhere.
    git: { ignores: [".vscode/"] },
  },
});
