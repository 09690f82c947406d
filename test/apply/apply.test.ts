import { createServer, type Server } from "node:http";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply } from "../../src/api/apply.js";
import {
  diff,
  generations,
  rollback,
  rollbackProgram,
  systemRollback,
} from "../../src/api/history.js";
import { enablePrograms, setProgramOption } from "../../src/api/config.js";
import { SetupMacError } from "../../src/errors/index.js";
import { makeFixture, program, resetCalls, runnerWith, type Fixture } from "./fixture.js";
import { cli, cliAsync } from "../e2e/cli.js";
import { statusAll } from "../../src/api/status.js";

let server: Server;
let port = 0;
let healthy = true;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.statusCode = healthy ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => rmSync(f.root, { recursive: true, force: true })));

function workspace(hostPrograms: Record<string, unknown> = { web: true, tool: true }): Fixture {
  const f = makeFixture(
    {
      web: program(
        "web",
        `options: z.object({ port: z.number().default(${port}), title: z.string().default("hi") }),
         config: ({ options }) => ({
           packages: ["nginx"],
           files: { "~/.config/web/title": { text: options.title } },
           services: { server: { command: [bin("nginx"), "-g", "daemon off;"], scope: "system", health: { http: \`http://127.0.0.1:\${options.port}/\`, timeout: 1000, retries: 0 } } },
           datasets: { data: { dataset: "tank/web", snapshots: { keep: 2, every: "daily" } } },
         })`,
      ),
      tool: program(
        "tool",
        `config: () => ({
           packages: ["tool"],
           hooks: { preRemove: [["hookcmd", "pre", "; rm -rf ~", "$(id)"]], postRemove: ["hookcmd", "post"] },
         })`,
      ),
    },
    hostPrograms,
  );
  fixtures.push(f);
  return f;
}

/** Sets a program's option on host box, as `programs config set` does. */
const setOption = (f: Fixture, program: string, key: string, value: unknown) =>
  setProgramOption(program, key, value, { workspace: f.root, cacheDir: f.cache, hosts: ["box"] });

const base = (f: Fixture) => ({
  workspace: f.root,
  cacheDir: f.cache,
  host: "box",
  yes: true,
  runner: f.runner,
});

