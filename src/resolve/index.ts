/**
 * Resolution for one host (pure): which programs are on and why, what is wrong with that set,
 * and the order hooks and services follow.
 *
 * Enablement comes from the host's config and `requires` alone — a module's `config` never
 * switches programs on — so evaluation never depends on its own result.
 */
import type { Platform } from "../define/types.js";
import type { Diagnostic } from "../errors/index.js";
import { diagnostic, didYouMean } from "../errors/index.js";
import type { ConfigDocument } from "../load/config.js";
import { locate } from "../load/config.js";
import type { EnabledBy } from "../emit/lock-types.js";

/** What resolution needs to know about a program. */
export interface ProgramInfo {
  name: string;
  file: string;
  platforms?: readonly Platform[];
  requires?: readonly string[];
  conflicts?: readonly string[];
}

export interface Resolution {
  host: string;
  /** Enabled programs and why, in the stable topological order. */
  enabled: Map<string, EnabledBy>;
  order: string[];
  diagnostics: Diagnostic[];
}

/** Resolves the enabled set of one host. */
export function resolveHost(
  doc: Pick<ConfigDocument, "file" | "text" | "tree" | "config">,
  host: string,
  programs: ReadonlyMap<string, ProgramInfo>,
): Resolution {
  const hostConfig = doc.config.hosts[host];
  const diagnostics: Diagnostic[] = [];
  if (!hostConfig) {
    const suggestion = didYouMean(host, Object.keys(doc.config.hosts));
    diagnostics.push(
      diagnostic("unknown-host", `there is no host \`${host}\` in ${doc.file}`, {
        location: locate(doc, ["hosts"]),
        hint: suggestion
          ? `did you mean \`${suggestion}\`?`
          : `known hosts: ${Object.keys(doc.config.hosts).join(", ") || "none"}; add it under "hosts"`,
      }),
    );
    return { host, enabled: new Map(), order: [], diagnostics };
  }
  const entries = hostConfig.programs ?? {};
  const disabled = new Set<string>();
  const enabled = new Map<string, EnabledBy>();
  const requiredBy = new Map<string, Set<string>>();
  const queue: string[] = [];

  for (const [name, entry] of Object.entries(entries)) {
    if (!programs.has(name)) {
      const suggestion = didYouMean(name, programs.keys());
      diagnostics.push(
        diagnostic("unknown-program", `unknown program \`${name}\``, {
          host,
          location: locate(doc, ["hosts", host, "programs", name]),
          hint: suggestion
            ? `did you mean \`${suggestion}\`? (\`setup-mac programs list\` shows every program)`
            : "`setup-mac programs list` shows every program; `setup-mac programs new` creates one",
        }),
      );
      continue;
    }
    if (entry === false) disabled.add(name);
    else {
      enabled.set(name, { host: true });
      queue.push(name);
    }
  }

  // The closure of `requires`, remembering who asked.
  for (let next = 0; next < queue.length; next++) {
    const name = queue[next]!;
    const info = programs.get(name)!;
    for (const req of info.requires ?? []) {
      if (!programs.has(req)) {
        const suggestion = didYouMean(req, programs.keys());
        diagnostics.push(
          diagnostic(
            "unknown-requirement",
            `program \`${name}\` requires \`${req}\`, which does not exist`,
            {
              host,
              location: { file: info.file },
              hint: suggestion
                ? `did you mean \`${suggestion}\`?`
                : `add programs/<category>/${req}.ts or remove it from \`requires\``,
            },
          ),
        );
        continue;
      }
      if (disabled.has(req)) {
        diagnostics.push(
          diagnostic(
            "required-but-disabled",
            `\`${name}\` requires \`${req}\`, but the host turns \`${req}\` off`,
            {
              host,
              location: locate(doc, ["hosts", host, "programs", req]),
              hint: `remove \`"${req}": false\` from hosts.${host}.programs, or disable \`${name}\``,
            },
          ),
        );
        continue;
      }
      let by = requiredBy.get(req);
      if (!by) requiredBy.set(req, (by = new Set()));
      by.add(name);
      if (!enabled.has(req)) {
        enabled.set(req, { requiredBy: [] });
        queue.push(req);
      }
    }
  }
  for (const [name, by] of requiredBy) {
    const reason = enabled.get(name);
    if (reason && "requiredBy" in reason) reason.requiredBy = [...by].sort();
  }

  const why = (name: string) => explainEnabled(name, enabled);
  const platform = hostConfig.platform;
  for (const name of [...enabled.keys()].sort()) {
    const info = programs.get(name)!;
    if (info.platforms && !info.platforms.includes(platform)) {
      diagnostics.push(
        diagnostic(
          "platform-unavailable",
          `\`${name}\` is not available on ${platform} (it supports ${info.platforms.join(", ")}); it is on because ${why(name)}`,
          {
            host,
            location: locate(doc, ["hosts", host, "programs", rootCause(name, enabled)]),
            hint: `remove it from hosts.${host}.programs, or add "${platform}" to \`platforms\` in ${info.file} if it works there`,
          },
        ),
      );
    }
  }

  const reported = new Set<string>();
  for (const name of [...enabled.keys()].sort()) {
    const info = programs.get(name)!;
    for (const other of info.conflicts ?? []) {
      if (!enabled.has(other) || other === name) continue;
      const key = [name, other].sort().join("\0");
      if (reported.has(key)) continue;
      reported.add(key);
      diagnostics.push(
        diagnostic(
          "conflicting-programs",
          `\`${name}\` conflicts with \`${other}\`, and both are enabled:\n` +
            `  \`${name}\` is on because ${why(name)}\n  \`${other}\` is on because ${why(other)}`,
          {
            host,
            location: { file: info.file },
            hint: `enable only one of them on host ${host} (\`setup-mac programs disable ${other} --host ${host}\`)`,
          },
        ),
      );
    }
  }

  const { order, cycles } = topologicalOrder([...enabled.keys()], (name) =>
    (programs.get(name)!.requires ?? []).filter((r) => enabled.has(r)),
  );
  for (const cycle of cycles) {
    diagnostics.push(
      diagnostic(
        "requires-cycle",
        `\`requires\` forms a cycle: ${[...cycle, cycle[0]].join(" → ")}`,
        {
          host,
          location: { file: programs.get(cycle[0]!)!.file },
          hint: "programs are set up in `requires` order, so it cannot be circular; drop one of these `requires` (use `contributes` for integration)",
        },
      ),
    );
  }

  const ordered = new Map<string, EnabledBy>();
  for (const name of order) ordered.set(name, enabled.get(name)!);
  return { host, enabled: ordered, order, diagnostics };
}

