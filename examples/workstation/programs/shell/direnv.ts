/**
 * direnv with nix-direnv: per-project environments from `.envrc` / `use flake`, cached.
 * home-manager's own direnv module already does this well (it links nix-direnv's direnvrc into
 * ~/.config/direnv/lib), so this module sets it through raw home-manager options instead of
 * re-implementing it, and adds what home-manager cannot know: the fish hook and a git ignore.
 */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "direnv",
  description: "Per-directory environments, with nix-direnv's cached `use flake`",
  homepage: "https://direnv.net",
  options: z.object({
    hideEnvDiff: z.boolean().default(true).describe("Don't print the exported variables on cd"),
    warnTimeout: z
      .string()
      .regex(/^\d+(ms|s|m)$/)
      .default("30s")
      .describe("Warn when .envrc takes longer than this"),
    trustedPrefixes: z
      .array(z.string())
      .default([])
      .describe("Directories whose .envrc files are allowed without `direnv allow`"),
  }),
  config: ({ options }) => ({
    home: {
      "programs.direnv": {
        enable: true,
        "nix-direnv": { enable: true },
        config: {
          global: { hide_env_diff: options.hideEnvDiff, warn_timeout: options.warnTimeout },
          ...(options.trustedPrefixes.length > 0
            ? { whitelist: { prefix: options.trustedPrefixes } }
            : {}),
        },
      },
    },
    health: [{ command: [bin("direnv"), "version"] }],
  }),
  contributes: {
    fish: { interactiveInit: "direnv hook fish | source" },
    git: { ignores: [".direnv/"] },
  },
});
