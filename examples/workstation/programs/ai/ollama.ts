/**
 * Ollama, local LLMs. On NixOS a system service whose model store is its own ZFS dataset with
 * snapshots (models are large and slow to download again); on macOS a user agent, because
 * Metal acceleration needs the user's GUI session. Models are pulled by `setup-mac apply` once the
 * server answers (a `postStart` hook): during activation the service has not started yet.
 */
import { bin, defineProgram, z } from "setup-mac";
import type { Contribution } from "setup-mac";

/** nixpkgs builds Ollama per GPU stack; on macOS the plain package uses Metal. */
const PACKAGES = { cpu: "ollama", rocm: "ollama-rocm", cuda: "ollama-cuda" } as const;

export default defineProgram({
  name: "ollama",
  description: "Run large language models locally",
  homepage: "https://ollama.com",
  options: z.object({
    host: z
      .string()
      .default("127.0.0.1")
      .describe("Address the server listens on; 0.0.0.0 for every interface"),
    port: z.number().int().min(1).max(65_535).default(11_434).describe("Port of the HTTP API"),
    models: z
      .array(z.string())
      .default(["llama3.2:3b"])
      .describe("Models pulled once the server is up (ollama pull NAME, run by setup-mac apply)"),
    acceleration: z
      .enum(["cpu", "rocm", "cuda"])
      .default("cpu")
      .describe("GPU stack on Linux (ollama, ollama-rocm, ollama-cuda); macOS always uses Metal"),
    keepAlive: z
      .string()
      .regex(/^(-1|\d+[smh])$/)
      .default("5m")
      .describe("How long a model stays loaded after a request (OLLAMA_KEEP_ALIVE)"),
    dataset: z
      .string()
      .optional()
      .describe(
        "ZFS dataset of the model store on NixOS hosts with ZFS (default: <the host's zfsPool>/ai/ollama)",
      ),
    snapshotsKeep: z
      .number()
      .int()
      .min(1)
      .default(7)
      .describe("Daily snapshots of the model dataset kept"),
  }),
  config: ({ options, host }): Contribution => {
    const darwin = host.platform === "darwin";
    const pkg = darwin ? "ollama" : PACKAGES[options.acceleration];
    const ollama = bin("ollama", pkg);
    const listen = `${options.host}:${options.port}`;
    const local = `${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${options.port}`;
    const stateDir = darwin ? `${host.home}/.ollama` : "/var/lib/ollama";
    const health = { http: `http://${local}/api/version` };
    return {
      packages: [pkg],
      services: {
        server: {
          description: "Ollama LLM server",
          command: [ollama, "serve"],
          scope: darwin ? "user" : "system",
          // On NixOS a system service of its own account, not root (see `nixos` below).
          ...(darwin ? {} : { user: "ollama", group: "ollama" }),
          restart: "on-failure",
          after: ["network-online"],
          environment: {
            OLLAMA_HOST: listen,
            OLLAMA_MODELS: `${stateDir}/models`,
            OLLAMA_KEEP_ALIVE: options.keepAlive,
            // A system service has no home of its own: keep Ollama's key pair with the models.
            ...(darwin ? {} : { HOME: stateDir }),
          },
          ...(darwin ? { logs: "~/Library/Logs/ollama.log" } : { workingDirectory: stateDir }),
          health,
        },
      },
      // The CLI talks to the server through OLLAMA_HOST.
      ...(local === "127.0.0.1:11434" ? {} : { env: { OLLAMA_HOST: local } }),
      permissions: darwin
        ? {}
        : { "/var/lib/ollama": { mode: "0750", owner: "ollama", group: "ollama" } },
      // The account the server runs as, through the escape hatch to NixOS's own options.
      ...(darwin
        ? {}
        : {
            nixos: {
              "users.users.ollama": {
                isSystemUser: true,
                group: "ollama",
                home: "/var/lib/ollama",
                description: "Ollama LLM server",
              },
              "users.groups.ollama": {},
            },
          }),
      ...(!darwin && host.zfs && (options.dataset ?? host.zfsPool)
        ? {
            datasets: {
              models: {
                dataset: options.dataset ?? `${host.zfsPool}/ai/ollama`,
                mountpoint: "/var/lib/ollama",
                // Model blobs are already compressed; large records suit multi-GB files.
                properties: { recordsize: "1M", compression: "off", atime: "off" },
                snapshots: { keep: options.snapshotsKeep, every: "daily" },
              },
            },
          }
        : {}),
      hooks:
        options.models.length > 0
          ? { postStart: options.models.map((model) => [ollama, "pull", model]) }
          : {},
      health: [health, { command: [ollama, "--version"] }],
    };
  },
});
