/** Syncthing, continuous peer-to-peer file sync, as a user service with its web UI on localhost. */
import { bin, defineProgram, z } from "setup-mac";
import { userLog } from "../_lib/paths.js";

export default defineProgram({
  name: "syncthing",
  description: "Continuous peer-to-peer file synchronisation",
  homepage: "https://syncthing.net",
  options: z.object({
    guiAddress: z
      .string()
      .regex(/^[\w.-]+:\d{1,5}$/)
      .default("127.0.0.1:8384")
      .describe("Address of the web UI and REST API"),
    openFirewall: z
      .boolean()
      .default(true)
      .describe("NixOS: open the sync (22000) and local discovery (21027/udp) ports"),
  }),
  config: ({ options, host }) => {
    const health = { http: `http://${options.guiAddress}/rest/noauth/health` };
    return {
      packages: ["syncthing"],
      services: {
        server: {
          description: "Syncthing",
          command: [
            bin("syncthing"),
            "serve",
            "--no-browser",
            `--gui-address=${options.guiAddress}`,
          ],
          restart: "on-failure",
          after: ["network"],
          // As NixOS's own module does: the supervisor restarts it, and Nix (not Syncthing) upgrades it.
          environment: { STNORESTART: "yes", STNOUPGRADE: "yes" },
          logs: userLog(host, "syncthing"),
          health,
        },
      },
      health: [health],
    };
  },
  overrides: {
    nixos: ({ options }) =>
      options.openFirewall
        ? {
            nixos: {
              "networking.firewall.allowedTCPPorts": [22000],
              "networking.firewall.allowedUDPPorts": [22000, 21027],
            },
          }
        : {},
  },
});
