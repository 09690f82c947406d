/// <reference lib="dom" />
/**
 * A program's options as a form generated from their JSON Schema. Every change is validated live
 * by the server with the same evaluation `programs config set` runs (nothing is written); Save
 * writes the changed values through the config editor. The form keeps only the edits in progress:
 * after a save it shows what the server reads back.
 */
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, post, type Problem } from "./api.js";

type Schema = Record<string, unknown>;

export interface FormOption {
  name: string;
  type: string;
  description?: string;
  schema: Schema;
  /** The merged value on this host. */
  value: unknown;
  /** Written in this host's entry (so it can be unset). */
  written: boolean;
  from: string[];
  priority: string;
  overridden: string[];
}

type Kind = "number" | "integer" | "boolean" | "enum" | "string" | "lines" | "json";

function kindOf(schema: Schema): Kind {
  if (Array.isArray(schema.enum)) return "enum";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer") return "integer";
  if (schema.type === "number") return "number";
  if (schema.type === "string") return schema["x-setup-mac-merge"] === "lines" ? "lines" : "string";
  return "json";
}

/** The field's text for a value, as the user edits it. */
function toText(kind: Kind, value: unknown): string {
  if (kind === "json") return value === undefined ? "" : JSON.stringify(value, null, 2);
  if (kind === "enum") return JSON.stringify(value);
  return value === undefined || value === null ? "" : String(value);
}

/** The value a field's text stands for, or a message why it stands for none. */
function fromText(kind: Kind, text: string): { value: unknown } | { error: string } {
  if (kind === "number" || kind === "integer") {
    if (text.trim() === "") return { error: "enter a number" };
    const n = Number(text);
    return Number.isFinite(n) ? { value: n } : { error: `\`${text}\` is not a number` };
  }
  if (kind === "boolean") return { value: text === "true" };
  if (kind === "enum") return { value: JSON.parse(text) as unknown };
  if (kind === "string" || kind === "lines") return { value: text };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { error: "not valid JSON" };
  }
}

/** Which option a problem is about: the message names it as `program.option`. */
function optionOf(problem: Problem, program: string, names: string[]): string | undefined {
  for (const name of names) if (problem.message.includes(`\`${program}.${name}`)) return name;
  return undefined;
}

