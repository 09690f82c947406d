/**
 * Git: identity, defaults and global ignores in the XDG locations (~/.config/git/), so
 * ~/.gitconfig stays free for anything the user adds by hand. Other programs extend it through
 * `contributes` (delta sets the pager, editors and direnv add ignores).
 */
import { bin, defineProgram, z } from "setup-mac";

type Section = Record<string, string | number | boolean>;

// Not the option's default: other programs contribute `ignores`, and a list option's default
// only applies when nobody defines the option (the NixOS rule), so these would vanish.
const COMMON_IGNORES = [".DS_Store", "*.swp", "*~", "result", "result-*"];

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export default defineProgram({
  name: "git",
  description: "Git with identity, sensible defaults and global ignores",
  homepage: "https://git-scm.com",
  options: z.object({
    userName: z.string().default("").describe("user.name for commits; empty leaves it unset"),
    userEmail: z
      .union([z.email(), z.literal("")])
      .default("")
      .describe("user.email for commits; empty leaves it unset"),
    defaultBranch: z.string().default("main").describe("init.defaultBranch for new repositories"),
    ignores: z
      .array(z.string())
      .default([])
      .describe("More patterns ignored in every repository (~/.config/git/ignore)"),
    commonIgnores: z
      .boolean()
      .default(true)
      .describe(
        "Also ignore OS and editor litter and Nix build results (.DS_Store, *.swp, result)",
      ),
    extraConfig: z
      .record(z.string(), z.record(z.string(), scalar))
      .default({})
      .describe(
        'More git config by section, e.g. { pull: { rebase: true } } or { "url \\"git@github.com:\\"": { insteadOf: "https://github.com/" } }',
      ),
  }),
  config: ({ options, host }) => {
    const base: Record<string, Section> = {
      init: { defaultBranch: options.defaultBranch },
      pull: { rebase: true },
      push: { autoSetupRemote: true },
      fetch: { prune: true },
      rerere: { enabled: true },
      // macOS keeps credentials in the login keychain; on Linux cache them for an hour.
      credential: { helper: host.platform === "darwin" ? "osxkeychain" : "cache --timeout=3600" },
    };
    const user: Section = {};
    if (options.userName) user.name = options.userName;
    if (options.userEmail) user.email = options.userEmail;
    if (Object.keys(user).length > 0) base.user = user;
    // extraConfig wins key by key within a section.
    const ini: Record<string, Section> = { ...base };
    for (const [section, values] of Object.entries(options.extraConfig)) {
      ini[section] = { ...ini[section], ...values };
    }
    return {
      packages: ["git"],
      files: {
        "~/.config/git/config": { ini },
        "~/.config/git/ignore": {
          text:
            [
              ...new Set([...(options.commonIgnores ? COMMON_IGNORES : []), ...options.ignores]),
            ].join("\n") + "\n",
        },
      },
      health: [{ command: [bin("git"), "--version"] }],
    };
  },
});
