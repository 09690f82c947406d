/** starship, the prompt: a TOML config and one line in fish's interactive init. */
import { bin, defineProgram, mkAfter, z } from "setup-mac";

export default defineProgram({
  name: "starship",
  description: "Fast, customisable cross-shell prompt",
  homepage: "https://starship.rs",
  options: z.object({
    addNewline: z.boolean().default(false).describe("Print a blank line before the prompt"),
    commandTimeout: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe("Milliseconds a prompt module's command may take"),
    settings: z
      .record(z.string(), z.unknown())
      .default({
        nix_shell: { format: "via [$symbol$state( \\($name\\))]($style) ", symbol: "❄️ " },
        git_status: { disabled: false },
        aws: { disabled: true },
        gcloud: { disabled: true },
      })
      .describe("Further starship.toml keys and module tables (https://starship.rs/config/)"),
  }),
  config: ({ options }) => ({
    packages: ["starship"],
    files: {
      "~/.config/starship.toml": {
        toml: {
          $schema: "https://starship.rs/config-schema.json",
          add_newline: options.addNewline,
          command_timeout: options.commandTimeout,
          ...options.settings,
        },
      },
    },
    health: [{ command: [bin("starship"), "--version"] }],
  }),
  contributes: {
    // Last, so the prompt sees what the other init lines set up.
    fish: { interactiveInit: mkAfter("starship init fish | source") },
  },
});
