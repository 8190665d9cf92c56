import type { Command } from "commander";
import path from "node:path";
import { checkSeedFile, loadSeedFile, SeedFileError, TraceFormatError } from "../worker/seed.js";
import { globals, printJson, withClient } from "./common.js";
import { UsageError } from "./errors.js";
import { FORMAT_HELP, refusedTraceFile, traceFormat, UnknownTraceFormatError, unknownTraceFormat } from "./traceFile.js";

export function defaultSeedFile(agentDir: string): string {
  return path.join(agentDir, "traces", "seed.jsonl");
}

export function registerSeed(program: Command): void {
  program
    .command("seed")
    .description("load a traces file into the replay source: every line is checked first, a bad line refuses the whole file (idempotent: loading twice adds nothing)")
    .option("--file <file>", "traces file (default: <agent>/traces/seed.jsonl)")
    .option("--format <format>", FORMAT_HELP)
    .addHelpText("after", "\nExamples:\n  compile-daemon seed\n  compile-daemon seed --file my-traces.jsonl --db /tmp/x.db --json")
    .action(async (opts: { file?: string; format?: string }, cmd: Command) => {
      const g = globals(cmd);
      const format = traceFormat(opts.format);
      const file = opts.file ?? defaultSeedFile(g.agent);
      // Two passes over the file, so memory stays bounded whatever its length: the first checks every
      // line (before the state file is even opened), the second loads what the first accepted.
      const plan = await checkSeedFile(file, format).catch((e: unknown) => {
        if (e instanceof TraceFormatError) throw refusedTraceFile(e, "nothing was loaded");
        if (e instanceof UnknownTraceFormatError) throw unknownTraceFormat(e);
        throw e instanceof SeedFileError ? new UsageError(e.message) : e;
      });
      if (plan.traces === 0) throw new UsageError(`${file} holds no traces`);
      const result = await withClient(cmd, (client) => loadSeedFile(client, plan), { create: true });
      if (g.json) printJson({ file, ...result });
      else process.stdout.write(`seed: ${result.inserted} loaded, ${result.skipped} already there, ${result.total} in the replay source (${file})\n`);
    });
}
