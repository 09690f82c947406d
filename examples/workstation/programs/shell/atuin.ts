/**
 * atuin: shell history in SQLite, searchable, optionally synced between machines. The daemon
 * (atuin ≥ 18.3) records history and syncs in the background as a user service.
 */
import { bin, defineProgram, mkAfter, z } from "setup-mac";
import { userLog } from "../_lib/paths.js";

export default defineProgram({
  name: "atuin",
  description: "Searchable, synced shell history",
  homepage: "https://atuin.sh",
  options: z.object({
    syncAddress: z.url().default("https://api.atuin.sh").describe("Sync server"),
    syncMinutes: z.number().int().positive().default(10).describe("Minutes between syncs"),
    searchMode: z
      .enum(["prefix", "fulltext", "fuzzy", "skim"])
      .default("fuzzy")
      .describe("Search mode of the history UI"),
    filterMode: z
      .enum(["global", "host", "session", "directory", "workspace"])
      .default("global")
      .describe("Default filter of the history UI"),
    daemon: z.boolean().default(true).describe("Run the background daemon (history and sync)"),
  }),
  config: ({ options, host }) => {
    const socket = `${host.home}/.local/share/atuin/atuin.sock`;
    return {
      packages: ["atuin"],
      files: {
        "~/.config/atuin/config.toml": {
          toml: {
            sync_address: options.syncAddress,
            sync_frequency: `${options.syncMinutes}m`,
            search_mode: options.searchMode,
            filter_mode: options.filterMode,
            update_check: false,
            enter_accept: false,
            daemon: {
              enabled: options.daemon,
              sync_frequency: options.syncMinutes * 60,
              socket_path: socket,
            },
          },
        },
      },
      ...(options.daemon
        ? {
            services: {
              daemon: {
                description: "atuin history daemon",
                command: [bin("atuin"), "daemon"],
                scope: "user" as const,
                restart: "on-failure" as const,
                after: ["network-online" as const],
                logs: userLog(host, "atuin"),
                health: { file: socket },
              },
            },
          }
        : {}),
      health: [{ command: [bin("atuin"), "--version"] }],
    };
  },
  contributes: {
    // After fzf's init, so Ctrl-R is atuin's search.
    fish: { interactiveInit: mkAfter("atuin init fish | source") },
  },
});
