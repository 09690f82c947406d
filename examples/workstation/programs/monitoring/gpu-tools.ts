/**
 * GPU monitoring and compute runtime for the Linux desktop: the driver side through NixOS's own
 * options, the tools as packages, and a health check that the compute device exists.
 */
import { defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "gpu-tools",
  description: "GPU drivers' compute runtime and monitors (nvtop, amdgpu_top)",
  platforms: ["nixos"],
  options: z.object({
    vendor: z.enum(["amd", "nvidia"]).default("amd").describe("GPU vendor"),
    compute: z
      .boolean()
      .default(true)
      .describe("Install the compute runtime (ROCm OpenCL on AMD) for LLMs and other GPGPU work"),
  }),
  config: ({ options }) =>
    options.vendor === "amd"
      ? {
          packages: [
            "nvtopPackages.amd",
            "amdgpu_top",
            ...(options.compute ? ["rocmPackages.rocminfo"] : []),
          ],
          nixos: {
            "hardware.graphics.enable": true,
            ...(options.compute ? { "hardware.amdgpu.opencl.enable": true } : {}),
          },
          // /dev/kfd is the ROCm compute interface: present when amdgpu and ROCm can run.
          health: [{ name: "ROCm device", file: "/dev/kfd" }],
        }
      : {
          packages: ["nvtopPackages.nvidia"],
          nixos: {
            "hardware.graphics.enable": true,
            "services.xserver.videoDrivers": ["nvidia"],
            "hardware.nvidia.open": true,
          },
          health: [{ name: "NVIDIA device", file: "/dev/nvidia0" }],
        },
});
