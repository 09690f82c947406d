import { describe, expect, it } from "vitest";
import type { HostLock, LevelLock, ProgramLock } from "../emit/lock-types.js";
import { credentialIn, scanHost } from "./index.js";

function host(
  level: LevelLock,
  extra: Partial<ProgramLock> = {},
  platform: "nixos" | "darwin" = "nixos",
): HostLock {
  return {
    platform,
    system: platform === "nixos" ? "x86_64-linux" : "aarch64-darwin",
    user: "lars",
    home: "/home/lars",
    homeManager: true,
    zfs: false,
    order: ["app"],
    programs: {
      app: {
        category: "test",
        description: "app",
        source: { path: "programs/test/app.ts", sha256: "0" },
        enabledBy: { host: true },
        options: {},
        system: level,
        ...extra,
      },
    },
  };
}

const findings = (h: HostLock) =>
  scanHost("box", h).map((f) => `${f.severity} ${f.rule} ${f.where}`);

const service = {
  unit: "setup-mac-app-server",
  label: "org.setup-mac.app.server",
  description: "app",
  restart: "on-failure" as const,
};

describe("scan rules", () => {
  it("finds known credential formats anywhere, as errors", () => {
    const fake = {
      aws: "AKIA" + "ABCDEFGHIJKLMNOP",
      github: "ghp_" + "a".repeat(36),
      key: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
    };
    const h = host({
      env: { AWS_ACCESS_KEY_ID: { value: fake.aws, priority: 100 } },
      files: { "app/key": { format: "text", text: fake.key, priority: 100 } },
      hooks: { postStart: [["gh", "auth", "login", "--with-token", fake.github]] },
    });
    expect(findings(h)).toEqual([
      "error secret-in-lock env.AWS_ACCESS_KEY_ID",
      "error secret-in-lock files./etc/app/key",
      "error secret-in-lock hooks.postStart[0][4]",
    ]);
    const [first] = scanHost("box", h);
    expect(first).toMatchObject({
      program: "app",
      module: "programs/test/app.ts",
      message:
        "holds an AWS access key: the lock is committed and copied into the world-readable Nix store",
    });
    expect(first!.fix).toMatch(/^read it at run time from a file outside the store/);
  });

  it("warns about literal values under credential-like names, but not about paths or references", () => {
    const h = host({
      env: {
        DB_PASSWORD: { value: "hunter22", priority: 100 },
        PASSWORD_STORE_DIR: { value: "hunter22", priority: 100 },
        GIT_ASKPASS: { value: "/run/current-system/sw/bin/ksshaskpass", priority: 100 },
        API_TOKEN: { value: "${XDG_RUNTIME_DIR}/token", priority: 100 },
        NPM_TOKEN: { value: "file:/run/secrets/npm", priority: 100 },
        SHORT_SECRET: { value: "abc", priority: 100 },
      },
      files: {
        "app/config.json": {
          format: "json",
          text: JSON.stringify({ auth: { clientSecret: "s3cr3t-value" }, user: "x" }),
          priority: 100,
        },
      },
      wrappers: {
        app: {
          package: "app",
          binary: "app",
          addFlags: ["--password", "--api-key=abcdef123", "--token-file=/run/t"],
        },
      },
    });
    expect(findings(h)).toEqual([
      "warning secret-in-lock env.DB_PASSWORD",
      "warning secret-in-lock files./etc/app/config.json.auth.clientSecret",
      "warning secret-in-lock wrappers.app.addFlags[1]",
    ]);
  });

  it("flags world-writable files and permissions, set-id bits, group-writable /etc files", () => {
    const h = host({
      files: {
        "app/a": { format: "text", text: "", mode: "0666", priority: 100 },
        "app/b": { format: "text", text: "", mode: "0664", priority: 100 },
        "app/c": { format: "text", text: "", mode: "0644", priority: 100 },
      },
      permissions: {
        "/srv/drop": { path: "/srv/drop", mode: "1777", owner: "root", create: true },
        "/usr/local/bin/tool": {
          path: "/usr/local/bin/tool",
          mode: "4755",
          owner: "root",
          create: false,
        },
      },
    });
    expect(findings(h)).toEqual([
      "error world-writable files./etc/app/a",
      "warning etc-group-writable files./etc/app/b",
      "error world-writable permissions./srv/drop",
      "warning setuid permissions./usr/local/bin/tool",
    ]);
  });

  it("flags system services running as root and services listening everywhere", () => {
    const h = host({
      services: {
        root: { ...service, scope: "system", command: ["app", "--listen", "0.0.0.0:80"] },
        owned: {
          ...service,
          scope: "system",
          user: "app",
          command: ["app"],
          environment: { HOST: "[::]:8080", OTHER: "10.0.0.0/8", LOCAL: "127.0.0.1:1" },
        },
        mine: { ...service, scope: "user", command: ["app"] },
      },
    });
    expect(findings(h)).toEqual([
      "warning root-service services.root",
      "warning listens-everywhere services.root.command",
      "warning listens-everywhere services.owned.environment.HOST",
    ]);
    expect(scanHost("box", h)[0]!.message).toBe(
      "runs as root (a systemd system unit without `user`)",
    );
  });

  it("flags downloading a script into a shell, not other downloads", () => {
    const h = host({
      hooks: {
        postSetup: [
          ["sh", "-c", "curl -fsSL https://example.org/install.sh | sh"],
          ["bash", "-c", "wget -qO- https://x.test/i | sudo bash"],
          ["curl", "-o", "/tmp/file", "https://example.org/data.json"],
        ],
      },
    });
    expect(findings(h)).toEqual([
      "warning pipe-to-shell hooks.postSetup[0]",
      "warning pipe-to-shell hooks.postSetup[1]",
    ]);
  });

  it("flags raw options that switch a protection off, and secrets inside raw options", () => {
    const h = host({
      raw: [
        {
          target: "nixos",
          path: ["networking", "firewall", "enable"],
          value: false,
          priority: 100,
        },
        { target: "nixos", path: ["networking", "firewall", "enable"], value: true, priority: 100 },
        {
          target: "nixos",
          path: ["services", "openssh", "settings"],
          value: { PasswordAuthentication: true },
          priority: 100,
        },
        {
          target: "nixos",
          path: ["services", "openssh", "settings", "PermitRootLogin"],
          value: "yes",
          priority: 100,
        },
        {
          target: "nixos",
          path: ["services", "app", "settings"],
          value: { admin: { password: "correct horse" } },
          priority: 100,
        },
      ],
    });
    expect(findings(h)).toEqual([
      "warning weakened-security nixos.networking.firewall.enable",
      "warning weakened-security nixos.services.openssh.settings.PasswordAuthentication",
      "warning weakened-security nixos.services.openssh.settings.PermitRootLogin",
      "warning secret-in-lock nixos.services.app.settings.admin.password",
    ]);
  });

  it("notes plain-HTTP health checks that leave the machine", () => {
    const h = host(
      {},
      {
        health: [
          { name: "remote", timeout: 5000, retries: 2, http: "http://nas.lan:8080/health" },
          { name: "local", timeout: 5000, retries: 2, http: "http://127.0.0.1:8080/" },
          { name: "tls", timeout: 5000, retries: 2, http: "https://nas.lan/" },
        ],
      },
    );
    expect(findings(h)).toEqual(["info plain-http health remote"]);
  });

  it("finds nothing in an ordinary program", () => {
    const h = host({
      packages: ["ripgrep"],
      env: {
        EDITOR: { value: "nvim", priority: 1000 },
        PAGER: { value: "less -R", priority: 100 },
      },
      files: {
        "app/config": { format: "text", text: "color = auto\n", mode: "0644", priority: 100 },
      },
      services: { server: { ...service, scope: "user", command: ["app", "--port", "8080"] } },
    });
    expect(findings(h)).toEqual([]);
  });

  it("recognises credential formats and leaves look-alikes alone", () => {
    expect(credentialIn("xoxb-1234567890-abcdef")).toBe("a Slack token");
    expect(credentialIn("sk-ant-api03-" + "x".repeat(30))).toBe("an Anthropic API key");
    expect(credentialIn("AKIA-not-a-key")).toBeUndefined();
    expect(credentialIn("ghp_short")).toBeUndefined();
    expect(credentialIn("sk-learn")).toBeUndefined();
  });
});
