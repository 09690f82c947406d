/**
 * ActivityWatch, the automatic time tracker, as user services. nixpkgs builds it for Linux only
 * (aw-server-rust and the watchers), so macOS gets the official app through a Homebrew cask
 * (nix-darwin's `homebrew` module) and runs its aw-qt launcher, which starts the server and
 * watchers itself.
 */
import { bin, defineProgram, z } from "setup-mac";
import type { Contribution } from "setup-mac";

export default defineProgram({
  name: "activitywatch",
  description: "Automatic, private time tracking (server, AFK and window watchers)",
  homepage: "https://activitywatch.net",
  platforms: ["darwin", "nixos"],
  options: z.object({
    port: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(5600)
      .describe("Port of aw-server's API and web UI"),
    watchers: z
      .array(z.enum(["afk", "window"]))
      .default(["afk", "window"])
      .describe("Watchers started next to the server on Linux (aw-watcher-afk, aw-watcher-window)"),
  }),
  config: ({ options, host }): Contribution => {
    const health = { http: `http://127.0.0.1:${options.port}/api/0/info` };
    if (host.platform === "darwin") {
      return {
        services: {
          app: {
            description: "ActivityWatch (aw-qt starts aw-server and the watchers)",
            command: ["/Applications/ActivityWatch.app/Contents/MacOS/aw-qt"],
            restart: "on-failure",
            logs: "~/Library/Logs/activitywatch.log",
            health,
          },
        },
        health: [health],
      };
    }
    const watcher = (name: string) => ({
      description: `ActivityWatch ${name} watcher`,
      command: [bin(`aw-watcher-${name}`, "activitywatch")],
      restart: "on-failure" as const,
      after: ["graphical" as const],
    });
    return {
      packages: ["activitywatch"],
      services: {
        server: {
          description: "ActivityWatch server",
          command: [bin("aw-server", "activitywatch"), "--port", String(options.port)],
          restart: "on-failure",
          health,
        },
        ...Object.fromEntries(options.watchers.map((w) => [w, watcher(w)])),
      },
      health: [health],
    };
  },
  overrides: {
    darwin: () => ({ darwin: { "homebrew.enable": true, "homebrew.casks": ["activitywatch"] } }),
  },
});
