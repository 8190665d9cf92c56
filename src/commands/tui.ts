import type { Command } from "commander";

export function registerTui(program: Command): void {
  program
    .command("tui")
    .description("the live console (the worker runs inside it); --no-ui runs the headless worker")
    .option("--no-ui", "headless worker with NDJSON logs")
    .action(() => {
      process.stderr.write("compile-daemon: the console is not built yet (see the open issues); nothing was started.\n");
      process.exit(1);
    });
}
