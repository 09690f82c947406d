/** ripgrep with a config file (ripgrep reads it only when RIPGREP_CONFIG_PATH points at it). */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "ripgrep",
  description: "Fast recursive grep that respects .gitignore",
  homepage: "https://github.com/BurntSushi/ripgrep",
  options: z.object({
    smartCase: z
      .boolean()
      .default(true)
      .describe("Case-insensitive unless the pattern has capitals"),
    hidden: z.boolean().default(true).describe("Search hidden files and directories"),
    globs: z
      .array(z.string())
      .default(["!.git/", "!node_modules/", "!.direnv/"])
      .describe("--glob patterns; a leading ! excludes"),
    maxColumns: z
      .number()
      .int()
      .min(0)
      .default(200)
      .describe("Omit lines longer than this (0 = never)"),
  }),
  config: ({ options, host }) => ({
    packages: ["ripgrep"],
    files: {
      "~/.config/ripgrep/ripgreprc": {
        text:
          [
            ...(options.smartCase ? ["--smart-case"] : []),
            ...(options.hidden ? ["--hidden"] : []),
            ...(options.maxColumns > 0
              ? [`--max-columns=${options.maxColumns}`, "--max-columns-preview"]
              : []),
            ...options.globs.map((g) => `--glob=${g}`),
          ].join("\n") + "\n",
      },
    },
    env: { RIPGREP_CONFIG_PATH: `${host.home}/.config/ripgrep/ripgreprc` },
    health: [{ command: [bin("rg", "ripgrep"), "--version"] }],
  }),
});
