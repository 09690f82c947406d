/** The dashboard's server in-process: its answers to bad requests, and the address without a slash. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUi, type UiServer } from "../../src/ui/server.js";
import { cli, copyExampleTo } from "../e2e/cli.js";

const ASSETS = fileURLToPath(new URL("../../dist/ui/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sm-ui-server-"));
const ws = join(dir, "ws");
let ui: UiServer;

beforeAll(async () => {
  copyExampleTo(ws);
  ui = await startUi({ workspace: ws, cacheDir: join(dir, "cache"), assets: ASSETS, port: 0 });
});
afterAll(async () => {
  await ui?.close();
  rmSync(dir, { recursive: true, force: true });
});

const origin = () => `http://127.0.0.1:${ui.port}`;
const post = (path: string, body: string) =>
  fetch(ui.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", origin: origin() },
    body,
  });

describe("startUi", () => {
  it("prints an address with a fresh 256-bit token and redirects it without the slash", async () => {
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}\/$/);
    const r = await fetch(`${origin()}/${ui.token}`, { redirect: "manual" });
    expect(r.status).toBe(308);
    expect(r.headers.get("location")).toBe(`/${ui.token}/`);
    const page = await (await fetch(ui.url)).text();
    expect(page).toContain('<script type="module" src="app.js"></script>');
    expect(page).not.toMatch(/https?:\/\//);
  });

  it("answers bad requests with what is wrong, and writes nothing", async () => {
    const before = readFileSync(join(ws, "setup-mac.jsonc"), "utf8");
    const notJson = await post("api/save", "{");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      ok: false,
      problems: [{ code: "bad-request", message: "the request body is not a JSON object" }],
    });
    const noTo = await post("api/rollback", JSON.stringify({ host: "macbook", to: "one" }));
    expect(noTo.status).toBe(400);
    expect((await noTo.json()).problems[0].message).toBe("`to` must be a generation number");
    const unknown = await fetch(ui.url + "api/programs/vscod");
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).problems[0]).toMatchObject({
      code: "unknown-program",
      message: "unknown program `vscod`",
      hint: "did you mean `vscode`?",
    });
    const refused = await post(
      "api/save",
      JSON.stringify({ program: "vscode", host: "macbook", set: { fontSize: "big" } }),
    );
    expect(refused.status).toBe(422);
    expect((await refused.json()).problems[0].message).toContain(
      "option `vscode.fontSize` is not of type `integer, 6–72`",
    );
    expect(readFileSync(join(ws, "setup-mac.jsonc"), "utf8")).toBe(before);
  });

  it("streams a failed rollback as an event with the library's diagnostic", async () => {
    const r = await post("api/rollback", JSON.stringify({ host: "macbook", to: 7 }));
    expect(r.headers.get("content-type")).toBe("application/x-ndjson");
    const events = (await r.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; problems?: { code: string }[] });
    expect(events.at(-1)).toMatchObject({
      type: "failed",
      problems: [{ code: "unknown-generation" }],
    });
  });

  it("says so when the port is taken, and exits 1", () => {
    const r = cli(["--workspace", ws, "ui", "--port", String(ui.port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[port-in-use]: port ${ui.port} on 127.0.0.1 is already in use\n  fix: pass another --port, or --port 0 to pick a free one\n`,
    );
  });
});
