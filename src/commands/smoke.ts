import type { Command } from "commander";
import { globals } from "./common.js";
import { UsageError } from "./errors.js";

export function registerSmoke(program: Command): void {
  program
    .command("smoke")
    .description("end to end on a temporary state file: all six triggers observed and vault entries written, whatever their verdicts (exit 0/1)")
    .option("--timeout <s>", "give up after this many seconds", "120")
    .addHelpText("after", "\nExamples:\n  compile-daemon smoke\n  compile-daemon smoke --json")
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const g = globals(cmd);
      const timeoutS = Number(opts.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${opts.timeout}"`);
      // The daemon, the runtime and the embedded backend load only when the smoke runs.
      const { runSmoke } = await import("./smokeRun.js");
      const ok = await runSmoke(g.agent, timeoutS * 1000, g.json);
      process.exit(ok ? 0 : 1);
    });
}
