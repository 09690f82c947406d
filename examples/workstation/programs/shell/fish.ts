/**
 * fish, the login shell. Other programs hook into it through its options instead of writing
 * its config file: starship, direnv, fzf and atuin contribute `interactiveInit` lines, eza
 * contributes `abbreviations`.
 */
import { bin, defineProgram, lines, z } from "setup-mac";

/** A fish string literal: single quotes, with `\` and `'` escaped. */
const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export default defineProgram({
  name: "fish",
  description: "The friendly interactive shell, as login shell",
  homepage: "https://fishshell.com",
  options: z.object({
    greeting: z.string().default("").describe("fish_greeting; empty turns the greeting off"),
    abbreviations: z
      .record(z.string().regex(/^[\w.-]+$/), z.string())
      .default({ g: "git", gs: "git status", gd: "git diff", gc: "git commit" })
      .describe("Abbreviations (abbr --add): what you type → what it expands to"),
    paths: z
      .array(z.string())
      .default(["~/.local/bin"])
      .describe("Directories added to PATH with fish_add_path"),
    shellInit: z
      .array(z.string())
      .default([])
      .describe("Lines run by every fish, interactive or not"),
    // lines(): each program adds its own lines; they are joined in mkBefore/plain/mkAfter order.
    interactiveInit: lines()
      .default("")
      .describe("Lines run by interactive shells, e.g. `starship init fish | source`"),
    loginShell: z.boolean().default(true).describe("Make fish the user's login shell"),
  }),
  config: ({ options, host }) => {
    const text = [
      "# Managed by setup-mac (programs/shell/fish.ts): change the module or setup-mac.jsonc, not this file.",
      `set -g fish_greeting ${quote(options.greeting)}`,
      ...options.paths.map((p) => `fish_add_path --global ${p.startsWith("~/") ? p : quote(p)}`),
      ...options.shellInit,
      "",
      "if status is-interactive",
      ...Object.entries(options.abbreviations)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, expansion]) => `    abbr --add ${name} ${quote(expansion)}`),
      ...options.interactiveInit
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => `    ${line}`),
      "end",
      "",
    ];
    // The platform's fish module registers the shell in /etc/shells and sets up the Nix
    // environment for it; setup-mac writes the user's config.fish.
    return {
      packages: ["fish"],
      files: { "~/.config/fish/config.fish": { text: text.join("\n") } },
      nixos: {
        "programs.fish.enable": true,
        ...(options.loginShell ? { [`users.users.${host.user}.shell`]: { pkg: "fish" } } : {}),
      },
      // nix-darwin changes the login shell only of users it manages (users.knownUsers); listing
      // fish in /etc/shells lets `chsh -s /run/current-system/sw/bin/fish` do it once by hand.
      darwin: {
        "programs.fish.enable": true,
        ...(options.loginShell ? { "environment.shells": [{ pkg: "fish" }] } : {}),
      },
      health: [{ command: [bin("fish"), "--no-config", "--command", "exit 0"] }],
    };
  },
});
