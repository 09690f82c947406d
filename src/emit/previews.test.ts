import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fixtureLock } from "../../test/fixtures/render/lock.js";
import { PreviewError, renderPreviews, renderSessionVariables } from "./previews.js";

const expectedDir = fileURLToPath(new URL("../../test/fixtures/render/expected", import.meta.url));

function listFiles(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out = statSync(path).isDirectory()
      ? [...out, ...listFiles(path)]
      : [...out, relative(expectedDir, path)];
  }
  return out.sort();
}

describe("renderPreviews", () => {
  const previews = renderPreviews(fixtureLock);

  it("matches the committed previews (UPDATE_GOLDEN=1 rewrites them)", () => {
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(expectedDir, { recursive: true, force: true });
      for (const [path, text] of previews) {
        mkdirSync(dirname(join(expectedDir, path)), { recursive: true });
        writeFileSync(join(expectedDir, path), text);
      }
    }
    expect(listFiles(expectedDir)).toEqual([...previews.keys()]);
    for (const [path, text] of previews) {
      expect(text, path).toBe(readFileSync(join(expectedDir, path), "utf8"));
    }
  });

  it("lays out every kind of preview with sorted keys", () => {
    expect([...previews.keys()]).toEqual([
      "evo-x2/activation.sh",
      "evo-x2/files/etc/restic/excludes.txt",
      "evo-x2/files/home/.config/code-server/config.yaml",
      "evo-x2/files/home/.config/git/config",
      "evo-x2/systemd/system/setup-mac-backup-prune.service",
      "evo-x2/systemd/system/setup-mac-backup-prune.timer",
      "evo-x2/systemd/system/setup-mac-backup-snapshot.service",
      "evo-x2/systemd/system/setup-mac-backup-snapshot.timer",
      "evo-x2/systemd/user/setup-mac-code-server-server.service",
      "evo-x2/tmpfiles.conf",
      "mac/activation.sh",
      "mac/files/etc/ollama/env",
      "mac/launchd/LaunchAgents/org.setup-mac.code-server.server.plist",
      "mac/launchd/LaunchAgents/org.setup-mac.ollama.pull.plist",
      "mac/launchd/LaunchDaemons/org.setup-mac.ollama.serve.plist",
    ]);
  });

  it("resolves binaries per level with the default resolver, or with the one given", () => {
    expect(previews.get("evo-x2/systemd/system/setup-mac-backup-prune.service")).toContain(
      "ExecStart=/nix/store/...-restic/bin/restic forget",
    );
    expect(previews.get("evo-x2/systemd/user/setup-mac-code-server-server.service")).toContain(
      "ExecStart=/nix/store/...-code-server/bin/code-server --bind-addr",
    );
    const custom = renderPreviews(
      fixtureLock,
      (arg, site) => `/stand-in/${site.host}/${arg.pkg}/${arg.bin}`,
    );
    expect(custom.get("evo-x2/activation.sh")).toContain("/stand-in/evo-x2/git/git config");
  });

  it("refuses file keys that would leave their folder", () => {
    const host = fixtureLock.hosts["evo-x2"];
    if (host === undefined) throw new Error("fixture host missing");
    const bad = {
      ...fixtureLock,
      hosts: {
        "evo-x2": {
          ...host,
          programs: {
            ...host.programs,
            git: {
              ...host.programs.git!,
              home: {
                files: { "../../etc/passwd": { format: "text" as const, text: "", priority: 100 } },
              },
            },
          },
        },
      },
    };
    expect(() => renderPreviews(bad)).toThrow(PreviewError);
    expect(() => renderPreviews(bad)).toThrow(
      'file path "../../etc/passwd" has a part ".." cannot be a file name',
    );
  });
});

describe("renderSessionVariables", () => {
  it("writes home-manager's export lines: sorted, lowest priority number wins, value as given", () => {
    const text = renderSessionVariables([
      { env: { PAGER: { value: "less", priority: 100 }, EDITOR: { value: "vi", priority: 100 } } },
      undefined,
      {
        env: {
          PAGER: { value: "bat --plain", priority: 50 },
          A_B: { value: "$HOME/x", priority: 100 },
        },
      },
    ]);
    expect(text).toBe(
      ['export A_B="$HOME/x"', 'export EDITOR="vi"', 'export PAGER="bat --plain"'].join("\n"),
    );
  });

  it("is absent when no program sets one", () => {
    expect(renderSessionVariables([undefined, { env: {} }])).toBeUndefined();
  });
});
