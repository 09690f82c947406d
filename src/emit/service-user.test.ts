import { describe, expect, it } from "vitest";
import { renderLaunchdPlist } from "./launchd/plist.js";
import type { ServiceLock } from "./lock-types.js";
import { renderSystemdService } from "./systemd/service.js";

const daemon: ServiceLock = {
  unit: "setup-mac-ollama-server",
  label: "org.setup-mac.ollama.server",
  scope: "system",
  user: "ollama",
  group: "ollama",
  description: "Ollama",
  command: [{ bin: "ollama", pkg: "ollama" }, "serve"],
  restart: "always",
};
const ctx = {
  resolveArg: (a: string | { bin: string }) => (typeof a === "string" ? a : `/bin/${a.bin}`),
};

describe("system services run as their user and group", () => {
  it("systemd: User= and Group=", () => {
    const { service } = renderSystemdService(daemon, ctx);
    // NixOS sorts [Service] keys by name (decision 0025).
    expect(service).toMatch(/\nGroup=ollama\n(.*\n)*User=ollama\n/);
  });

  it("launchd: UserName and GroupName", () => {
    const plist = renderLaunchdPlist(daemon, ctx);
    expect(plist).toContain("<key>UserName</key>\n\t<string>ollama</string>");
    expect(plist).toContain("<key>GroupName</key>\n\t<string>ollama</string>");
  });
});
