import type { Command } from "commander";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("the headless worker (alias of `tui --no-ui`): one NDJSON line per trigger and job transition")
    .option("--log-format <format>", "ndjson (default) or pretty")
    .option("--speed <ms>", "set the replay pause between traces before starting")
    .addHelpText("after", "\nExamples:\n  compile-daemon run --db /tmp/x.db --speed 50\n  compile-daemon run --log-format pretty")
    .action(async (opts: { logFormat?: string; speed?: string }, cmd: Command) => (await import("./daemonRunner.js")).runHeadless(cmd, opts));
}
