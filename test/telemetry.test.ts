// Local telemetry as a user meets it: the built CLI, the example workspace, a loopback collector.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliAsync, copyExampleTo } from "./e2e/cli.js";

const SECRET = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "telemetry-e2e-"));
  const home = join(root, "home", "alice");
  const ws = join(home, "code", "dotfiles");
  mkdirSync(home, { recursive: true });
  copyExampleTo(ws);
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    DO_NOT_TRACK: "",
    SETUP_MAC_TELEMETRY: "",
  };
  const events = join(env.XDG_STATE_HOME, "setup-mac", "telemetry", "events.jsonl");
  return { root, home, ws, env, events };
}

describe("telemetry", () => {
  it("is off by default: a run writes nothing", () => {
    const s = sandbox();
    expect(cli(["--workspace", s.ws, "programs", "list"], { env: s.env }).code).toBe(0);
    expect(existsSync(join(s.env.XDG_STATE_HOME, "setup-mac"))).toBe(false);
    const status = JSON.parse(cli(["--json", "telemetry", "status"], { env: s.env }).stdout);
    expect(status).toMatchObject({ enabled: false, source: "default", events: 0 });
  });

  it("records verbs and counts but never arguments, config text, paths or names", () => {
    const s = sandbox();
    const config = join(s.ws, "setup-mac.jsonc");
    writeFileSync(config, `// token for the registry: ${SECRET}\n` + readFileSync(config, "utf8"));
    const env = { ...s.env, GITHUB_TOKEN: SECRET };
    expect(cli(["telemetry", "on"], { env }).code).toBe(0);
    const runs = [
      ["--workspace", s.ws, "check"],
      ["--workspace", s.ws, "build"],
      ["--workspace", s.ws, "programs", "info", SECRET],
      ["--workspace", s.ws, "programs", "enable", SECRET, "--host", "alice"],
    ];
    const codes = runs.map((args) => cli(args, { env }).code);
    expect(codes.slice(0, 2)).toEqual([0, 0]);
    expect(codes[2]).not.toBe(0);
    const text = readFileSync(s.events, "utf8");
    for (const forbidden of [SECRET, "ghp_", s.root, s.home, "alice", "dotfiles", "workstation"])
      expect(text).not.toContain(forbidden);
    const events = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.command, e.exitCode === 0])).toEqual([
      ["check", true],
      ["build", true],
      ["programs info", false],
      ["programs enable", false],
    ]);
    expect(events[1]).toMatchObject({ v: 1, hosts: 2, version: expect.any(String) });
    expect(events[1].modules).toBeGreaterThan(0);
    expect(events[1].stages.map((x: { name: string }) => x.name)).toContain("read config");

    // telemetry's own verbs are not recorded, and DO_NOT_TRACK stops recording.
    cli(["telemetry", "status"], { env });
    cli(["--workspace", s.ws, "programs", "list"], { env: { ...env, DO_NOT_TRACK: "1" } });
    cli(["--workspace", s.ws, "programs", "list"], { env: { ...env, SETUP_MAC_TELEMETRY: "0" } });
    expect(readFileSync(s.events, "utf8")).toBe(text);

    const report = JSON.parse(cli(["--json", "telemetry", "report"], { env }).stdout);
    expect(report.verbs.map((v: { command: string }) => v.command)).toEqual([
      "build",
      "check",
      "programs enable",
      "programs info",
    ]);
    expect(report.build.runs).toBe(1);

    expect(cli(["telemetry", "purge"], { env }).stdout).toBe(
      "deleted 1 event file in ~/.local/state/setup-mac/telemetry\n",
    );
    expect(existsSync(s.events)).toBe(false);
  });

  it("shows in `stats` once events are recorded", () => {
    const s = sandbox();
    const env = { ...s.env, SETUP_MAC_TELEMETRY: "1" };
    expect(cli(["--workspace", s.ws, "check"], { env }).code).toBe(0);
    const shown = cli(["--workspace", s.ws, "stats"], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^usage \(local telemetry\)$/m);
    expect(shown.stdout).toMatch(/^check +1 +0 +\d/m);
    const json = JSON.parse(cli(["--workspace", s.ws, "--json", "stats"], { env }).stdout);
    expect(json.sections[0]).toMatchObject({ name: "usage", data: { events: 2 } });
  });

  it("skips a corrupt line, and an unwritable state folder changes nothing a command prints", () => {
    const s = sandbox();
    expect(cli(["telemetry", "on"], { env: s.env }).code).toBe(0);
    mkdirSync(join(s.env.XDG_STATE_HOME, "setup-mac", "telemetry"), { recursive: true });
    writeFileSync(s.events, '{"v":1,"time":"cut sh\n');
    cli(["--workspace", s.ws, "programs", "list"], { env: s.env });
    const status = JSON.parse(cli(["--json", "telemetry", "status"], { env: s.env }).stdout);
    expect(status).toMatchObject({ enabled: true, events: 1, skipped: 1 });

    // A file where the state folder should be: the folder cannot be made.
    const blocked = join(s.root, "not-a-folder");
    writeFileSync(blocked, "");
    const args = ["--workspace", s.ws, "programs", "list"];
    const off = cli(args, { env: { ...s.env, SETUP_MAC_TELEMETRY: "0" } });
    const on = cli(args, { env: { ...s.env, XDG_STATE_HOME: blocked } });
    expect(on).toEqual(off);
    expect(on.code).toBe(0);
  });
});

