/**
 * Colima: Docker on macOS in a Lima VM, started at login as a user agent. Its config file is
 * rewritten by `colima start`, so it is merged, not owned. macOS only: NixOS runs Docker natively.
 */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "colima",
  description: "Docker runtime for macOS (Lima VM) with the docker CLI",
  homepage: "https://github.com/abiosoft/colima",
  platforms: ["darwin"],
  options: z.object({
    cpus: z.number().int().min(1).default(4).describe("Virtual CPUs of the VM"),
    memory: z.number().int().min(1).default(8).describe("Memory of the VM in GiB"),
    disk: z.number().int().min(10).default(100).describe("Disk size of the VM in GiB"),
    vmType: z
      .enum(["qemu", "vz"])
      .default("vz")
      .describe("Virtualisation: vz (Apple Virtualization.framework, macOS 13+) or qemu"),
    rosetta: z
      .boolean()
      .default(true)
      .describe("Run amd64 images through Rosetta (vz on Apple silicon)"),
  }),
  config: ({ options, host }) => ({
    packages: ["colima", "docker-client", "docker-compose", "docker-buildx"],
    files: {
      "~/.colima/default/colima.yaml": {
        merge: true,
        yaml: {
          cpu: options.cpus,
          memory: options.memory,
          disk: options.disk,
          arch: host.system.startsWith("aarch64") ? "aarch64" : "x86_64",
          vmType: options.vmType,
          rosetta: options.rosetta && options.vmType === "vz" && host.system.startsWith("aarch64"),
          mountType: options.vmType === "vz" ? "virtiofs" : "sshfs",
          runtime: "docker",
        },
      },
    },
    services: {
      vm: {
        description: "Colima VM (Docker engine)",
        command: [bin("colima"), "start", "--foreground"],
        restart: "on-failure",
        logs: "~/Library/Logs/colima.log",
        health: { file: `${host.home}/.colima/default/docker.sock` },
      },
    },
    env: { DOCKER_HOST: `unix://${host.home}/.colima/default/docker.sock` },
    health: [{ command: [bin("colima"), "status"] }],
  }),
});
