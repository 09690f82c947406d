/**
 * Pack archives that cannot be unpacked, made here byte by byte: each is refused with its reason,
 * the check writes nothing, and a good archive gives only its `programs/` module files.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as tar from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { gunzipSync, gzipSync } from "node:zlib";
import { ARCHIVE_LIMITS, ArchiveError, checkPackArchive, unpackPack } from "./pack-archive.js";

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "sm-archive-"));
  temp.push(d);
  return d;
};

/** A real npm-shaped tarball (everything under package/), written by node-tar. */
async function tarball(files: Record<string, string>): Promise<Buffer> {
  const dir = tempDir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, "package", path)), { recursive: true });
    writeFileSync(join(dir, "package", path), text);
  }
  const out = join(dir, "pack.tgz");
  await tar.c({ gzip: true, cwd: dir, file: out, portable: true }, ["package"]);
  return readFileSync(out);
}

/** One 512-byte tar header. */
function header(path: string, size: number, type: "File" | "Directory" = "File"): Buffer {
  const h = new tar.Header({ path, size, type, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 });
  h.encode();
  return h.block!;
}

/** `n` bytes of zeros as a gzip stream, made cheaply from repeated gzip members. */
function gzippedZeros(n: number): Buffer {
  const mib = gzipSync(Buffer.alloc(1024 * 1024));
  return Buffer.concat(Array.from({ length: Math.ceil(n / (1024 * 1024)) }, () => mib));
}

async function reason(bytes: Buffer): Promise<string> {
  try {
    await checkPackArchive(bytes);
  } catch (error) {
    if (error instanceof ArchiveError) return error.reason;
    throw error;
  }
  throw new Error("the archive was accepted");
}

const module = 'export default { name: "hello" };\n';

