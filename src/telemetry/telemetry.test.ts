import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventLine, makeEvent, MAX_LINE_BYTES, parseEvents, stageName } from "./event.js";
import { logsUrl, toOtlpLogs, unixNano } from "./otlp.js";
import type { TelemetryEvent } from "./schema.js";
import { appendEventLine, eventFileNames, purgeEvents, readEvents } from "./store.js";
import { usageSection } from "./section.js";
import { summarizeTelemetry } from "./summarize.js";
import { environmentSwitch, telemetryEnabled, telemetryPaths } from "./switch.js";

const facts = {
  command: "build",
  durationMs: 812.345,
  exitCode: 0,
  hosts: 2,
  modules: 21,
  spans: [
    { name: "read config", ms: 1.24 },
    { name: "bundle 21 modules", ms: 40 },
    { name: "evaluate 2 hosts", ms: 30 },
    { name: "evaluate 2 hosts", ms: 5 },
    { name: "/home/alice/secret.ts", ms: 3 },
  ],
  version: "0.1.0",
  platform: "darwin",
  end: new Date("2026-12-01T10:00:00.000Z"),
};

function event(time: string, command: string, durationMs: number, exitCode = 0): TelemetryEvent {
  return makeEvent({ ...facts, command, durationMs, exitCode, end: new Date(time) })!;
}

describe("makeEvent", () => {
  it("keeps counts and stage names without digits, sums repeats, drops anything else", () => {
    expect(makeEvent(facts)).toEqual({
      v: 1,
      time: "2026-12-01T10:00:00.000Z",
      command: "build",
      durationMs: 812.3,
      exitCode: 0,
      hosts: 2,
      modules: 21,
      stages: [
        { name: "read config", ms: 1.2 },
        { name: "bundle modules", ms: 40 },
        { name: "evaluate hosts", ms: 35 },
      ],
      version: "0.1.0",
      platform: "darwin",
    });
    expect(stageName("JSON schema")).toBe("json schema");
    expect(stageName("load ghp_abc123 modules")).toBeUndefined();
  });

  it("records nothing for a command that is not a verb path", () => {
    expect(
      makeEvent({ ...facts, command: "programs info ghp_16C7e42F292c6912E7710c838347Ae178B4a" }),
    ).toBeUndefined();
    expect(makeEvent({ ...facts, command: "info /home/alice" })).toBeUndefined();
  });

  it("keeps a line under PIPE_BUF by dropping the smallest stages", () => {
    const many = makeEvent({
      ...facts,
      spans: Array.from({ length: 32 }, (_, i) => ({
        name: `stage ${"x".repeat(30)} ${String.fromCharCode(97 + (i % 26))}${i >= 26 ? "q" : ""}`,
        ms: i + 1000.5,
      })),
    })!;
    expect(many.stages.length).toBe(32);
    const line = eventLine(many);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(line.endsWith("\n")).toBe(true);
  });
});

describe("parseEvents", () => {
  it("skips corrupt, truncated and foreign lines", () => {
    const good = eventLine(makeEvent(facts)!);
    const text = good + "{not json\n" + good.slice(0, 40) + "\n" + '{"v":2}\n' + good;
    const parsed = parseEvents(text);
    expect(parsed.events.length).toBe(2);
    expect(parsed.skipped).toBe(3);
  });
});

describe("summarizeTelemetry", () => {
  it("ranks verbs, counts failures and gives the build trend from successful builds", () => {
    const events = [
      event("2026-12-02T09:00:00Z", "build", 800),
      event("2026-12-01T09:00:00Z", "build", 1000),
      event("2026-12-01T10:00:00Z", "build", 900),
      event("2026-12-02T10:00:00Z", "build", 600),
      event("2026-12-02T11:00:00Z", "build", 50, 1),
      event("2026-12-02T12:00:00Z", "check", 300, 1),
      event("2026-12-02T12:30:00Z", "check", 200),
      event("2026-12-02T13:00:00Z", "programs enable", 100),
    ];
    const s = summarizeTelemetry(events);
    expect(s.events).toBe(8);
    expect(s.from).toBe("2026-12-01T09:00:00.000Z");
    expect(s.to).toBe("2026-12-02T13:00:00.000Z");
    expect(s.verbs).toEqual([
      { command: "build", runs: 5, failures: 1, failureRate: 0.2, medianMs: 800 },
      { command: "check", runs: 2, failures: 1, failureRate: 0.5, medianMs: 250 },
      { command: "programs enable", runs: 1, failures: 0, failureRate: 0, medianMs: 100 },
    ]);
    expect(s.build.runs).toBe(5);
    expect(s.build.days).toEqual([
      { day: "2026-12-01", runs: 2, medianMs: 950, modules: 21 },
      { day: "2026-12-02", runs: 2, medianMs: 700, modules: 21 },
    ]);
    expect(s.build.trend).toEqual({ olderMedianMs: 950, newerMedianMs: 700, change: -0.263 });
  });

  it("has no trend from too few builds, and is empty without events", () => {
    expect(summarizeTelemetry([event("2026-12-01T09:00:00Z", "build", 1)]).build.trend).toBeNull();
    expect(summarizeTelemetry([])).toEqual({
      events: 0,
      from: null,
      to: null,
      verbs: [],
      build: { runs: 0, days: [], trend: null },
    });
  });
});

