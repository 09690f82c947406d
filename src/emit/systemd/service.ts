/**
 * A service from the lock as systemd units: the `.service` and, for scheduled services, the
 * `.timer` that starts it. The Nix adapter sets the same settings through `systemd.services`;
 * these files are what a reviewer reads in `build --out` and what `systemd-analyze verify` checks.
 */
import { maskedStorePath, nixAttrOrder } from "../nix-text.js";
import type { ArgLock, ServiceLock } from "../lock-types.js";
import {
  command,
  environment,
  renderNixosUnitFile,
  renderUnitFile,
  SystemdRenderError,
  text,
  unitNames,
  type UnitEntry,
  type UnitFile,
} from "./unit.js";

/** How command elements become words: `{ bin, pkg }` to a path, strings unchanged. */
export interface ArgContext {
  resolveArg(arg: ArgLock): string;
}

export interface SystemdUnits {
  service: string;
  timer?: string;
}

type AfterTarget = NonNullable<ServiceLock["after"]>[number];
type Calendar = Extract<NonNullable<ServiceLock["schedule"]>, { calendar: unknown }>["calendar"];

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/** The systemd target an abstract ordering target stands for, per scope. */
export function systemdTarget(target: AfterTarget, scope: ServiceLock["scope"]): string {
  switch (target) {
    case "network":
      return "network.target";
    case "network-online":
      return "network-online.target";
    case "local-fs":
      return "local-fs.target";
    case "time-sync":
      return "time-sync.target";
    case "graphical":
      // A user manager has no graphical.target; graphical-session.target is its counterpart.
      return scope === "user" ? "graphical-session.target" : "graphical.target";
    default: {
      const never: never = target;
      throw new Error(`unknown target ${String(never)}`);
    }
  }
}

/** `Mon *-*-01 03:00:00`: unset fields match every value; weekday 0 and 7 are both Sunday. */
export function onCalendar(calendar: Calendar, where = "OnCalendar"): string {
  const field = (value: number | undefined, min: number, max: number, name: string): string => {
    if (value === undefined) return "*";
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new SystemdRenderError(where, `calendar ${name} ${value} is not in ${min}..${max}`);
    }
    return String(value).padStart(2, "0");
  };
  const weekday =
    calendar.weekday === undefined
      ? ""
      : `${WEEKDAYS[Number(field(calendar.weekday, 0, 7, "weekday"))]} `;
  const month = field(calendar.month, 1, 12, "month");
  const day = field(calendar.day, 1, 31, "day");
  const hour = field(calendar.hour, 0, 23, "hour");
  const minute = field(calendar.minute, 0, 59, "minute");
  return `${weekday}*-${month}-${day} ${hour}:${minute}:00`;
}

const UNIT_STEM = /^[A-Za-z0-9:_.\\-]+$/;

/** Render a lock service to its `.service` unit and, when scheduled, its `.timer`. */
export function renderSystemdService(svc: ServiceLock, ctx: ArgContext): SystemdUnits {
  const serviceName = `${svc.unit}.service`;
  if (!UNIT_STEM.test(svc.unit) || serviceName.length > 255) {
    throw new SystemdRenderError(
      serviceName,
      `${JSON.stringify(svc.unit)} is not a valid unit name`,
    );
  }
  const scheduled = svc.schedule !== undefined;
  if (scheduled && svc.restart === "always") {
    throw new SystemdRenderError(
      serviceName,
      'a scheduled service cannot restart "always" (it would never finish); use "on-failure" or "never"',
    );
  }

  const targets = (svc.after ?? []).map((target) => systemdTarget(target, svc.scope));
  const unit: UnitEntry[] = [];
  if (svc.description !== "") unit.push({ key: "Description", value: text(svc.description) });
  if (targets.length > 0) unit.push({ key: "After", value: unitNames(targets) });
  // After= only orders; network-online.target is reached only when something pulls it in.
  if (svc.after?.includes("network-online")) {
    unit.push({ key: "Wants", value: unitNames(["network-online.target"]) });
  }

  const service: UnitEntry[] = [];
  if (scheduled) service.push({ key: "Type", value: text("oneshot") });
  service.push({ key: "ExecStart", value: command(svc.command.map((arg) => ctx.resolveArg(arg))) });
  const restart = { "on-failure": "on-failure", always: "always", never: "no" }[svc.restart];
  service.push({ key: "Restart", value: text(restart) });
  if (svc.user !== undefined) service.push({ key: "User", value: text(svc.user) });
  if (svc.group !== undefined) service.push({ key: "Group", value: text(svc.group) });
  const env = svc.scope === "system" ? nixosEnvironment(svc.environment ?? {}) : svc.environment;
  for (const [name, value] of Object.entries(env ?? {}).sort(([a], [b]) => nixAttrOrder(a, b))) {
    service.push({ key: "Environment", value: environment(name, value) });
  }
  if (svc.workingDirectory !== undefined) {
    const where = `${serviceName} [Service] WorkingDirectory`;
    service.push({ key: "WorkingDirectory", value: text(absolute(svc.workingDirectory, where)) });
  }
  if (svc.logs !== undefined) {
    const logs = absolute(svc.logs, `${serviceName} [Service] StandardOutput`);
    service.push({ key: "StandardOutput", value: text(`append:${logs}`) });
    service.push({ key: "StandardError", value: text(`append:${logs}`) });
  }

  const install: UnitEntry[] = scheduled
    ? []
    : [
        {
          key: "WantedBy",
          value: unitNames([svc.scope === "user" ? "default.target" : "multi-user.target"]),
        },
      ];

  // home-manager renders user units sorted (toSystemdIni); NixOS renders system units with
  // its own layout (decision 0025).
  const render =
    svc.scope === "user"
      ? (u: UnitFile) => renderUnitFile(upstreamOrder(u))
      : (u: UnitFile) => renderNixosUnitFile(u);
  const units: SystemdUnits = {
    service: render({
      name: serviceName,
      sections: [
        { name: "Unit", entries: unit },
        { name: "Service", entries: service },
        { name: "Install", entries: install },
      ],
    }),
  };
  if (svc.schedule !== undefined) {
    units.timer = render(timerUnit(svc, svc.schedule));
  }
  return units;
}