describe("checkPackArchive and unpackPack", () => {
  it("take only regular module files under programs/, and unpack exactly those", async () => {
    const bytes = await tarball({
      "package.json": "{}",
      "programs/cli/hello.ts": module,
      "programs/_lib/words.ts": "export const w = 1;\n",
      "programs/cli/notes.md": "# notes\n",
      "programs/cli/run.sh": "echo hi\n",
      "dist/index.js": "",
    });
    const files = ["programs/_lib/words.ts", "programs/cli/hello.ts", "programs/cli/notes.md"];
    expect(await checkPackArchive(bytes)).toEqual(files);
    const dir = join(tempDir(), "out");
    expect(await unpackPack(bytes, dir)).toEqual(files);
    expect(readFileSync(join(dir, "programs/cli/hello.ts"), "utf8")).toBe(module);
    expect(readdirSync(join(dir, "programs/cli")).sort()).toEqual(["hello.ts", "notes.md"]);
  });

  it("refuse a corrupt gzip stream, a file that is not gzip and a truncated one", async () => {
    const good = await tarball({ "programs/cli/hello.ts": module });
    const corrupt = Buffer.from(good);
    for (let i = 12; i < 40; i++) corrupt[i] = 0xff;
    expect(await reason(corrupt)).toMatch(/^it is not a valid gzip file \(.+\)$/);
    expect(await reason(Buffer.from("<html>Not Found</html>"))).toBe(
      "it is not a valid gzip file (incorrect header check)",
    );
    expect(await reason(good.subarray(0, good.length - 12))).toBe(
      "the gzip stream ends early: the tarball is truncated",
    );
    expect(await reason(Buffer.alloc(0))).toBe(
      "the gzip stream ends early: the tarball is truncated",
    );
  });

  it("refuse a tar stream cut short, inside a file or before the end-of-archive marker", async () => {
    const raw = gunzipSync(await tarball({ "programs/cli/hello.ts": module.repeat(40) }));
    const marker =
      "the tar archive stops before its end-of-archive marker: the tarball is truncated";
    // The module's header, then half of its contents.
    const headerAt = raw.indexOf("package/programs/cli/hello.ts");
    expect(await reason(gzipSync(raw.subarray(0, headerAt + 512 + 700)))).toMatch(
      /^the tar archive (inside is damaged \(Truncated input.*\)|stops before its end-of-archive marker: the tarball is truncated)$/,
    );
    expect(await reason(gzipSync(raw.subarray(0, raw.length - 1024)))).toBe(marker);
    expect(await reason(gzipSync(raw.subarray(0, 512 * 3)))).toBe(marker);
  });

  it("refuse a damaged tar header", async () => {
    const raw = gunzipSync(await tarball({ "programs/cli/hello.ts": module }));
    raw[100] = raw[100]! ^ 0x55; // inside the first header's mode field: the checksum fails
    expect(await reason(gzipSync(raw))).toBe(
      "the tar archive inside is damaged (checksum failure)",
    );
  });

  it("refuse a decompression bomb, whether it declares its size or hides it after the end", async () => {
    const mib = (ARCHIVE_LIMITS.maxBytes / 1024 / 1024).toString();
    const bomb = `it unpacks to more than ${mib} MiB (a decompression bomb?); a pack of program modules is far smaller`;
    // A module that says it is 1 GiB: refused at its header, before the zeros are inflated.
    const declared = Buffer.concat([
      gzipSync(header("package/programs/cli/big.ts", 2 ** 30)),
      gzippedZeros(2 ** 30),
    ]);
    expect(declared.length).toBeLessThan(2 * 1024 * 1024);
    let started = performance.now();
    expect(await reason(declared)).toBe(bomb);
    expect(performance.now() - started).toBeLessThan(2000);
    // A small, valid archive followed by 300 MiB of zeros, which a tar reader would skip.
    const good = await tarball({ "programs/cli/hello.ts": module });
    const hidden = Buffer.concat([good, gzippedZeros(300 * 1024 * 1024)]);
    started = performance.now();
    expect(await reason(hidden)).toBe(bomb);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("refuse more entries than the limit, counting folders and skipped files too", async () => {
    const n = ARCHIVE_LIMITS.maxEntries + 1;
    const blocks = [header("package/", 0, "Directory")];
    for (let i = 1; i < n; i++) blocks.push(header(`package/docs/${i}.txt`, 0));
    blocks.push(Buffer.alloc(1024));
    expect(await reason(gzipSync(Buffer.concat(blocks)))).toBe(
      "it holds more than 20,000 entries; a pack of program modules has far fewer",
    );
    blocks.splice(1, 1); // exactly at the limit is fine
    expect(await checkPackArchive(gzipSync(Buffer.concat(blocks)))).toEqual([]);
  });

  it("unpacking a bad archive stops with the same reason as the check", async () => {
    const dir = join(tempDir(), "out");
    const good = await tarball({ "programs/cli/hello.ts": module });
    await expect(checkPackArchive(good.subarray(0, 30))).rejects.toBeInstanceOf(ArchiveError);
    await expect(unpackPack(good.subarray(0, good.length - 12), dir)).rejects.toThrow(
      "the gzip stream ends early: the tarball is truncated",
    );
  });
});

describe("packs add with a tarball that cannot be unpacked", () => {
  it("is error[pack-archive] with the reason, exit status 4, and the workspace is byte-identical", async () => {
    const { addPack } = await import("../api/packs.js");
    const { exitStatus } = await import("../errors/exit.js");
    const { createHash } = await import("node:crypto");
    const ws = tempDir();
    const config = '{\n  // mine\n  "hosts": {}\n}\n';
    writeFileSync(join(ws, "setup-mac.jsonc"), config);
    const good = await tarball({ "programs/cli/hello.ts": module });
    const bad = good.subarray(0, good.length - 12);
    const integrity = `sha512-${createHash("sha512").update(bad).digest("base64")}`;
    const fetch = (async (url: string) =>
      url.endsWith(".tgz")
        ? new Response(new Uint8Array(bad))
        : Response.json({
            "dist-tags": { latest: "1.0.0" },
            versions: {
              "1.0.0": { dist: { tarball: "http://registry.test/p/-/p-1.0.0.tgz", integrity } },
            },
          })) as typeof globalThis.fetch;
    let thrown: unknown;
    try {
      await addPack("p", { workspace: ws, registry: "http://registry.test/", fetch });
    } catch (error) {
      thrown = error;
    }
    const diagnostics = (thrown as { diagnostics: { code: string; message: string }[] })
      .diagnostics;
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "pack-archive",
        "p@1.0.0: the tarball cannot be unpacked: the gzip stream ends early: the tarball is truncated",
      ],
    ]);
    expect(exitStatus(diagnostics)).toBe(4);
    expect(readdirSync(ws)).toEqual(["setup-mac.jsonc"]);
    expect(readFileSync(join(ws, "setup-mac.jsonc"), "utf8")).toBe(config);
  });
});
