/** tmux, the terminal multiplexer, configured in its XDG location (tmux ≥ 3.1). */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "tmux",
  description: "Terminal multiplexer",
  homepage: "https://github.com/tmux/tmux",
  options: z.object({
    prefix: z
      .string()
      .regex(/^[CM]-\S$/, { message: 'is not a key like "C-a" or "C-b"' })
      .default("C-a")
      .describe("Prefix key"),
    mouse: z.boolean().default(true).describe("Mouse support (select panes, resize, scroll)"),
    escapeTime: z.number().int().min(0).default(10).describe("Milliseconds to wait after Escape"),
    historyLimit: z.number().int().positive().default(50_000).describe("Scrollback lines per pane"),
    baseIndex: z.number().int().min(0).max(1).default(1).describe("First window and pane number"),
    extraConfig: z.string().default("").describe("Lines appended to tmux.conf"),
  }),
  config: ({ options, enabled }) => {
    const lines = [
      "# Managed by setup-mac (programs/shell/tmux.ts).",
      'set -g default-terminal "tmux-256color"',
      'set -as terminal-features ",*:RGB"',
      "unbind C-b",
      `set -g prefix ${options.prefix}`,
      `bind ${options.prefix} send-prefix`,
      `set -g mouse ${options.mouse ? "on" : "off"}`,
      `set -sg escape-time ${options.escapeTime}`,
      `set -g history-limit ${options.historyLimit}`,
      `set -g base-index ${options.baseIndex}`,
      `setw -g pane-base-index ${options.baseIndex}`,
      "set -g renumber-windows on",
      "set -g focus-events on",
      "setw -g mode-keys vi",
      'bind r source-file ~/.config/tmux/tmux.conf \\; display "tmux.conf reloaded"',
      // Both platforms link system packages into /run/current-system/sw.
      ...(enabled("fish") ? ["set -g default-command /run/current-system/sw/bin/fish"] : []),
      ...(options.extraConfig ? [options.extraConfig] : []),
      "",
    ];
    return {
      packages: ["tmux"],
      files: { "~/.config/tmux/tmux.conf": { text: lines.join("\n") } },
      health: [{ command: [bin("tmux"), "-V"] }],
    };
  },
});
