import type { Command } from "commander";

export function registerTui(program: Command): void {
  program
    .command("tui")
    .description("the live console, with the worker running inside it; --no-ui (or a non-TTY stdout) runs headless")
    .option("--no-ui", "headless worker with NDJSON logs")
    .option("--no-color", "no colours (NO_COLOR is honoured too)")
    .option("--log-format <format>", "headless only: ndjson (default) or pretty")
    .option("--speed <ms>", "set the replay pause between traces before starting")
    .addHelpText("after", "\nExamples:\n  compile-daemon tui\n  compile-daemon tui --db /tmp/x.db --speed 20\n  compile-daemon tui --no-ui | jq .")
    .action(async (opts: { ui: boolean; color: boolean; logFormat?: string; speed?: string }, cmd: Command) => {
      // The worker and the console are loaded only when this command runs (see commands/index.ts).
      if (!opts.ui || !process.stdout.isTTY) return (await import("./daemonRunner.js")).runHeadless(cmd, opts);
      const { runConsoleCommand } = await import("./console.js");
      return runConsoleCommand(cmd, opts);
    });
}
