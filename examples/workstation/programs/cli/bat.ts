/**
 * bat, a `cat` with syntax highlighting, as a wrapped binary — the pattern of the original
 * Nix "wrapper system": the package's `bat` with its flags and pager baked in, so it behaves the
 * same in every shell, script and editor terminal without a config file or an alias. The wrapper
 * is the package (symlinkJoin + makeWrapper), so `bat` itself is not listed in `packages`.
 */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "bat",
  description: "cat with syntax highlighting and git integration, wrapped with its flags",
  homepage: "https://github.com/sharkdp/bat",
  options: z.object({
    theme: z
      .string()
      .default("TwoDark")
      .describe("Syntax theme (bat --list-themes), e.g. TwoDark, Nord, gruvbox-dark"),
    style: z
      .string()
      .regex(/^(auto|full|plain|[a-z-]+(,[a-z-]+)*)$/)
      .default("numbers,changes,header")
      .describe(
        "Comma-separated decorations: numbers, changes, header, grid, rule, snip, or full/plain",
      ),
    pager: z.string().default("less -RF").describe("Pager command (BAT_PAGER)"),
    manPager: z.boolean().default(true).describe("Use bat to colour man pages (MANPAGER)"),
  }),
  config: ({ options }) => ({
    wrappers: {
      bat: {
        addFlags: [`--theme=${options.theme}`, `--style=${options.style}`],
        env: { BAT_PAGER: options.pager },
      },
    },
    ...(options.manPager
      ? { env: { MANPAGER: "sh -c 'col -bx | bat --language=man --plain'", MANROFFOPT: "-c" } }
      : {}),
    health: [{ command: [bin("bat"), "--version"] }],
  }),
});