describe("telemetry export --otlp", () => {
  const received: {
    method?: string;
    url?: string;
    headers: IncomingMessage["headers"];
    body: string;
  }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("{}");
    });
  });
  let url = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("POSTs the events as OTLP/HTTP JSON logs to /v1/logs", async () => {
    const s = sandbox();
    cli(["telemetry", "on", "--endpoint", url], { env: s.env });
    cli(["--workspace", s.ws, "programs", "list"], { env: s.env });
    cli(["--workspace", s.ws, "programs", "info", "nosuch"], { env: s.env });
    const lines = cli(["telemetry", "export"], { env: s.env }).stdout.trim().split("\n");
    expect(lines).toHaveLength(2);

    const result = await cliAsync(["telemetry", "export", "--otlp"], s.env);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(`sent 2 events to ${url}/v1/logs in 1 request\n`);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe("/v1/logs");
    expect(request!.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(request!.body);
    const records = body.resourceLogs[0].scopeLogs[0].logRecords;
    expect(body.resourceLogs[0].resource.attributes).toContainEqual({
      key: "service.name",
      value: { stringValue: "setup-mac" },
    });
    expect(body.resourceLogs[0].scopeLogs[0].scope.name).toBe("setup-mac.telemetry");
    expect(records.map((r: { body: { stringValue: string } }) => r.body.stringValue)).toEqual([
      "programs list",
      "programs info",
    ]);
    expect(records[0].timeUnixNano).toMatch(/^\d{19}$/);
    expect(records[1].severityText).toBe("ERROR");
    expect(records[1].attributes).toContainEqual({
      key: "setup_mac.exit_code",
      value: { intValue: "1" },
    });
  });

  it("says clearly when the collector is not there, and exits 4", async () => {
    const s = sandbox();
    cli(["telemetry", "on"], { env: s.env });
    cli(["--workspace", s.ws, "programs", "list"], { env: s.env });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await cliAsync(
      ["telemetry", "export", "--otlp", `http://127.0.0.1:${port}`],
      s.env,
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      `error[telemetry-export-failed]: sending telemetry to http://127.0.0.1:${port}/v1/logs failed: ECONNREFUSED (nothing was sent)`,
    );
    expect(result.stderr).not.toContain("internal error");

    const none = cli(["telemetry", "export", "--otlp"], { env: s.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no OTLP endpoint");
  });
});
