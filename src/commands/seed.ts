import type { Command } from "commander";
import path from "node:path";
import { loadSeed, readSeedFile, SeedFileError } from "../worker/seed.js";
import { globals, printJson, withClient } from "./common.js";
import { UsageError } from "./errors.js";

export function defaultSeedFile(agentDir: string): string {
  return path.join(agentDir, "traces", "seed.jsonl");
}

export function registerSeed(program: Command): void {
  program
    .command("seed")
    .description("load the seed traces into the replay source (idempotent: loading twice adds nothing)")
    .option("--file <file>", "traces JSONL file (default: <agent>/traces/seed.jsonl)")
    .addHelpText("after", "\nExamples:\n  compile-daemon seed\n  compile-daemon seed --file my-traces.jsonl --db /tmp/x.db --json")
    .action(async (opts: { file?: string }, cmd: Command) => {
      const g = globals(cmd);
      const file = opts.file ?? defaultSeedFile(g.agent);
      const traces = await readSeedFile(file).catch((e: unknown) => {
        throw e instanceof SeedFileError ? new UsageError(e.message) : e;
      });
      if (traces.length === 0) throw new UsageError(`${file} holds no traces`);
      const result = await withClient(cmd, (client) => loadSeed(client, traces), { create: true });
      if (g.json) printJson({ file, ...result });
      else process.stdout.write(`seed: ${result.inserted} loaded, ${result.skipped} already there, ${result.total} in the replay source (${file})\n`);
    });
}
