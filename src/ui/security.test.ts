import { describe, expect, it } from "vitest";
import { CSP, gate, newToken } from "./security.js";

const token = "tok_abc-123";
const port = 4321;
const get = (url: string, host = "127.0.0.1:4321") =>
  gate({ method: "GET", url, host, origin: undefined, contentType: undefined }, token, port);
const post = (
  url: string,
  origin: string | undefined,
  contentType: string | undefined = "application/json",
) => gate({ method: "POST", url, host: "127.0.0.1:4321", origin, contentType }, token, port);

describe("gate", () => {
  it("lets a request with the token through and strips the token from the path", () => {
    const r = get(`/${token}/api/hosts?host=macbook`);
    expect(r.ok && r.path).toBe("/api/hosts");
    expect(r.ok && r.query.get("host")).toBe("macbook");
    expect(get(`/${token}/`)).toMatchObject({ ok: true, path: "/" });
    expect(get(`/${token}`)).toMatchObject({ ok: true, path: "/" });
  });

  it("refuses a request without the token, with a wrong one, or with the token elsewhere", () => {
    for (const url of ["/", "/api/hosts", `/${token}x/`, `/x${token}/`, `/?token=${token}`]) {
      expect(get(url)).toEqual({
        ok: false,
        status: 403,
        message:
          "refused: this address lacks the dashboard's token; open the address `setup-mac ui` printed",
      });
    }
  });

  it("refuses another Host name (DNS rebinding), even with the token", () => {
    expect(get(`/${token}/`, "evil.example:4321")).toMatchObject({ ok: false, status: 403 });
    expect(get(`/${token}/`, "127.0.0.1:4322")).toMatchObject({ ok: false, status: 403 });
    expect(get(`/${token}/`, "localhost:4321")).toMatchObject({ ok: true });
  });

  it("accepts a POST only from its own Origin and as JSON", () => {
    expect(post(`/${token}/api/save`, "http://127.0.0.1:4321")).toMatchObject({ ok: true });
    expect(post(`/${token}/api/save`, "http://evil.example")).toEqual({
      ok: false,
      status: 403,
      message:
        "refused: a change must come from the dashboard's own page (Origin http://evil.example)",
    });
    expect(post(`/${token}/api/save`, undefined)).toMatchObject({ ok: false, status: 403 });
    expect(post(`/${token}/api/save`, "null")).toMatchObject({ ok: false, status: 403 });
    expect(
      post(`/${token}/api/save`, "http://127.0.0.1:4321", "application/x-www-form-urlencoded"),
    ).toMatchObject({ ok: false, status: 415 });
    expect(post(`/api/save`, "http://127.0.0.1:4321")).toMatchObject({ ok: false, status: 403 });
  });

  it("refuses other methods", () => {
    expect(
      gate(
        {
          method: "DELETE",
          url: `/${token}/api/save`,
          host: "127.0.0.1:4321",
          origin: "http://127.0.0.1:4321",
          contentType: "application/json",
        },
        token,
        port,
      ),
    ).toMatchObject({ ok: false, status: 405 });
  });
});

describe("newToken and CSP", () => {
  it("makes a different URL-safe token of 256 bits each run", () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(a);
  });

  it("allows no inline script and nothing from elsewhere", () => {
    expect(CSP).toContain("default-src 'none'");
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toMatch(/unsafe|https?:|\*/);
  });
});
