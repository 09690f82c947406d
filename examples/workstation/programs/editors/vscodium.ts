/**
 * VSCodium: VS Code without Microsoft's telemetry and branding, extensions from Open VSX.
 * Same files as VS Code under its own folder; never enabled together with vscode.
 */
import { bin, defineProgram, mkDefault, z } from "setup-mac";
import { appConfigDir } from "../_lib/paths.js";

const codium = bin("codium", "vscodium");

export default defineProgram({
  name: "vscodium",
  description: "VSCodium, the telemetry-free build of VS Code",
  homepage: "https://vscodium.com",
  platforms: ["darwin", "nixos"],
  requires: ["git"],
  conflicts: ["vscode"],
  options: z.object({
    fontSize: z.number().int().min(6).max(72).default(14).describe("Editor font size in points"),
    theme: z
      .string()
      .default("Default Dark Modern")
      .describe("Colour theme (workbench.colorTheme)"),
    extensions: z
      .array(z.string())
      .default(["jnoortheen.nix-ide"])
      .describe("Open VSX extension ids installed at activation (publisher.name)"),
    settings: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        "Further settings.json keys; they win over the ones derived from the options above",
      ),
  }),
  config: ({ options, host }) => ({
    packages: ["vscodium"],
    files: {
      [`${appConfigDir(host, "VSCodium")}/User/settings.json`]: {
        merge: true,
        json: {
          "editor.fontSize": options.fontSize,
          "workbench.colorTheme": options.theme,
          "update.mode": "none",
          "extensions.autoUpdate": false,
          ...options.settings,
        },
      },
    },
    env: { EDITOR: mkDefault("codium --wait") },
    permissions: { "~/.vscode-oss": { mode: "0755" } },
    hooks:
      options.extensions.length > 0
        ? { postSetup: options.extensions.map((id) => [codium, "--install-extension", id]) }
        : {},
    health: [{ command: [codium, "--version"] }],
  }),
  contributes: { git: { ignores: [".vscode/"] } },
});
