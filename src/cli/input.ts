import { createInterface } from "node:readline/promises";
import { ExitCode, UserError } from "../errors.js";

/**
 * A secret typed by the user: from standard input when it is piped (CI, scripts), else a hidden
 * prompt. Never from an argument, where it would show in shell history and process listings.
 */
export async function readSecret(prompt: string, what: string): Promise<string> {
  let value: string;
  if (process.stdin.isTTY) {
    const { default: password } = await import("@inquirer/password");
    value = await password({ message: prompt, mask: "*" });
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    value = Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  if (!value) {
    throw new UserError(`no ${what} given`, {
      hint: `pipe it on standard input (printf %s "$VALUE" | svc ...) or run in a terminal to be prompted`,
      exitCode: ExitCode.invalidInput,
    });
  }
  return value;
}

/** One line typed at the terminal, trimmed (for confirmations). */
export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}