/** "the host enables it" / "git ← vscode (enabled by the host)". */
export function explainEnabled(name: string, enabled: ReadonlyMap<string, EnabledBy>): string {
  const chain = requireChain(name, enabled);
  if (chain.length === 1) return "the host enables it";
  return `${chain
    .slice(1)
    .map((n, i) => `\`${n}\` requires \`${chain[i]}\``)
    .join(", ")} (\`${chain[chain.length - 1]}\` is enabled by the host)`;
}

/** From `name` up the `requires` it is on through, to what the host enabled (no repeats). */
function requireChain(name: string, enabled: ReadonlyMap<string, EnabledBy>): string[] {
  const chain = [name];
  const seen = new Set(chain);
  for (;;) {
    const reason = enabled.get(chain[chain.length - 1]!);
    if (!reason || "host" in reason) return chain;
    const next = reason.requiredBy.find((r) => !seen.has(r));
    if (!next) return chain;
    chain.push(next);
    seen.add(next);
  }
}

function rootCause(name: string, enabled: ReadonlyMap<string, EnabledBy>): string {
  return requireChain(name, enabled).at(-1)!;
}

/**
 * A stable topological order: dependencies first, ties broken by name. Nodes on cycles are
 * reported (each cycle once, starting at its smallest name) and appended in name order.
 */
export function topologicalOrder(
  nodes: readonly string[],
  dependencies: (node: string) => readonly string[],
): { order: string[]; cycles: string[][] } {
  const sorted = [...new Set(nodes)].sort();
  const indegree = new Map<string, number>(sorted.map((n) => [n, 0]));
  const dependents = new Map<string, string[]>(sorted.map((n) => [n, []]));
  for (const n of sorted) {
    for (const d of new Set(dependencies(n))) {
      if (!indegree.has(d)) continue;
      indegree.set(n, indegree.get(n)! + 1);
      dependents.get(d)!.push(n);
    }
  }
  // The smallest ready name first: a binary heap keeps this O(n log n).
  const ready = new MinHeap(sorted.filter((n) => indegree.get(n) === 0));
  const order: string[] = [];
  const done = new Set<string>();
  while (ready.size) {
    const n = ready.pop();
    order.push(n);
    done.add(n);
    for (const m of dependents.get(n)!) {
      const left = indegree.get(m)! - 1;
      indegree.set(m, left);
      if (left === 0) ready.push(m);
    }
  }
  const rest = sorted.filter((n) => !done.has(n));
  return { order: [...order, ...rest], cycles: findCycles(rest, dependencies) };
}

function findCycles(
  nodes: readonly string[],
  dependencies: (node: string) => readonly string[],
): string[][] {
  const inRest = new Set(nodes);
  const cycles: string[][] = [];
  const covered = new Set<string>();
  for (const start of nodes) {
    if (covered.has(start)) continue;
    // Walk dependencies until a node repeats: the repeated stretch is a cycle.
    const path: string[] = [];
    const index = new Map<string, number>();
    let current: string | undefined = start;
    while (current !== undefined && !index.has(current)) {
      index.set(current, path.length);
      path.push(current);
      current = [...dependencies(current)].filter((d) => inRest.has(d)).sort()[0];
    }
    if (current === undefined) continue;
    const cycle = path.slice(index.get(current)!);
    if (cycle.some((n) => covered.has(n))) {
      cycle.forEach((n) => covered.add(n));
      continue;
    }
    cycle.forEach((n) => covered.add(n));
    const min = cycle.indexOf([...cycle].sort()[0]!);
    cycles.push([...cycle.slice(min), ...cycle.slice(0, min)]);
  }
  return cycles;
}

/** A binary min-heap of strings in code-unit order (the order of `Array.prototype.sort`). */
class MinHeap {
  private readonly items: string[];
  constructor(sorted: string[]) {
    // A sorted array is already a heap.
    this.items = sorted;
  }
  get size(): number {
    return this.items.length;
  }
  push(value: string): void {
    const a = this.items;
    let i = a.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }
  pop(): string {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
