/// <reference lib="dom" />
/**
 * The dashboard's pages: hosts, a program, the plan, generations. Hash routes (`#/program/vscode`)
 * keep the token-bearing path of the page unchanged; every page reads fresh from the server.
 */
import { html, render } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import type { VNode } from "preact";
import { ApiError, get, postStream, type Problem } from "./api.js";
import { OptionsForm, type FormOption } from "./form.js";
import type { GenerationsView, HostsView, PlanView, ProgramView } from "../data.js";

/* The shapes the server answers with: its own types, erased from the bundle. */
type Generation = GenerationsView["generations"][number];

type Route =
  | { page: "hosts" }
  | { page: "program"; name: string; host?: string }
  | { page: "plan"; host: string }
  | { page: "generations"; host: string };

function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts[0] === "program" && parts[1])
    return {
      page: "program",
      name: parts[1],
      ...(params.get("host") ? { host: params.get("host")! } : {}),
    };
  if (parts[0] === "plan" && parts[1]) return { page: "plan", host: parts[1] };
  if (parts[0] === "generations" && parts[1]) return { page: "generations", host: parts[1] };
  return { page: "hosts" };
}

const link = {
  hosts: () => "#/",
  program: (name: string, host?: string) =>
    `#/program/${encodeURIComponent(name)}${host ? `?host=${encodeURIComponent(host)}` : ""}`,
  plan: (host: string) => `#/plan/${encodeURIComponent(host)}`,
  generations: (host: string) => `#/generations/${encodeURIComponent(host)}`,
};

