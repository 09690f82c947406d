/**
 * Nightly restic backup of the home directory, as a scheduled user service. The repository
 * password stays out of the workspace: restic reads it from a file the user creates once.
 */
import { bin, defineProgram, z } from "setup-mac";
import { userLog } from "../_lib/paths.js";

export default defineProgram({
  name: "restic-backup",
  description: "Nightly encrypted, deduplicated backups with restic",
  homepage: "https://restic.net",
  options: z.object({
    repository: z
      .string()
      .min(1)
      .default("sftp:backup@nas.local:/backups/restic")
      .describe("restic repository (RESTIC_REPOSITORY), e.g. sftp:user@host:/path or s3:…"),
    passwordFile: z
      .string()
      .default("~/.config/restic/password")
      .describe("File holding the repository password (RESTIC_PASSWORD_FILE); not managed here"),
    paths: z.array(z.string()).default(["~"]).describe("What to back up"),
    exclude: z
      .array(z.string())
      .default([
        "~/.cache",
        "~/Library/Caches",
        "~/.local/share/Trash",
        "**/node_modules",
        "**/.direnv",
        "**/result",
      ])
      .describe("Exclude patterns (restic --exclude-file)"),
    hour: z
      .number()
      .int()
      .min(0)
      .max(23)
      .default(2)
      .describe("Hour of the nightly run (local time)"),
    keepDaily: z
      .number()
      .int()
      .min(1)
      .default(7)
      .describe("Daily snapshots kept by `restic forget`"),
    keepWeekly: z.number().int().min(0).default(4).describe("Weekly snapshots kept"),
    keepMonthly: z.number().int().min(0).default(12).describe("Monthly snapshots kept"),
  }),
  config: ({ options, host }) => {
    const abs = (p: string) =>
      p === "~" ? host.home : p.startsWith("~/") ? `${host.home}/${p.slice(2)}` : p;
    const restic = bin("restic");
    const environment = {
      RESTIC_REPOSITORY: options.repository,
      RESTIC_PASSWORD_FILE: abs(options.passwordFile),
      RESTIC_CACHE_DIR: abs("~/.cache/restic"),
    };
    const excludeFile = "~/.config/restic/excludes";
    return {
      packages: ["restic"],
      files: { [excludeFile]: { text: options.exclude.map(abs).join("\n") + "\n" } },
      permissions: { "~/.config/restic": { mode: "0700" } },
      services: {
        backup: {
          description: "restic backup",
          command: [
            restic,
            "backup",
            "--exclude-file",
            abs(excludeFile),
            "--exclude-caches",
            "--one-file-system",
            ...options.paths.map(abs),
          ],
          environment,
          schedule: { calendar: { hour: options.hour, minute: 30 } },
          after: ["network-online"],
          logs: userLog(host, "restic-backup"),
        },
        prune: {
          description: "restic forget --prune",
          command: [
            restic,
            "forget",
            "--prune",
            `--keep-daily=${options.keepDaily}`,
            `--keep-weekly=${options.keepWeekly}`,
            `--keep-monthly=${options.keepMonthly}`,
          ],
          environment,
          schedule: { calendar: { weekday: 0, hour: (options.hour + 2) % 24, minute: 0 } },
          after: ["network-online"],
          logs: userLog(host, "restic-prune"),
        },
      },
      health: [{ name: "password file", file: abs(options.passwordFile) }],
    };
  },
});
