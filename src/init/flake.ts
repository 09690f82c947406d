/**
 * Finding the hosts of an existing flake (pure, heuristic): the names under
 * `darwinConfigurations` and `nixosConfigurations` in `flake.nix`, and the `system` written next
 * to each. Nix is not parsed here — only scanned, skipping strings and comments — so unusual
 * layouts (hosts built by a function, flake-parts modules in other files) may be missed; `init`
 * says so and shows how to add a host by hand.
 */

export interface FlakeHost {
  name: string;
  platform: "darwin" | "nixos";
  /** The `system = "…"` found in the host's definition, if any. */
  system?: string;
}

/** Replaces the contents of strings and comments by spaces, keeping offsets. */
export function blankStringsAndComments(text: string): string {
  const out = text.split("");
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "#") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (c === "'" && text[i + 1] === "'") {
      let j = i + 2;
      while (j < text.length) {
        if (text[j] === "'" && text[j + 1] === "'") {
          if (text[j + 2] === "'" || text[j + 2] === "$" || text[j + 2] === "\\") {
            j += 3;
            continue;
          }
          break;
        }
        j++;
      }
      blank(i + 2, j);
      i = j + 2;
    } else i++;
  }
  return out.join("");
}

/** The offset of the brace that closes the one at `open`. */
function matchingBrace(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === "{") depth++;
    else if (code[i] === "}" && --depth === 0) return i;
  }
  return code.length;
}

const SYSTEM = /\bsystem\s*=\s*"([a-z0-9_]+-(?:darwin|linux))"/;

/** Finds the hosts a flake defines. */
export function findFlakeHosts(text: string): FlakeHost[] {
  const code = blankStringsAndComments(text);
  const found = new Map<string, FlakeHost>();
  const add = (platform: FlakeHost["platform"], name: string, bodyFrom: number) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || found.has(`${platform}:${name}`)) return;
    // The definition's body: from its `=` up to the end of the enclosing expression, bounded.
    const body = text.slice(bodyFrom, bodyFrom + 4000);
    const next = body.search(/\b(?:darwin|nixos)Configurations\b/);
    const system = SYSTEM.exec(next > 0 ? body.slice(0, next) : body)?.[1];
    found.set(`${platform}:${name}`, { name, platform, ...(system ? { system } : {}) });
  };
  // `darwinConfigurations.macbook = …` and `darwinConfigurations."mac-book" = …`
  // (Quoted names are blanked in `code`: they are read from the original text.)
  const dotted = /\b(darwin|nixos)Configurations\s*\.\s*(?:"( *)"|([A-Za-z0-9._-]+))\s*=(?!=)/g;
  for (const m of code.matchAll(dotted)) {
    const quote = m[0].indexOf('"');
    const name =
      m[2] !== undefined
        ? text.slice(m.index + quote + 1, m.index + quote + 1 + m[2].length)
        : m[3]!;
    add(m[1] === "darwin" ? "darwin" : "nixos", name, m.index + m[0].length);
  }
  // `darwinConfigurations = { macbook = …; other = …; };`
  const block = /\b(darwin|nixos)Configurations\s*=\s*\{/g;
  for (const m of code.matchAll(block)) {
    const open = m.index + m[0].length - 1;
    const close = matchingBrace(code, open);
    let depth = 0;
    for (let i = open + 1; i < close; i++) {
      const c = code[i]!;
      if (c === "{" || c === "[" || c === "(") depth++;
      else if (c === "}" || c === "]" || c === ")") depth--;
      else if (depth === 0 && /[A-Za-z"]/.test(c) && /[\s;{]/.test(code[i - 1] ?? " ")) {
        const rest = code.slice(i);
        const attr = /^(?:"( *)"|([A-Za-z0-9._-]+))\s*=(?!=)/.exec(rest);
        if (attr) {
          const name = attr[1] !== undefined ? text.slice(i + 1, i + 1 + attr[1].length) : attr[2]!;
          add(m[1] === "darwin" ? "darwin" : "nixos", name, i + attr[0].length);
          // Skip to the end of this binding.
          let d = 0;
          let j = i + attr[0].length;
          for (; j < close; j++) {
            const cj = code[j]!;
            if (cj === "{" || cj === "[" || cj === "(") d++;
            else if (cj === "}" || cj === "]" || cj === ")") d--;
            else if (cj === ";" && d === 0) break;
          }
          i = j;
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}