function timerUnit(svc: ServiceLock, schedule: NonNullable<ServiceLock["schedule"]>): UnitFile {
  const name = `${svc.unit}.timer`;
  const timer: UnitEntry[] = [];
  if ("every" in schedule) {
    if (!Number.isInteger(schedule.every) || schedule.every <= 0) {
      throw new SystemdRenderError(
        name,
        `every ${schedule.every} is not a positive whole number of seconds`,
      );
    }
    timer.push({ key: "OnBootSec", value: text(`${schedule.every}s`) });
    timer.push({ key: "OnUnitActiveSec", value: text(`${schedule.every}s`) });
  } else {
    timer.push({
      key: "OnCalendar",
      value: text(onCalendar(schedule.calendar, `${name} [Timer] OnCalendar`)),
    });
    // Catch up on a run missed while the machine was off; only calendar timers can.
    timer.push({ key: "Persistent", value: text("true") });
  }
  const unit: UnitEntry[] =
    svc.description === "" ? [] : [{ key: "Description", value: text(svc.description) }];
  return {
    name,
    sections: [
      { name: "Unit", entries: unit },
      { name: "Timer", entries: timer },
      { name: "Install", entries: [{ key: "WantedBy", value: unitNames(["timers.target"]) }] },
    ],
  };
}

/**
 * Sections and keys in the order the deployed file has them: the adapters pass units to
 * home-manager as attribute sets, which its toSystemdIni renders sorted by name; a key given a
 * list (`Environment=`) is repeated in the list's order (decision 0025).
 */
export function upstreamOrder(unit: UnitFile): UnitFile {
  return {
    name: unit.name,
    sections: [...unit.sections]
      .sort((a, b) => nixAttrOrder(a.name, b.name))
      .map((section) => ({
        name: section.name,
        entries: [...section.entries].sort((a, b) => nixAttrOrder(a.key, b.key)),
      })),
  };
}

/**
 * The environment a NixOS system service gets: NixOS' `systemd.globalEnvironment` (TZDIR from
 * nixos/modules/config/locale.nix, LOCALE_ARCHIVE from nixos/modules/config/i18n.nix), which the
 * service's own variables override, and the PATH of the service's default `path` (coreutils,
 * findutils, gnugrep, gnused, systemd: each package's bin, then each package's sbin), which
 * overrides a PATH of the service's own (the adapter sets it at mkDefault). Store paths are
 * masked and named by attribute, as every preview's are (decision 0025).
 */
export function nixosEnvironment(own: Readonly<Record<string, string>>): Record<string, string> {
  const path = ["coreutils", "findutils", "gnugrep", "gnused", "systemd"];
  return {
    LOCALE_ARCHIVE: `${maskedStorePath("glibcLocales")}/lib/locale/locale-archive`,
    TZDIR: `${maskedStorePath("tzdata")}/share/zoneinfo`,
    ...own,
    PATH: [
      ...path.map((p) => `${maskedStorePath(p)}/bin`),
      ...path.map((p) => `${maskedStorePath(p)}/sbin`),
    ].join(":"),
  };
}

function absolute(path: string, where: string): string {
  if (!path.startsWith("/")) {
    throw new SystemdRenderError(where, `${JSON.stringify(path)} is not an absolute path`);
  }
  return path;
}
