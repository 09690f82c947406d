/**
 * The rendered units checked by systemd itself: `systemd-analyze verify` loads each unit (and
 * its timer) the way the service manager would, so a quoting mistake, an unknown key or an
 * invalid calendar fails here. Executables are small stand-in scripts in a folder whose name has
 * a space and a `%`, since verify refuses an `ExecStart=` whose program does not exist.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureLock } from "../../../test/fixtures/render/lock.js";
import type { ArgLock, ServiceLock } from "../lock-types.js";
import { onCalendar, renderSystemdService } from "./service.js";

const available = spawnSync("systemd-analyze", ["--version"]).status === 0;

let work = "";
let standIns = "";

beforeAll(() => {
  if (!available) return;
  work = mkdtempSync(join(tmpdir(), "verify-"));
  standIns = join(work, "stand in 100%");
  mkdirSync(standIns);
  // A user manager needs a runtime directory even to verify.
  mkdirSync(join(work, "runtime"), { mode: 0o700 });
});
afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

function standIn(arg: ArgLock): string {
  if (typeof arg === "string") return arg;
  const path = join(standIns, arg.bin);
  writeFileSync(path, "#!/bin/sh\nexit 0\n");
  chmodSync(path, 0o755);
  return path;
}

function verify(scope: ServiceLock["scope"], files: Record<string, string>) {
  const dir = mkdtempSync(join(work, `${scope}-`));
  const paths = Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
  return spawnSync(
    "systemd-analyze",
    [...(scope === "user" ? ["--user"] : []), "verify", "--man=no", ...paths],
    { encoding: "utf8", env: { ...process.env, XDG_RUNTIME_DIR: join(work, "runtime") } },
  );
}

const services: ServiceLock[] = Object.values(fixtureLock.hosts)
  .filter((host) => host.platform === "nixos")
  .flatMap((host) => Object.values(host.programs))
  .flatMap((program) => [program.system, program.home])
  .flatMap((level) => Object.values(level?.services ?? {}));

describe.skipIf(!available)(
  `systemd-analyze verify${available ? "" : " (skipped: systemd-analyze is not installed)"}`,
  () => {
    it("has services to verify (an empty fixture would make the next test vacuous)", () => {
      expect(services.length).toBeGreaterThan(0);
    });

    it.each(services.map((svc) => [svc.unit, svc] as const))("accepts %s", (_, svc) => {
      const units = renderSystemdService(svc, { resolveArg: standIn });
      const files: Record<string, string> = { [`${svc.unit}.service`]: units.service };
      if (units.timer !== undefined) files[`${svc.unit}.timer`] = units.timer;
      const result = verify(svc.scope, files);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    });

    it("accepts every restart policy, scope and calendar shape", () => {
      const base = services[0];
      if (base === undefined) throw new Error("fixture has no NixOS services");
      for (const scope of ["user", "system"] as const) {
        for (const restart of ["on-failure", "always", "never"] as const) {
          const svc: ServiceLock = {
            ...base,
            scope,
            restart,
            after: ["network", "network-online", "local-fs", "time-sync", "graphical"],
          };
          const result = verify(scope, {
            [`${svc.unit}.service`]: renderSystemdService(svc, { resolveArg: standIn }).service,
          });
          expect(result.stderr, `${scope} ${restart}`).toBe("");
        }
        for (const calendar of [
          {},
          { minute: 0 },
          { weekday: 7, day: 31, month: 12, hour: 23, minute: 59 },
        ]) {
          const svc: ServiceLock = {
            ...base,
            scope,
            restart: "on-failure",
            schedule: { calendar },
          };
          const units = renderSystemdService(svc, { resolveArg: standIn });
          const result = verify(scope, {
            [`${svc.unit}.service`]: units.service,
            [`${svc.unit}.timer`]: units.timer ?? "",
          });
          expect(result.stderr, JSON.stringify(calendar)).toBe("");
        }
      }
    });

    it("finds an executable whose path needs quoting and %-doubling", () => {
      const svc: ServiceLock = {
        ...services[0]!,
        command: [{ bin: "my server", pkg: "x" }, "a b"],
      };
      const unit = renderSystemdService(svc, { resolveArg: standIn }).service;
      expect(unit).toContain(`ExecStart="${standIns.replaceAll("%", "%%")}/my server" "a b"`);
      expect(verify("system", { [`${svc.unit}.service`]: unit }).stderr).toBe("");
    });

    it("is not vacuous: a missing executable fails in either scope", () => {
      for (const scope of ["user", "system"] as const) {
        const svc: ServiceLock = { ...services[0]!, scope, command: ["/nonexistent/program"] };
        const result = verify(scope, {
          [`${svc.unit}.service`]: renderSystemdService(svc, { resolveArg: standIn }).service,
        });
        expect(result.status, scope).not.toBe(0);
        expect(result.stderr, scope).toContain("/nonexistent/program is not executable");
      }
    });

    it("writes calendars in systemd's normalized form", () => {
      for (const calendar of [
        {},
        { minute: 5 },
        { weekday: 0, hour: 3, minute: 0 },
        { month: 2, day: 29, hour: 12 },
      ]) {
        const expr = onCalendar(calendar);
        const result = spawnSync("systemd-analyze", ["calendar", expr], { encoding: "utf8" });
        expect(result.stdout).toContain(`Normalized form: ${expr}\n`);
      }
    });
  },
);
