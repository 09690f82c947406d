/**
 * Weekly Nix garbage collection and store optimisation, as scheduled system services: one
 * definition, rendered to a systemd service + timer on NixOS and a launchd daemon with
 * StartCalendarInterval on macOS. (NixOS's `nix.gc` does the same there; the point of this module
 * is one schedule for both machines and its health in `programs status`.)
 */
import { bin, defineProgram, z } from "setup-mac";

const OPTIMISE_AT = {
  daily: { hour: 4, minute: 0 },
  weekly: { weekday: 0, hour: 4, minute: 0 },
  monthly: { day: 15, hour: 4, minute: 0 },
} as const;

export default defineProgram({
  name: "nix-gc",
  description: "Scheduled Nix store garbage collection and optimisation",
  options: z.object({
    olderThan: z
      .string()
      .regex(/^\d+d$/, { message: 'is not a number of days like "14d"' })
      .default("14d")
      .describe("Delete generations and garbage older than this"),
    calendar: z
      .enum(["daily", "weekly", "monthly"])
      .default("weekly")
      .describe("How often the collection runs"),
    optimise: z
      .boolean()
      .default(true)
      .describe("Also hard-link identical files in the store (nix store optimise), a day later"),
  }),
  config: ({ options }) => ({
    services: {
      collect: {
        description: "Nix garbage collection",
        command: [bin("nix-collect-garbage", "nix"), "--delete-older-than", options.olderThan],
        scope: "system",
        schedule: { calendar: options.calendar },
        after: ["local-fs"],
      },
      ...(options.optimise
        ? {
            optimise: {
              description: "Nix store optimisation",
              command: [
                bin("nix"),
                "--extra-experimental-features",
                "nix-command",
                "store",
                "optimise",
              ],
              scope: "system" as const,
              // At 04:00, never at the same time as the collection (which starts at midnight).
              schedule: { calendar: OPTIMISE_AT[options.calendar] },
              after: ["local-fs" as const],
            },
          }
        : {}),
    },
    health: [{ command: [bin("nix"), "--version"] }],
  }),
});
