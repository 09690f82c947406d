/** fzf, the fuzzy finder: key bindings in fish (Ctrl-T, Alt-C), ripgrep as file source when present. */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "fzf",
  description: "Command-line fuzzy finder with fish key bindings",
  homepage: "https://github.com/junegunn/fzf",
  options: z.object({
    height: z
      .string()
      .regex(/^\d+%?$/)
      .default("40%")
      .describe("Height of the finder below the cursor"),
    layout: z.enum(["default", "reverse", "reverse-list"]).default("reverse").describe("Layout"),
    border: z.boolean().default(true).describe("Draw a border around the finder"),
  }),
  config: ({ options, enabled }) => ({
    packages: ["fzf"],
    env: {
      FZF_DEFAULT_OPTS: [
        `--height=${options.height}`,
        `--layout=${options.layout}`,
        ...(options.border ? ["--border"] : []),
      ].join(" "),
      // fzf runs this through $SHELL; ripgrep lists files fast and honours .gitignore.
      ...(enabled("ripgrep") ? { FZF_DEFAULT_COMMAND: "rg --files --hidden --glob=!.git/" } : {}),
    },
    health: [{ command: [bin("fzf"), "--version"] }],
  }),
  contributes: {
    // fzf ≥ 0.48 prints its own fish integration.
    fish: { interactiveInit: "fzf --fish | source" },
  },
});
