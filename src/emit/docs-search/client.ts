/// <reference lib="dom" />
/**
 * The docs site's search (bundled into search.js at build time): a MiniSearch full-text index of
 * every program and option, built in the page from search-index.js (a script, not a fetch, so the
 * site also works from file://). Typing filters the program table and lists matching options.
 */
import MiniSearch from "minisearch";
import type { SearchDoc } from "../docs.js";

declare global {
  interface Window {
    SETUP_MAC_SEARCH_INDEX?: SearchDoc[];
  }
}

function start(): void {
  const input = document.getElementById("search") as HTMLInputElement | null;
  const count = document.getElementById("count");
  const results = document.getElementById("results");
  if (!input || !count || !results) return;
  const docs = window.SETUP_MAC_SEARCH_INDEX ?? [];
  const index = new MiniSearch<SearchDoc>({
    fields: ["name", "program", "description", "type"],
    storeFields: ["kind", "program", "name", "description", "href"],
    searchOptions: { prefix: true, fuzzy: 0.2, boost: { name: 3, program: 2 } },
  });
  index.addAll(docs);
  const rows = Array.from(document.querySelectorAll<HTMLTableRowElement>("#programs tbody tr"));
  const update = () => {
    const query = input.value.trim();
    results.replaceChildren();
    if (!query) {
      rows.forEach((row) => row.classList.remove("hidden"));
      count.textContent = "";
      return;
    }
    const hits = index.search(query, { combineWith: "AND" });
    const programs = new Set(hits.map((h) => h.program as string));
    let shown = 0;
    for (const row of rows) {
      const hit = programs.has(row.dataset.program ?? "");
      row.classList.toggle("hidden", !hit);
      if (hit) shown++;
    }
    count.textContent = `${shown} of ${rows.length} programs, ${hits.filter((h) => h.kind === "option").length} options`;
    for (const hit of hits.filter((h) => h.kind === "option").slice(0, 20)) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = hit.href as string;
      a.textContent = `${hit.program as string}.${hit.name as string}`;
      li.append(a, ` — ${hit.description as string}`);
      results.append(li);
    }
  };
  input.addEventListener("input", update);
  update();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
