/**
 * For tests only: how systemd turns an `ExecStart=` / `Environment=` value back into words,
 * written from systemd.syntax(7) and systemd.service(5), independently of the renderer. It is
 * stricter than systemd: anything that would expand (`%x`, `$VAR`) or a quote in mid-word throws,
 * so a test can tell "arrives literally" from "happens to look right".
 */

const ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
  s: " ",
};

/** Split a value into words: whole-word quotes, C escapes, `\;` as a literal `;`. */
export function splitSystemdWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  const escape = (): string => {
    const c = line[i + 1];
    if (c === undefined) throw new Error("trailing backslash");
    if (c === "x") {
      const hex = line.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`bad \\x escape in ${line}`);
      i += 4;
      return String.fromCharCode(parseInt(hex, 16));
    }
    const decoded = ESCAPES[c];
    if (decoded === undefined) throw new Error(`unknown escape \\${c} in ${line}`);
    i += 2;
    return decoded;
  };
  for (;;) {
    while (i < line.length && /\s/.test(line[i] ?? "")) i++;
    if (i >= line.length) return words;
    let word = "";
    const quote = line[i];
    if (quote === '"' || quote === "'") {
      i++;
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`unbalanced quote in ${line}`);
        if (c === quote) {
          i++;
          break;
        }
        if (c === "\\") word += escape();
        else {
          word += c;
          i++;
        }
      }
      if (i < line.length && !/\s/.test(line[i] ?? "")) {
        throw new Error(`closing quote not followed by whitespace in ${line}`);
      }
    } else {
      while (i < line.length && !/\s/.test(line[i] ?? "")) {
        const c = line[i] ?? "";
        if (c === '"' || c === "'") throw new Error(`quote inside a word in ${line}`);
        if (c === "\\") word += escape();
        else {
          word += c;
          i++;
        }
      }
      if (word === ";") throw new Error(`a bare ; separates commands in ${line}`);
    }
    words.push(word);
  }
}

/** `%%` → `%`; any other specifier throws. */
export function unescapeSpecifiers(word: string): string {
  return word.replace(/%(.)/gs, (_, c: string) => {
    if (c !== "%") throw new Error(`specifier %${c} would expand`);
    return "%";
  });
}

/** `$$` → `$`; anything systemd would substitute throws. */
export function unescapeDollars(word: string): string {
  return word.replace(/\$(\$|.|$)/gs, (_, c: string) => {
    if (c !== "$") throw new Error(`$${c} would be substituted`);
    return "$";
  });
}

/** The argv systemd runs for an `ExecStart=` value. */
export function parseExecStart(value: string): string[] {
  const [first, ...rest] = splitSystemdWords(value);
  if (first === undefined) throw new Error("empty command");
  return [unescapeSpecifiers(first), ...rest.map((w) => unescapeDollars(unescapeSpecifiers(w)))];
}
