/**
 * Where the time goes: stage spans (collected only for `--timings`) and per-module costs (always:
 * the isolate measures them anyway, and `setup-mac stats` and `check` read them from the timing
 * history). Printed by the CLI at the end with `--timings`. Kept out of the pure stages: they are
 * measured from outside (spans around calls, timed wrappers around a module's functions).
 */
import { performance } from "node:perf_hooks";

export interface Span {
  name: string;
  ms: number;
}

/** Which part of a module's time: loading it (its top level) or evaluating it (its functions). */
export type ModulePhase = "load" | "evaluate";

class Timings {
  /** `--timings`: collect the stage spans and print the report. */
  enabled = false;
  /** The verb being run (`check`, `programs list`), for the timing history; set by the CLI. */
  command: string | undefined;
  readonly spans: Span[] = [];
  /** Per module: total ms spent in its code (loading, `config`, `contributes`, `overrides`). */
  readonly modules = new Map<string, number>();
  /** The same time per module, split into loading and evaluating. */
  readonly phases = new Map<string, Record<ModulePhase, number>>();
  /**
   * Per module: whether its evaluated output came from the evaluation cache ("hit") or its code
   * ran for it ("miss"); absent for a module that was not evaluated on any host.
   */
  readonly cache = new Map<string, "hit" | "miss">();
  /**
   * How big the workspace of this run was, for local telemetry: the hosts in its config and the
   * modules found. Recorded whether or not timings are enabled (two assignments cost nothing).
   */
  readonly counts: { hosts?: number; modules?: number } = {};

  /** Times `fn` as one stage when enabled. */
  async span<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    if (!this.enabled) return fn();
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.spans.push({ name, ms: performance.now() - start });
    }
  }

  /** Adds `ms` to a module's total and to the phase it was spent in. */
  addModule(file: string, ms: number, phase: ModulePhase = "evaluate"): void {
    this.modules.set(file, (this.modules.get(file) ?? 0) + ms);
    const split = this.phases.get(file) ?? { load: 0, evaluate: 0 };
    split[phase] += ms;
    this.phases.set(file, split);
  }

  /** Wraps a function of a module so its time is counted (a no-op when disabled). */
  wrap<F extends (...args: never[]) => unknown>(file: string, fn: F): F {
    if (!this.enabled) return fn;
    return ((...args: Parameters<F>) => {
      const start = performance.now();
      try {
        return fn(...args);
      } finally {
        this.addModule(file, performance.now() - start);
      }
    }) as F;
  }

  now(): number {
    return performance.now();
  }
}

/** The process-wide collector; the CLI enables it with `--timings`. */
export const timings = new Timings();