describe("OTLP encoding", () => {
  it("is one log record per run, with int64 as strings and attributes as AnyValues", () => {
    const body = toOtlpLogs([event("2026-12-01T09:00:00.123Z", "check", 12.5, 1)]);
    expect(body.resourceLogs).toHaveLength(1);
    const [resource] = body.resourceLogs;
    expect(resource!.resource.attributes).toContainEqual({
      key: "service.name",
      value: { stringValue: "setup-mac" },
    });
    const record = resource!.scopeLogs[0]!.logRecords[0]!;
    expect(record.timeUnixNano).toBe("1796115600123000000");
    expect(record.severityNumber).toBe(17);
    expect(record.attributes).toContainEqual({
      key: "setup_mac.exit_code",
      value: { intValue: "1" },
    });
    expect(unixNano("1970-01-01T00:00:01Z")).toBe("1000000000");
  });

  it("appends v1/logs to a base URL and keeps a full one", () => {
    expect(logsUrl("http://127.0.0.1:4318")).toBe("http://127.0.0.1:4318/v1/logs");
    expect(logsUrl("http://h:4318/otel/")).toBe("http://h:4318/otel/v1/logs");
    expect(logsUrl("https://h/v1/logs")).toBe("https://h/v1/logs");
  });
});

describe("the switch", () => {
  const dir = mkdtempSync(join(tmpdir(), "telemetry-switch-"));
  const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, "c"), XDG_STATE_HOME: join(dir, "s") };

  it("is off by default, and the environment beats the settings file", async () => {
    expect(telemetryEnabled(env)).toBe(false);
    const { settings } = telemetryPaths(env);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir, "c", "setup-mac"), { recursive: true });
    writeFileSync(settings, '{ "enabled": true }');
    expect(telemetryEnabled(env)).toBe(true);
    expect(telemetryEnabled({ ...env, SETUP_MAC_TELEMETRY: "0" })).toBe(false);
    expect(telemetryEnabled({ ...env, DO_NOT_TRACK: "1" })).toBe(false);
    expect(telemetryEnabled({ ...env, DO_NOT_TRACK: "1", SETUP_MAC_TELEMETRY: "1" })).toBe(false);
    expect(environmentSwitch({ DO_NOT_TRACK: "0", SETUP_MAC_TELEMETRY: "1" })).toEqual({
      on: true,
      source: "SETUP_MAC_TELEMETRY",
    });
    writeFileSync(settings, "{ broken");
    expect(telemetryEnabled(env)).toBe(false);
  });

  it("uses the XDG folders, ignoring relative ones", () => {
    expect(telemetryPaths({ HOME: "/h", XDG_STATE_HOME: "rel" })).toEqual({
      settings: "/h/.config/setup-mac/telemetry.json",
      dir: "/h/.local/state/setup-mac/telemetry",
    });
  });
});

describe("the store", () => {
  it("rotates by size, keeps the newest files, and purges them", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "telemetry-store-")), "t");
    const rotation = { maxBytes: 1000, files: 3 };
    const line = eventLine(makeEvent(facts)!);
    const perFile = Math.floor(1000 / Buffer.byteLength(line));
    const total = perFile * 5 + 1;
    for (let i = 0; i < total; i++) appendEventLine(dir, line, rotation);
    expect(readdirSync(dir).sort()).toEqual(eventFileNames(rotation).sort());
    for (const name of readdirSync(dir))
      expect(readFileSync(join(dir, name)).length).toBeLessThanOrEqual(1000);
    const read = readEvents(dir, rotation);
    // The newest file holds the one line after the last rotation; two full files before it.
    expect(read.events.length).toBe(perFile * 2 + 1);
    expect(read.skipped).toBe(0);
    expect(purgeEvents(dir, rotation)).toBe(3);
    expect(readEvents(dir, rotation).events).toEqual([]);
  });
});

describe("usageSection (the telemetry part of `stats`)", () => {
  it("is absent without events", () => {
    expect(usageSection(summarizeTelemetry([]))).toBeUndefined();
  });

  it("lists verbs by use with their failures, and the build trend", () => {
    const events = [
      event("2026-12-01T10:00:00.000Z", "build", 400),
      event("2026-12-01T10:01:00.000Z", "build", 300),
      event("2026-12-01T10:02:00.000Z", "check", 90, 1),
      event("2026-12-01T10:03:00.000Z", "build", 200),
      event("2026-12-01T10:04:00.000Z", "build", 100),
    ];
    const section = usageSection(summarizeTelemetry(events))!;
    expect(section.name).toBe("usage");
    expect(section.rows).toEqual([
      ["build", "4", "0", "250 ms"],
      ["check", "1", "1 (100%)", "90 ms"],
    ]);
    expect(section.notes?.[1]).toMatch(/^build trend: 350 ms → 150 ms \(-57%\)/);
    expect(section.data).toMatchObject({ events: 5 });
  });
});
