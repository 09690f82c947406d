/**
 * Tailscale, the WireGuard mesh VPN. Both nix-darwin and NixOS have a good tailscale module, so
 * this one only turns it on with raw options per platform and checks the daemon answers.
 */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "tailscale",
  description: "Tailscale mesh VPN (the platform's own tailscaled module)",
  homepage: "https://tailscale.com",
  options: z.object({
    routingFeatures: z
      .enum(["none", "client", "server", "both"])
      .default("client")
      .describe(
        "NixOS: enable what subnet routers / exit nodes need (services.tailscale.useRoutingFeatures)",
      ),
    trustInterface: z
      .boolean()
      .default(true)
      .describe("NixOS: let tailnet traffic through the firewall (tailscale0 trusted)"),
  }),
  config: () => ({
    health: [
      { name: "tailscaled answers", command: [bin("tailscale"), "status", "--peers=false"] },
    ],
  }),
  overrides: {
    nixos: ({ options }) => ({
      nixos: {
        "services.tailscale.enable": true,
        "services.tailscale.useRoutingFeatures": options.routingFeatures,
        ...(options.trustInterface
          ? { "networking.firewall.trustedInterfaces": ["tailscale0"] }
          : {}),
      },
    }),
    darwin: () => ({ darwin: { "services.tailscale.enable": true } }),
  },
});
