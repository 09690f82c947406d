/**
 * Questions on the terminal: yes/no, and a line of text. Only called when stdin and stdout are TTYs; otherwise the
 * verbs require `--yes` and never wait for input.
 */
import { createInterface } from "node:readline/promises";

export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    return answer === "y" || answer === "yes";
  } finally {
    rl.close();
  }
}

/**
 * A line of text on the terminal, checked by `valid` (asked again up to three times). Enter
 * takes the suggestion, shown in brackets; with none, an empty answer is no answer.
 */
export async function askText(
  question: string,
  options: { suggestion?: string; valid: (answer: string) => boolean; invalid: string },
): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const shown = options.suggestion ? ` [${options.suggestion}]` : " (Enter to leave it out)";
      const answer = (await rl.question(`${question}${shown}: `)).trim() || options.suggestion;
      if (answer === undefined) return undefined;
      if (options.valid(answer)) return answer;
      process.stdout.write(`  ${JSON.stringify(answer)} is ${options.invalid}\n`);
    }
    return undefined;
  } finally {
    rl.close();
  }
}
