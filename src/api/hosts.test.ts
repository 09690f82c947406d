import { describe, expect, it } from "vitest";
import { SetupMacError } from "../errors/index.js";
import { pickHost, pickHosts, selectHosts } from "./hosts.js";

const KNOWN = ["macbook", "evo-x2"];
const opts = { verb: "programs status", localHost: "", hostname: "vm.lan" };

describe("choosing hosts", () => {
  it("takes the hosts given, the only host, or the one this machine is", () => {
    expect(pickHosts(KNOWN, ["macbook"], opts)).toEqual(["macbook"]);
    expect(pickHosts(["solo"], undefined, opts)).toEqual(["solo"]);
    // The caller's host name is used, not only the system's: status decides "local" by it too.
    expect(pickHost(KNOWN, undefined, { ...opts, hostname: "evo-x2.lan" })).toBe("evo-x2");
    expect(pickHost(KNOWN, undefined, { ...opts, localHost: "macbook" })).toBe("macbook");
  });

  it("asks which host, with a command to copy, when it cannot tell", () => {
    let error: unknown;
    try {
      pickHosts(KNOWN, undefined, opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SetupMacError);
    const [d] = (error as SetupMacError).diagnostics;
    expect(d!.message).toBe(
      "which host? setup-mac.jsonc has evo-x2, macbook and this machine is called vm",
    );
    expect(d!.hint).toContain("`setup-mac --host evo-x2 programs status`");
  });

  it("names an unknown host with a suggestion", () => {
    expect(() => pickHosts(KNOWN, ["evo-x3"], opts)).toThrow("there is no host `evo-x3`");
    const config = { config: { file: "setup-mac.jsonc", config: { hosts: { a: {}, b: {} } } } };
    expect(selectHosts(config as never, undefined)).toEqual(["a", "b"]);
  });
});
