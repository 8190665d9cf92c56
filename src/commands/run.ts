import type { Command } from "commander";
import { runHeadless } from "./daemonRunner.js";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("the headless worker (alias of `tui --no-ui`): one NDJSON line per trigger and job transition")
    .option("--log-format <format>", "ndjson (default) or pretty")
    .option("--speed <ms>", "set the replay pause between traces before starting")
    .addHelpText("after", "\nExamples:\n  compile-daemon run --db /tmp/x.db --speed 50\n  compile-daemon run --log-format pretty")
    .action((opts: { logFormat?: string; speed?: string }, cmd: Command) => runHeadless(cmd, opts));
}
