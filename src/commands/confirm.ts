import { createInterface } from "node:readline";

/**
 * Questions before destructive commands. Asked only at a terminal (stdin and stdout both TTYs):
 * elsewhere the command needs --yes, so a script never hangs on, or silently answers, a prompt.
 */
export function isInteractive(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): boolean {
  return stdin.isTTY === true && stdout.isTTY === true;
}

/** "y" and "yes" (any case, spaces around) say yes; anything else, an empty line, EOF or Ctrl-C say No. */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * Asks `question [y/N]` and resolves true only for a yes. The question goes to stderr, so `--json`
 * output on stdout stays clean.
 */
export function askYesNo(
  question: string,
  io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream } = {},
): Promise<boolean> {
  const input = io.input ?? process.stdin;
  const output = io.output ?? process.stderr;
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: (input as NodeJS.ReadStream).isTTY === true });
    let answered = false;
    const finish = (yes: boolean) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(yes);
    };
    rl.on("SIGINT", () => {
      output.write("\n");
      finish(false);
    });
    rl.on("close", () => finish(false));
    rl.question(`${question} [y/N] `, (answer) => finish(isYes(answer)));
  });
}
