/**
 * `setup-mac ui`: the dashboard's HTTP server on 127.0.0.1. It serves the page (bundled at build
 * time), answers the pages' reads from the workspace through the library API, and makes changes
 * through the same library calls as the CLI: option edits through the config editor (under the
 * workspace lock), apply and rollback through `apply`, their steps and output streamed back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { apply, type ApplyResult } from "../api/apply.js";
import { editProgramOptions, type EditResult } from "../api/config.js";
import { rollback, rollbackProgram } from "../api/history.js";
import type { Diagnostic } from "../errors/index.js";
import type { ProcessRunner } from "../ports/index.js";
import {
  generationsView,
  hostsView,
  planView,
  problemsOf,
  programView,
  type UiOptions,
} from "./data.js";
import { gate, newToken, SECURITY_HEADERS } from "./security.js";

export interface UiServerOptions extends UiOptions {
  /** 0 picks a free port. */
  port?: number;
  /** The folder with the built `app.js` and `app.css`. */
  assets: string;
  /** Fixed token (tests); default: a fresh random one. */
  token?: string;
  /** The home folder apply checks for files in the way (`SETUP_MAC_HOME`). */
  home?: string;
  runner?: ProcessRunner;
}

export interface UiServer {
  server: Server;
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>setup-mac</title>
<link rel="icon" href="favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="app.css">
<script type="module" src="app.js"></script>
</head>
<body><div id="app"><p class="loading">Loading…</p></div></body>
</html>
`;

// Served under the token, so the browser does not ask for /favicon.ico (which is refused).
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2f5fd0"/><path d="M4 5h8M4 8h8M4 11h5" stroke="#fff" stroke-width="1.6"/></svg>`;

class BadRequest extends Error {}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest("the request body is larger than 1 MiB");
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error();
    return value as Record<string, unknown>;
  } catch {
    throw new BadRequest("the request body is not a JSON object");
  }
}

function str(body: Record<string, unknown>, key: string, required = true): string | undefined {
  const value = body[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || !value)
    throw new BadRequest(`\`${key}\` must be a non-empty string`);
  return value;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value));
}

/** The edit's answer: what changed, or every problem the edit would cause (nothing written). */
async function editAnswer(run: () => Promise<EditResult>): Promise<[number, unknown]> {
  try {
    return [200, { ok: true, result: await run() }];
  } catch (error) {
    const problems = problemsOf(error);
    if (!problems) throw error;
    return [422, { ok: false, problems }];
  }
}

function applySummary(result: ApplyResult) {
  return {
    host: result.host,
    status: result.status,
    generation: result.generation?.number,
    health: result.health.map((h) => ({ name: h.name, ok: h.ok, detail: h.detail })),
    hooks: result.hooks.map((h) => ({ program: h.program, command: h.command, ok: h.ok })),
    removed: result.removed,
    notes: result.notes,
    log: result.log,
  };
}

/** Streams an apply or rollback as NDJSON events: step, output, then done or failed. */
async function stream(res: ServerResponse, run: (emit: (e: unknown) => void) => Promise<unknown>) {
  res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "application/x-ndjson" });
  const emit = (event: unknown) => res.write(JSON.stringify(event) + "\n");
  try {
    emit({ type: "done", result: await run(emit) });
  } catch (error) {
    const problems: Diagnostic[] | undefined = problemsOf(error);
    if (!problems)
      emit({ type: "failed", problems: [{ code: "internal", message: String(error) }] });
    else emit({ type: "failed", problems });
  }
  res.end();
}

