/**
 * delta, a syntax-highlighting pager for git diffs. It has no configuration file of its own:
 * everything goes into git's config through `contributes`.
 */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "delta",
  description: "Syntax-highlighting pager for git, diff and grep output",
  homepage: "https://github.com/dandavison/delta",
  requires: ["git"],
  options: z.object({
    sideBySide: z.boolean().default(false).describe("Show diffs in two columns"),
    lineNumbers: z.boolean().default(true).describe("Show line numbers in the gutter"),
    syntaxTheme: z
      .string()
      .default("")
      .describe("bat/delta syntax theme (delta --list-syntax-themes); empty follows bat's"),
  }),
  config: () => ({
    packages: ["delta"],
    health: [{ command: [bin("delta"), "--version"] }],
  }),
  contributes: {
    git: ({ options }) => ({
      extraConfig: {
        core: { pager: "delta" },
        interactive: { diffFilter: "delta --color-only" },
        merge: { conflictStyle: "zdiff3" },
        delta: {
          navigate: true,
          "side-by-side": options.sideBySide,
          "line-numbers": options.lineNumbers,
          ...(options.syntaxTheme ? { "syntax-theme": options.syntaxTheme } : {}),
        },
      },
    }),
  },
});
