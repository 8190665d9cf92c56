import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands/index.js";
import { Cancelled, UsageError } from "./commands/errors.js";
import { printable } from "./backend/printable.js";

const program = new Command();
program
  .name("compile-daemon")
  .description("Always-on worker and console of Compile: compiles an agent's LLM call sites into verified deterministic functions.")
  .version("0.1.0")
  .option("--db <path>", "embedded state file", ".compile/state.db")
  .option("--agent <dir>", "the agent's source directory", "data/acme-agent")
  .option("--json", "machine output on stdout (logs stay on stderr)")
  .showHelpAfterError("(run with --help for usage)")
  .configureHelp({ showGlobalOptions: true })
  .addHelpText(
    "after",
    "\nExamples:\n  compile-daemon tui                         the console on .compile/state.db\n  compile-daemon run --db /tmp/x.db --speed 50\n  compile-daemon ctl status --db /tmp/x.db\n  compile-daemon compile --traces data/acme-agent/traces/seed.jsonl --agent data/acme-agent --json",
  )
  .exitOverride();

registerCommands(program);

// A reader that went away (`| head`, a closed pipe) asks us to stop, it is not a crash: a daemon
// drains through its SIGTERM handler; a short command just ends.
let pipeClosed = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    if (pipeClosed) return;
    pipeClosed = true;
    if (process.listenerCount("SIGTERM") > 0) process.emit("SIGTERM", "SIGTERM");
    else process.exit(0);
  });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors exit 2 (commander already printed the reason).
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  // Error texts may quote names from the state file or a traces file: control characters escaped.
  if (isBadInput(err)) {
    process.stderr.write(`compile-daemon: ${printable(oneLine(err))}\n`);
    process.exit(2);
  }
  if (err instanceof Cancelled) {
    process.stderr.write(`compile-daemon: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`compile-daemon: ${printable(oneLine(err))}\n`);
  process.exit(1);
}

/**
 * Exit 2 is for input the user can fix: bad arguments, an unusable state file, and every refusal
 * the backend functions raise (a ConvexError: unknown bucket, out-of-range value, bad token).
 */
function isBadInput(err: unknown): boolean {
  if (err instanceof UsageError) return true;
  if (err instanceof Error && err.name === "StateFileError") return true;
  return typeof err === "object" && err !== null && Symbol.for("ConvexError") in err;
}

function oneLine(err: unknown): string {
  if (typeof err === "object" && err !== null && "data" in err && typeof err.data === "string") return err.data;
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
}