/** Starts the dashboard; resolves once it listens on 127.0.0.1. */
export async function startUi(options: UiServerOptions): Promise<UiServer> {
  const token = options.token ?? newToken();
  const ws: UiOptions = { workspace: options.workspace, cacheDir: options.cacheDir };
  const assets = {
    js: readFileSync(join(options.assets, "app.js")),
    css: readFileSync(join(options.assets, "app.css")),
  };
  let port = options.port ?? 0;

  const applyOptions = (emit: (e: unknown) => void) => ({
    ...ws,
    yes: true,
    ...(options.home ? { home: options.home } : {}),
    ...(options.runner ? { runner: options.runner } : {}),
    onStep: (step: string, detail?: string) => emit({ type: "step", step, detail }),
    onOutput: (text: string) => emit({ type: "output", text }),
  });

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    q: URLSearchParams,
  ) {
    const host = q.get("host") ?? undefined;
    if (req.method === "GET" || req.method === "HEAD") {
      if (path === "/") return send(res, 200, "text/html; charset=utf-8", PAGE);
      if (path === "/app.js") return send(res, 200, "text/javascript; charset=utf-8", assets.js);
      if (path === "/favicon.svg") return send(res, 200, "image/svg+xml", ICON);
      if (path === "/app.css") return send(res, 200, "text/css; charset=utf-8", assets.css);
      if (path === "/api/hosts") return json(res, 200, await hostsView(ws));
      const program = /^\/api\/programs\/([^/]+)$/.exec(path);
      if (program) return json(res, 200, await programView(decodeURIComponent(program[1]!), ws));
      if (path === "/api/plan" && host) return json(res, 200, await planView(host, ws));
      if (path === "/api/generations") return json(res, 200, generationsView(host, ws));
      return send(res, 404, "text/plain; charset=utf-8", "not found\n");
    }
    const body = await readJson(req);
    if (path === "/api/validate" || path === "/api/save") {
      const program = str(body, "program")!;
      const target = str(body, "host")!;
      const set = body.set ?? {};
      const unset = body.unset ?? [];
      if (typeof set !== "object" || set === null || Array.isArray(set))
        throw new BadRequest("`set` must be an object of option values");
      if (!Array.isArray(unset) || unset.some((k) => typeof k !== "string"))
        throw new BadRequest("`unset` must be a list of option names");
      const [status, answer] = await editAnswer(() =>
        editProgramOptions(
          program,
          { set: set as Record<string, unknown>, unset: unset as string[] },
          { ...ws, hosts: [target], dryRun: path === "/api/validate" },
        ),
      );
      // A refused dry run is an answer, not a failure: the page shows its problems.
      return json(res, path === "/api/validate" ? 200 : status, answer);
    }
    if (path === "/api/apply") {
      const target = str(body, "host")!;
      return stream(res, async (emit) =>
        applySummary(await apply({ ...applyOptions(emit), host: target })),
      );
    }
    if (path === "/api/rollback") {
      const target = str(body, "host")!;
      const to = body.to;
      if (typeof to !== "number" || !Number.isInteger(to) || to < 1)
        throw new BadRequest("`to` must be a generation number");
      const program = str(body, "program", false);
      return stream(res, async (emit) =>
        applySummary(
          program
            ? await rollbackProgram(program, { ...applyOptions(emit), host: target, to })
            : await rollback({ ...applyOptions(emit), host: target, to }),
        ),
      );
    }
    return send(res, 404, "text/plain; charset=utf-8", "not found\n");
  }

  const server = createServer((req, res) => {
    const checked = gate(
      {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        host: req.headers.host,
        origin: req.headers.origin,
        contentType: req.headers["content-type"],
      },
      token,
      port,
    );
    if (!checked.ok)
      return send(res, checked.status, "text/plain; charset=utf-8", checked.message + "\n");
    // `/<token>` without the slash: relative asset URLs need it.
    if (req.url === `/${token}`) {
      res.writeHead(308, { ...SECURITY_HEADERS, location: `/${token}/` });
      return res.end();
    }
    route(req, res, checked.path, checked.query).catch((error: unknown) => {
      if (res.headersSent) return res.end();
      if (error instanceof BadRequest)
        return json(res, 400, {
          ok: false,
          problems: [{ code: "bad-request", message: error.message }],
        });
      const problems = problemsOf(error);
      if (problems) return json(res, 422, { ok: false, problems });
      json(res, 500, {
        ok: false,
        problems: [{ code: "internal", message: `internal error: ${String(error)}` }],
      });
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolvePromise());
  });
  port = (server.address() as { port: number }).port;
  return {
    server,
    token,
    port,
    url: `http://127.0.0.1:${port}/${token}/`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