describe("apply", () => {
  it("runs the steps in order, with the exact commands, and records generation 1", async () => {
    const f = workspace();
    const steps: string[] = [];
    const result = await apply({ ...base(f), onStep: (s) => steps.push(s) });
    expect(result.status).toBe("applied");
    expect(result.generation!.number).toBe(1);
    expect(steps).toEqual(["check", "build", "snapshot", "lock", "switch", "health", "record"]);
    expect(f.calls()).toEqual([
      // Built first, as the platform builds it; no running system here, so no closure diff.
      ["nixos-rebuild", "build", "--flake", ".#box"],
      ["zfs", "list", "-H", "-o", "name", "tank/web"],
      ["zfs", "snapshot", expect.stringMatching(/^tank\/web@setup-mac-g1-\d{8}T\d{6}Z$/)],
      [
        "zfs",
        "list",
        "-H",
        "-t",
        "snapshot",
        "-o",
        "name",
        "-s",
        "creation",
        "-d",
        "1",
        "tank/web",
      ],
      ["nixos-rebuild", "switch", "--flake", ".#box"],
    ]);
    expect(result.health.map((h) => [h.name, h.ok])).toEqual([
      [`http http://127.0.0.1:${port}/`, true],
    ]);
    expect(existsSync(join(f.root, "setup-mac.lock.json"))).toBe(true);
    expect(readFileSync(join(f.root, ".setup-mac/generations/1/setup-mac.jsonc"), "utf8")).toBe(
      f.config(),
    );
  });

  it("applying the same state twice records no new generation and runs nothing", async () => {
    const f = workspace();
    await apply(base(f));
    resetCalls(f);
    const again = await apply(base(f));
    expect(again.status).toBe("nothing-to-do");
    expect(f.calls()).toEqual([]);
    expect(generations({ workspace: f.root }).generations).toHaveLength(1);
  });

  it("--dry-run writes nothing and runs no command", async () => {
    const f = workspace();
    const before = readdirSync(f.root).sort();
    const result = await apply({ ...base(f), dryRun: true });
    expect(result.status).toBe("dry-run");
    expect(result.plan.changes.programs.map((p) => [p.name, p.kind])).toEqual([
      ["tool", "added"],
      ["web", "added"],
    ]);
    expect(f.calls()).toEqual([]);
    expect(readdirSync(f.root).sort()).toEqual(before.filter((n) => n !== ".setup-mac"));
  });

  it("without a terminal and without --yes it fails at once, changing nothing", async () => {
    const f = workspace();
    await expect(apply({ ...base(f), yes: false })).rejects.toThrow(
      "error[confirmation-required]: applying to box changes the machine and needs a confirmation, but there is no terminal to ask on\n" +
        "  fix: review the plan above and run again with --yes (or run on a terminal); --dry-run shows the plan only",
    );
    expect(f.calls()).toEqual([]);
    expect(existsSync(join(f.root, "setup-mac.lock.json"))).toBe(false);
  });

  it("a failed switch leaves the lock as it was and records nothing", async () => {
    const f = workspace();
    await apply(base(f));
    const lockBefore = readFileSync(join(f.root, "setup-mac.lock.json"), "utf8");
    await setOption(f, "web", "title", "changed");
    const error = await apply({ ...base(f), runner: runnerWith(f, { SWITCH_EXIT: "1" }) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SetupMacError);
    const message = (error as SetupMacError).message;
    expect(message).toMatch(
      /^error\[switch-failed\]: step "switch" failed: `nixos-rebuild switch --flake \.#box` exited 1\. The previous setup-mac\.lock\.json is back; no generation was recorded\n {2}full log: \.setup-mac\/logs\/.+-box-apply\.log\n/,
    );
    expect(readFileSync(join(f.root, "setup-mac.lock.json"), "utf8")).toBe(lockBefore);
    expect(generations({ workspace: f.root }).generations).toHaveLength(1);
    expect(existsSync(join(f.root, ".setup-mac/apply-in-progress.json"))).toBe(false);
    const log = /full log: (\S+)/.exec(message)![1]!;
    expect(readFileSync(join(f.root, log), "utf8")).toContain(
      "building the system configuration...",
    );
  });

  it("a switch that hangs is stopped at its timeout", async () => {
    const f = workspace();
    const error = await apply({
      ...base(f),
      runner: runnerWith(f, { SWITCH_SLEEP: "30" }),
      switchTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain("did not finish within 1 s and was stopped");
    expect(existsSync(join(f.root, "setup-mac.lock.json"))).toBe(false);
  });

  it("a failing ZFS snapshot stops the apply unless --no-snapshot", async () => {
    const f = workspace();
    const failing = runnerWith(f, { ZFS_SNAPSHOT_FAIL: "1" });
    await expect(apply({ ...base(f), runner: failing })).rejects.toThrow(
      /step "snapshot" failed: `zfs snapshot tank\/web@setup-mac-g1-\w+` failed for tank\/web: cannot create snapshot: permission denied; nothing was changed/,
    );
    expect(f.calls().some((c) => c[0] === "nixos-rebuild" && c[1] === "switch")).toBe(false);
    const result = await apply({ ...base(f), runner: failing, noSnapshot: true });
    expect(result.status).toBe("applied");
  });

  it("keeps only as many setup-mac snapshots as the dataset says", async () => {
    const f = workspace();
    await apply(base(f));
    for (const title of ["a", "b", "c"]) {
      await setOption(f, "web", "title", title);
      await apply(base(f));
    }
    const destroyed = f
      .calls()
      .filter((c) => c[0] === "zfs" && c[1] === "destroy")
      .map((c) => c[2]);
    expect(destroyed).toHaveLength(2);
    expect(destroyed[0]).toMatch(/@setup-mac-g1-/);
  });

  it("removal hooks run once, with their arguments literally, pre before and post after the switch", async () => {
    const f = workspace();
    await apply(base(f));
    resetCalls(f);
    const text = f.config().replace('"tool": true', '"tool": false');
    f.setConfig(text);
    const result = await apply(base(f));
    expect(result.removed).toEqual(["tool"]);
    expect(f.calls().filter((c) => c[0] !== "zfs")).toEqual([
      ["nixos-rebuild", "build", "--flake", ".#box"],
      ["hookcmd", "pre", "; rm -rf ~", "$(id)"],
      ["nixos-rebuild", "switch", "--flake", ".#box"],
      ["hookcmd", "post"],
    ]);
    resetCalls(f);
    await setOption(f, "web", "title", "again");
    await apply(base(f));
    expect(f.calls().filter((c) => c[0] === "hookcmd")).toEqual([]);
  });

  it("--rollback-on-failure goes back when a health check fails after the switch", async () => {
    const f = workspace();
    await apply(base(f));
    const lockBefore = readFileSync(join(f.root, "setup-mac.lock.json"), "utf8");
    await setOption(f, "web", "title", "broken");
    resetCalls(f);
    healthy = false;
    try {
      await expect(apply({ ...base(f), rollbackOnFailure: true })).rejects.toThrow(
        /health checks failed after the switch: http http:\/\/127\.0\.0\.1:\d+\/ \(HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/\)\. Rolled back: the previous setup-mac\.lock\.json is back and switched; no generation was recorded/,
      );
    } finally {
      healthy = true;
    }
    expect(f.calls().filter((c) => c[0] === "nixos-rebuild" && c[1] === "switch")).toHaveLength(2);
    expect(readFileSync(join(f.root, "setup-mac.lock.json"), "utf8")).toBe(lockBefore);
    expect(generations({ workspace: f.root }).generations).toHaveLength(1);
  });
});

describe("--target-host", () => {
  it("deploys with nixos-rebuild --target-host and snapshots over SSH; health checks are not run here", async () => {
    const f = workspace();
    const result = await apply({ ...base(f), targetHost: "root@evo-x2" });
    expect(result.status).toBe("applied");
    // ssh gets the remote command as one line, each argument quoted for the remote shell.
    expect(f.calls()).toEqual([
      ["nixos-rebuild", "build", "--flake", ".#box", "--target-host", "root@evo-x2"],
      ["ssh", "root@evo-x2", "--", "zfs list -H -o name tank/web"],
      [
        "ssh",
        "root@evo-x2",
        "--",
        expect.stringMatching(/^zfs snapshot tank\/web@setup-mac-g1-\w+$/),
      ],
      ["ssh", "root@evo-x2", "--", "zfs list -H -t snapshot -o name -s creation -d 1 tank/web"],
      ["nixos-rebuild", "switch", "--flake", ".#box", "--target-host", "root@evo-x2"],
    ]);
    expect(result.health).toEqual([]);
    expect(result.notes).toContain(
      "Health checks were not run: they probe this machine, and the target is root@evo-x2.",
    );
  });
});

describe("rollback --system", () => {
  it("runs the platform's own rollback, and says how to fix a failure", async () => {
    const f = workspace();
    await apply(base(f));
    resetCalls(f);
    const r = await systemRollback({ workspace: f.root, host: "box", runner: f.runner });
    expect(r.argv).toEqual([["nixos-rebuild", "switch", "--rollback"]]);
    expect(f.calls()).toEqual([["nixos-rebuild", "switch", "--rollback"]]);
    await expect(
      systemRollback({
        workspace: f.root,
        host: "box",
        runner: runnerWith(f, { SWITCH_EXIT: "1" }),
      }),
    ).rejects.toThrow(
      "error[system-rollback-failed]: `nixos-rebuild switch --rollback` exited 1\n" +
        "  fix: the platform has no earlier generation to go back to, or needs root (try it with sudo); its output is above",
    );
  });
});

describe("generations, diff and rollback", () => {
  it("apply g1, change, apply g2, rollback: the config and lock equal g1's", async () => {
    const f = workspace();
    await apply(base(f));
    const g1Config = f.config();
    const g1Lock = readFileSync(join(f.root, "setup-mac.lock.json"), "utf8");
    await setOption(f, "web", "title", "second");
    const d = await diff({ workspace: f.root, cacheDir: f.cache, host: "box" });
    expect(d.from).toBe(1);
    expect(d.changes.programs).toEqual([
      {
        name: "web",
        kind: "changed",
        aspects: {
          files: { added: [], removed: [], changed: ["~/.config/web/title"] },
          options: { added: [], removed: [], changed: ["title"] },
        },
      },
    ]);
    await apply(base(f));
    const back = await rollback(base(f));
    expect(back.generation).toMatchObject({ number: 3, kind: "rollback", from: 1 });
    expect(f.config()).toBe(g1Config);
    expect(readFileSync(join(f.root, "setup-mac.lock.json"), "utf8")).toBe(g1Lock);
    expect(generations({ workspace: f.root }).generations.map((g) => [g.number, g.kind])).toEqual([
      [1, "apply"],
      [2, "apply"],
      [3, "rollback"],
    ]);
  });

  it("rolls back one program's settings alone", async () => {
    const f = workspace();
    await setOption(f, "web", "title", "first");
    await apply(base(f));
    await setOption(f, "web", "title", "second");
    await enablePrograms(["tool"], { workspace: f.root, cacheDir: f.cache, hosts: ["box"] });
    f.setConfig(f.config().replace('"tool": true', '"tool": false'));
    await apply(base(f));
    const result = await rollbackProgram("web", { ...base(f), to: 1 });
    expect(result.pinned).toBe(false);
    expect(result.generation).toMatchObject({ kind: "program-rollback", program: "web", from: 1 });
    expect(f.config()).toContain('"title": "first"');
    // tool stays off: only web went back.
    expect(f.config()).toContain('"tool": false');
  });

  it("a failed switch during rollback restores the config too", async () => {
    const f = workspace();
    await apply(base(f));
    await setOption(f, "web", "title", "second");
    await apply(base(f));
    const config = f.config();
    await expect(
      rollback({ ...base(f), runner: runnerWith(f, { SWITCH_EXIT: "2" }) }),
    ).rejects.toThrow(/step "switch" failed/);
    expect(f.config()).toBe(config);
  });
});

describe("postStart hooks", () => {
  function started(): Fixture {
    const f = makeFixture(
      {
        web: program(
          "web",
          `options: z.object({ title: z.string().default("hi") }),
           config: ({ options }) => ({
             packages: ["nginx"],
             files: { "~/.config/web/title": { text: options.title } },
             services: { server: { command: [bin("nginx")], scope: "system", health: { http: "http://127.0.0.1:${port}/", timeout: 1000, retries: 0 } } },
             hooks: { postStart: [["hookcmd", "warm", "$(id)"], [bin("webctl", "nginx"), "reload"]] },
           })`,
        ),
        other: program(
          "other",
          `options: z.object({ n: z.number().default(1) }), config: () => ({ packages: ["other"] })`,
        ),
      },
      { web: true, other: true },
    );
    fixtures.push(f);
    return f;
  }
  const withoutZfs = (f: Fixture) =>
    f.calls().filter((c) => c[0] !== "zfs" && !(c[0] === "nixos-rebuild" && c[1] === "build"));

  it("run after the switch and the health checks, in order, and are in the plan", async () => {
    const f = started();
    const plans: string[][] = [];
    const result = await apply({
      ...base(f),
      onPlan: (p) =>
        plans.push(p.hooks.map((h) => `${h.hook} ${h.program}: ${h.command.join(" ")}`)),
    });
    expect(plans).toEqual([["postStart web: hookcmd warm $(id)", "postStart web: webctl reload"]]);
    const calls = withoutZfs(f);
    expect(calls[0]).toEqual(["nixos-rebuild", "switch", "--flake", ".#box"]);
    expect(calls[1]).toEqual(["hookcmd", "warm", "$(id)"]);
    // `webctl` is not installed here: the failure names the command, and nothing else ran.
    expect(calls.length).toBe(2);
    expect(result.hooks.map((h) => [h.program, h.command.at(-1), h.ok])).toEqual([
      ["web", "$(id)", true],
      ["web", "reload", false],
    ]);
    expect(result.hooks[1]!.detail).toMatch(
      /^web's postStart hook `.*webctl reload` could not start: /,
    );
    expect(result.health.every((h) => h.ok)).toBe(true);
    expect(result.generation?.number).toBe(1);
    expect(result.notes.join("\n")).toContain("postStart hooks failed or were left out");
  });

  it("run again only when their program changed, and not when it is unhealthy", async () => {
    const f = started();
    await apply(base(f));
    resetCalls(f);
    await setOption(f, "other", "n", 2);
    expect((await apply(base(f))).hooks).toEqual([]);
    expect(withoutZfs(f).filter((c) => c[0] === "hookcmd")).toEqual([]);

    await setOption(f, "web", "title", "new");
    resetCalls(f);
    healthy = false;
    let result;
    try {
      result = await apply(base(f));
    } finally {
      healthy = true;
    }
    expect(withoutZfs(f).filter((c) => c[0] === "hookcmd")).toEqual([]);
    expect(result.hooks.map((h) => [h.ok, h.detail])).toEqual([
      [false, "not run: the program's health check failed"],
      [false, "not run: the program's health check failed"],
    ]);
  });

  it("run on the target over SSH with --target-host, quoted for its shell", async () => {
    const f = started();
    const result = await apply({ ...base(f), targetHost: "root@evo-x2" });
    expect(f.calls().slice(-3)).toEqual([
      ["nixos-rebuild", "switch", "--flake", ".#box", "--target-host", "root@evo-x2"],
      ["ssh", "root@evo-x2", "--", "hookcmd warm '$(id)'"],
      ["ssh", "root@evo-x2", "--", "webctl reload"],
    ]);
    // Health checks are not run from here, so nothing holds the hooks back.
    expect(result.hooks.map((h) => h.detail)).toEqual(["exited 0", "exited 0"]);
  });

  it("stop at the first failure, and the CLI exits 4 (outside) naming the command", async () => {
    const f = started();
    // Asynchronously: the health check asks this process's HTTP server.
    const r = await cliAsync(["--workspace", f.root, "--host", "box", "apply", "--yes"], {
      ...f.env,
      SETUP_MAC_CACHE_DIR: f.cache,
      HOOK_EXIT: "3",
    });
    expect(r.code).toBe(4); // a hook is outside the configuration
    expect(r.stdout).toContain("postStart web: hookcmd warm $(id)");
    expect(r.stdout).toContain(
      "failed  web postStart: hookcmd warm $(id) — web's postStart hook `hookcmd warm $(id)` exited 3",
    );
    expect(r.stdout).toMatch(
      /failed {2}web postStart: \S*webctl reload — not run: an earlier postStart command failed/,
    );
    expect(r.stdout).toContain("Applied to box: generation 1");
    expect(f.calls().filter((c) => c[0] === "hookcmd")).toEqual([["hookcmd", "warm", "$(id)"]]);
  });
});

describe("programs status --all-hosts", () => {
  it("sets each host's declared programs against its last generation", async () => {
    const f = workspace();
    const before = await statusAll({ workspace: f.root, cacheDir: f.cache });
    expect(before).toEqual({
      ok: false,
      hosts: [
        {
          host: "box",
          platform: "nixos",
          local: false,
          inSync: 0,
          changed: 0,
          notApplied: 2,
          removed: 0,
          ok: false,
        },
      ],
    });
    await apply(base(f));
    await setOption(f, "web", "title", "changed");
    const after = await statusAll({ workspace: f.root, cacheDir: f.cache, localHost: "box" });
    expect(after.hosts[0]).toMatchObject({
      local: true,
      applied: { generation: 1 },
      inSync: 1,
      changed: 1,
      notApplied: 0,
      ok: false,
    });
    const r = cli(["--workspace", f.root, "programs", "status", "--all-hosts"], {
      env: { SETUP_MAC_CACHE_DIR: f.cache, SETUP_MAC_HOST: "box" },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^box \(this machine\) +nixos +generation 1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +1 in sync, 1 changed$/m,
    );
  });
});
