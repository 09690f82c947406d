import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandNotFoundError, CommandStartError } from "../ports/index.js";
import { NodeProcessRunner } from "./node-runner.js";

let dir: string;
let echoArgs: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "runner-test-"));
  echoArgs = join(dir, "echo-args");
  // NUL-terminated, so arguments that contain newlines can be told apart.
  writeFileSync(echoArgs, "#!/bin/sh\nprintf '%s\\0' \"$@\"\n");
  chmodSync(echoArgs, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runner = new NodeProcessRunner({ killGraceMs: 300 });

/** Whether a process with this pid still runs (a zombie waiting for its reaper does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    // No /proc (macOS): fall back to asking the kernel whether the pid exists.
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("NodeProcessRunner", () => {
  it("collects stdout, stderr and the exit code", async () => {
    const result = await runner.run(["sh", "-c", "printf out; printf err >&2; exit 0"]);
    expect(result).toMatchObject({
      exitCode: 0,
      signal: null,
      stdout: "out",
      stderr: "err",
      timedOut: false,
      cancelled: false,
      truncated: { stdout: false, stderr: false },
    });
    expect(typeof result.durationMs).toBe("number");
  });

  it("resolves with a non-zero exit code instead of rejecting", async () => {
    const result = await runner.run(["sh", "-c", "echo failing >&2; exit 3"]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe("failing\n");
  });

  it("passes hostile arguments through literally, with no shell in between", async () => {
    const hostile = [
      "; rm -rf ~",
      "$(id)",
      "`id`",
      'it\'s "quoted"',
      "line one\nline two",
      "*",
      "$HOME",
      "",
      "  spaced  ",
      "ünïcødé ✓",
    ];
    const result = await runner.run([echoArgs, ...hostile]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split("\0").slice(0, -1)).toEqual(hostile);
  });

  it("rejects with CommandNotFoundError naming a missing executable", async () => {
    const failure = runner.run(["setup-mac-no-such-command-xyz", "--version"]);
    await expect(failure).rejects.toBeInstanceOf(CommandNotFoundError);
    await expect(failure).rejects.toMatchObject({
      command: "setup-mac-no-such-command-xyz",
      message: expect.stringContaining("Command not found: `setup-mac-no-such-command-xyz`"),
    });
  });

  it("does not blame the command when the working directory is missing", async () => {
    const failure = runner.run(["sh", "-c", "true"], { cwd: join(dir, "missing") });
    await expect(failure).rejects.toBeInstanceOf(CommandStartError);
    await expect(failure).rejects.not.toBeInstanceOf(CommandNotFoundError);
    await expect(failure).rejects.toThrow(/working directory .*missing does not exist/);
  });

  it("rejects a file that is not executable with CommandStartError", async () => {
    const plain = join(dir, "not-executable");
    writeFileSync(plain, "#!/bin/sh\n");
    chmodSync(plain, 0o644);
    await expect(runner.run([plain])).rejects.toMatchObject({
      name: "CommandStartError",
      code: "EACCES",
    });
  });

  it("rejects an empty argv", async () => {
    await expect(runner.run([])).rejects.toThrow(TypeError);
  });

  it("kills a hanging command and everything it started when the timeout passes", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const result = await runner.run(["sh", "-c", `sleep 60 & echo $! > '${pidFile}'; wait`], {
      timeoutMs: 200,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe("SIGTERM");
    const grandchild = Number((await import("node:fs")).readFileSync(pidFile, "utf8").trim());
    // The group was killed (SIGTERM, then SIGKILL once the pipes closed): sleep is gone too.
    await expect.poll(() => alive(grandchild), { timeout: 5000 }).toBe(false);
  });

  it("escalates to SIGKILL for a command that ignores SIGTERM", async () => {
    const result = await runner.run(["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"], {
      timeoutMs: 100,
    });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
  });

  it("cancels through an AbortSignal", async () => {
    const controller = new AbortController();
    const running = runner.run(["sleep", "60"], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const result = await running;
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBeNull();
  });

  it("does not wait for a background process that keeps the output pipe open", async () => {
    const result = await runner.run(["sh", "-c", "sleep 30 & echo $!"]);
    expect(result.exitCode).toBe(0);
    const background = Number(result.stdout.trim());
    expect(alive(background)).toBe(true);
    process.kill(background, "SIGKILL");
  });

  it("streams output through onOutput as it arrives", async () => {
    const seen: [string, string][] = [];
    const result = await runner.run(["sh", "-c", "echo one; echo two >&2; echo three"], {
      onOutput: (chunk, stream) => seen.push([stream, chunk]),
    });
    expect(
      seen
        .filter(([s]) => s === "stdout")
        .map(([, c]) => c)
        .join(""),
    ).toBe(result.stdout);
    expect(
      seen
        .filter(([s]) => s === "stderr")
        .map(([, c]) => c)
        .join(""),
    ).toBe("two\n");
  });

  it("rejects with the error an onOutput callback threw, after the command ended", async () => {
    const boom = new Error("renderer broke");
    await expect(
      runner.run(["sh", "-c", "echo hi"], {
        onOutput: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
  });

  it("keeps only the tail of very large output", async () => {
    const small = new NodeProcessRunner({ maxOutputChars: 1000 });
    // About 2 MB through the pipe: more than one pipe buffer, so the reader must keep up.
    const result = await small.run([
      "sh",
      "-c",
      "i=0; while [ $i -lt 20000 ]; do printf '%099d\\n' $i; i=$((i+1)); done; printf END",
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(1000);
    expect(result.stdout.endsWith("00019999\nEND")).toBe(true);
    expect(result.truncated).toEqual({ stdout: true, stderr: false });
  });

  it("writes input to stdin", async () => {
    const result = await runner.run(["sh", "-c", "tr a-z A-Z"], { input: "hello\n" });
    expect(result.stdout).toBe("HELLO\n");
  });

  it("does not fail when the command ignores its input", async () => {
    const result = await runner.run(["true"], { input: "x".repeat(1_000_000) });
    expect(result.exitCode).toBe(0);
  });

  it("adds env over the base environment and removes undefined entries", async () => {
    const envRunner = new NodeProcessRunner({
      baseEnv: { PATH: process.env.PATH, KEEP: "kept", DROP: "dropped" },
    });
    const result = await envRunner.run(
      ["sh", "-c", 'printf "%s|%s|%s" "$KEEP" "${DROP-unset}" "$ADDED"'],
      { env: { DROP: undefined, ADDED: "a b;c" } },
    );
    expect(result.stdout).toBe("kept|unset|a b;c");
  });

  it("runs in the given working directory", async () => {
    const result = await runner.run(["pwd"], { cwd: dir });
    expect(result.stdout.trim()).toMatch(/runner-test-/);
  });
});
