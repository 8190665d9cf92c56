import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands/index.js";
import { UsageError } from "./commands/errors.js";

const program = new Command();
program
  .name("compile-daemon")
  .description("Always-on worker and console of Compile: compiles an agent's LLM call sites into verified deterministic functions.")
  .version("0.1.0")
  .option("--db <path>", "embedded state file", ".compile/state.db")
  .option("--agent <dir>", "the agent's source directory", "data/acme-agent")
  .option("--json", "machine output on stdout (logs stay on stderr)")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors exit 2 (commander already printed the reason).
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`compile-daemon: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`compile-daemon: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
