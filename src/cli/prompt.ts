/**
 * A yes/no question on the terminal. Only called when stdin and stdout are TTYs; otherwise the
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