export function OptionsForm(props: {
  program: string;
  host: string;
  options: FormOption[];
  onSaved: (message: string) => void;
}) {
  const { program, host, options } = props;
  const kinds = Object.fromEntries(options.map((o) => [o.name, kindOf(o.schema)]));
  const initial = Object.fromEntries(options.map((o) => [o.name, toText(kinds[o.name]!, o.value)]));
  const [texts, setTexts] = useState<Record<string, string>>(initial);
  const [unset, setUnset] = useState<string[]>([]);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [checking, setChecking] = useState(false);
  const [saving, setSaving] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const generation = useRef(0);

  // A new host or a reload after saving: start from what the server says.
  useEffect(() => {
    setTexts(initial);
    setUnset([]);
    setProblems([]);
  }, [host, JSON.stringify(initial)]);

  const local: Record<string, string> = {};
  const set: Record<string, unknown> = {};
  for (const o of options) {
    const text = texts[o.name] ?? "";
    if (text === initial[o.name]) continue;
    const parsed = fromText(kinds[o.name]!, text);
    if ("error" in parsed) local[o.name] = parsed.error;
    else set[o.name] = parsed.value;
  }
  const dirty = Object.keys(set).length + Object.keys(local).length + unset.length > 0;
  const change = { program, host, set, unset };
  const changeKey = JSON.stringify(change);

  useEffect(() => {
    window.clearTimeout(timer.current);
    if (!dirty || Object.keys(local).length) {
      // Nothing to ask the server: drop the answer of any check still on its way.
      generation.current++;
      setProblems([]);
      setChecking(false);
      return;
    }
    const mine = ++generation.current;
    setChecking(true);
    timer.current = window.setTimeout(() => {
      post<{ ok: boolean; problems?: Problem[] }>("api/validate", change)
        .then((answer) => mine === generation.current && setProblems(answer.problems ?? []))
        .catch((error: unknown) => {
          if (mine !== generation.current) return;
          setProblems(
            error instanceof ApiError
              ? error.problems
              : [{ code: "network", message: String(error) }],
          );
        })
        .finally(() => mine === generation.current && setChecking(false));
    }, 200);
  }, [changeKey]);

  const names = options.map((o) => o.name);
  const byOption = new Map<string, Problem[]>();
  const general: Problem[] = [];
  for (const p of problems) {
    const name = optionOf(p, program, names);
    if (name) byOption.set(name, [...(byOption.get(name) ?? []), p]);
    else general.push(p);
  }
  const blocked =
    !dirty || checking || saving || problems.length > 0 || Object.keys(local).length > 0;

  async function save(event: Event) {
    event.preventDefault();
    if (blocked) return;
    setSaving(true);
    try {
      const answer = await post<{ result: { changed: boolean } }>("api/save", change);
      const keys = [...Object.keys(set), ...unset.map((k) => `${k} (unset)`)];
      props.onSaved(
        answer.result.changed
          ? `Saved ${keys.join(", ")} for ${host} in setup-mac.jsonc`
          : "Nothing to save: setup-mac.jsonc already says that",
      );
    } catch (error) {
      setProblems(
        error instanceof ApiError ? error.problems : [{ code: "network", message: String(error) }],
      );
    } finally {
      setSaving(false);
    }
  }

  const field = (o: FormOption) => {
    const kind = kinds[o.name]!;
    const id = `opt-${o.name}`;
    const text = texts[o.name] ?? "";
    const onInput = (e: Event) => {
      const target = e.currentTarget as HTMLInputElement;
      setTexts({ ...texts, [o.name]: kind === "boolean" ? String(target.checked) : target.value });
    };
    const s = o.schema;
    if (kind === "boolean")
      return html`<input
        id=${id}
        name=${o.name}
        type="checkbox"
        checked=${text === "true"}
        onChange=${onInput}
      />`;
    if (kind === "enum")
      return html`<select id=${id} name=${o.name} value=${text} onChange=${onInput}>
        ${(s.enum as unknown[]).map((v) => html`<option value=${JSON.stringify(v)}>${String(v)}</option>`)}
      </select>`;
    if (kind === "number" || kind === "integer")
      return html`<input
        id=${id}
        name=${o.name}
        type="text"
        inputmode="numeric"
        value=${text}
        onInput=${onInput}
      />`;
    if (kind === "string")
      return html`<input id=${id} name=${o.name} type="text" value=${text} onInput=${onInput} />`;
    if (kind === "lines")
      return html`<textarea
        id=${id}
        name=${o.name}
        rows="4"
        value=${text}
        onInput=${onInput}
      ></textarea>`;
    return html`<textarea
      id=${id}
      name=${o.name}
      rows=${Math.min(8, text.split("\n").length + 1)}
      value=${text}
      onInput=${onInput}
    ></textarea>`;
  };

  return html`<form class="options" onSubmit=${save} novalidate>
    ${options.map((o) => {
      const errors = [
        ...(local[o.name] ? [local[o.name]!] : []),
        ...(byOption.get(o.name) ?? []).map((p) => p.message.split("\n")[0]!),
      ];
      const pendingUnset = unset.includes(o.name);
      return html`<div class=${`option${errors.length ? " invalid" : ""}`} data-option=${o.name}>
        <label for=${`opt-${o.name}`}
          ><code>${o.name}</code> <span class="type">${o.type}</span></label
        >
        ${o.description ? html`<p class="description">${o.description}</p>` : null} ${field(o)}
        ${errors.map((e) => html`<p class="error" role="alert">${e}</p>`)}
        <p class="provenance">
          from ${o.from.join(", ")} <span class="priority">(${o.priority})</span>
          ${o.overridden.length ? html` — overrides ${o.overridden.join("; ")}` : null}
          ${
            o.written
              ? html` <button
                  type="button"
                  class="link"
                  aria-pressed=${pendingUnset}
                  onClick=${() => setUnset(pendingUnset ? unset.filter((k) => k !== o.name) : [...unset, o.name])}
                >
                  ${pendingUnset ? "keep the value" : "unset (use the default)"}
                </button>`
              : null
          }
        </p>
      </div>`;
    })}
    ${general.map((p) => html`<p class="error" role="alert">${p.message}${p.hint ? html`<br /><small>${p.hint}</small>` : null}</p>`)}
    <div class="actions">
      <button type="submit" disabled=${blocked}>${saving ? "Saving…" : "Save"}</button>
      <span class="status" aria-live="polite"
        >${checking ? "checking…" : dirty && !problems.length && !Object.keys(local).length ? "valid" : ""}</span
      >
    </div>
  </form>`;
}