/** Loads `path` and re-loads it when `key` changes or `reload()` is called. */
function useData<T>(path: string, key: string = path) {
  const [state, setState] = useState<{ data?: T; error?: Problem[] }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    get<T>(path)
      .then((data) => live && setState({ data }))
      .catch(
        (error: unknown) =>
          live &&
          setState({
            error:
              error instanceof ApiError
                ? error.problems
                : [{ code: "network", message: String(error) }],
          }),
      );
    return () => {
      live = false;
    };
  }, [key, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

function Problems(props: { problems: Problem[] }) {
  if (!props.problems.length) return null;
  return html`<div class="problems" role="alert">
    ${props.problems.map(
      (p) =>
        html`<div class="problem">
          <strong
            >${p.location ? `${p.location.file}${p.location.line ? `:${p.location.line}` : ""}: ` : ""}</strong
          >
          <span>${p.message}</span>
          ${p.hint ? html`<div class="hint">fix: ${p.hint}</div>` : null}
        </div>`,
    )}
  </div>`;
}

function Loading<T>(props: {
  state: { data?: T; error?: Problem[] };
  children: (data: T) => VNode;
}) {
  if (props.state.error) return html`<${Problems} problems=${props.state.error} />`;
  if (!props.state.data) return html`<p class="loading">Loading…</p>`;
  return props.children(props.state.data);
}

function HostsPage() {
  const state = useData<HostsView>("api/hosts");
  return html`<${Loading} state=${state}
    >${(view: HostsView) =>
      html`<section>
        <h1>Hosts</h1>
        <${Problems} problems=${view.problems} />
        <div class="hosts">
          ${view.hosts.map((h) => {
            const o = h.overview;
            return html`<article class="host" data-host=${h.name}>
              <h2>${h.name} <span class="badge">${h.platform}</span></h2>
              <p class="muted">${h.description ?? ""} <code>${h.system}</code></p>
              <p class="applied">
                ${
                  o?.applied
                    ? html`last applied: generation ${o.applied.generation},
                      ${new Date(o.applied.time).toLocaleString()}`
                    : "never applied"
                }
              </p>
              ${
                o
                  ? html`<p class=${`drift ${o.ok ? "ok" : "drifted"}`}>
                      ${`${o.ok ? "in sync with the last generation" : "differs from the last generation"}: ${o.inSync} in sync, ${o.changed} changed, ${o.notApplied} not applied, ${o.removed} removed`}
                    </p>`
                  : null
              }
              <p>
                <a class="button" href=${link.plan(h.name)}>Plan</a>
                <a class="button" href=${link.generations(h.name)}>Generations</a>
              </p>
              <h3>Programs on (${h.enabled.length})</h3>
              <ul class="chips">
                ${h.enabled.map(
                  (p) =>
                    html`<li>
                      <a
                        href=${link.program(p.name, h.name)}
                        title=${p.by === "host" ? "enabled by the host" : `required by ${p.by.join(" → ")}`}
                        class=${p.by === "host" ? "" : "required"}
                        >${p.name}</a
                      >
                    </li>`,
                )}
              </ul>
              ${
                h.disabled.length
                  ? html`<h3>Off</h3>
                      <ul class="chips off">
                        ${h.disabled.map((p) => html`<li><a href=${link.program(p, h.name)}>${p}</a></li>`)}
                      </ul>`
                  : null
              }
            </article>`;
          })}
        </div>
        <h2>All programs</h2>
        <table class="programs">
          <thead>
            <tr>
              <th>program</th>
              <th>category</th>
              <th>description</th>
            </tr>
          </thead>
          <tbody>
            ${view.programs.map(
              (p) =>
                html`<tr>
                  <td><a href=${link.program(p.name)}>${p.name}</a></td>
                  <td>${p.category}</td>
                  <td>${p.description}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>`}<//
  >`;
}

/** requires / required-by / conflicts around one program, as a small SVG graph. */
function Relations(props: { view: ProgramView }) {
  const { view } = props;
  const left = view.requiredBy;
  const right = view.requires;
  const below = view.conflictsWith;
  const rows = Math.max(left.length, right.length, 1);
  const height = rows * 28 + (below.length ? 70 : 20);
  const y = (i: number, n: number) => 20 + ((rows - n) * 28) / 2 + i * 28;
  const cy = 20 + ((rows - 1) * 28) / 2;
  const node = (x: number, yy: number, name: string, cls: string) =>
    html`<a href=${link.program(name)}
      ><g class=${`node ${cls}`}>
        <rect x=${x - 60} y=${yy - 11} width="120" height="22" rx="6" />
        <text x=${x} y=${yy + 4} text-anchor="middle">${name}</text>
      </g></a
    >`;
  return html`<svg
      class="relations"
      viewBox=${`0 0 520 ${height}`}
      role="img"
      aria-label="relations"
    >
      ${left.map((n, i) => html`<line x1="130" y1=${y(i, left.length)} x2="200" y2=${cy} class="edge" />`)}
      ${right.map((n, i) => html`<line x1="320" y1=${cy} x2="390" y2=${y(i, right.length)} class="edge" />`)}
      ${below.map((n, i) => html`<line x1="260" y1=${cy} x2=${260 + (i - (below.length - 1) / 2) * 130} y2=${cy + 50} class="edge conflict" />`)}
      ${left.map((n, i) => node(70, y(i, left.length), n, "required-by"))}
      ${right.map((n, i) => node(450, y(i, right.length), n, "requires"))}
      ${below.map((n, i) => node(260 + (i - (below.length - 1) / 2) * 130, cy + 50, n, "conflicts"))}
      <g class="node self">
        <rect x="200" y=${cy - 11} width="120" height="22" rx="6" />
        <text x="260" y=${cy + 4} text-anchor="middle">${view.name}</text>
      </g>
    </svg>
    <p class="legend muted">left: required by · right: requires · below: conflicts with</p>`;
}

function ProgramPage(props: { name: string; host?: string }) {
  const state = useData<ProgramView>(`api/programs/${encodeURIComponent(props.name)}`);
  const [saved, setSaved] = useState("");
  return html`<${Loading} state=${state}
    >${(view: ProgramView) => {
      const hosts = Object.keys(view.enabledOn).sort();
      const host = props.host && hosts.includes(props.host) ? props.host : hosts[0];
      const per = host ? view.perHost[host] : undefined;
      const options: FormOption[] = host
        ? view.options.map((o) => ({
            name: o.name,
            type: o.type,
            ...(o.description ? { description: o.description } : {}),
            schema: view.schemas[o.name] ?? {},
            value: o.values[host]?.value,
            written: Boolean(per && o.name in per.written),
            from: o.values[host]?.from ?? [],
            priority: o.values[host]?.priority ?? "",
            overridden: o.values[host]?.overridden ?? [],
          }))
        : [];
      return html`<section>
        <p><a href=${link.hosts()}>← hosts</a></p>
        <h1>${view.name} <span class="badge">${view.category}</span></h1>
        <p>${view.description}</p>
        <p class="muted">
          platforms: ${view.platforms.join(", ")} ·
          <code>${view.file}</code>
          ${view.homepage ? html` · <a href=${view.homepage} rel="noreferrer">homepage</a>` : null}
        </p>
        <${Problems} problems=${view.planProblems} />
        <h2>Relations</h2>
        <${Relations} view=${view} />
        ${view.contributesTo.length ? html`<p>contributes to: ${view.contributesTo.join(", ")}</p>` : null}
        ${
          host
            ? html`<nav class="tabs" aria-label="hosts">
                  ${hosts.map((h) => html`<a href=${link.program(view.name, h)} aria-current=${h === host ? "page" : undefined}>${h}</a>`)}
                </nav>
                <p class="muted">on ${host}: ${view.reasons[host]}</p>
                ${view.problems[host] ? html`<p class="error">${view.problems[host]}</p>` : null}
                ${saved ? html`<p class="saved" role="status">${saved} · <a href=${link.plan(host)}>see the plan</a></p>` : null}
                <h2>Options</h2>
                ${
                  options.length
                    ? html`<${OptionsForm}
                        program=${view.name}
                        host=${host}
                        options=${options}
                        onSaved=${(m: string) => {
                          setSaved(m);
                          state.reload();
                        }}
                      />`
                    : html`<p class="muted">no options</p>`
                }
                <h2>Services</h2>
                ${
                  per?.services.length
                    ? html`<table>
                          <thead>
                            <tr>
                              <th>service</th>
                              <th>scope</th>
                              <th>unit / label</th>
                              <th>restart</th>
                              <th>schedule</th>
                            </tr>
                          </thead>
                          <tbody>
                            ${per.services.map(
                              (s) =>
                                html`<tr>
                                  <td>${s.name}</td>
                                  <td>${s.scope}</td>
                                  <td><code>${s.unit}</code><br /><code>${s.label}</code></td>
                                  <td>${s.restart}</td>
                                  <td>${s.schedule ?? ""}</td>
                                </tr>`,
                            )}
                          </tbody>
                        </table>
                        <p class="muted">
                          live state: <code>setup-mac programs status</code> on ${host}
                        </p>`
                    : html`<p class="muted">none</p>`
                }
                <h2>Files</h2>
                ${
                  per?.files.length
                    ? html`<ul class="files">
                        ${per.files.map((f) => html`<li><code>${f}</code></li>`)}
                      </ul>`
                    : html`<p class="muted">none</p>`
                }
                <h2>Packages</h2>
                <p>
                  ${per?.packages.length ? per.packages.map((p) => html`<code>${p}</code> `) : html`<span class="muted">none</span>`}
                </p>`
            : html`<p class="muted">not enabled on any host</p>`
        }
      </section>`;
    }}<//
  >`;
}

/** Runs an apply or a rollback and shows its steps and output as they come. */
function useRun(onDone: () => void) {
  const [log, setLog] = useState<string[]>([]);
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState<
    { ok: boolean; text: string; problems?: Problem[] } | undefined
  >();
  async function run(path: string, body: unknown) {
    setRunning(true);
    setOutcome(undefined);
    const lines: string[] = [];
    const push = (line: string) => {
      lines.push(line);
      setLog([...lines]);
    };
    try {
      await postStream(path, body, (event) => {
        if (event.type === "step")
          push(`→ ${String(event.step)}${event.detail ? ` ${String(event.detail)}` : ""}`);
        else if (event.type === "output") push(String(event.text).replace(/\n$/, ""));
        else if (event.type === "done") {
          const r = event.result as {
            status: string;
            generation?: number;
            health: { ok: boolean }[];
          };
          const unhealthy = r.health.filter((h) => !h.ok).length;
          setOutcome({
            ok: true,
            text:
              r.status === "applied"
                ? `Applied: generation ${r.generation}${unhealthy ? ` (${unhealthy} health checks failed)` : ""}`
                : r.status === "nothing-to-do"
                  ? "Nothing to apply: the host is as its last generation left it"
                  : r.status,
          });
        } else if (event.type === "failed") {
          setOutcome({ ok: false, text: "Failed", problems: event.problems as Problem[] });
        }
      });
    } catch (error) {
      setOutcome({
        ok: false,
        text: "Failed",
        problems:
          error instanceof ApiError
            ? error.problems
            : [{ code: "network", message: String(error) }],
      });
    } finally {
      setRunning(false);
      onDone();
    }
  }
  const view = html`${log.length ? html`<pre class="log" aria-label="log">${log.join("\n")}</pre>` : null}
  ${
    outcome
      ? html`<div class=${outcome.ok ? "outcome ok" : "outcome failed"} role="status">
            ${outcome.text}
          </div>
          ${outcome.problems ? html`<${Problems} problems=${outcome.problems} />` : null}`
      : null
  }`;
  return { run, running, view };
}

/** A button that asks once more, in the page, before it acts. */
function Confirm(props: {
  label: string;
  question: string;
  disabled?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return html`<button type="button" disabled=${props.disabled} onClick=${() => setAsking(true)}>
      ${props.label}
    </button>`;
  return html`<span class="confirm" role="group">
    ${props.question}
    <button
      type="button"
      class="danger"
      onClick=${() => {
        setAsking(false);
        props.onConfirm();
      }}
    >
      Yes, ${props.label.toLowerCase()}
    </button>
    <button type="button" onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

function Changes(props: { changes: PlanView["changes"] }) {
  return html`<ul class="changes">
    ${props.changes.programs.map(
      (p) =>
        html`<li class=${p.kind}>
          <strong>${p.kind === "added" ? "+" : p.kind === "removed" ? "−" : "~"} ${p.name}</strong>
          <ul>
            ${Object.entries(p.aspects).map(
              ([aspect, c]) =>
                html`<li>
                  <span class="aspect">${aspect}</span>
                  ${c.added.map((x) => html` <span class="added">+${x}</span>`)}
                  ${c.removed.map((x) => html` <span class="removed">−${x}</span>`)}
                  ${c.changed.map((x) => html` <span class="changed">~${x}</span>`)}
                </li>`,
            )}
          </ul>
        </li>`,
    )}
  </ul>`;
}

function PlanPage(props: { host: string }) {
  const state = useData<PlanView>(`api/plan?host=${encodeURIComponent(props.host)}`);
  const runner = useRun(() => state.reload());
  return html`<section>
    <p>
      <a href=${link.hosts()}>← hosts</a> · <a href=${link.generations(props.host)}>generations</a>
    </p>
    <h1>Plan for ${props.host}</h1>
    <${Loading} state=${state}
      >${(plan: PlanView) =>
        html`<div>
          <p class="muted">${plan.since ? `against generation ${plan.since}` : "first apply"}</p>
          ${
            plan.changes.programs.length
              ? html`<${Changes} changes=${plan.changes} />`
              : html`<p class="nothing">no program changes</p>`
          }
          <${Confirm}
            label="Apply"
            question=${`Apply these changes to ${props.host}?`}
            disabled=${runner.running}
            onConfirm=${() => void runner.run("api/apply", { host: props.host })}
          />
        </div>`}<//
    >
    ${runner.view}
  </section>`;
}

/** One program's settings back to a generation: pick the program, then confirm. */
function ProgramRollback(props: {
  generation: Generation;
  host: string;
  disabled: boolean;
  onConfirm: (program: string) => void;
}) {
  const names = props.generation.changes.programs
    .filter((p) => p.kind !== "removed")
    .map((p) => p.name);
  const [picked, setProgram] = useState(names[0] ?? "");
  if (!names.length) return null;
  const program = names.includes(picked) ? picked : names[0]!;
  return html`<span class="program-rollback">
    <label
      >one program:
      <select
        aria-label="program to roll back"
        value=${program}
        onChange=${(e: Event) => setProgram((e.currentTarget as HTMLSelectElement).value)}
      >
        ${names.map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label
    >
    <${Confirm}
      label=${`Roll back ${program}`}
      disabled=${props.disabled}
      question=${`Restore only ${program}'s settings on ${props.host} from generation ${props.generation.number}, and apply?`}
      onConfirm=${() => props.onConfirm(program)}
    />
  </span>`;
}

function GenerationsPage(props: { host: string }) {
  const state = useData<{ generations: Generation[]; problems: Problem[] }>(
    `api/generations?host=${encodeURIComponent(props.host)}`,
  );
  const runner = useRun(() => state.reload());
  return html`<section>
    <p><a href=${link.hosts()}>← hosts</a> · <a href=${link.plan(props.host)}>plan</a></p>
    <h1>Generations of ${props.host}</h1>
    ${runner.view}
    <${Loading} state=${state}
      >${(view: { generations: Generation[]; problems: Problem[] }) =>
        html`<div>
          <${Problems} problems=${view.problems} />
          ${view.generations.length ? null : html`<p class="nothing">nothing applied yet</p>`}
          <ol class="timeline" reversed>
            ${view.generations.map(
              (g, i) =>
                html`<li class="generation" key=${g.number} data-generation=${g.number}>
                  <h2>
                    Generation ${g.number}
                    <span class="badge"
                      >${g.kind === "apply" ? "apply" : g.kind === "rollback" ? `rollback to ${g.from}` : `rollback ${g.program} to ${g.from}`}</span
                    >
                    ${i === 0 ? html`<span class="badge current">current</span>` : null}
                  </h2>
                  <p class="muted">
                    ${new Date(g.time).toLocaleString()}${g.health && !g.health.ok ? ` · ${g.health.failed.length} health checks failed` : ""}
                  </p>
                  ${
                    g.changes.programs.length
                      ? g.changes.programs.length <= 5
                        ? html`<${Changes} changes=${g.changes} />`
                        : html`<details>
                            <summary>${g.lines.length} programs changed</summary>
                            <${Changes} changes=${g.changes} />
                          </details>`
                      : html`<p class="muted">no program changes</p>`
                  }
                  ${
                    i > 0
                      ? html`<div class="actions">
                          <${Confirm}
                            label=${`Roll back to ${g.number}`}
                            question=${`Restore ${props.host}'s programs as generation ${g.number} had them, and apply?`}
                            disabled=${runner.running}
                            onConfirm=${() => void runner.run("api/rollback", { host: props.host, to: g.number })}
                          />
                          <${ProgramRollback}
                            generation=${g}
                            host=${props.host}
                            disabled=${runner.running}
                            onConfirm=${(program: string) => void runner.run("api/rollback", { host: props.host, to: g.number, program })}
                          />
                        </div>`
                      : null
                  }
                </li>`,
            )}
          </ol>
        </div>`}<//
    >
  </section>`;
}

function App() {
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const page =
    route.page === "program"
      ? html`<${ProgramPage} key=${route.name} name=${route.name} host=${route.host} />`
      : route.page === "plan"
        ? html`<${PlanPage} key=${route.host} host=${route.host} />`
        : route.page === "generations"
          ? html`<${GenerationsPage} key=${route.host} host=${route.host} />`
          : html`<${HostsPage} />`;
  return html`<header>
      <a href="#/" class="brand">setup-mac</a
      ><span class="muted">this machine only · 127.0.0.1</span>
    </header>
    <main>${page}</main>`;
}

const root = document.getElementById("app")!;
root.textContent = "";
render(html`<${App} />`, root);
